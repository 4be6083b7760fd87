# R survey side of benchmarks/bench_replicates.py (called by it; not meant to be run alone).
#
# Usage: Rscript bench_replicates.R <data.csv> <result.json> <estimates.csv>
# Times svrepdesign(type = "Fay", rho = 0.5) (setup) and svyby(~y, ~state+sex+agecat, design,
# svymean, na.rm = TRUE) for each of the three indicators (the task), inside R.

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
  design <- svrepdesign(data = d, weights = ~weight, repweights = "rw[0-9]+", type = "Fay", rho = 0.5,
                        combined.weights = TRUE)
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
