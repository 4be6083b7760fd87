# Reference for crosstab and chisq on a subset of a Taylor design (R subset(design, ...)).
# Run from the repository root: Rscript tests/reference/subset_tables.R (R 4.2.2, survey 4.1.1).
library(survey)
library(jsonlite)
d <- read.csv("tests/reference/data/apiclus1.csv")
des <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = d)
s <- subset(des, api00 > 600)
out <- list()
for (stat in c("F", "Chisq")) {
  t <- svychisq(~stype + sch_wide, s, statistic = stat)
  out$chisq[[stat]] <- list(value = unname(t$statistic), ndf = unname(t$parameter[1]),
                            ddf = if (stat == "F") unname(t$parameter[2]) else NA, p_value = t$p.value)
}
m <- svymean(~interaction(stype, sch_wide), s)
levels <- expand.grid(stype = c("E", "H", "M"), sch_wide = c("No", "Yes"))
out$cells <- list(stype = as.character(levels$stype), sch_wide = as.character(levels$sch_wide),
                  proportion = unname(coef(m)), se = unname(SE(m)))
out$r_version <- R.version.string
out$survey_version <- as.character(packageVersion("survey"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/subset_tables.json")
