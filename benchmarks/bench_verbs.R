# R survey side of benchmarks/bench_verbs.py (called by it; not meant to be run alone).
#
# Usage: Rscript bench_verbs.R <data.csv> <result.json> <estimates.csv> <tests.csv>
# Times, inside R, svydesign() (setup) and the task: for each state, the freq x sex table with
# SEs (svyby(~interaction(freq, sex), ~state, design, svytotal) for the counts, the same with
# svymean for the cell proportions, svyby(~sex, ~state + freq, design, svymean) for the row
# proportions) and svychisq(~freq + sex, subset(design, state == s)) (Rao-Scott F) for each
# state. Writes the SEs and F statistics so that the Python side can compare them.

suppressPackageStartupMessages({
  library(survey)
  library(data.table)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
d <- as.data.frame(fread(args[1], na.strings = ""))
d$state <- factor(d$state)
d$sex <- factor(d$sex, levels = c("Boy", "Girl"))
d$freq <- factor(d$freq, levels = c("Never", "Rarely", "Sometimes", "Often", "Always"))

setup <- system.time(
  design <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = d)
)[["elapsed"]]
task <- system.time({
  counts <- svyby(~interaction(freq, sex), ~state, design, svytotal, na.rm = TRUE)
  cells <- svyby(~interaction(freq, sex), ~state, design, svymean, na.rm = TRUE)
  rows <- svyby(~sex, ~state + freq, design, svymean, na.rm = TRUE)
  tests <- lapply(levels(d$state), function(s) svychisq(~freq + sex, subset(design, state == s)))
})[["elapsed"]]

cell_frame <- function(x, name) {
  se <- as.matrix(SE(x))
  labels <- sub("^se\\.interaction\\(freq, sex\\)", "", colnames(se))
  parts <- do.call(rbind, strsplit(labels, ".", fixed = TRUE))
  out <- data.frame(state = rep(as.character(x$state), times = ncol(se)),
                    freq = rep(parts[, 1], each = nrow(se)), sex = rep(parts[, 2], each = nrow(se)),
                    value = as.vector(se))
  names(out)[4] <- name
  out
}
est <- merge(cell_frame(counts, "count_se"), cell_frame(cells, "proportion_se"), by = c("state", "freq", "sex"))
row_se <- as.matrix(SE(rows))
row_frame <- data.frame(state = rep(as.character(rows$state), 2), freq = rep(as.character(rows$freq), 2),
                        sex = rep(c("Boy", "Girl"), each = nrow(row_se)), row_proportion_se = as.vector(row_se))
est <- merge(est, row_frame, by = c("state", "freq", "sex"))
fwrite(est, args[3])
fwrite(data.frame(state = levels(d$state), value = sapply(tests, function(t) unname(t$statistic)),
                  p_value = sapply(tests, function(t) t$p.value)), args[4])
writeLines(toJSON(list(setup_s = setup, estimate_s = task, version = as.character(packageVersion("survey"))),
                  auto_unbox = TRUE, digits = NA), args[2])
