# R survey side of benchmarks/bench_quantile.py (called by it; not meant to be run alone).
#
# Usage: Rscript bench_quantile.R <data.csv> <result.json> <estimates.csv>
# Times, inside R, svydesign() (setup) and the task: the median of score by state and by the 66
# state x sex x agecat domains, svyby(~score, ~state, design, svyquantile, quantiles = 0.5,
# ci = TRUE) and the same with ~state + sex + agecat (qrule "math", Woodruff intervals, the
# defaults of survey 4.1). Writes the medians, SEs and intervals so that the Python side can
# compare them.

suppressPackageStartupMessages({
  library(survey)
  library(data.table)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
d <- as.data.frame(fread(args[1], na.strings = ""))
d$state <- factor(d$state)
d$sex <- factor(d$sex, levels = c("Boy", "Girl"))
d$agecat <- factor(d$agecat)

setup <- system.time(
  design <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = d)
)[["elapsed"]]
task <- system.time({
  by_state <- svyby(~score, ~state, design, svyquantile, quantiles = 0.5, ci = TRUE,
                    vartype = c("se", "ci"), na.rm = TRUE)
  by_domain <- svyby(~score, ~state + sex + agecat, design, svyquantile, quantiles = 0.5, ci = TRUE,
                     vartype = c("se", "ci"), na.rm = TRUE)
})[["elapsed"]]

frame <- function(r, level) {
  n <- nrow(r)
  data.frame(level = level, state = as.character(r$state),
             sex = if (is.null(r$sex)) rep("", n) else as.character(r$sex),
             agecat = if (is.null(r$agecat)) rep("", n) else as.character(r$agecat),
             estimate = r$score, se = r$se.score, ci_low = r$ci_l, ci_high = r$ci_u)
}
fwrite(rbind(frame(by_state, "state"), frame(by_domain, "domain")), args[3])
writeLines(toJSON(list(setup_s = setup, estimate_s = task, version = as.character(packageVersion("survey"))),
                  auto_unbox = TRUE, digits = NA), args[2])
