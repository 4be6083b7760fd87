# Reference values for cbss_analysis.models and cbss_analysis.scales.
#
# Reproduces R survey::svyglm (family = quasibinomial() and gaussian()) on R's api example
# data, and a weighted Cronbach's alpha computed with base R cov.wt(). Writes the data it
# used to tests/reference/data/models_*.csv and the results, at full precision, to
# tests/reference/models.json. The Python tests read those files and never need R.
#
# Run from anywhere:  Rscript tests/reference/models.R
# Needs: R >= 4.2, survey (tested with 4.1.1), jsonlite.
#
# Conventions pinned here (see cbss_analysis/models/):
# - glm is converged tightly (epsilon 1e-14) and refitted from its own solution, so that the
#   coefficients and the sandwich are those at the optimum to machine precision; R's default
#   (1e-8 on the deviance) leaves coefficients uncertain in about the 5th digit, and svyglm
#   evaluates the sandwich at the working weights of the last-but-one iteration.
# - Standard errors: svyglm's sandwich, vcov(fit) (svy.varcoef -> svyrecvar at the final coefficients).
# - df: fit$df.residual = degf(design after dropping NA rows / out-of-domain rows) + 1 - number of coefficients.
# - p-values: summary(fit) (t on df.residual); CIs: confint(fit) (Wald, t quantile on df.residual).
# - A domain is subset(design, ...) (svyby() does the same): rows leave the design but the
#   stratum PSU counts stay those of the full design.

suppressMessages({
  library(survey)
  library(jsonlite)
})

script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else getwd()
})
data_dir <- file.path(script_dir, "data")
dir.create(data_dir, showWarnings = FALSE)

tight <- glm.control(epsilon = 1e-14, maxit = 100)

data(api)

prepare <- function(d) {
  names(d) <- gsub(".", "_", names(d), fixed = TRUE)
  d$stype <- as.character(d$stype)
  for (v in c("sch_wide", "comp_imp", "both", "awards")) d[[v]] <- as.integer(d[[v]] == "Yes")
  keep <- intersect(
    c("cds", "stype", "dnum", "snum", "pw", "fpc", "fpc1", "api00", "api99", "ell", "meals",
      "mobility", "not_hsg", "avg_ed", "enroll", "sch_wide", "comp_imp", "both", "awards"),
    names(d)
  )
  d[, keep]
}

strat <- prepare(apistrat)
clus1 <- prepare(apiclus1)
clus2 <- prepare(apiclus2)

# A covariate missing in whole PSUs (districts 197 and 413) and in every 10th other school:
# dropping those rows removes two PSUs, so the residual df falls by two.
clus1$ell_na <- clus1$ell
clus1$ell_na[clus1$dnum %in% c(197, 413) | seq_len(nrow(clus1)) %% 10 == 0] <- NA

# The high-school stratum sampled completely (fpc = its sample size): a certainty stratum.
strat$fpc_certain <- ifelse(strat$stype == "H", sum(strat$stype == "H"), strat$fpc)

# A stratified design with a lonely PSU: one high school only (PSUs are schools).
lonely <- strat[strat$stype != "H" | seq_len(nrow(strat)) == which(strat$stype == "H")[1], ]

write_fixture <- function(d, name) {
  write.csv(d, file.path(data_dir, paste0("models_", name, ".csv")), row.names = FALSE, na = "")
}
write_fixture(strat, "apistrat")
write_fixture(clus1, "apiclus1")
write_fixture(clus2, "apiclus2")
write_fixture(lonely, "apilonely")

designs <- list(
  apistrat = list(
    data = "models_apistrat.csv",
    spec = list(weight = "pw", strata = "stype", psu = NULL, fpc = "fpc", lonely_psu = "fail"),
    make = function() svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
  ),
  apistrat_certain = list(
    data = "models_apistrat.csv",
    spec = list(weight = "pw", strata = "stype", psu = NULL, fpc = "fpc_certain", lonely_psu = "fail"),
    make = function() svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc_certain, data = strat)
  ),
  apiclus1 = list(
    data = "models_apiclus1.csv",
    spec = list(weight = "pw", strata = NULL, psu = "dnum", fpc = "fpc", lonely_psu = "fail"),
    make = function() svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
  ),
  # Two-stage design without fpc: R's variance is the ultimate-cluster (first-stage) one,
  # which is what Design(psu="dnum") computes.
  apiclus2 = list(
    data = "models_apiclus2.csv",
    spec = list(weight = "pw", strata = NULL, psu = "dnum", fpc = NULL, lonely_psu = "fail"),
    make = function() svydesign(id = ~dnum + snum, weights = ~pw, data = clus2)
  ),
  apilonely_adjust = list(
    data = "models_apilonely.csv",
    spec = list(weight = "pw", strata = "stype", psu = NULL, fpc = NULL, lonely_psu = "adjust"),
    make = function() svydesign(id = ~1, strata = ~stype, weights = ~pw, data = lonely)
  ),
  apilonely_average = list(
    data = "models_apilonely.csv",
    spec = list(weight = "pw", strata = "stype", psu = NULL, fpc = NULL, lonely_psu = "average"),
    make = function() svydesign(id = ~1, strata = ~stype, weights = ~pw, data = lonely)
  ),
  apilonely_remove = list(
    data = "models_apilonely.csv",
    spec = list(weight = "pw", strata = "stype", psu = NULL, fpc = NULL, lonely_psu = "remove"),
    make = function() svydesign(id = ~1, strata = ~stype, weights = ~pw, data = lonely)
  )
)

# One case: a design, an R formula and the same model in the formulaic syntax of
# cbss_analysis.models, a family, and optionally a domain (variable == value).
case <- function(id, design, family, formula_r, formula_py, domain = NULL) {
  list(id = id, design = design, family = family, formula_r = formula_r,
       formula_py = formula_py, domain = domain)
}

cases <- list(
  case("apistrat_logistic", "apistrat", "quasibinomial",
       "sch_wide ~ ell + meals + stype", "sch_wide ~ ell + meals + C(stype)"),
  case("apistrat_linear", "apistrat", "gaussian",
       "api00 ~ ell + meals + mobility + stype", "api00 ~ ell + meals + mobility + C(stype)"),
  case("apistrat_certain_linear", "apistrat_certain", "gaussian",
       "api00 ~ ell + meals + stype", "api00 ~ ell + meals + C(stype)"),
  case("apiclus1_logistic", "apiclus1", "quasibinomial",
       "comp_imp ~ api99 + stype", "comp_imp ~ api99 + C(stype)"),
  case("apiclus1_linear", "apiclus1", "gaussian",
       "api00 ~ ell + meals + stype", "api00 ~ ell + meals + C(stype)"),
  case("apiclus1_linear_missing_covariate", "apiclus1", "gaussian",
       "api00 ~ ell_na + meals", "api00 ~ ell_na + meals"),
  case("apiclus1_logistic_missing_covariate", "apiclus1", "quasibinomial",
       "sch_wide ~ avg_ed + stype", "sch_wide ~ avg_ed + C(stype)"),
  case("apiclus1_linear_domain_awards1", "apiclus1", "gaussian",
       "api00 ~ ell + meals", "api00 ~ ell + meals", list(variable = "awards", value = 1)),
  case("apiclus1_linear_domain_awards0", "apiclus1", "gaussian",
       "api00 ~ ell + meals", "api00 ~ ell + meals", list(variable = "awards", value = 0)),
  case("apistrat_logistic_domain_E", "apistrat", "quasibinomial",
       "sch_wide ~ ell + meals", "sch_wide ~ ell + meals", list(variable = "stype", value = "E")),
  case("apistrat_logistic_domain_M", "apistrat", "quasibinomial",
       "sch_wide ~ ell + meals", "sch_wide ~ ell + meals", list(variable = "stype", value = "M")),
  case("apiclus2_logistic", "apiclus2", "quasibinomial",
       "sch_wide ~ meals + stype", "sch_wide ~ meals + C(stype)"),
  case("apiclus2_linear_missing_covariate", "apiclus2", "gaussian",
       "api00 ~ meals + enroll", "api00 ~ meals + enroll"),
  case("apiclus2_linear_domain_E", "apiclus2", "gaussian",
       "api00 ~ meals + ell", "api00 ~ meals + ell", list(variable = "stype", value = "E")),
  case("apilonely_adjust_linear", "apilonely_adjust", "gaussian",
       "api00 ~ ell + meals", "api00 ~ ell + meals"),
  case("apilonely_average_linear", "apilonely_average", "gaussian",
       "api00 ~ ell + meals", "api00 ~ ell + meals"),
  case("apilonely_remove_logistic", "apilonely_remove", "quasibinomial",
       "sch_wide ~ ell + meals", "sch_wide ~ ell + meals")
)

fit_case <- function(cs) {
  spec <- designs[[cs$design]]
  options(survey.lonely.psu = spec$spec$lonely_psu)
  design <- spec$make()
  if (!is.null(cs$domain)) {
    keep <- design$variables[[cs$domain$variable]] == cs$domain$value
    design <- design[keep, ]  # what subset(design, variable == value) and svyby() do
  }
  family <- switch(cs$family, quasibinomial = quasibinomial(), gaussian = gaussian())
  formula <- as.formula(cs$formula_r)
  first <- suppressWarnings(svyglm(formula, design = design, family = family, control = tight))
  # Refit from the converged coefficients: glm's sandwich ingredients (working weights, QR)
  # come from the start of its last iteration, which is then the optimum to machine precision.
  # (do.call passes the values themselves: svyglm evaluates start= inside glm's frame.)
  fit <- suppressWarnings(do.call(svyglm, list(formula, design = design, family = family, control = tight,
                                               start = unname(coef(first)))))
  stopifnot(first$converged, fit$converged)
  table <- summary(fit)$coefficients
  ci <- confint(fit)
  list(
    id = cs$id, data = spec$data, design = spec$spec, family = cs$family,
    formula_r = cs$formula_r, formula_py = cs$formula_py, domain = cs$domain,
    terms = rownames(table), coef = unname(table[, 1]), se = unname(table[, 2]),
    p_value = unname(table[, 4]), ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
    df = fit$df.residual, design_df = degf(fit$survey.design), n = length(fit$y)
  )
}

results <- lapply(cases, fit_case)
options(survey.lonely.psu = "fail")

# Weighted Cronbach's alpha, listwise deletion (Cronbach 1951, with weighted moments):
# alpha = k / (k - 1) * (1 - sum_j var_w(x_j) / var_w(sum_j x_j)); cov.wt()'s normalisation
# cancels in the ratio. Unweighted: the same with var().
alpha_of <- function(x, w = NULL) {
  x <- as.matrix(x)
  k <- ncol(x)
  s <- if (is.null(w)) var(x) else cov.wt(x, wt = w)$cov
  k / (k - 1) * (1 - sum(diag(s)) / sum(s))
}

alpha_case <- function(id, data_name, d, items, domain = NULL, weighted = TRUE) {
  if (!is.null(domain)) d <- d[d[[domain$variable]] == domain$value, ]
  d <- d[complete.cases(d[, items]), ]
  list(id = id, data = data_name, items = items, domain = domain, weighted = weighted,
       weight = "pw", alpha = alpha_of(d[, items], if (weighted) d$pw else NULL), n = nrow(d))
}

alphas <- list(
  alpha_case("apistrat_weighted", "models_apistrat.csv", strat, c("meals", "ell", "not_hsg")),
  alpha_case("apistrat_unweighted", "models_apistrat.csv", strat, c("meals", "ell", "not_hsg"), weighted = FALSE),
  alpha_case("apistrat_weighted_E", "models_apistrat.csv", strat, c("meals", "ell", "not_hsg"),
             list(variable = "stype", value = "E")),
  alpha_case("apistrat_weighted_H", "models_apistrat.csv", strat, c("meals", "ell", "not_hsg"),
             list(variable = "stype", value = "H")),
  alpha_case("apiclus1_weighted_listwise", "models_apiclus1.csv", clus1, c("api00", "api99", "avg_ed")),
  alpha_case("apiclus1_unweighted_listwise", "models_apiclus1.csv", clus1, c("api00", "api99", "avg_ed"),
             weighted = FALSE)
)

# The embedded synthetic survey (when present): R reads the .sav itself and computes the
# indicators from the codebook's rules (data/codebooks/cbss_online_risk.yaml), independently of
# cbss_analysis. Codes 99 are missing; indicators exist for 13- and 15-year-olds (agecat 2, 3):
#   sent_sexual_image = img_sent in (2, 3);
#   sexual_attitudes_permissive = mean of the answered att_images_ok, att_pressure_blame,
#   att_gifts_ok codes, when at least half of them are answered.
# The five attitude items' alpha reverse-codes att_share_wrong and att_right_no (6 - code).
sav <- normalizePath(file.path(script_dir, "..", "..", "data", "survey", "cbss_synthetic_hbsc2018.sav"), mustWork = FALSE)
if (file.exists(sav)) {
  attitudes <- c("att_images_ok", "att_share_wrong", "att_pressure_blame", "att_right_no", "att_gifts_ok")
  # region is character (the state's HBSC region code); the strata are country x id1 (id1 = 999 a stratum
  # of its own), as in the cbss_synthetic codebook.
  columns <- c("countryno", "region", "id1", "cluster", "weight", "sex", "agecat", "img_sent", attitudes)
  raw <- haven::read_sav(sav, col_select = dplyr::all_of(columns), user_na = TRUE)
  synth <- as.data.frame(lapply(raw, function(v) {
    v <- haven::zap_labels(haven::zap_missing(v))
    if (is.character(v)) trimws(v) else as.numeric(v)
  }), stringsAsFactors = FALSE)
  coded <- c("img_sent", attitudes)
  synth[coded] <- lapply(synth[coded], function(v) replace(v, v %in% 99, NA))
  # Gzipped (about 40,000 rows): the Python test builds its Survey from this file through the
  # cbss_synthetic codebook, so it does not change when the embedded file is regenerated.
  write.csv(synth, gzfile(file.path(data_dir, "models_synthetic.csv.gz")), row.names = FALSE, na = "")

  older <- synth$agecat %in% c(2, 3)
  synth$sent_sexual_image <- ifelse(older, as.numeric(synth$img_sent %in% c(2, 3)), NA)
  synth$sent_sexual_image[is.na(synth$img_sent)] <- NA
  permissive <- as.matrix(synth[c("att_images_ok", "att_pressure_blame", "att_gifts_ok")])
  answered <- rowSums(!is.na(permissive))
  synth$sexual_attitudes_permissive <- ifelse(older & answered * 2 >= 3, rowMeans(permissive, na.rm = TRUE), NA)
  synth$sex <- factor(synth$sex, levels = c(1, 2), labels = c("Boy", "Girl"))

  # The codebook's lonely_psu is "adjust"; every stratum has two classes or more, so it changes nothing.
  options(survey.lonely.psu = "adjust")
  # Strata are country x id1 (svydesign's strata = ~countryno + id1 would mean one per stage).
  synth$stratum <- interaction(synth$countryno, synth$id1, drop = TRUE)
  stopifnot(all(tapply(synth$cluster, synth$stratum, function(k) length(unique(k))) >= 2))
  dsynth <- svydesign(id = ~cluster, strata = ~stratum, weights = ~weight, nest = TRUE, data = synth)
  synthetic_case <- function(id, design, domain = NULL) {
    formula <- sent_sexual_image ~ sexual_attitudes_permissive + sex
    first <- svyglm(formula, design = design, family = quasibinomial(), control = tight)
    fit <- do.call(svyglm, list(formula, design = design, family = quasibinomial(), control = tight,
                                start = unname(coef(first))))
    table <- summary(fit)$coefficients
    ci <- confint(fit)
    list(
      id = id, data = "models_synthetic.csv.gz", design = list(codebook = "cbss_synthetic"), family = "quasibinomial",
      formula_r = "sent_sexual_image ~ sexual_attitudes_permissive + sex",
      formula_py = "sent_sexual_image ~ sexual_attitudes_permissive + C(sex)", domain = domain,
      terms = rownames(table), coef = unname(table[, 1]), se = unname(table[, 2]),
      p_value = unname(table[, 4]), ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
      df = fit$df.residual, design_df = degf(fit$survey.design), n = length(fit$y)
    )
  }
  results <- c(results, list(
    synthetic_case("synthetic_logistic", dsynth),
    synthetic_case("synthetic_logistic_domain_EE", dsynth[dsynth$variables$countryno == 233000, ],
                   list(variable = "state", value = "EE"))
  ))

  items <- synth[attitudes]
  items$att_share_wrong <- 6 - items$att_share_wrong
  items$att_right_no <- 6 - items$att_right_no
  complete <- complete.cases(items)
  alphas <- c(alphas, list(list(
    id = "synthetic_attitudes_weighted", data = "models_synthetic.csv.gz", codebook = "cbss_synthetic", items = attitudes, domain = NULL, weighted = TRUE,
    weight = "weight", alpha = alpha_of(items[complete, ], synth$weight[complete]), n = sum(complete)
  )))
}

options(survey.lonely.psu = "fail")
out <- list(
  generated_by = "tests/reference/models.R",
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  glm_epsilon = tight$epsilon,
  models = results,
  alpha = alphas
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), null = "null", pretty = TRUE),
           file.path(script_dir, "models.json"))
cat("wrote", length(results), "models and", length(alphas), "alpha cases\n")
