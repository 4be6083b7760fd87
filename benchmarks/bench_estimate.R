# R survey side of benchmarks/bench_estimate.py (called by it; not meant to be run alone).
#
# Usage: Rscript bench_estimate.R <data.csv> <result.json> <estimates.csv>
# Times, inside R, svydesign() (setup) and svyby(~y, ~state+sex+agecat, design, svymean,
# na.rm = TRUE) for each of the three indicators (the task), and writes the estimates and SEs
# so that the Python side can check that it computed the same numbers.

suppressPackageStartupMessages({
  library(survey)
  library(data.table)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
d <- as.data.frame(fread(args[1], na.strings = ""))
for (v in c("state", "sex", "agecat")) d[[v]] <- factor(d[[v]])
indicators <- c("i1", "i2", "i3")

setup <- system.time(
  design <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = d)
)[["elapsed"]]
results <- list()
task <- system.time(
  for (v in indicators) {
    results[[v]] <- svyby(as.formula(paste0("~", v)), ~state + sex + agecat, design, svymean, na.rm = TRUE)
  }
)[["elapsed"]]

out <- do.call(rbind, lapply(indicators, function(v) {
  r <- results[[v]]
  data.frame(variable = v, state = as.character(r$state), sex = as.character(r$sex),
             agecat = as.character(r$agecat), estimate = r[[v]], se = SE(r))
}))
fwrite(out, args[3])
writeLines(toJSON(list(setup_s = setup, estimate_s = task, version = as.character(packageVersion("survey"))),
                  auto_unbox = TRUE, digits = NA), args[2])
