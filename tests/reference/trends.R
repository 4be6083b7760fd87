# Reference values for cbss_analysis.estimate.trend and regional_average, computed with R's survey package.
#
# Run from anywhere:  Rscript tests/reference/trends.R      (a few seconds)
# Needs: R >= 4.2, survey (tested with 4.1.1), jsonlite.
#
# Writes (nothing else is touched):
#   tests/reference/data/trends_stacked.csv   three cycles of an invented survey (set.seed below), stacked
#   tests/reference/trends.json               every reference value (15 significant digits or more)
#
# The data: cycles 2009/10, 2013/14, 2017/18 (independent samples); states DK, EE, LT (countryno 208000, 233000,
# 440000), 3 regional strata per state and cycle, 4-7 classes (PSUs) per stratum, 8-25 pupils per class; a
# 0/1 outcome y (missing for some pupils) whose probability drifts over the cycles, and sex. LT has no cases in
# 2013/14 (as Lithuania in the HBSC 2013/14 open-access file). Stratum and class codes restart within each cycle.
#
# Conventions pinned here (the Python tests reproduce them to 1e-8 relative):
# - One design per cycle: svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE), stratum =
#   country x region; the stacked design: the same on all rows with strata ~interaction(cycle, stratum) (nested in
#   cycle; R's ~cycle + stratum would be two stages' strata).
#   options(survey.lonely.psu = "adjust").
# - A change of a state between two cycles is the difference of two independent svyby estimates:
#   estimate_b - estimate_a, se = sqrt(se_a^2 + se_b^2); its df (for the t p-value and interval) is
#   degf(subset(stacked, !is.na(y))), the stacked design among respondents with a value.
# - Holm: p.adjust(p, "holm") over the states of one comparison.
# - Regional averages: svycontrast(svyby(~y, ~cyc_state, subset(stacked, !is.na(y)), svymean, covmat = TRUE),
#   weights) with weights 1/k (unweighted) or the states' 2022 under-18 populations (data/published/population.csv,
#   UNICEF DM_POP_U18), normalised over the states of the average; the change of an average uses the states
#   present in both cycles.
# - Linear trend of a state: svyglm(y ~ cycle_year, design = subset(stacked, state == s), family = gaussian());
#   coefficient, SE (vcov), df.residual, summary() p-value, confint() (t quantile on df.residual).

suppressMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "adjust")

script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else getwd()
})
data_dir <- file.path(script_dir, "data")
repo <- normalizePath(file.path(script_dir, "..", ".."))

set.seed(20260613)
cycles <- c("2009/10", "2013/14", "2017/18")
years <- c(2010, 2014, 2018)
states <- c(DK = 208000, EE = 233000, LT = 440000)
base <- c(DK = -1.6, EE = -0.9, LT = -1.1)
slope <- c(DK = -0.05, EE = -0.08, LT = 0.02)
rows <- list()
for (ci in seq_along(cycles)) {
  psu <- 0
  for (s in names(states)) {
    if (s == "LT" && cycles[ci] == "2013/14") next
    for (region in 1:3) {
      for (k in seq_len(sample(4:7, 1))) {
        psu <- psu + 1
        n <- sample(8:25, 1)
        class_effect <- rnorm(1, sd = 0.3)
        eta <- base[[s]] + slope[[s]] * (years[ci] - 2010) + 0.2 * region + class_effect
        y <- rbinom(n, 1, plogis(eta))
        y[runif(n) < 0.05] <- NA
        rows[[length(rows) + 1]] <- data.frame(
          cycle = cycles[ci], cycle_year = years[ci], countryno = states[[s]], state = s,
          region = region, stratum = as.integer(match(s, names(states)) * 10 + region), psu = psu,
          weight = round(runif(n, 0.4, 2.2) * (1 + 0.3 * region), 6), sex = sample(1:2, n, replace = TRUE), y = y
        )
      }
    }
  }
}
d <- do.call(rbind, rows)
d$cyc_state <- paste(d$cycle, d$state)
d$cycle_stratum <- paste(d$cycle, d$stratum)
write.csv(d[, c("cycle", "cycle_year", "countryno", "state", "region", "stratum", "psu", "weight", "sex", "y")],
          file.path(data_dir, "trends_stacked.csv"), row.names = FALSE, na = "", quote = FALSE)

# strata = ~cycle + stratum would make cycle the first stage's strata and stratum the second stage's: the
# strata nested in cycle are their interaction
stacked <- svydesign(ids = ~psu, strata = ~cycle_stratum, weights = ~weight, nest = TRUE, data = d)
with_y <- subset(stacked, !is.na(y))
df_changes <- degf(with_y)

# estimates by cycle and state, each from its cycle's own design
per_cycle <- list()
for (ci in seq_along(cycles)) {
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d[d$cycle == cycles[ci], ])
  est <- svyby(~y, ~state, subset(des, !is.na(y)), svymean)
  per_cycle[[cycles[ci]]] <- data.frame(state = as.character(est$state), estimate = est$y, se = SE(est))
}
lookup <- function(cycle, s, what) {
  t <- per_cycle[[cycle]]
  if (!(s %in% t$state)) return(NA_real_)
  t[[what]][t$state == s]
}

changes <- list()
add_change <- function(comparison, a, b) {
  out <- data.frame()
  for (s in names(states)) {
    ea <- lookup(a, s, "estimate"); eb <- lookup(b, s, "estimate")
    if (is.na(ea) || is.na(eb)) next
    se <- sqrt(lookup(a, s, "se")^2 + lookup(b, s, "se")^2)
    change <- eb - ea
    out <- rbind(out, data.frame(state = s, comparison = comparison, from = a, to = b, estimate_from = ea,
                                 estimate_to = eb, change = change, se = se,
                                 p_value = 2 * pt(-abs(change / se), df_changes),
                                 ci_low = change - qt(0.975, df_changes) * se, ci_high = change + qt(0.975, df_changes) * se))
  }
  out$p_holm <- p.adjust(out$p_value, "holm")
  out
}
# each state's consecutive cycles with cases (LT: 2009/10 -> 2017/18) and first -> last
pairs <- rbind(add_change("consecutive", "2009/10", "2013/14"), add_change("consecutive", "2013/14", "2017/18"),
               add_change("first_last", "2009/10", "2017/18"))
lt <- pairs$state == "LT"
pairs$comparison[lt] <- "consecutive"  # LT has two cycles: one consecutive change, no first_last
pairs <- pairs[!(lt & duplicated(pairs[, c("state", "from", "to")])), ]
# Holm is over the states of one comparison: recompute after relabelling LT's change
pairs$p_holm <- ave(pairs$p_value, pairs$comparison, pairs$from, pairs$to, FUN = function(p) p.adjust(p, "holm"))

# regional averages (unweighted and population-weighted) per cycle, and their changes
pop <- read.csv(file.path(repo, "data", "published", "population.csv"))
pop <- pop[pop$measure == "population_under18", ]
population <- setNames(pop$value, pop$state)
by_cs <- svyby(~y, ~cyc_state, with_y, svymean, covmat = TRUE)
names_cs <- as.character(by_cs$cyc_state)
average_rows <- data.frame()
average_changes <- data.frame()
weights_for <- function(kind, ss) if (kind == "unweighted") rep(1 / length(ss), length(ss)) else population[ss] / sum(population[ss])
for (kind in c("unweighted", "population")) {
  for (cy in cycles) {
    ss <- names(states)[paste(cy, names(states)) %in% names_cs]
    w <- setNames(rep(0, length(names_cs)), names_cs)
    w[paste(cy, ss)] <- weights_for(kind, ss)
    con <- svycontrast(by_cs, w)
    average_rows <- rbind(average_rows, data.frame(cycle = cy, average = kind, estimate = as.numeric(coef(con)), se = as.numeric(SE(con)),
                                                   domains = length(ss)))
  }
  for (pr in list(c("consecutive", "2009/10", "2013/14"), c("consecutive", "2013/14", "2017/18"),
                  c("first_last", "2009/10", "2017/18"))) {
    a <- pr[2]; b <- pr[3]
    ss <- names(states)[paste(a, names(states)) %in% names_cs & paste(b, names(states)) %in% names_cs]
    w <- setNames(rep(0, length(names_cs)), names_cs)
    w[paste(b, ss)] <- weights_for(kind, ss)
    w[paste(a, ss)] <- -weights_for(kind, ss)
    con <- svycontrast(by_cs, w)
    z <- as.numeric(coef(con)) / as.numeric(SE(con))
    average_changes <- rbind(average_changes, data.frame(average = kind, comparison = pr[1], from = a, to = b,
                                                         change = as.numeric(coef(con)), se = as.numeric(SE(con)),
                                                         p_value = 2 * pt(-abs(z), df_changes)))
  }
}

# linear trend per state: svyglm on the stacked design, the state as a domain
linear <- data.frame()
for (s in names(states)) {
  fit <- svyglm(y ~ cycle_year, design = subset(stacked, state == s), family = gaussian())
  ci <- confint(fit)["cycle_year", ]
  linear <- rbind(linear, data.frame(state = s, change = coef(fit)[["cycle_year"]], se = SE(fit)[["cycle_year"]],
                                     df = fit$df.residual, p_value = summary(fit)$coefficients["cycle_year", 4],
                                     ci_low = ci[[1]], ci_high = ci[[2]]))
}
linear$p_holm <- p.adjust(linear$p_value, "holm")

result <- list(
  note = "Written by tests/reference/trends.R; see its header for the conventions.",
  r_version = R.version.string, survey_version = as.character(packageVersion("survey")),
  df_changes = df_changes,
  changes = pairs, averages = average_rows, average_changes = average_changes, linear = linear
)
json <- toJSON(result, digits = I(17), auto_unbox = TRUE, na = "null", pretty = TRUE, dataframe = "rows")
writeLines(json, file.path(script_dir, "trends.json"))
cat("wrote", file.path(script_dir, "trends.json"), "\n")
