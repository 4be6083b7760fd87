# Reference values for two-way tables, t tests, models, scales and domain quantiles / tests on
# replicate-weight designs (and replicate designs calibrated by calibrate() and rake()), computed
# with R's survey package.
#
# Run from anywhere:  Rscript tests/reference/replicates_models.R      (about 10 s)
# Needs: R >= 4.2, survey (tested with 4.1.1), MASS, jsonlite, and the files that
# tests/reference/replicates.R wrote (its data, replicate weights and replicates.json): the
# designs are rebuilt from them with svrepdesign() and checked against replicates.json's
# svymean before use, so both scripts describe the same designs.
#
# Writes tests/reference/replicates_models.json (nothing else).
#
# Conventions pinned here (a Python implementation must reproduce them to 1e-8):
# - Domains are subset(design, by == level) (rows of other domains dropped; degf recomputed).
# - crosstab: counts svytotal(~interaction(row, col)) with confint(df = degf(domain design));
#   cell proportions svymean(~interaction(row, col)); row proportions svymean(~col) on
#   subset(domain design, row == r). Logit intervals are svyciprop(method = "logit")'s on a
#   replicate design computed with a converged fit: expit(logit(p) -/+ qt(0.975, degf) *
#   sqrt(svrVar(logit(p_r)))), p_r the replicate means (checked against svyciprop to 1e-5).
# - svyttest: two-sample = svyglm(y ~ g) slope on the replicate design (df = degf - 1);
#   one-sample = svymean, df = degf - 1.
# - svyglm (gaussian, quasibinomial, quasipoisson), glm.control(epsilon = 1e-14, maxit = 100),
#   refitted from its own solution; regTermTest(method = "Wald") on the replicate vcov.
# - svyolr (svyolr.svyrep.design): MASS::polr per replicate from the full-sample start, with
#   polr's default optim tolerance (the replicate fits get no control=), so its replicate
#   coefficients are ~1e-5 from their optima. Recorded here: the same computation with every fit
#   (full sample and replicates) polished by Newton steps on the weighted log-likelihood
#   (olr_polish), checked against svyolr's own estimates to 1e-3 and SEs to 1e-2 (JKn's 200 small
#   jackknife deviations are the most sensitive: 0.8%); df = degf - coefficients.
# - Cronbach's alpha: svycralpha() for the estimate; R has no replicate SE for it, so the SE is
#   withReplicates(design, alpha of cov.wt(items, w)) (svrVar of the replicate alphas).
# - svyby(svyquantile) and svychisq on domains: subset designs as above.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- normalizePath(dirname(script))
data_dir <- file.path(here, "data")
options(survey.lonely.psu = "fail", survey.ultimate.cluster = FALSE, survey.replicates.mse = FALSE,
        survey.drop.replicates = TRUE, warn = 1)
ref <- fromJSON(file.path(here, "replicates.json"), simplifyVector = FALSE)

n17 <- function(x) {
  if (is.null(x) || length(x) != 1 || is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}
n17v <- function(x) lapply(unname(as.vector(x)), n17)
n17m <- function(m) {
  m <- as.matrix(m)
  lapply(seq_len(nrow(m)), function(i) n17v(m[i, ]))
}
num <- function(x) as.numeric(unlist(lapply(x, function(v) if (is.null(v)) NA else v)))

# ---------------------------------------------------------------- designs, rebuilt and checked
read_data <- function(name) {
  df <- read.csv(file.path(data_dir, ref$datasets[[name]]))
  for (column in names(ref$factor_levels[[name]])) {
    df[[column]] <- factor(df[[column]], levels = unlist(ref$factor_levels[[name]][[column]]))
  }
  df
}
datasets <- list(apistrat = read_data("apistrat"), apiclus1 = read_data("apiclus1"))
case_of <- function(id) ref$replicate_designs[[match(id, sapply(ref$replicate_designs, `[[`, "id"))]]
build <- function(id) {
  case <- case_of(id)
  spec <- case$design
  data <- datasets[[sub("^replicates_(.*)\\.csv$", "\\1", case$data)]]
  rw <- read.csv(file.path(data_dir, spec$repweights_file))
  rw <- as.matrix(rw[, setdiff(names(rw), "row")])
  if (identical(spec$made_by, "as.svrepdesign")) {  # deterministic types only: from the Taylor design, as replicates.R
    env <- new.env()
    assign(spec$taylor$data, data, envir = env)
    taylor <- eval(parse(text = spec$taylor$r_call), envir = env)
    d <- as.svrepdesign(taylor, type = spec$type, fay.rho = if (identical(spec$type, "Fay")) spec$rho else 0,
                        mse = isTRUE(spec$mse))
    stopifnot(max(abs(as.matrix(d$repweights) - rw)) < 1e-12)
  } else {
    d <- suppressWarnings(svrepdesign(data = data, repweights = rw, weights = ~pw, type = spec$type,
                                      combined.weights = isTRUE(spec$combined_weights), scale = spec$scale,
                                      rscales = num(spec$rscales), mse = isTRUE(spec$mse),
                                      rho = if (identical(spec$type, "Fay")) spec$rho else NULL))
  }
  m <- svymean(as.formula(paste("~", paste(unlist(case$results$mean$terms), collapse = "+"))), d)
  stopifnot(isTRUE(all.equal(unname(coef(m)), num(case$results$mean$estimate), tolerance = 1e-12)),
            isTRUE(all.equal(unname(SE(m)), num(case$results$mean$se), tolerance = 1e-12)),
            degf(d) == case$results$degf)
  d
}
pops <- ref$populations
pop_stype_api99 <- unlist(lapply(pops$pop_stype_api99, as.numeric))
pop_stype <- data.frame(stype = unlist(pops$pop_stype$stype), Freq = num(pops$pop_stype$Freq))
pop_schwide <- data.frame(sch_wide = unlist(pops$pop_schwide$sch_wide), Freq = num(pops$pop_schwide$Freq))
calibrated <- function(id) {
  case <- ref$replicate_calibration[[match(id, sapply(ref$replicate_calibration, `[[`, "id"))]]
  env <- new.env()
  assign("design", build(case$base_design_id), envir = env)
  d <- eval(parse(text = case$r_call), envir = env)
  stopifnot(isTRUE(all.equal(unname(coef(svymean(~api00, d))), num(case$results$mean$estimate)[1], tolerance = 1e-10)))
  d
}
designs <- list()
for (id in c("jk1_apiclus1", "jkn_apistrat", "bootstrap_apistrat", "sdr_apiclus1", "as_fay03_pairs", "as_jk1_apiclus1")) {
  designs[[id]] <- list(design_id = id, calibration_id = NA, design = build(id))
}
for (id in c("raking_jk1_apiclus1", "rake_jk1_apiclus1")) {
  designs[[id]] <- list(design_id = "as_jk1_apiclus1", calibration_id = id, design = calibrated(id))
}
meta <- function(key) list(id = key, design_id = designs[[key]]$design_id, calibration_id = designs[[key]]$calibration_id)

# ---------------------------------------------------------------- helpers
logit_ci <- function(y, d, level = 0.95) {
  m <- svymean(y, d, return.replicates = TRUE)
  p <- unname(coef(m))
  reps <- as.matrix(m$replicates)
  v <- svrVar(log(reps / (1 - reps)), d$scale, d$rscales, mse = d$mse, coef = log(p / (1 - p)))
  half <- qt(1 - (1 - level) / 2, degf(d)) * sqrt(as.vector(v))
  eta <- log(p / (1 - p))
  c(plogis(eta - half), plogis(eta + half))
}
tight <- glm.control(epsilon = 1e-14, maxit = 100)
refit <- function(formula, d, family) {
  f <- as.formula(formula)
  first <- suppressWarnings(do.call(svyglm, list(f, design = d, family = family, control = tight)))
  fit <- suppressWarnings(do.call(svyglm, list(f, design = d, family = family, control = tight,
                                               start = unname(coef(first)))))
  stopifnot(fit$converged)
  fit
}
glm_record <- function(fit) {
  tab <- summary(fit)$coefficients
  ci <- confint(fit)
  list(terms = as.list(rownames(tab)), coef = n17v(tab[, 1]), se = n17v(tab[, 2]), p_value = n17v(tab[, 4]),
       ci_low = n17v(ci[, 1]), ci_high = n17v(ci[, 2]), df = fit$df.residual, vcov = n17m(vcov(fit)))
}

# Proportional odds (logit): the maximum of sum_i w_i log P(y_i) polished by Newton steps from par =
# (beta, zeta), P(y = k) = plogis(zeta_k - x beta) - plogis(zeta_{k-1} - x beta); analytic gradient,
# Hessian by central differences of it (step 1e-6 * max(1, |par|)).
olr_polish <- function(x, y, w, par) {
  pc <- ncol(x)
  gradient <- function(par) {
    beta <- par[seq_len(pc)]
    zeta <- par[-seq_len(pc)]
    eta <- as.vector(x %*% beta)
    upper <- c(zeta, Inf)[y] - eta
    lower <- c(-Inf, zeta)[y] - eta
    p <- plogis(upper) - plogis(lower)
    du <- dlogis(upper) / p
    dl <- dlogis(lower) / p
    g_beta <- -colSums(w * (du - dl) * x)
    g_zeta <- sapply(seq_along(zeta), function(k) sum(w * (du * (y == k) - dl * (y == k + 1))))
    c(g_beta, g_zeta)
  }
  for (i in 1:50) {
    g <- gradient(par)
    h <- sapply(seq_along(par), function(j) {
      e <- rep(0, length(par))
      e[j] <- 1e-6 * max(1, abs(par[j]))
      (gradient(par + e) - gradient(par - e)) / (2 * e[j])
    })
    step <- solve((h + t(h)) / 2, g)
    par <- par - step
    if (all(abs(step) <= 1e-13 * (1 + abs(par)))) return(par)
  }
  par
}

# ---------------------------------------------------------------- 1. crosstab (stype x sch_wide), whole and by api_up
crosstab_domain <- function(d) {
  cells <- list()
  total <- svytotal(~interaction(stype, sch_wide), d)
  share <- svymean(~interaction(stype, sch_wide), d)
  ci <- confint(total, df = degf(d))
  k <- 0
  for (c in levels(d$variables$sch_wide)) for (r in levels(d$variables$stype)) {
    k <- k + 1
    d1 <- update(d, cell = as.numeric(stype == r & sch_wide == c))
    lc <- logit_ci(~cell, d1)
    sc <- suppressWarnings(svyciprop(~I(cell == 1), d1, method = "logit"))
    stopifnot(!all(is.finite(lc)) || isTRUE(all.equal(as.vector(attr(sc, "ci")), lc, tolerance = 1e-5)))
    cells[[k]] <- list(row = r, col = c, count = n17(coef(total)[k]), count_se = n17(SE(total)[k]),
                       count_ci_low = n17(ci[k, 1]), count_ci_high = n17(ci[k, 2]),
                       proportion = n17(coef(share)[k]), proportion_se = n17(SE(share)[k]),
                       proportion_ci_low = n17(lc[1]), proportion_ci_high = n17(lc[2]))
  }
  rows <- list()
  for (r in levels(d$variables$stype)) {
    dr <- subset(d, stype == r)
    m <- svymean(~sch_wide, dr)
    cols <- list()
    for (j in seq_along(levels(d$variables$sch_wide))) {
      c <- levels(d$variables$sch_wide)[j]
      dc <- update(dr, y = as.numeric(sch_wide == c))
      lc <- logit_ci(~y, dc)
      cols[[j]] <- list(col = c, row_proportion = n17(coef(m)[j]), row_proportion_se = n17(SE(m)[j]),
                        row_proportion_ci_low = n17(lc[1]), row_proportion_ci_high = n17(lc[2]))
    }
    rows[[length(rows) + 1]] <- list(row = r, degf = degf(dr), n = nrow(dr), cols = cols)
  }
  list(degf = degf(d), n = nrow(d), cells = cells, rows = rows)
}
crosstab_cases <- list()
for (key in names(designs)) {
  d <- designs[[key]]$design
  domains <- list(c(list(level = NA), crosstab_domain(d)))
  for (v in c(0, 1)) domains[[length(domains) + 1]] <- c(list(level = v), crosstab_domain(subset(d, api_up == v)))
  crosstab_cases[[length(crosstab_cases) + 1]] <- c(meta(key), list(row = "stype", col = "sch_wide", by = "api_up",
                                                                    domains = domains))
}

# ---------------------------------------------------------------- 2. t tests
ttest_record <- function(t, d) list(estimate = n17(t$estimate), statistic = n17(t$statistic), df = n17(t$parameter),
                                    p_value = n17(t$p.value), ci_low = n17(t$conf.int[1]), ci_high = n17(t$conf.int[2]))
ttest_cases <- list()
for (key in names(designs)) {
  d <- designs[[key]]$design
  ttest_cases[[length(ttest_cases) + 1]] <- c(meta(key), list(
    two_sample = ttest_record(svyttest(api00 ~ sch_wide, d)),
    two_sample_e = ttest_record(svyttest(api00 ~ sch_wide, subset(d, stype == "E"))),
    one_sample = ttest_record(svyttest(api_up ~ 0, d))))
}

# ---------------------------------------------------------------- 3. models: poisson, domains, Wald tests, ordinal
model_cases <- list()
for (key in names(designs)) {
  d <- designs[[key]]$design
  gaussian_fit <- refit("api00 ~ ell + meals + stype", d, gaussian())
  logistic_fit <- refit("sch_wide01 ~ ell + meals", d, quasibinomial())
  poisson_fit <- refit("enroll ~ meals + stype", d, quasipoisson())
  domain_fit <- refit("api00 ~ ell + meals", subset(d, stype == "E"), gaussian())
  wald <- function(fit, terms) {
    t <- regTermTest(fit, as.formula(terms))
    list(terms = terms, F = n17(t$Ftest), ndf = n17(t$df), ddf = n17(t$ddf), p_value = n17(t$p))
  }
  olr <- svyolr(stype ~ api00 + meals, d)
  mf <- model.frame(d)
  x <- model.matrix(~api00 + meals, mf)[, -1, drop = FALSE]
  y <- as.integer(mf$stype)
  full <- olr_polish(x, y, weights(d, "sampling"), unname(c(olr$coefficients, olr$zeta)))
  rw <- weights(d, "analysis")
  betas <- t(apply(rw, 2, function(w) olr_polish(x, y, w, full)))
  v <- svrVar(betas, d$scale, d$rscales, mse = d$mse, coef = full)
  stopifnot(max(abs(full / c(olr$coefficients, olr$zeta) - 1)) < 1e-3,
            # unconverged replicate polr fits move svyolr's SEs by up to 0.8% (JKn: 200 small deviations)
            max(abs(sqrt(diag(v)) / sqrt(diag(vcov(olr))) - 1)) < 1e-2)
  otab <- cbind(full, sqrt(diag(v)))
  rownames(otab) <- c(names(olr$coefficients), names(olr$zeta))
  model_cases[[length(model_cases) + 1]] <- c(meta(key), list(
    poisson = c(list(formula = "enroll ~ meals + stype"), glm_record(poisson_fit)),
    linear_domain_e = c(list(formula = "api00 ~ ell + meals", by = "stype", level = "E"), glm_record(domain_fit)),
    wald_tests = list(wald(gaussian_fit, "~stype"), wald(gaussian_fit, "~ell + meals"), wald(logistic_fit, "~meals")),
    ordinal = list(formula = "stype ~ api00 + meals", terms = as.list(rownames(otab)), estimate = n17v(otab[, 1]),
                   se = n17v(otab[, 2]), df = olr$df.residual, vcov = n17m(v),
                   svyolr_estimate = n17v(c(olr$coefficients, olr$zeta)), svyolr_se = n17v(sqrt(diag(vcov(olr)))))))
}

# ---------------------------------------------------------------- 4. Cronbach's alpha with a replicate SE
items <- c("ell", "meals", "mobility")
alpha_of <- function(w, data) {
  x <- as.matrix(data[, items])
  v <- cov.wt(x, wt = as.vector(w))$cov
  k <- ncol(x)
  k / (k - 1) * (1 - sum(diag(v)) / sum(v))
}
alpha_cases <- list()
for (key in names(designs)) {
  d <- designs[[key]]$design
  point <- svycralpha(~ell + meals + mobility, d)
  w <- withReplicates(d, alpha_of)
  stopifnot(abs(unname(coef(w)) - unname(point)) < 1e-12)
  alpha_cases[[length(alpha_cases) + 1]] <- c(meta(key), list(items = as.list(items), alpha = n17(point),
                                                              se = n17(SE(w))))
}

# ---------------------------------------------------------------- 5. quantiles and chisq by domain
by_cases <- list()
for (key in names(designs)) {
  d <- designs[[key]]$design
  q <- list()
  for (type in c("mean", "quantile")) {
    for (v in levels(d$variables$stype)) {
      dv <- subset(d, stype == v)
      r <- suppressWarnings(suppressMessages(svyquantile(~api00, dv, quantiles = 0.5, interval.type = type)))[[1]]
      q[[length(q) + 1]] <- list(interval_type = type, level = v, degf = degf(dv), estimate = n17(r[1, 1]),
                                 ci_low = n17(r[1, 2]), ci_high = n17(r[1, 3]), se = n17(r[1, 4]))
    }
  }
  chi <- list()
  for (v in c(0, 1)) {
    dv <- subset(d, api_up == v)
    for (st in c("F", "Wald")) {
      t <- tryCatch(suppressWarnings(svychisq(~stype + sch_wide, dv, statistic = st)), error = function(e) NULL)
      if (is.null(t)) {  # a category without respondents in the domain: R stops, the package gives NaN
        chi[[length(chi) + 1]] <- list(level = v, statistic = st, value = NA, ndf = NA, ddf = NA, p_value = NA)
        next
      }
      chi[[length(chi) + 1]] <- list(level = v, statistic = st, value = n17(t$statistic),
                                     ndf = n17(t$parameter[1]), ddf = n17(t$parameter[2]), p_value = n17(t$p.value))
    }
  }
  by_cases[[length(by_cases) + 1]] <- c(meta(key), list(quantile_by = "stype", quantiles = q, chisq_by = "api_up",
                                                        chisq = chi))
}

result <- list(
  generated_by = "tests/reference/replicates_models.R", r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  notes = list(
    designs = "rebuilt with svrepdesign() from replicates.R's exported data and weights (as.svrepdesign designs by as.svrepdesign() of the Taylor design, factors checked against the exported ones), each checked against replicates.json's svymean; calibrated designs apply replicates.json's calibration call to the rebuilt base design",
    logit_ci = "expit(logit(p) -/+ qt(0.975, degf) sqrt(svrVar(logit(p_r)))), checked against svyciprop(method = 'logit') to 1e-5",
    alpha_se = "R has no replicate SE for Cronbach's alpha: withReplicates(design, function(w, data) alpha of cov.wt(items, w))"),
  crosstab = crosstab_cases, ttest = ttest_cases, models = model_cases, alpha = alpha_cases, domains = by_cases)
writeLines(toJSON(result, json_verbatim = TRUE, auto_unbox = TRUE, na = "null", null = "null", pretty = TRUE),
           file.path(here, "replicates_models.json"))
cat("wrote", length(designs), "designs x (crosstab, ttest, models, alpha, domain quantiles and chisq) to",
    file.path(here, "replicates_models.json"), "\n")
