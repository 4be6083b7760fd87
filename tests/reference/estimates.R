# Reference values for cbss_analysis.estimate, computed with R's survey package.
#
# Run from anywhere:  Rscript tests/reference/estimates.R
# Writes tests/reference/data/*.csv (the datasets used) and tests/reference/estimates.json
# (every estimate, SE, CI, df, deff and contrast at 17 significant digits). The Python tests
# read these files; R is not needed at test time.
#
# Conventions reproduced (see cbss_analysis/estimate/):
# - a domain is a by-cell intersected with "variable not missing"; its design is
#   design[domain, ] (rows dropped, PSU counts per stratum kept from the full design),
#   exactly what svyby() passes to its FUN;
# - CI for means and totals: confint(stat, df = degf(domain design)) (t quantiles);
# - proportions: svyciprop(method = "logit" | "beta" | "mean" (= wald)) on the domain design
#   (logit: the same svyglm interval with a converged fit, see logit_ci_converged());
# - deff: svymean/svytotal(deff = "replace") and deff = TRUE (reported as deff_wor);
# - contrasts: svyby(..., covmat = TRUE) on design[!is.na(variable), ] then svycontrast();
#   (tconfint() in survey 4.1 pairs a single `parm` with the first SE, so CIs are taken
#   from the full confint() matrix.)

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- normalizePath(dirname(script))
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE)

n17 <- function(x) {
  if (is.null(x) || length(x) != 1 || is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}

# ---------------------------------------------------------------- datasets
data(api)
tidy_names <- function(df) {
  names(df) <- gsub(".", "_", names(df), fixed = TRUE)
  df
}
add_binary <- function(df) {
  df$sch_wide01 <- as.numeric(df$sch_wide == "Yes")
  df$api_up <- as.numeric(df$api00 > df$api99)
  df
}
apistrat_df <- add_binary(tidy_names(apistrat))
n_h <- table(apistrat_df$stype)
apistrat_df$fpc_frac <- as.numeric(n_h[as.character(apistrat_df$stype)]) / apistrat_df$fpc
apistrat_df <- apistrat_df[, c("snum", "stype", "pw", "fpc", "fpc_frac", "api00", "api99", "enroll",
                               "meals", "sch_wide", "sch_wide01", "api_up", "awards", "acs_k3")]

apiclus1_df <- add_binary(tidy_names(apiclus1))
apiclus1_df <- apiclus1_df[, c("dnum", "snum", "stype", "pw", "fpc", "api00", "api99", "enroll",
                               "sch_wide", "sch_wide01", "api_up", "avg_ed", "acs_k3")]

apiclus2_df <- add_binary(tidy_names(apiclus2))
apiclus2_df$fpc2 <- as.numeric(apiclus2_df$fpc2)
apiclus2_df <- apiclus2_df[, c("dnum", "snum", "stype", "pw", "fpc1", "fpc2", "api00", "api99",
                               "enroll", "sch_wide", "sch_wide01", "api_up", "avg_ed", "acs_k3")]

# A constructed stratified cluster design: PSU ids repeat across strata (nest = TRUE),
# strata s5 and s6 have a single PSU each (lonely PSUs), item non-response, a factor,
# and a domain "c" in which yz is always missing (an empty domain for yz).
set.seed(20180)
psus_per_stratum <- c(s1 = 4, s2 = 3, s3 = 5, s4 = 2, s5 = 1, s6 = 1)
pop_psus <- c(s1 = 40, s2 = 30, s3 = 6, s4 = 20, s5 = 10, s6 = 8)
rows <- list()
for (h in names(psus_per_stratum)) {
  for (k in seq_len(psus_per_stratum[[h]])) {
    m <- sample(3:8, 1)
    effect <- rnorm(1, 0, 6)
    rows[[length(rows) + 1]] <- data.frame(stratum = h, psu = k, psu_effect = effect, m = m)[rep(1, m), ]
  }
}
lonely <- do.call(rbind, rows)
rownames(lonely) <- NULL
nr <- nrow(lonely)
lonely$w <- round(runif(nr, 5, 30), 3)
lonely$y <- round(50 + 3 * as.integer(factor(lonely$stratum)) + lonely$psu_effect + rnorm(nr, 0, 10), 2)
lonely$b <- rbinom(nr, 1, plogis(-0.5 + lonely$psu_effect / 6))
lonely$cat <- factor(sample(c("low", "mid", "high"), nr, replace = TRUE, prob = c(0.3, 0.5, 0.2)),
                     levels = c("low", "mid", "high"))
lonely$dom <- factor(sample(c("a", "b", "c"), nr, replace = TRUE, prob = c(0.45, 0.45, 0.1)))
lonely$y[sample(nr, 6)] <- NA
lonely$b[sample(nr, 4)] <- NA
lonely$cat[sample(nr, 4)] <- NA
lonely$yz <- ifelse(lonely$dom == "c", NA, lonely$y)
lonely$fpc_n <- as.numeric(pop_psus[lonely$stratum])
lonely$fpc_f <- as.numeric(psus_per_stratum[lonely$stratum]) / lonely$fpc_n
lonely$fpc_cert <- ifelse(lonely$stratum %in% c("s5", "s6"), 1, lonely$fpc_n)
lonely <- lonely[, c("stratum", "psu", "w", "y", "b", "cat", "dom", "yz", "fpc_n", "fpc_f", "fpc_cert")]

datasets <- list(apistrat = apistrat_df, apiclus1 = apiclus1_df, apiclus2 = apiclus2_df,
                 lonely = lonely)
factor_levels <- list()
for (nm in names(datasets)) {  # the embedded survey (below) is not exported
  df <- datasets[[nm]]
  write.csv(df, file.path(data_dir, paste0(nm, ".csv")), row.names = FALSE, na = "")
  facs <- names(df)[sapply(df, is.factor)]
  factor_levels[[nm]] <- setNames(lapply(facs, function(f) levels(df[[f]])), facs)
}

# The embedded synthetic survey (read from the .sav with haven; not exported: it ships in
# data/survey). Indicators are recomputed here from their codebook rules (cbss_synthetic.yaml),
# so the test also checks the decoding of codes and missing values.
embedded_sav <- file.path(here, "..", "..", "data", "survey", "cbss_synthetic_hbsc2018.sav")
if (file.exists(embedded_sav) && requireNamespace("haven", quietly = TRUE)) {
  sav <- haven::read_sav(embedded_sav)
  code <- function(v) as.numeric(haven::zap_labels(sav[[v]]))
  iso2 <- c("208000" = "DK", "246000" = "FI", "352000" = "IS", "578000" = "NO", "752000" = "SE",
            "233000" = "EE", "428000" = "LV", "440000" = "LT", "276000" = "DE", "616000" = "PL",
            "643000" = "RU")
  rule_in <- function(v, codes, population = TRUE) {
    x <- code(v)
    ifelse(is.na(x) | !population, NA, as.numeric(x %in% codes))
  }
  agecat <- code("agecat")
  # region is character (the state's HBSC region code, constant within the state); the strata are
  # country x id1 (id1 = 999, "No information about stratification", is a stratum of its own).
  region <- trimws(as.character(haven::zap_labels(sav[["region"]])))
  stopifnot(is.character(sav[["region"]]), all(tapply(region, code("countryno"), function(r) length(unique(r))) == 1))
  embedded <- data.frame(
    cluster = code("cluster"), countryno = code("countryno"), id1 = code("id1"), region = region,
    weight = code("weight"), age = code("age"),
    state = factor(iso2[as.character(code("countryno"))], levels = unname(iso2)),
    sex = factor(c("Boy", "Girl")[code("sex")], levels = c("Boy", "Girl")),
    agecat = factor(c("11-year-olds", "13-year-olds", "15-year-olds")[agecat],
                    levels = c("11-year-olds", "13-year-olds", "15-year-olds")),
    cyberbullied = rule_in("cbeenbullied", 2:5),
    been_bullied = rule_in("beenbullied", 3:5),
    ever_had_sex = rule_in("hadsex", 1, agecat %in% 3),
    knows_where_to_get_help = rule_in("knows_help", 1, agecat %in% c(2, 3)))
  embedded$stratum <- interaction(embedded$countryno, embedded$id1, drop = TRUE)
  # every stratum has two classes or more, so the codebook's lonely_psu = "adjust" changes nothing here
  stopifnot(all(tapply(embedded$cluster, embedded$stratum, function(k) length(unique(k))) >= 2))
  datasets$embedded <- embedded
}

# ---------------------------------------------------------------- designs
make_design <- function(df, spec) {
  ids <- if (is.null(spec$r_ids)) {
    if (is.null(spec$psu)) ~1 else as.formula(paste0("~", spec$psu))
  } else as.formula(spec$r_ids)
  strata <- if (!is.null(spec$r_strata)) as.formula(spec$r_strata)
            else if (is.null(spec$strata)) NULL else as.formula(paste0("~", spec$strata))
  fpc <- if (!is.null(spec$r_fpc)) as.formula(spec$r_fpc)
         else if (is.null(spec$fpc)) NULL else as.formula(paste0("~", spec$fpc))
  svydesign(ids = ids, strata = strata, weights = as.formula(paste0("~", spec$weight)),
            fpc = fpc, data = df, nest = isTRUE(spec$nest))
}

# ---------------------------------------------------------------- estimates
domain_masks <- function(df, by) {
  if (length(by) == 0) return(list(list(values = setNames(list(), character(0)), mask = rep(TRUE, nrow(df)))))
  combos <- unique(df[, by, drop = FALSE])
  combos <- combos[do.call(order, unname(as.list(combos))), , drop = FALSE]
  lapply(seq_len(nrow(combos)), function(i) {
    mask <- rep(TRUE, nrow(df))
    for (b in by) mask <- mask & as.character(df[[b]]) == as.character(combos[[b]][i])
    list(values = lapply(setNames(by, by), function(b) as.character(combos[[b]][i])), mask = mask)
  })
}

one_row <- function(var, lev, dvals, est, se, ci, df_, n, nw, deff_r, deff_w) {
  list(variable = var, level = if (is.null(lev)) NA else lev, by = dvals,
       estimate = n17(est), se = n17(se), ci_low = n17(ci[1]), ci_high = n17(ci[2]),
       df = df_, n = n, n_weighted = n17(nw), deff = n17(deff_r), deff_wor = n17(deff_w))
}

# svyciprop(method = "logit") fits svyglm(y ~ 1, family = quasibinomial) with glm's default
# convergence (epsilon = 1e-8), which leaves up to ~1e-8 relative error in the estimate and the
# interval. The same computation with a converged fit is the reference; svyciprop's own interval
# must agree with it to 1e-6.
logit_ci_converged <- function(pf, sub, level, ci_default) {
  fit <- eval(bquote(svyglm(.(pf[[2]]) ~ 1, sub, family = quasibinomial,
                            control = glm.control(epsilon = 1e-15, maxit = 100))))
  ci <- suppressMessages(as.numeric(plogis(confint(fit, 1, level = level, method = "Wald", ddf = degf(sub)))))
  ok <- is.na(ci) | is.na(ci_default) | abs(ci - ci_default) <= 1e-6 * pmax(1e-300, abs(ci))
  stopifnot(all(ok))
  ci
}

estimate_case <- function(design, df, kind, var, by, ci_method, level) {
  out <- list()
  for (dom in domain_masks(df, by)) {
    keep <- dom$mask & !is.na(df[[var]])
    n <- sum(keep)
    levs <- if (is.factor(df[[var]])) levels(df[[var]]) else list(NULL)
    if (n == 0) {
      for (lev in levs) out[[length(out) + 1]] <- one_row(var, lev, dom$values, NA, NA, c(NA, NA), NA, 0L, 0, NA, NA)
      next
    }
    sub <- design[keep, ]
    dfree <- degf(sub)
    nw <- sum(weights(sub))
    f <- as.formula(paste0("~", var))
    stat <- if (kind == "total") svytotal else svymean
    m_r <- stat(f, sub, deff = "replace")
    m_w <- suppressWarnings(stat(f, sub, deff = TRUE))
    ses <- SE(m_r)
    for (j in seq_along(levs)) {
      lev <- levs[[j]]
      if (kind == "proportion") {
        pf <- if (is.null(lev)) f else as.formula(sprintf("~as.numeric(%s == '%s')", var, lev))
        cp <- svyciprop(pf, sub, method = ci_method, level = level)
        ci <- as.vector(attr(cp, "ci"))
        est <- coef(m_r)[j]
        stopifnot(abs(as.vector(cp) - est) < 1e-6 * max(1, abs(est)))
        if (ci_method == "logit") ci <- logit_ci_converged(pf, sub, level, ci)
      } else {
        ci <- as.vector(confint(m_r, level = level, df = dfree)[j, ])
        est <- coef(m_r)[j]
      }
      out[[length(out) + 1]] <- one_row(var, lev, dom$values, est, ses[j], ci, dfree, n, nw,
                                        deff(m_r)[j], deff(m_w)[j])
    }
  }
  out
}

cases <- list()
add_case <- function(id, data, spec, kind, variables, by = character(0), ci = NULL,
                     level = 0.95, lonely = "fail", ultimate = FALSE, note = NULL) {
  options(survey.lonely.psu = lonely, survey.ultimate.cluster = ultimate)
  df <- datasets[[data]]
  spec$lonely_psu <- lonely
  design <- make_design(df, spec)
  r_ci <- if (is.null(ci)) NULL else if (ci == "wald") "mean" else ci
  rows <- list()
  for (v in variables) rows <- c(rows, estimate_case(design, df, kind, v, by, r_ci, level))
  cases[[length(cases) + 1]] <<- list(
    id = id, data = data, design = spec, kind = kind, variables = as.list(variables),
    by = as.list(by), ci = if (is.null(ci)) NA else ci, level = level,
    note = if (is.null(note)) NA else note, rows = rows)
  options(survey.lonely.psu = "fail", survey.ultimate.cluster = FALSE)
}

strat <- list(weight = "pw", strata = "stype", psu = NULL, fpc = "fpc", nest = FALSE)
strat_frac <- modifyList(strat, list(fpc = "fpc_frac"))
strat_nofpc <- modifyList(strat, list(fpc = NULL))
clus1 <- list(weight = "pw", strata = NULL, psu = "dnum", fpc = "fpc", nest = FALSE)
clus1_nofpc <- modifyList(clus1, list(fpc = NULL))
clus2 <- list(weight = "pw", strata = NULL, psu = "dnum", fpc = NULL, nest = FALSE,
              r_ids = "~dnum+snum")
clus2_fpc <- list(weight = "pw", strata = NULL, psu = "dnum", fpc = "fpc1", nest = FALSE,
                  r_ids = "~dnum+snum", r_fpc = "~fpc1+fpc2")
lonely_spec <- list(weight = "w", strata = "stratum", psu = "psu", fpc = NULL, nest = TRUE)

# apistrat: stratified, no clusters, fpc as counts and as fractions
add_case("apistrat_mean", "apistrat", strat, "mean", c("api00", "enroll", "meals"))
add_case("apistrat_mean_by_stype", "apistrat", strat, "mean", c("api00", "enroll"), by = "stype")
add_case("apistrat_mean_fraction_fpc", "apistrat", strat_frac, "mean", c("api00", "enroll"), by = "stype")
add_case("apistrat_mean_nofpc", "apistrat", strat_nofpc, "mean", c("api00"), by = "stype")
add_case("apistrat_mean_missing", "apistrat", strat, "mean", c("acs_k3"), by = "stype")
add_case("apistrat_mean_factor", "apistrat", strat, "mean", c("awards", "stype"))
add_case("apistrat_mean_factor_by", "apistrat", strat, "mean", c("awards"), by = "stype")
add_case("apistrat_total", "apistrat", strat, "total", c("enroll", "api_up"))
add_case("apistrat_total_by_stype", "apistrat", strat, "total", c("enroll"), by = "stype")
add_case("apistrat_total_factor", "apistrat", strat, "total", c("awards"), by = "stype")
for (m in c("logit", "beta", "wald")) {
  add_case(paste0("apistrat_prop_", m), "apistrat", strat, "proportion", c("sch_wide01", "api_up"),
           by = "stype", ci = m)
}
add_case("apistrat_prop_factor_logit", "apistrat", strat, "proportion", c("awards"), by = "stype", ci = "logit")
add_case("apistrat_prop_logit_90", "apistrat", strat_frac, "proportion", c("api_up"), by = "stype",
         ci = "logit", level = 0.9)

# apiclus1: one-stage cluster sample with fpc
add_case("apiclus1_mean_by_stype", "apiclus1", clus1, "mean", c("api00", "enroll"), by = "stype")
add_case("apiclus1_mean_nofpc", "apiclus1", clus1_nofpc, "mean", c("api00", "enroll"), by = "stype")
add_case("apiclus1_mean_missing", "apiclus1", clus1, "mean", c("avg_ed", "acs_k3"), by = "stype")
add_case("apiclus1_mean_factor", "apiclus1", clus1, "mean", c("sch_wide"), by = "stype")
add_case("apiclus1_total", "apiclus1", clus1, "total", c("enroll"), by = "stype")
add_case("apiclus1_mean_level90", "apiclus1", clus1, "mean", c("api00"), by = "stype", level = 0.9)
for (m in c("logit", "beta", "wald")) {
  add_case(paste0("apiclus1_prop_", m), "apiclus1", clus1, "proportion", c("sch_wide01", "api_up"),
           by = "stype", ci = m)
}

# apiclus2: two-stage cluster sample analysed as ultimate clusters
add_case("apiclus2_mean_nofpc", "apiclus2", clus2, "mean", c("api00", "enroll", "avg_ed"), by = "stype",
         note = "R: svydesign(ids=~dnum+snum, weights=~pw), no fpc: with-replacement at stage 1")
add_case("apiclus2_mean_stage1_fpc", "apiclus2", clus2_fpc, "mean", c("api00", "enroll"), by = "stype",
         ultimate = TRUE,
         note = "R: svydesign(ids=~dnum+snum, fpc=~fpc1+fpc2) with options(survey.ultimate.cluster=TRUE)")
add_case("apiclus2_total", "apiclus2", clus2_fpc, "total", c("enroll"), ultimate = TRUE)
for (m in c("logit", "beta", "wald")) {
  add_case(paste0("apiclus2_prop_", m), "apiclus2", clus2, "proportion", c("api_up"), by = "stype", ci = m)
}

# constructed: lonely PSUs, nest = TRUE, fpc counts / fractions / certainty, empty domain
for (rule in c("adjust", "remove", "certainty", "average")) {
  add_case(paste0("lonely_", rule, "_mean"), "lonely", lonely_spec, "mean", c("y", "yz", "cat"),
           by = "dom", lonely = rule)
  add_case(paste0("lonely_", rule, "_mean_all"), "lonely", lonely_spec, "mean", c("y", "b"), lonely = rule)
  add_case(paste0("lonely_", rule, "_total"), "lonely", lonely_spec, "total", c("y", "b"), by = "dom",
           lonely = rule)
  add_case(paste0("lonely_", rule, "_prop_logit"), "lonely", lonely_spec, "proportion", c("b"), by = "dom",
           ci = "logit", lonely = rule)
  add_case(paste0("lonely_", rule, "_prop_beta"), "lonely", lonely_spec, "proportion", c("b"), by = "dom",
           ci = "beta", lonely = rule)
}
add_case("lonely_adjust_fpc_counts", "lonely", modifyList(lonely_spec, list(fpc = "fpc_n")), "mean",
         c("y", "b"), by = "dom", lonely = "adjust")
add_case("lonely_average_fpc_fraction", "lonely", modifyList(lonely_spec, list(fpc = "fpc_f")), "mean",
         c("y", "b"), by = "dom", lonely = "average")
add_case("lonely_fail_certainty_fpc", "lonely", modifyList(lonely_spec, list(fpc = "fpc_cert")), "mean",
         c("y", "b", "cat"), by = "dom", lonely = "fail",
         note = "the single-PSU strata have fpc = 1 PSU: certainty strata, no lonely-PSU error")
add_case("lonely_fail_certainty_total", "lonely", modifyList(lonely_spec, list(fpc = "fpc_cert")), "total",
         c("y"), lonely = "fail")

# the embedded synthetic survey: indicators by state x sex x agecat, in the codebook's design
# (cbss_synthetic.yaml: strata countryno x id1, PSU cluster, nest, lonely_psu = "adjust")
embedded_spec <- list(weight = "weight", strata = list("countryno", "id1"), psu = "cluster", fpc = NULL,
                      nest = TRUE, r_strata = "~stratum")
if (!is.null(datasets$embedded)) {
  add_case("embedded_prop_logit", "embedded", embedded_spec, "proportion",
           c("cyberbullied", "been_bullied", "ever_had_sex", "knows_where_to_get_help"),
           by = c("state", "sex", "agecat"), ci = "logit", lonely = "adjust",
           note = "data/survey/cbss_synthetic_hbsc2018.sav read with haven; indicators from their codebook rules")
  add_case("embedded_prop_beta", "embedded", embedded_spec, "proportion", c("cyberbullied"), by = "state",
           ci = "beta", lonely = "adjust")
  add_case("embedded_mean_age", "embedded", embedded_spec, "mean", c("age", "agecat"), by = c("state", "sex"),
           lonely = "adjust")
  add_case("embedded_prop_region", "embedded", embedded_spec, "proportion", c("cyberbullied"), by = "region",
           ci = "logit", lonely = "adjust",
           note = "by the character region code (constant within each state: the same domains as state)")
}

# ---------------------------------------------------------------- contrasts
contrasts <- list()
add_contrast <- function(id, data, spec, kind, var, by, weights, note = NULL) {
  options(survey.lonely.psu = if (is.null(spec$lonely_psu)) "fail" else spec$lonely_psu)
  df <- datasets[[data]]
  design <- make_design(df, spec)[!is.na(df[[var]]), ]
  stat <- if (kind == "total") svytotal else svymean
  sb <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", by)), design, stat, covmat = TRUE)
  nocov <- svyby(as.formula(paste0("~", var)), as.formula(paste0("~", by)), design, stat)
  levels_ <- as.character(sb[[by]])
  out <- list()
  for (nm in names(weights)) {
    w <- weights[[nm]]
    cc <- svycontrast(sb, w)
    v_nocov <- sum(w^2 * SE(nocov)^2)
    out[[length(out) + 1]] <- list(name = nm, weights = as.list(setNames(w, levels_)),
                                   estimate = n17(coef(cc)), se = n17(SE(cc)),
                                   se_without_covariance = n17(sqrt(v_nocov)))
  }
  spec$lonely_psu <- if (is.null(spec$lonely_psu)) "fail" else spec$lonely_psu
  contrasts[[length(contrasts) + 1]] <<- list(
    id = id, data = data, design = spec, kind = kind, variable = var, by = by,
    levels = as.list(levels_), estimates = lapply(coef(sb), n17),
    covariance = lapply(as.vector(attr(sb, "var")), n17), contrasts = out,
    note = if (is.null(note)) NA else note)
  options(survey.lonely.psu = "fail")
}
third <- 1 / 3
vs_mean <- list(E_vs_mean = c(1 - third, -third, -third), H_vs_mean = c(-third, 1 - third, -third),
                M_vs_mean = c(-third, -third, 1 - third))
pairs <- list(E_minus_H = c(1, -1, 0), E_minus_M = c(1, 0, -1), H_minus_M = c(0, 1, -1))
weighted_311 <- list(E_vs_weighted_3_1_1 = c(1 - 3 / 5, -1 / 5, -1 / 5),
                     H_vs_weighted_3_1_1 = c(-3 / 5, 1 - 1 / 5, -1 / 5))
add_contrast("apiclus1_api00_stype", "apiclus1", clus1, "mean", "api00", "stype", c(pairs, vs_mean, weighted_311),
             note = "design doc: E minus H has SE 30.03 with covariance, 44.11 without")
add_contrast("apiclus1_prop_stype", "apiclus1", clus1, "mean", "sch_wide01", "stype", c(pairs, vs_mean))
add_contrast("apistrat_api00_stype", "apistrat", strat, "mean", "api00", "stype", c(pairs, vs_mean))
add_contrast("apiclus2_total_stype", "apiclus2", clus2, "total", "enroll", "stype", pairs)
add_contrast("lonely_adjust_y_dom", "lonely", modifyList(lonely_spec, list(lonely_psu = "adjust")),
             "mean", "y", "dom",
             list(a_minus_b = c(1, -1, 0), a_vs_mean = c(1 - third, -third, -third)))
add_contrast("lonely_average_y_dom", "lonely", modifyList(lonely_spec, list(lonely_psu = "average")),
             "mean", "y", "dom",
             list(a_minus_b = c(1, -1, 0), a_vs_mean = c(1 - third, -third, -third)))

if (!is.null(datasets$embedded)) {
  states <- levels(datasets$embedded$state)
  k <- length(states)
  vs_region <- lapply(seq_len(k), function(i) { w <- rep(-1 / k, k); w[i] <- 1 - 1 / k; w })
  names(vs_region) <- paste0(states, "_vs_mean")
  add_contrast("embedded_cyberbullied_state", "embedded", modifyList(embedded_spec, list(lonely_psu = "adjust")),
               "mean", "cyberbullied", "state",
               c(vs_region, list(EE_minus_DK = replace(rep(0, k), match(c("EE", "DK"), states), c(1, -1)))))
}

# ---------------------------------------------------------------- write
result <- list(
  generated_by = "tests/reference/estimates.R",
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  factor_levels = factor_levels,
  embedded_md5 = if (is.null(datasets$embedded)) NA else unname(tools::md5sum(embedded_sav)),
  cases = cases,
  contrasts = contrasts)
writeLines(toJSON(result, json_verbatim = TRUE, auto_unbox = TRUE, na = "null", null = "null",
                  pretty = TRUE),
           file.path(here, "estimates.json"))
cat("wrote", length(cases), "cases and", length(contrasts), "contrast sets to", file.path(here, "estimates.json"), "\n")
