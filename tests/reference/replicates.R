# Reference values for replicate-weight designs and calibration, computed with R's survey package.
#
# Run from anywhere:  Rscript tests/reference/replicates.R      (about 10-20 s)
# Needs: R >= 4.2, survey (tested with 4.1.1), jsonlite. Deterministic: every random replicate
# matrix comes from an explicit set.seed() and is exported, so Python never has to reproduce R's RNG.
#
# Writes (nothing else is touched):
#   tests/reference/data/replicates_<dataset>.csv      the data (apistrat, apiclus1, scd)
#   tests/reference/data/replicates_rw_<name>.csv[.gz]  replicate weights, one column per replicate
#   tests/reference/data/replicates_calweights_<dataset>.csv   calibrated weights (Taylor designs)
#   tests/reference/data/replicates_calrep_<case>.csv   calibrated replicate designs (full + replicates)
#   tests/reference/replicates.json                    every estimate at 17 significant digits
# Files over ~300 KB are gzipped (".csv.gz"); numbers in the weight files are written with %.17g.
#
# Conventions pinned here (a Python implementation must reproduce them to 1e-8):
# - Replicate weight files: column "row" (1-based row of the dataset file) and r1..rR. They hold
#   weights(design, "replication"), i.e. what svrepdesign() stores: combined weights when
#   design.combined_weights is true, replication *factors* otherwise (analysis weight =
#   factor * sampling weight). as.svrepdesign() always gives factors (combined.weights = FALSE).
# - Replicate variance (survey:::svrVar): v = scale * sum_r rscales[r] * (theta_r - c)^2 with
#   c = theta_full when mse = TRUE, else the mean of theta_r over replicates with rscales > 0.
#   scale / rscales per type, as R sets them (recorded per design): BRR 1/R; Fay 1/(R (1-rho)^2);
#   JK1 (R-1)/R unless given (as.svrepdesign: fpc (N-n)/N * (n-1)/n); JKn rscales (n_h-1)/n_h,
#   guessed by svrepdesign as 1/max(factor column) for non-combined weights, times (N_h-n_h)/N_h
#   when an fpc is known; bootstrap (svrepdesign) 1/(R-1); bootstrap (as.svrepdesign)
#   nbar/((nbar-1)(R-1)) with nbar the harmonic mean of PSUs per stratum; subbootstrap 1/(R-1);
#   successive-difference 4/R; other: as given.
# - degf(replicate design) = rank of weights(design, "analysis") (qr(tol = 1e-5)) minus 1; it is
#   recomputed on every subset, so a domain has its own degf.
# - Domains (svyby) on a replicate design are design[rows in domain, ] (rows dropped; the same
#   estimates as zero-weighting them); on a calibrated Taylor design design[i, ] zero-weights
#   (prob = Inf) and the calibration residuals keep using the full-sample fit.
# - svyby's own SEs and intervals use the normal distribution; the CIs recorded here for
#   proportions are svyciprop's (t on degf of the domain design).
# - svyciprop(method = "logit") uses svyglm with glm's default convergence (1e-8); the recorded
#   logit interval is the same computation with a converged fit (glm.control(epsilon = 1e-15)),
#   checked against svyciprop's to 1e-6. With replicates it is
#   expit(logit(p) +- t(degf) * sqrt(svrVar(logit(p_r)))), p_r the replicate means.
# - svyglm: glm.control(epsilon = 1e-14, maxit = 100), refitted from its own solution (as models.R);
#   replicate fits start from the full-sample coefficients with the same control.
#   df.residual = degf(design) + 1 - number of coefficients.
# - svyquantile on replicate designs: qrule = "math" and interval.type = "mean" (Woodruff) are R's
#   defaults; SE = (upper - lower) / (2 * qt(0.975, degf)). interval.type = "quantile" uses the
#   replicate quantiles directly.
# - Calibration: epsilon = 1e-12, maxit = 200 for calibrate() (grake) and
#   control = list(maxit = 200, epsilon = 1e-12) for rake() (rake multiplies an epsilon < 1 by
#   the sum of the weights). calfun = "linear" without bounds is the closed form (regcalibrate).
#   Calibrated weights are exported; SEs are survey's: Taylor designs use g-weighted residuals
#   (see notes in the JSON); replicate designs calibrate every replicate.

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- normalizePath(dirname(script))
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE)

options(survey.lonely.psu = "fail", survey.ultimate.cluster = FALSE, survey.replicates.mse = FALSE,
        survey.drop.replicates = TRUE, survey.adjust.domain.lonely = FALSE, warn = 1)

n17 <- function(x) {
  if (is.null(x) || length(x) != 1 || is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}
n17v <- function(x) lapply(unname(as.vector(x)), n17)
n17m <- function(m) {
  m <- as.matrix(m)
  lapply(seq_len(nrow(m)), function(i) n17v(m[i, ]))
}
or_na <- function(x) if (is.null(x) || length(x) == 0) NA else x

# Evaluate a call given as text (the text is what the JSON records), collecting warnings/messages.
capture <- function(expr) {
  warns <- character(0)
  msgs <- character(0)
  val <- withCallingHandlers(expr,
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") },
    message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") })
  list(value = val, warnings = unique(warns), messages = unique(msgs))
}
ev <- function(text, design = NULL) {
  env <- new.env(parent = globalenv())
  if (!is.null(design)) assign("design", design, envir = env)
  capture(eval(parse(text = text), envir = env))
}
conds <- function(r) {
  out <- c(r$warnings, r$messages)
  if (length(out)) as.list(out) else list()
}

write_csv17 <- function(df, name) {
  out <- df
  for (nm in names(out)) {
    if (is.double(out[[nm]])) out[[nm]] <- ifelse(is.na(out[[nm]]), "", sprintf("%.17g", out[[nm]]))
  }
  plain <- file.path(data_dir, name)
  gz <- paste0(plain, ".gz")
  write.csv(out, plain, row.names = FALSE, na = "", quote = FALSE)
  if (file.size(plain) > 300e3) {
    con <- gzfile(gz, "w")
    write.csv(out, con, row.names = FALSE, na = "", quote = FALSE)
    close(con)
    unlink(plain)
    return(basename(gz))
  }
  unlink(gz)
  basename(plain)
}

# ---------------------------------------------------------------- datasets
data(api)
data(scd)
tidy_names <- function(df) {
  names(df) <- gsub(".", "_", names(df), fixed = TRUE)
  df
}
add_binary <- function(df) {
  df$sch_wide01 <- as.numeric(df$sch_wide == "Yes")
  df$api_up <- as.numeric(df$api00 > df$api99)
  df
}
keep_cols <- c("snum", "dnum", "stype", "pw", "fpc", "api00", "api99", "api_stu", "enroll", "meals", "ell",
               "mobility", "sch_wide", "sch_wide01", "api_up")

apistrat <- add_binary(tidy_names(apistrat))[, keep_cols]
# Pseudo-strata for BRR: within each stype (data order k = 1, 2, ...), pseudo-stratum
# ((k - 1) %% 5) + 1 (+ 5 for H, + 10 for M) and pseudo-PSU ((k - 1) %/% 5) %% 2 + 1:
# 15 pseudo-strata with exactly 2 pseudo-PSUs each (E: 10 schools per PSU, H and M: 5).
k_in_stype <- ave(seq_len(nrow(apistrat)), apistrat$stype, FUN = seq_along)
apistrat$vstrat <- as.integer(((k_in_stype - 1) %% 5) + 1 + 5 * (as.integer(apistrat$stype) - 1))
apistrat$vpsu <- as.integer(((k_in_stype - 1) %/% 5) %% 2 + 1)
stopifnot(all(tapply(apistrat$vpsu, apistrat$vstrat, function(x) length(unique(x))) == 2))

apiclus1 <- add_binary(tidy_names(apiclus1))[, keep_cols]

scd <- data.frame(ESA = scd$ESA, ambulance = scd$ambulance, arrests = scd$arrests, alive = scd$alive)
scd$many_alive <- as.numeric(scd$alive >= 40)

datasets <- list(apistrat = apistrat, apiclus1 = apiclus1, scd = scd)
data_files <- list()
factor_levels <- list()
for (nm in names(datasets)) {
  df <- datasets[[nm]]
  file <- paste0("replicates_", nm, ".csv")
  write.csv(df, file.path(data_dir, file), row.names = FALSE, na = "")
  data_files[[nm]] <- file
  facs <- names(df)[sapply(df, is.factor)]
  factor_levels[[nm]] <- setNames(lapply(facs, function(f) levels(df[[f]])), facs)
}

# ---------------------------------------------------------------- Taylor designs
dclus1 <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
dclus1_nofpc <- svydesign(ids = ~dnum, weights = ~pw, data = apiclus1)
dstrat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
dstrat_clusters <- svydesign(ids = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = apistrat)
dpairs <- svydesign(ids = ~vpsu, strata = ~vstrat, weights = ~pw, nest = TRUE, data = apistrat)
taylor_specs <- list(
  dclus1 = list(data = "apiclus1", weight = "pw", strata = NULL, psu = "dnum", fpc = "fpc", nest = FALSE,
                r_call = "svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)"),
  dclus1_nofpc = list(data = "apiclus1", weight = "pw", strata = NULL, psu = "dnum", fpc = NULL, nest = FALSE,
                      r_call = "svydesign(ids = ~dnum, weights = ~pw, data = apiclus1)"),
  dstrat = list(data = "apistrat", weight = "pw", strata = "stype", psu = NULL, fpc = "fpc", nest = FALSE,
                r_call = "svydesign(ids = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)"),
  dstrat_clusters = list(data = "apistrat", weight = "pw", strata = "stype", psu = "dnum", fpc = NULL, nest = TRUE,
                         r_call = "svydesign(ids = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = apistrat)"),
  dpairs = list(data = "apistrat", weight = "pw", strata = "vstrat", psu = "vpsu", fpc = NULL, nest = TRUE,
                r_call = "svydesign(ids = ~vpsu, strata = ~vstrat, weights = ~pw, nest = TRUE, data = apistrat)"))

# ---------------------------------------------------------------- hand-made replicate weights
# JK1 (apiclus1, drop one district): combined weights pw * 15/14 * (dnum != d), districts in data order.
districts <- unique(apiclus1$dnum)
rw_jk1_apiclus1 <- apiclus1$pw * outer(apiclus1$dnum, districts, "!=") * length(districts) / (length(districts) - 1)
# JKn (apistrat, drop one school, stype strata): factors 0 / n_h/(n_h-1) / 1, schools in data order.
jkn_factors <- function(strata, psu) {
  up <- unique(psu)
  m <- matrix(1, length(psu), length(up))
  for (j in seq_along(up)) {
    h <- strata[psu == up[j]][1]
    nh <- length(unique(psu[strata == h]))
    m[strata == h, j] <- nh / (nh - 1)
    m[psu == up[j], j] <- 0
  }
  m
}
rw_jkn_apistrat <- jkn_factors(as.character(apistrat$stype), apistrat$snum)
rep_stratum <- as.character(apistrat$stype[match(unique(apistrat$snum), apistrat$snum)])
n_h <- table(apistrat$stype)
N_h <- tapply(apistrat$fpc, apistrat$stype, unique)
jkn_rscales <- as.vector((n_h[rep_stratum] - 1) / n_h[rep_stratum])
jkn_fraction <- as.vector(n_h[rep_stratum] / N_h[rep_stratum])
rw_jkn_apistrat_combined <- apistrat$pw * rw_jkn_apistrat
# BRR / Fay (scd, Levy and Lemeshow's half-samples, the ?svrepdesign example).
rw_brr_scd <- 2 * cbind(c(1, 0, 1, 0, 1, 0), c(1, 0, 0, 1, 0, 1), c(0, 1, 1, 0, 0, 1), c(0, 1, 0, 1, 1, 0))
rw_fay03_scd <- ifelse(rw_brr_scd == 2, 2 - 0.3, 0.3)
rw_fay05_scd <- ifelse(rw_brr_scd == 2, 2 - 0.5, 0.5)
# Bootstrap (apistrat, with-replacement resampling of n_h schools within stype), R's bootweights().
set.seed(20240611)
bw <- survey:::bootweights(apistrat$stype, apistrat$snum, replicates = 50)
rw_bootstrap_apistrat <- bw$repweights$weights[bw$repweights$index, ]
# Successive differences (apiclus1, districts in increasing dnum order, circular): district i uses
# rows i+1 and i+2 (row 17 -> row 2) of the +-1 Hadamard matrix of order 16 (2 * hadamard(15) - 1):
# factor = 1 + 2^(-3/2) * (H[i+1, r] - H[i+2, r]); 16 replicates.
H16 <- 2 * survey:::hadamard(15) - 1
sorted_d <- sort(districts)
sdr_rows <- cbind(2:16, c(3:16, 2))
sdr_district <- 1 + 2^(-3 / 2) * (H16[sdr_rows[, 1], ] - H16[sdr_rows[, 2], ])
rw_sdr_apiclus1 <- sdr_district[match(apiclus1$dnum, sorted_d), ]

rw_files <- list()
export_rw <- function(name, mat) {
  if (!is.null(rw_files[[name]])) return(rw_files[[name]])
  mat <- as.matrix(mat)
  df <- data.frame(row = seq_len(nrow(mat)), mat)
  names(df) <- c("row", paste0("r", seq_len(ncol(mat))))
  rw_files[[name]] <<- write_csv17(df, paste0("replicates_rw_", name, ".csv"))
  rw_files[[name]]
}

# ---------------------------------------------------------------- estimate battery
configs <- list(
  api = list(mean = c("api00", "api99", "enroll"), total = c("enroll", "api00"), binary = "sch_wide01",
             by = "stype", by_mean = "api00", by_total = "enroll", ratio = c("api_stu", "enroll"),
             domain_prop = TRUE),
  cal = list(mean = c("api00", "enroll", "api_up"), total = c("api00", "enroll"), binary = "api_up",
             by = "stype", by_mean = "api00", by_total = "enroll", ratio = c("api_stu", "enroll"),
             domain_prop = TRUE),
  scd = list(mean = c("alive", "arrests"), total = c("alive", "arrests"), binary = "many_alive",
             by = "ESA", by_mean = "alive", by_total = "alive", ratio = c("alive", "arrests"),
             domain_prop = FALSE))

stat_block <- function(call, design) {
  r <- ev(call, design)
  s <- r$value
  list(r_call = call, terms = as.list(names(coef(s))), estimate = n17v(coef(s)), se = n17v(SE(s)),
       vcov = n17m(vcov(s)), r_warnings = conds(r))
}

# svyciprop for logit / mean / beta on a design; logit reference from a converged fit.
prop_block <- function(var, design) {
  out <- list(variable = var, df = degf(design), n = nrow(design))
  m <- svymean(as.formula(paste0("~", var)), design)
  out$estimate <- n17(coef(m))
  out$se <- n17(SE(m))
  warns <- character(0)
  degenerate <- FALSE
  if (inherits(design, "svyrep.design")) {
    reps <- svymean(as.formula(paste0("~", var)), design, return.replicates = TRUE)$replicates
    degenerate <- any(!is.finite(reps) | reps <= 0 | reps >= 1)
  }
  out$logit_degenerate <- degenerate
  for (method in c("logit", "mean", "beta")) {
    call <- sprintf("svyciprop(~%s, design, method = '%s')", var, method)
    r <- ev(call, design)
    ci <- as.vector(attr(r$value, "ci"))
    stopifnot(abs(as.vector(r$value) - coef(m)) < 1e-6 * max(1, abs(coef(m))))
    warns <- c(warns, r$warnings, r$messages)
    if (method == "logit") {
      if (degenerate) {
        out$ci_logit <- list(r_call = call, low = NA, high = NA,
                             note = "a replicate has p_r = 0 or 1: logit(p_r) is infinite, R's interval depends on where glm stops")
        next
      }
      fit <- suppressWarnings(eval(bquote(svyglm(.(as.name(var)) ~ 1, design, family = quasibinomial,
                                control = glm.control(epsilon = 1e-15, maxit = 100)))))
      ci_conv <- suppressMessages(as.numeric(plogis(confint(fit, 1, method = "Wald", ddf = degf(design)))))
      stopifnot(all(abs(ci_conv - ci) <= 1e-6 * abs(ci_conv)))
      out$logit_se <- n17(SE(fit))
      ci <- ci_conv
    }
    out[[paste0("ci_", method)]] <- list(r_call = call, low = n17(ci[1]), high = n17(ci[2]))
  }
  out$r_warnings <- as.list(unique(warns))
  out
}

battery <- function(design, cfg) {
  res <- list()
  res$degf <- degf(design)
  if (inherits(design, "svyrep.design")) {
    res$rank_analysis_weights <- qr(weights(design, "analysis"), tol = 1e-5)$rank
  }
  res$n <- nrow(design)
  res$sum_weights <- n17(sum(weights(design, "sampling")))
  res$mean <- stat_block(sprintf("svymean(~%s, design)", paste(cfg$mean, collapse = " + ")), design)
  res$total <- stat_block(sprintf("svytotal(~%s, design)", paste(cfg$total, collapse = " + ")), design)
  res$proportion <- prop_block(cfg$binary, design)
  r_call <- sprintf("svyratio(~%s, ~%s, design)", cfg$ratio[1], cfg$ratio[2])
  r <- ev(r_call, design)
  res$ratio <- list(r_call = r_call, numerator = cfg$ratio[1], denominator = cfg$ratio[2],
                    estimate = n17(coef(r$value)), se = n17(SE(r$value)), r_warnings = conds(r))
  # domains
  byv <- design$variables[[cfg$by]]
  levs <- sort(unique(byv))
  doms <- lapply(levs, function(l) {
    sub <- design[byv == l, ]
    list(level = as.character(l), n = sum(byv == l), degf = degf(sub),
         sum_weights = n17(sum(weights(sub, "sampling"))))
  })
  # covmat = TRUE (replicate covariance across domains) on replicate designs; on calibrated Taylor
  # designs svyby(covmat = TRUE) fails in survey 4.1.1 (influence functions of zero-weighted domains).
  is_rep <- inherits(design, "svyrep.design")
  by_block <- function(var, fun) {
    call <- sprintf("svyby(~%s, ~%s, design, %s%s)", var, cfg$by, fun, if (is_rep) ", covmat = TRUE" else "")
    r <- ev(call, design)
    sb <- r$value
    list(r_call = call, variable = var, levels = as.list(as.character(sb[[cfg$by]])),
         estimate = n17v(coef(sb)), se = n17v(SE(sb)), vcov = if (is_rep) n17m(vcov(sb)) else NA,
         r_warnings = conds(r))
  }
  res$by <- list(by = cfg$by, domains = doms, mean = by_block(cfg$by_mean, "svymean"),
                 total = by_block(cfg$by_total, "svytotal"))
  if (isTRUE(cfg$domain_prop)) {
    res$by$proportion <- lapply(levs, function(l) {
      p <- prop_block(cfg$binary, design[byv == l, ])
      c(list(level = as.character(l), r_call = sprintf("svyciprop(~%s, design[design$variables$%s == '%s', ], method = ...)",
                                                        cfg$binary, cfg$by, l)), p)
    })
  }
  res
}

rep_spec <- function(d, made_by, data, weight, rw_name, extra = list()) {
  file <- export_rw(rw_name, weights(d, "replication"))
  c(list(kind = "replicate", made_by = made_by, type = d$type, weight = or_na(weight),
         repweights_file = file, replicates = ncol(weights(d, "replication")),
         combined_weights = d$combined.weights, rho = n17(or_na(d$rho)), scale = n17(d$scale),
         rscales = n17v(d$rscales), mse = isTRUE(d$mse), degf = degf(d)), extra)
}

# ---------------------------------------------------------------- 1-2. replicate designs
rep_designs <- list()   # id -> design object
rep_cases <- list()
add_rep <- function(id, data, call, made_by, weight, rw_name, cfg, section, extra = list(), note = NULL) {
  r <- ev(call)
  d <- r$value
  rep_designs[[id]] <<- d
  spec <- rep_spec(d, made_by, data, weight, rw_name, extra)
  rep_cases[[length(rep_cases) + 1]] <<- list(
    id = id, section = section, data = data_files[[data]], design = spec, r_call = call,
    r_warnings = conds(r), note = or_na(note), results = battery(d, configs[[cfg]]))
}

# Section 1: svrepdesign() with given replicate weights.
add_rep("jk1_apiclus1", "apiclus1",
        "svrepdesign(data = apiclus1, repweights = rw_jk1_apiclus1, weights = ~pw, type = 'JK1', scale = 14/15, combined.weights = TRUE)",
        "svrepdesign", "pw", "jk1_apiclus1", "api", 1,
        note = "repweights = pw * 15/14 * (dnum != district r), districts in order of first appearance")
add_rep("jk1_apiclus1_scale_guessed", "apiclus1",
        "svrepdesign(data = apiclus1, repweights = rw_jk1_apiclus1, weights = ~pw, type = 'JK1', combined.weights = TRUE)",
        "svrepdesign", "pw", "jk1_apiclus1", "api", 1,
        note = "no scale: R guesses (R-1)/R from the number of replicates (with a warning)")
add_rep("jk1_apiclus1_fpc", "apiclus1",
        "svrepdesign(data = apiclus1, repweights = rw_jk1_apiclus1, weights = ~pw, type = 'JK1', scale = (1 - 15/757) * 14/15, combined.weights = TRUE)",
        "svrepdesign", "pw", "jk1_apiclus1", "api", 1, note = "fpc folded into scale, as in ?svrepdesign")
add_rep("jk1_apiclus1_mse", "apiclus1",
        "svrepdesign(data = apiclus1, repweights = rw_jk1_apiclus1, weights = ~pw, type = 'JK1', scale = 14/15, combined.weights = TRUE, mse = TRUE)",
        "svrepdesign", "pw", "jk1_apiclus1", "api", 1)
add_rep("jkn_apistrat", "apistrat",
        "svrepdesign(data = apistrat, repweights = rw_jkn_apistrat, weights = ~pw, type = 'JKn', combined.weights = FALSE)",
        "svrepdesign", "pw", "jkn_apistrat", "api", 1,
        note = "replication factors; no rscales given: R sets rscales = 1 / (max of each factor column) = (n_h-1)/n_h")
add_rep("jkn_apistrat_combined_fpc", "apistrat",
        "svrepdesign(data = apistrat, repweights = rw_jkn_apistrat_combined, weights = ~pw, type = 'JKn', combined.weights = TRUE, rscales = jkn_rscales, fpc = jkn_fraction, fpctype = 'fraction')",
        "svrepdesign", "pw", "jkn_apistrat_combined", "api", 1,
        extra = list(rscales_given = n17v(jkn_rscales), fpc_given = n17v(jkn_fraction), fpctype = "fraction"),
        note = "combined weights need rscales; fpc (sampling fraction of the replicate's stratum) multiplies rscales by 1 - fpc")
add_rep("brr_scd", "scd",
        "svrepdesign(data = scd, type = 'BRR', repweights = rw_brr_scd, combined.weights = FALSE)",
        "svrepdesign", NULL, "brr_scd", "scd", 1,
        note = "?svrepdesign example (Levy and Lemeshow); no sampling weights: all 1 (R warns)")
add_rep("fay03_scd", "scd",
        "svrepdesign(data = scd, type = 'Fay', rho = 0.3, repweights = rw_fay03_scd, combined.weights = FALSE)",
        "svrepdesign", NULL, "fay03_scd", "scd", 1,
        note = "Fay factors 2 - rho (half-sample in) / rho (out), given by the user; scale = 1/(R (1-rho)^2)")
add_rep("fay05_scd", "scd",
        "svrepdesign(data = scd, type = 'Fay', rho = 0.5, repweights = rw_fay05_scd, combined.weights = FALSE)",
        "svrepdesign", NULL, "fay05_scd", "scd", 1)
add_rep("fay05_scd_mse", "scd",
        "svrepdesign(data = scd, type = 'Fay', rho = 0.5, repweights = rw_fay05_scd, combined.weights = FALSE, mse = TRUE)",
        "svrepdesign", NULL, "fay05_scd", "scd", 1)
add_rep("bootstrap_apistrat", "apistrat",
        "svrepdesign(data = apistrat, repweights = rw_bootstrap_apistrat, weights = ~pw, type = 'bootstrap', combined.weights = FALSE)",
        "svrepdesign", "pw", "bootstrap_apistrat", "api", 1,
        extra = list(generator = "set.seed(20240611); survey:::bootweights(apistrat$stype, apistrat$snum, replicates = 50)"),
        note = "factors = resampling counts (n_h drawn with replacement from n_h); svrepdesign's scale is 1/(R-1), without the n/(n-1) of as.svrepdesign")
add_rep("bootstrap_apistrat_mse", "apistrat",
        "svrepdesign(data = apistrat, repweights = rw_bootstrap_apistrat, weights = ~pw, type = 'bootstrap', combined.weights = FALSE, mse = TRUE)",
        "svrepdesign", "pw", "bootstrap_apistrat", "api", 1)
add_rep("sdr_apiclus1", "apiclus1",
        "svrepdesign(data = apiclus1, repweights = rw_sdr_apiclus1, weights = ~pw, type = 'successive-difference', combined.weights = FALSE)",
        "svrepdesign", "pw", "sdr_apiclus1", "api", 1,
        note = "circular successive-difference factors from the order-16 Hadamard matrix (see header); scale = 4/R, rscales = 1")
add_rep("other_apistrat", "apistrat",
        "svrepdesign(data = apistrat, repweights = rw_jkn_apistrat, weights = ~pw, type = 'other', scale = 2, rscales = jkn_rscales * (1 - jkn_fraction) / 2, combined.weights = FALSE)",
        "svrepdesign", "pw", "jkn_apistrat", "api", 1,
        note = "JKn factors with type 'other', scale = 2 and halved fpc-corrected rscales: equals as_jkn_apistrat")
add_rep("other_apistrat_mse", "apistrat",
        "svrepdesign(data = apistrat, repweights = rw_jkn_apistrat, weights = ~pw, type = 'other', scale = 2, rscales = jkn_rscales * (1 - jkn_fraction) / 2, combined.weights = FALSE, mse = TRUE)",
        "svrepdesign", "pw", "jkn_apistrat", "api", 1)

# Section 2: as.svrepdesign() from Taylor designs (replication factors generated by R, exported).
as_extra <- function(taylor, more = list()) c(list(taylor = taylor_specs[[taylor]]), more)
add_rep("as_jk1_apiclus1", "apiclus1", "as.svrepdesign(dclus1, type = 'JK1')", "as.svrepdesign", "pw",
        "as_jk1_apiclus1", "api", 2, as_extra("dclus1"),
        note = "fpc kept: scale = (N-n)/N * (n-1)/n with N = 757 districts, n = 15")
add_rep("as_jk1_apiclus1_nofpc", "apiclus1", "as.svrepdesign(dclus1_nofpc, type = 'JK1')", "as.svrepdesign", "pw",
        "as_jk1_apiclus1", "api", 2, as_extra("dclus1_nofpc"))
add_rep("as_jk1_apiclus1_mse", "apiclus1", "as.svrepdesign(dclus1, type = 'JK1', mse = TRUE)", "as.svrepdesign", "pw",
        "as_jk1_apiclus1", "api", 2, as_extra("dclus1"))
add_rep("as_jkn_apistrat", "apistrat", "as.svrepdesign(dstrat, type = 'JKn')", "as.svrepdesign", "pw",
        "as_jkn_apistrat", "api", 2, as_extra("dstrat"),
        note = "one replicate per school (strata in order of first appearance, PSUs in data order); rscales = (N_h-n_h)/N_h * (n_h-1)/n_h")
add_rep("as_jkn_apistrat_clusters", "apistrat", "as.svrepdesign(dstrat_clusters, type = 'JKn')", "as.svrepdesign", "pw",
        "as_jkn_apistrat_clusters", "api", 2, as_extra("dstrat_clusters"),
        note = "stratified cluster design: districts nested in stype (nest = TRUE), no fpc; one replicate per (stype, district)")
# Pseudo-strata in R's order (as.character sort) with their Hadamard row, and which value of the
# data's PSU column (vpsu) is seen first in the data within each stratum.
brr_first <- function(design, psu_column) {
  strata <- as.character(design$strata[, 1])
  psu <- design$cluster[, 1]
  unq <- !duplicated(psu)
  ord <- sort(unique(strata))
  lapply(ord, function(s) {
    p <- design$variables[[psu_column]][unq & strata == s]
    list(stratum = s, hadamard_row = match(s, ord) + 1, psu_first = p[1], psu_second = p[2])
  })
}
hadamard_used <- survey:::hadamard(15)
brr_extra <- list(hadamard_0_1 = lapply(seq_len(nrow(hadamard_used)), function(i) as.list(hadamard_used[i, ])),
                  strata_order = brr_first(dpairs, "vpsu"))
add_rep("as_brr_pairs", "apistrat", "as.svrepdesign(dpairs, type = 'BRR')", "as.svrepdesign", "pw",
        "as_brr_pairs", "api", 2, as_extra("dpairs", brr_extra),
        note = paste("replicate r, pseudo-stratum k-th in character sort order: Hadamard row k+1, column r;",
                     "0 -> first PSU (first in data order) gets factor rho, second 2-rho; 1 -> the reverse (rho = 0 for BRR)"))
add_rep("as_fay03_pairs", "apistrat", "as.svrepdesign(dpairs, type = 'Fay', fay.rho = 0.3)", "as.svrepdesign", "pw",
        "as_fay03_pairs", "api", 2, as_extra("dpairs", brr_extra))
add_rep("as_fay05_pairs_mse", "apistrat", "as.svrepdesign(dpairs, type = 'Fay', fay.rho = 0.5, mse = TRUE)",
        "as.svrepdesign", "pw", "as_fay05_pairs", "api", 2, as_extra("dpairs", brr_extra))
set.seed(20240612)
add_rep("as_bootstrap_apiclus1", "apiclus1", "as.svrepdesign(dclus1, type = 'bootstrap', replicates = 50)",
        "as.svrepdesign", "pw", "as_bootstrap_apiclus1", "api", 2,
        as_extra("dclus1", list(generator = "set.seed(20240612) immediately before the call")),
        note = "with the fpc (757 districts) R's bootstratum draws 15 of rep(districts, length = 757) without replacement")
set.seed(20240613)
add_rep("as_bootstrap_apiclus1_nofpc", "apiclus1", "as.svrepdesign(dclus1_nofpc, type = 'bootstrap', replicates = 50)",
        "as.svrepdesign", "pw", "as_bootstrap_apiclus1_nofpc", "api", 2,
        as_extra("dclus1_nofpc", list(generator = "set.seed(20240613) immediately before the call")))
set.seed(20240614)
add_rep("as_subbootstrap_apistrat", "apistrat", "as.svrepdesign(dstrat, type = 'subbootstrap', replicates = 50)",
        "as.svrepdesign", "pw", "as_subbootstrap_apistrat", "api", 2,
        as_extra("dstrat", list(generator = "set.seed(20240614) immediately before the call")),
        note = "n_h - 1 draws with replacement, factor = count * n_h/(n_h-1); fpc ignored; scale = 1/(R-1)")

# ---------------------------------------------------------------- 3. withReplicates
with_cases <- list()
add_with <- function(id, design_id, call, compare = NULL) {
  d <- rep_designs[[design_id]]
  r <- ev(call, d)
  out <- list(id = id, design_id = design_id, data = rep_cases[[match(design_id, sapply(rep_cases, `[[`, "id"))]]$data,
              design = rep_cases[[match(design_id, sapply(rep_cases, `[[`, "id"))]]$design,
              r_call = call, estimate = n17(as.numeric(r$value$theta)), se = n17(sqrt(attr(r$value$theta, "var"))),
              replicates = n17v(r$value$replicates), r_warnings = conds(r))
  if (!is.null(compare)) {
    cr <- ev(compare, d)$value
    stopifnot(abs(coef(cr) - as.numeric(r$value$theta)) < 1e-10 * abs(coef(cr)),
              abs(SE(cr) - sqrt(attr(r$value$theta, "var"))) < 1e-10 * abs(SE(cr)))
    out$equals <- compare
  }
  with_cases[[length(with_cases) + 1]] <<- out
}
ratio_fun <- "function(w, data) sum(w * data$api_stu) / sum(w * data$enroll)"
for (id in c("jk1_apiclus1", "jk1_apiclus1_mse", "as_jk1_apiclus1", "as_bootstrap_apiclus1", "jkn_apistrat",
             "as_brr_pairs", "as_fay05_pairs_mse", "sdr_apiclus1", "other_apistrat")) {
  add_with(paste0("ratio_", id), id,
           sprintf("withReplicates(design, %s, return.replicates = TRUE)", ratio_fun),
           compare = "svyratio(~api_stu, ~enroll, design)")
}
for (id in c("jk1_apiclus1", "bootstrap_apistrat", "as_fay03_pairs")) {
  add_with(paste0("mean_difference_", id), id,
           "withReplicates(design, quote(sum(.weights * api00 * (stype == 'E')) / sum(.weights * (stype == 'E')) - sum(.weights * api00 * (stype == 'M')) / sum(.weights * (stype == 'M'))), return.replicates = TRUE)")
}
for (id in c("brr_scd", "fay03_scd", "fay05_scd_mse")) {
  add_with(paste0("ratio_", id), id,
           "withReplicates(design, function(w, data) sum(w * data$alive) / sum(w * data$arrests), return.replicates = TRUE)",
           compare = "svyratio(~alive, ~arrests, design)")
}

# ---------------------------------------------------------------- 4. quantiles, chisq, glm
design_ref <- function(design_id) {
  i <- match(design_id, sapply(rep_cases, `[[`, "id"))
  list(data = rep_cases[[i]]$data, design = rep_cases[[i]]$design)
}
quantile_cases <- list()
add_quantile <- function(id, design_id, variable, quantiles, args = "") {
  d <- rep_designs[[design_id]]
  call <- sprintf("svyquantile(~%s, design, quantiles = c(%s)%s)", variable, paste(quantiles, collapse = ", "), args)
  r <- ev(call, d)
  q <- r$value[[1]]
  quantile_cases[[length(quantile_cases) + 1]] <<- c(
    list(id = id, design_id = design_id), design_ref(design_id),
    list(r_call = call, variable = variable, quantiles = as.list(quantiles), df = degf(d),
         estimate = n17v(q[, 1]), ci_low = n17v(q[, 2]), ci_high = n17v(q[, 3]), se = n17v(q[, 4]),
         r_warnings = conds(r)))
}
for (id in c("jk1_apiclus1", "jk1_apiclus1_mse", "jkn_apistrat", "brr_scd", "fay05_scd", "bootstrap_apistrat",
             "sdr_apiclus1", "other_apistrat", "as_jk1_apiclus1", "as_jkn_apistrat_clusters", "as_brr_pairs",
             "as_fay03_pairs", "as_bootstrap_apiclus1", "as_subbootstrap_apistrat")) {
  v <- if (grepl("scd", id)) "arrests" else "api00"
  add_quantile(paste0("median_", id), id, v, 0.5)
  add_quantile(paste0("median_replicates_", id), id, v, 0.5, ", interval.type = 'quantile'")
}
add_quantile("quartiles_jk1_apiclus1", "jk1_apiclus1", "api00", c(0.1, 0.25, 0.5, 0.75, 0.9))
add_quantile("quartiles_hf7_bootstrap_apistrat", "bootstrap_apistrat", "enroll", c(0.25, 0.5, 0.75), ", qrule = 'hf7'")
add_quantile("quartiles_replicates_hf7_as_fay03_pairs", "as_fay03_pairs", "enroll", c(0.25, 0.5, 0.75),
             ", qrule = 'hf7', interval.type = 'quantile'")
add_quantile("median_level90_jkn_apistrat", "jkn_apistrat", "api00", 0.5, ", alpha = 0.1")
# interval.type = "beta" is accepted but not passed on (woodruffCI gets its default "mean"):
add_quantile("median_beta_is_mean_jk1_apiclus1", "jk1_apiclus1", "api00", 0.5, ", interval.type = 'beta'")
stopifnot(identical(quantile_cases[[length(quantile_cases)]]$ci_low,
                    quantile_cases[[match("median_jk1_apiclus1", sapply(quantile_cases, `[[`, "id"))]]$ci_low))

chisq_cases <- list()
for (id in c("jk1_apiclus1", "jkn_apistrat", "bootstrap_apistrat", "as_brr_pairs", "as_fay03_pairs",
             "as_jk1_apiclus1", "as_subbootstrap_apistrat")) {
  d <- rep_designs[[id]]
  tests <- list()
  # "lincom" is left out: without the CompQuadForm package it silently falls back to "saddlepoint".
  for (st in c("F", "Chisq", "Wald", "adjWald", "saddlepoint")) {
    call <- sprintf("svychisq(~sch_wide + stype, design, statistic = '%s')", st)
    r <- tryCatch(ev(call, d), error = function(e) e)
    if (inherits(r, "error")) {
      tests[[st]] <- list(r_call = call, error = conditionMessage(r))
      next
    }
    t <- r$value
    tests[[st]] <- list(r_call = call, statistic = n17(t$statistic),
                        parameter = if (is.null(t$parameter)) NA else lapply(as.list(t$parameter), n17),
                        p_value = n17(t$p.value), method = t$method, r_warnings = conds(r))
  }
  x2 <- suppressWarnings(chisq.test(svytable(~sch_wide + stype, d, Ntotal = nrow(d)), correct = FALSE)$statistic)
  chisq_cases[[length(chisq_cases) + 1]] <- c(
    list(id = paste0("chisq_", id), design_id = id), design_ref(id),
    list(formula = "~sch_wide + stype", degf = degf(d), pearson_x2 = n17(x2), tests = tests))
}

tight <- glm.control(epsilon = 1e-14, maxit = 100)
glm_cases <- list()
add_glm <- function(design_id, family, formula) {
  d <- rep_designs[[design_id]]
  fam <- switch(family, quasibinomial = quasibinomial(), gaussian = gaussian())
  f <- as.formula(formula)
  # do.call passes the values: svyglm.svyrep.design evaluates its call inside the data
  r1 <- capture(do.call(svyglm, list(f, design = d, family = fam, control = tight)))
  r <- capture(do.call(svyglm, list(f, design = d, family = fam, control = tight,
                                    start = unname(coef(r1$value)))))
  fit <- r$value
  stopifnot(r1$value$converged, fit$converged)
  tab <- summary(fit)$coefficients
  ci <- confint(fit)
  glm_cases[[length(glm_cases) + 1]] <<- c(
    list(id = paste0("glm_", family, "_", design_id), design_id = design_id), design_ref(design_id),
    list(family = family, formula_r = formula,
         r_call = sprintf("svyglm(%s, design, family = %s(), control = glm.control(epsilon = 1e-14, maxit = 100)), refitted with start = its coefficients",
                          formula, family),
         terms = as.list(rownames(tab)), coef = n17v(tab[, 1]), se = n17v(tab[, 2]), vcov = n17m(vcov(fit)),
         p_value = n17v(tab[, 4]), ci_low = n17v(ci[, 1]), ci_high = n17v(ci[, 2]),
         df = fit$df.residual, design_df = degf(d), n = length(fit$y),
         r_warnings = as.list(unique(c(r1$warnings, r$warnings)))))
}
for (id in c("jk1_apiclus1", "jk1_apiclus1_mse", "jkn_apistrat", "bootstrap_apistrat", "sdr_apiclus1",
             "other_apistrat", "as_jk1_apiclus1", "as_jkn_apistrat_clusters", "as_brr_pairs", "as_fay03_pairs",
             "as_fay05_pairs_mse", "as_bootstrap_apiclus1", "as_subbootstrap_apistrat")) {
  add_glm(id, "gaussian", "api00 ~ ell + meals + stype")
  add_glm(id, "quasibinomial", "sch_wide01 ~ ell + meals")
}
for (id in c("brr_scd", "fay03_scd", "fay05_scd_mse")) add_glm(id, "gaussian", "alive ~ arrests")

# ---------------------------------------------------------------- 5. calibration (Taylor designs)
N_stype <- c(E = 4421, H = 755, M = 1018)
N_schwide <- c(No = 1072, Yes = 5122)
stopifnot(all(table(apipop$stype) == N_stype), all(table(apipop$sch.wide) == N_schwide))
pop_stype_api99 <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = sum(apipop$api99))
pop_stype_schwide <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, sch_wideYes = 5122)
pop_stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch_wide = c("No", "Yes"), Freq = c(1072, 5122))
pop_cross <- as.data.frame(table(stype = apipop$stype, sch_wide = apipop$sch.wide))
populations <- list(
  pop_stype_api99 = lapply(as.list(pop_stype_api99), n17),
  pop_stype_schwide = lapply(as.list(pop_stype_schwide), n17),
  pop_stype = list(stype = as.list(pop_stype$stype), Freq = as.list(pop_stype$Freq)),
  pop_schwide = list(sch_wide = as.list(pop_schwide$sch_wide), Freq = as.list(pop_schwide$Freq)),
  pop_cross = list(stype = as.list(as.character(pop_cross$stype)), sch_wide = as.list(as.character(pop_cross$sch_wide)),
                   Freq = as.list(pop_cross$Freq)))
tol <- "epsilon = 1e-12, maxit = 200"
rake_control <- "control = list(maxit = 200, epsilon = 1e-12)"

cal_weights <- list(apistrat = data.frame(row = seq_len(nrow(apistrat)), pw = apistrat$pw),
                    apiclus1 = data.frame(row = seq_len(nrow(apiclus1)), pw = apiclus1$pw))
cal_cases <- list()
add_cal <- function(id, taylor, method, call, population, calfun = NA, bounds = NULL, trim = NULL, note = NULL) {
  base <- get(taylor)
  r <- ev(call)
  d <- r$value
  data <- taylor_specs[[taylor]]$data
  g <- weights(d) / weights(base)
  cal_weights[[data]][[id]] <<- weights(d)
  cal_cases[[length(cal_cases) + 1]] <<- list(
    id = id, data = data_files[[data]], design = taylor_specs[[taylor]], method = method, calfun = calfun,
    population = population, bounds = if (is.null(bounds)) NA else n17v(bounds),
    trim = if (is.null(trim)) NA else n17v(trim), r_call = call, weights_file = NA, weights_column = id,
    g_min = n17(min(g)), g_max = n17(max(g)), r_warnings = conds(r), note = or_na(note),
    results = battery(d, configs$cal))
}
for (tay in c("dstrat", "dclus1")) {
  tag <- taylor_specs[[tay]]$data
  wide <- tag == "apiclus1"
  lin_b <- if (wide) c(0.7, 1.7) else c(0.97, 1.03)
  logit_b <- if (wide) c(0.5, 2) else c(0.95, 1.05)
  trim_b <- if (wide) c(0.6, 1.6) else c(0.98, 1.02)
  bstr <- function(b) sprintf("c(%s, %s)", b[1], b[2])
  add_cal(paste0("linear_", tag), tay, "calibrate",
          sprintf("calibrate(%s, ~stype + api99, pop_stype_api99, calfun = 'linear')", tay),
          "pop_stype_api99", "linear", note = "closed-form GREG (regcalibrate)")
  add_cal(paste0("linear_schwide_", tag), tay, "calibrate",
          sprintf("calibrate(%s, ~stype + sch_wide, pop_stype_schwide, calfun = 'linear')", tay),
          "pop_stype_schwide", "linear")
  add_cal(paste0("linear_bounded_", tag), tay, "calibrate",
          sprintf("calibrate(%s, ~stype + api99, pop_stype_api99, calfun = 'linear', bounds = %s, %s)", tay, bstr(lin_b), tol),
          "pop_stype_api99", "linear", bounds = lin_b, note = "bounded linear: iterative (grake) with truncated g")
  add_cal(paste0("raking_", tag), tay, "calibrate",
          sprintf("calibrate(%s, ~stype + api99, pop_stype_api99, calfun = 'raking', %s)", tay, tol),
          "pop_stype_api99", "raking")
  add_cal(paste0("logit_", tag), tay, "calibrate",
          sprintf("calibrate(%s, ~stype + api99, pop_stype_api99, calfun = 'logit', bounds = %s, %s)", tay, bstr(logit_b), tol),
          "pop_stype_api99", "logit", bounds = logit_b)
  add_cal(paste0("raking_trim_", tag), tay, "calibrate",
          sprintf("calibrate(%s, ~stype + api99, pop_stype_api99, calfun = 'raking', trim = %s, %s)", tay, bstr(trim_b), tol),
          "pop_stype_api99", "raking", trim = trim_b,
          note = "g outside trim set to the limit, the excess sum((g - g_trimmed) * w) spread over the others as + excess / sum(w of untrimmed); totals no longer exact")
  add_cal(paste0("linear_trim_ignored_", tag), tay, "calibrate",
          sprintf("calibrate(%s, ~stype + api99, pop_stype_api99, calfun = 'linear', trim = %s)", tay, bstr(trim_b)),
          "pop_stype_api99", "linear", trim = trim_b,
          note = "unbounded linear goes to regcalibrate, which ignores trim: same weights as linear_*")
  add_cal(paste0("rake_", tag), tay, "rake",
          sprintf("rake(%s, list(~stype, ~sch_wide), list(pop_stype, pop_schwide), %s)", tay, rake_control),
          "pop_stype + pop_schwide",
          note = "variance: survey:::svyrecvar applies exactly 10 backfitting sweeps x <- x - w * ave(x / w, margin) (unweighted cell means)")
  add_cal(paste0("poststratify_stype_", tag), tay, "postStratify",
          sprintf("postStratify(%s, ~stype, pop_stype)", tay), "pop_stype")
  add_cal(paste0("poststratify_schwide_", tag), tay, "postStratify",
          sprintf("postStratify(%s, ~sch_wide, pop_schwide)", tay), "pop_schwide")
  add_cal(paste0("poststratify_cross_", tag), tay, "postStratify",
          sprintf("postStratify(%s, ~stype + sch_wide, pop_cross)", tay), "pop_cross")
}
cal_files <- list()
for (nm in names(cal_weights)) cal_files[[nm]] <- write_csv17(cal_weights[[nm]], paste0("replicates_calweights_", nm, ".csv"))
for (i in seq_along(cal_cases)) {
  nm <- sub("^replicates_(.*)\\.csv$", "\\1", cal_cases[[i]]$data)
  cal_cases[[i]]$weights_file <- cal_files[[nm]]
}

# ---------------------------------------------------------------- 6. calibration of replicate designs
repcal_cases <- list()
add_repcal <- function(id, base_id, method, call, population, calfun = NA, bounds = NULL, note = NULL) {
  base <- rep_designs[[base_id]]
  r <- ev(call, base)
  d <- r$value
  W <- weights(d, "analysis")
  df <- data.frame(row = seq_len(nrow(W)), w = weights(d, "sampling"), W)
  names(df) <- c("row", "w", paste0("r", seq_len(ncol(W))))
  file <- write_csv17(df, paste0("replicates_calrep_", id, ".csv"))
  # how well each replicate meets the calibration margins (stype counts, and api99 / sch_wide)
  x <- d$variables
  targets <- cbind(E = x$stype == "E", H = x$stype == "H", M = x$stype == "M")
  target_totals <- N_stype
  if (grepl("sch_wide", call)) {
    targets <- cbind(targets, Yes = x$sch_wide == "Yes")
    target_totals <- c(target_totals, Yes = 5122)
  }
  if (grepl("api99", call)) {
    targets <- cbind(targets, api99 = x$api99)
    target_totals <- c(target_totals, api99 = pop_stype_api99[["api99"]])
  }
  misfit <- abs(crossprod(targets * 1, W) - target_totals) / target_totals
  repcal_cases[[length(repcal_cases) + 1]] <<- c(
    list(id = id, base_design_id = base_id), design_ref(base_id),
    list(method = method, calfun = calfun, population = population,
         bounds = if (is.null(bounds)) NA else n17v(bounds), r_call = call, weights_file = file,
         weights_note = "w = calibrated full-sample weight; r1..rR = calibrated replicate analysis weights (weights(design, 'analysis'))",
         scale = n17(d$scale), rscales = n17v(d$rscales), mse = isTRUE(d$mse),
         max_relative_replicate_misfit = n17(max(misfit)), r_warnings = conds(r), note = or_na(note),
         results = battery(d, configs$cal)))
}
for (base_id in c("as_jk1_apiclus1", "as_bootstrap_apiclus1")) {
  tag <- sub("^as_", "", base_id)
  add_repcal(paste0("linear_", tag), base_id, "calibrate",
             "calibrate(design, ~stype + api99, pop_stype_api99, calfun = 'linear')", "pop_stype_api99", "linear")
  add_repcal(paste0("poststratify_stype_", tag), base_id, "postStratify",
             "postStratify(design, ~stype, pop_stype)", "pop_stype")
}
add_repcal("linear_schwide_jk1_apiclus1", "as_jk1_apiclus1", "calibrate",
           "calibrate(design, ~stype + sch_wide, pop_stype_schwide, calfun = 'linear')", "pop_stype_schwide", "linear")
add_repcal("raking_jk1_apiclus1", "as_jk1_apiclus1", "calibrate",
           sprintf("calibrate(design, ~stype + api99, pop_stype_api99, calfun = 'raking', %s)", tol),
           "pop_stype_api99", "raking")
add_repcal("raking_bootstrap_apiclus1", "as_bootstrap_apiclus1", "calibrate",
           sprintf("calibrate(design, ~stype + api99, pop_stype_api99, calfun = 'raking', %s)", tol),
           "pop_stype_api99", "raking",
           note = "nonlinear calibrate() keeps design$degf of the uncalibrated design (14), although the calibrated replicate weights have rank 50")
add_repcal("logit_jk1_apiclus1", "as_jk1_apiclus1", "calibrate",
           sprintf("calibrate(design, ~stype + api99, pop_stype_api99, calfun = 'logit', bounds = c(0.4, 2.5), %s)", tol),
           "pop_stype_api99", "logit", bounds = c(0.4, 2.5),
           note = "bounds = c(0.5, 2) converge for the full sample but not for one replicate (R only warns and keeps that replicate's unconverged weights)")
add_repcal("rake_jk1_apiclus1", "as_jk1_apiclus1", "rake",
           sprintf("rake(design, list(~stype, ~sch_wide), list(pop_stype, pop_schwide), %s)", rake_control),
           "pop_stype + pop_schwide",
           note = "each iteration post-stratifies full sample and replicates; iterations stop on the full-sample table only")
add_repcal("poststratify_cross_jk1_apiclus1", "as_jk1_apiclus1", "postStratify",
           "postStratify(design, ~stype + sch_wide, pop_cross)", "pop_cross")

# ---------------------------------------------------------------- write
notes <- list(
  svrVar = "v = scale * sum_r rscales_r (theta_r - center)^2; center = full-sample estimate if mse else mean of theta_r over rscales > 0",
  degf = "qr(weights(design, 'analysis'), tol = 1e-5)$rank - 1, recomputed after subsetting (domains) and after postStratify / rake / linear calibrate (not after nonlinear calibrate: kept from the design)",
  svyby_replicate = "FUN(design[rows in domain, ]): replicate and full-sample weights of other rows are dropped (same estimate as zero weights); svyby SEs and its confint() are normal-based",
  svyby_calibrated_taylor = "design[i, ] on a calibrated Taylor design sets prob = Inf outside the domain (zero weight) and keeps postStrata, so residuals use the full-sample calibration fit",
  svyciprop_replicate = "logit: svyglm(y ~ 1) on the replicate design -> replicate intercepts logit(p_r); CI expit(eta +- qt(1 - a/2, degf) SE); mean: p +- qt(.., degf) SE; beta: n_eff = p(1-p)/var * (qt(a/2, nrow - 1)/qt(a/2, degf))^2",
  calibrate_taylor_variance = "design$prob /= g; postStrata gets qr(X sqrt(w)) and sqrt(w) g (w = weights before calibration); svyrecvar replaces the influence x by qr.resid(qr, x/(g sqrt(w))) * g sqrt(w) = g w (y - X B), B the w-weighted (not g w) regression of y on X",
  postStratify_taylor_variance = "x <- x - w_new * (cell sums of x * w_old / w_new) / (cell sums of w_old), i.e. residuals from w_old-weighted cell means, times the new weights",
  rake_taylor_variance = "for 10 sweeps (fixed), for each margin: x <- x - w_m * ave(x / w_m, margin), w_m the weights recorded after that margin's post-stratification in the last raking iteration; unweighted cell means",
  calibrate_replicate = "each replicate's analysis weights are calibrated to the same totals starting from eta = 0 (grake) or in closed form (linear); replicate failures only warn",
  degf_after_calibration = "replicate designs: linear calibrate(), postStratify() and rake() recompute degf from the calibrated analysis weights (e.g. bootstrap 14 -> 44); nonlinear calibrate() keeps the old value; Taylor designs: PSUs - strata, unchanged",
  svyquantile_woodruff_nan = "if the Woodruff interval for the proportion leaves [0, 1], that end of the quantile CI (and the SE) is NaN (null here)",
  bootstrap_scale = "svrepdesign(type = 'bootstrap'): scale = 1/(R-1); as.svrepdesign(type = 'bootstrap'): scale = nbar/((nbar - 1)(R - 1)), nbar = 1/mean(1/PSUs per stratum)",
  brr_hadamard = "survey:::hadamard(n_strata): 0/1 matrix; replicate r uses rows 2..(n_strata+1), strata sorted as character strings, first PSU = first seen in the data; hadamard_0_1 records the matrix",
  svyquantile_replicate = "interval.type 'beta'/'xlogit'/'asin' are accepted but woodruffCI is called without method=, so they give the 'mean' interval",
  svychisq_replicate = "statistics F, Chisq, Wald, adjWald, saddlepoint (lincom needs CompQuadForm, else falls back to saddlepoint); Rao-Scott: svymean of the cell indicators with replicate variance, Delta from it, F = X2 / tr(Delta) on (d0, d0 * nu), d0 = tr(Delta)^2 / tr(Delta^2), nu = degf(design); Chisq reports the unadjusted X2 with p = P(chi2_df > X2 / mean(diag(Delta))); X2 is Pearson's on svytable(Ntotal = nrow)"
)
result <- list(
  generated_by = "tests/reference/replicates.R",
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  options = list(survey.replicates.mse = FALSE, survey.drop.replicates = TRUE, survey.lonely.psu = "fail",
                 glm_epsilon = tight$epsilon, calibrate_epsilon = 1e-12, calibrate_maxit = 200,
                 rake_control = list(maxit = 200, epsilon = 1e-12)),
  datasets = data_files,
  factor_levels = factor_levels,
  taylor_designs = taylor_specs,
  populations = populations,
  notes = notes,
  replicate_designs = rep_cases,
  with_replicates = with_cases,
  quantiles = quantile_cases,
  chisq = chisq_cases,
  glm = glm_cases,
  calibration = cal_cases,
  replicate_calibration = repcal_cases)
writeLines(toJSON(result, json_verbatim = TRUE, auto_unbox = TRUE, na = "null", null = "null", pretty = TRUE),
           file.path(here, "replicates.json"))
cat("wrote", length(rep_cases), "replicate designs,", length(with_cases), "withReplicates,",
    length(quantile_cases), "quantile,", length(chisq_cases), "chisq,", length(glm_cases), "glm,",
    length(cal_cases), "calibration and", length(repcal_cases), "replicate-calibration cases to",
    file.path(here, "replicates.json"), "\n")
