# Reference values for the survey verbs of cbss_analysis (subset, crosstab, svychisq,
# svyquantile, svyratio, svyttest, svycontrast, quasipoisson/ordinal models, two-stage
# designs, zero weights), computed with R's survey package (tested with 4.1.1, R 4.2.2).
#
# Run from anywhere:  Rscript tests/reference/verbs.R        (about 15 seconds)
# Writes tests/reference/data/verbs_*.csv (the data used, exactly as analysed) and
# tests/reference/verbs.json (every number at 17 significant digits). The Python tests read
# those files; R is not needed at test time. Needs: survey, jsonlite (MASS ships with R).
# Deterministic: no random numbers are drawn.
#
# JSON layout: `designs` (each design by name: data file, svydesign() call, neutral spec) and
# one list `cases`; each case has id, section (subset, crosstab, svychisq, svyquantile,
# svyratio, svyttest, svycontrast, svyglm, svyolr, two_stage, zero_weights, embedded), data (CSV
# file name; "embedded" for the shipped survey, see section 11), design_name, design (neutral spec: weight, strata (null = none), psu (one id column
# per stage; [] = each row its own PSU), fpc (one column per stage: population counts, or
# sampling fractions when <= 1), nest, lonely_psu, ultimate_cluster), design_call, call (the R
# code evaluated with `design` bound to that design), result (section-specific, numbers as
# 17-digit JSON numbers; null = NA/NaN), note. `factor_levels` gives the level order of every
# factor column as exported (the CSVs hold the labels; "api_cat" is ordered low < mid < high < top).
# Derived columns: sch_wide01 / comp_imp01 (Yes = 1), mealcat (meals in 0-20, 21-40, 41-60,
# 61-80, 81-100), api_cat (api00 <= 500, <= 650, <= 800, > 800), high_api (api00 > 650),
# fpc1_frac = 40 / fpc1 and fpc2_frac = (schools sampled in the district) / fpc2 (apiclus2),
# pw_zero and zgroup (apistrat, see zero weights).
#
# Conventions pinned here (each read in the survey 4.1.1 sources):
# - A domain / subset is subset(design, cond) == design[cond, ]: rows are dropped but each
#   row keeps the stage sample sizes (fpc$sampsize) of the full design, so SEs differ from
#   svydesign() on the filtered frame (both are recorded, section "subset"; on apiclus2 the
#   filtered frame fails: a district left with one sampled school is a lonely stage-2 PSU).
#   svyby() calls FUN on design[byfactor == level, ]; it drops by-groups whose rows all have weight 0.
# - degf(design) = #distinct PSUs with nonzero weight - #distinct strata with nonzero weight.
# - CIs of svymean/svytotal/svyratio/svycontrast: confint(x, df = df) with t quantiles, `df`
#   given in each row: "df" = degf(design the statistic was computed on, after na.rm). For svyby
#   tables both df_design (degf of the design passed to svyby: what confint(svyby, df =
#   degf(design)) uses) and df_domain (degf(subset(design, by == level))) are recorded with
#   their CIs. confint()'s own default is df = Inf (normal quantiles).
# - Proportions: svyciprop(method = "logit") is an svyglm(quasibinomial) Wald interval on
#   df = degf(design passed). svyglm's default glm tolerance (1e-8) leaves ~1e-8 error, so the
#   interval recorded is the same computation with glm.control(epsilon = 1e-14) refitted from
#   its own solution (checked against svyciprop's own to 1e-6), as in estimates.R. Cell
#   proportions: svyciprop(~I(row == "r" & col == "c"), design); row proportions:
#   svyciprop(~I(col == "c"), subset(design, row == "r")) (df = degf of that subset). Empty or
#   full cells (proportion 0 or 1) have no logit interval (null).
# - svychisq (survey:::svychisq.survey.design): nu = #distinct PSU ids - #distinct strata of
#   the design passed, counted over ALL its rows (zero-weight rows included, unlike degf); the
#   Pearson X2 is chisq.test() of svytable() rescaled to N = nrow(design) (zero-weight rows
#   included). "F": Rao-Scott second order, statistic = X2 / tr(Delta), ndf = d0 =
#   tr(Delta)^2 / tr(Delta^2), ddf = d0 * nu. "Chisq": statistic = Pearson X2 (unadjusted),
#   p = pchisq(X2 / mean(diag(Delta)), (r-1)(c-1)). "Wald": F = W / ndf, ndf = (r-1)(c-1),
#   ddf = nu. "adjWald": F = W (nu - ndf + 1) / (ndf nu), ddf = nu - ndf + 1. "lincom" /
#   "saddlepoint": statistic = X2, no ndf/ddf, p from pFsum(X2, 1, eigen(Delta), ddf = d0 * nu,
#   method = "integration" (CompQuadForm::davies) / "saddlepoint" (uniroot tol = 1e-8)).
#   CompQuadForm is not in Debian: "lincom" then falls back to the saddlepoint (with a
#   warning); `lincom_method` and the top-level `compquadform` record which was used.
# - svyquantile (4.1 "new" API): qrule "math" (default; inverse of the weighted ECDF,
#   zero-weight rows removed) or "hf7"; interval.type "mean" (Woodruff: CI of
#   svymean(x <= q) by confint(df = df), mapped back through the same qrule, NaN when that
#   CI leaves [0, 1]); df = degf(design) (after na.rm) unless given (qt; qnorm if df = Inf);
#   se = (upper - lower) / (2 qt(0.975, df)). In svyby the quantile CI (vartype "ci") is that
#   Woodruff interval on the domain df; confint(svyby object) instead is the symmetric
#   coef +- qnorm(0.975) SE: both recorded.
# - svyttest(y ~ g): svyglm(y ~ g, gaussian) slope (level 2 - level 1); df = fit$df.residual =
#   degf - 1; CI = confint(fit, 2) (t on that df). One-sample (y ~ 0): svymean, df = degf - 1.
# - svyglm: glm.control(epsilon = 1e-14, maxit = 100), refitted from its own solution (see
#   models.R); df.residual = degf(design after dropping NA rows) + 1 - #coefficients.
#   regTermTest(fit, ~terms) (method "Wald"): F = b' V^-1 b / k, ndf = k, ddf = fit$df.residual.
# - svyolr (proportional odds, logistic): optim BFGS with analytic gradient, control =
#   list(reltol = 1e-15, maxit = 1000), refitted with start = c(beta, zeta1, log(diff(zeta)))
#   (svyolr's start is on its internal theta scale). Its sandwich uses optim's finite-difference
#   Hessian (optimhess, ndeps = 1e-3, on the (beta, theta) scale): SEs are recorded with that
#   default (se: what R reports) and with ndeps = 1e-6 (se_fine); they differ in the 4th digit.
#   `optimum`: the maximum polished by Newton steps and its sandwich SE computed here
#   (olr_optimum), which agree with svyolr's coefficients to ~1e-9 and with se_fine to ~1e-8.
#   df.residual = degf(design) - #beta (no +1, thresholds not counted); regTermTest uses it.
# - Two-stage apiclus2 with fpc = ~fpc1+fpc2: full multistage variance (default
#   survey.ultimate.cluster = FALSE); fpc as population counts and as sampling fractions give
#   the same numbers (checked). The ultimate-cluster and no-fpc versions are recorded too.
# - Zero weights (apistrat, pw_zero = 0 on 10 rows): the rows stay in the design (prob = Inf)
#   and keep counting in the stratum sample sizes n_h of the variance, but not in degf; svyby
#   drops a by-group made only of zero-weight rows; svyciprop(method = "beta") uses
#   nrow(design) - 1 (zero-weight rows counted) against degf(design).

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) normalizePath(dirname(script)) else getwd()
data_dir <- file.path(here, "data")
dir.create(data_dir, showWarnings = FALSE)

n17 <- function(x) {
  if (is.null(x) || length(x) != 1 || is.na(x) || !is.finite(x)) return(NA)
  structure(sprintf("%.17g", as.numeric(x)), class = "json")
}
nv <- function(x) lapply(unname(as.numeric(x)), n17)  # a JSON array of 17-digit numbers

tight <- glm.control(epsilon = 1e-14, maxit = 100)
options(survey.lonely.psu = "fail", survey.ultimate.cluster = FALSE)

# ---------------------------------------------------------------- datasets
data(api)
tidy_names <- function(df) {
  names(df) <- gsub(".", "_", names(df), fixed = TRUE)
  df
}
prepare <- function(df) {
  df <- tidy_names(df)
  df$sch_wide01 <- as.numeric(df$sch_wide == "Yes")
  df$comp_imp01 <- as.numeric(df$comp_imp == "Yes")
  # meals (percent) in five bands, and api00 in four ordered bands
  df$mealcat <- cut(df$meals, c(-1, 20, 40, 60, 80, 100),
                    labels = c("0-20", "21-40", "41-60", "61-80", "81-100"))
  df$api_cat <- cut(df$api00, c(-Inf, 500, 650, 800, Inf), labels = c("low", "mid", "high", "top"),
                    ordered_result = TRUE)
  df$high_api <- factor(ifelse(df$api00 > 650, "Yes", "No"), levels = c("No", "Yes"))
  df
}
common <- c("snum", "stype", "pw", "api00", "api99", "enroll", "meals", "ell", "sch_wide",
            "sch_wide01", "comp_imp", "comp_imp01", "both", "awards", "yr_rnd", "mealcat", "api_cat", "high_api")

apistrat_df <- prepare(apistrat)
# 10 rows (5 E, 3 H, 2 M) get weight 0 in pw_zero; zgroup marks them
zero_rows <- seq(5, 200, by = 20)
apistrat_df$pw_zero <- apistrat_df$pw
apistrat_df$pw_zero[zero_rows] <- 0
apistrat_df$zgroup <- factor(ifelse(seq_len(nrow(apistrat_df)) %in% zero_rows, "zeroed", "kept"),
                             levels = c("kept", "zeroed"))
apistrat_df <- apistrat_df[, c("dnum", common, "fpc", "pw_zero", "zgroup")]

apiclus1_df <- prepare(apiclus1)
apiclus1_df <- apiclus1_df[, c("dnum", common, "fpc")]

apiclus2_df <- prepare(apiclus2)
apiclus2_df$fpc2 <- as.numeric(apiclus2_df$fpc2)
# the same fpc as sampling fractions: 40 of 757 districts, then m_i of fpc2_i schools
apiclus2_df$fpc1_frac <- length(unique(apiclus2_df$dnum)) / apiclus2_df$fpc1
m_i <- table(apiclus2_df$dnum)
apiclus2_df$fpc2_frac <- as.numeric(m_i[as.character(apiclus2_df$dnum)]) / apiclus2_df$fpc2
apiclus2_df <- apiclus2_df[, c("dnum", common, "fpc1", "fpc2", "fpc1_frac", "fpc2_frac")]

datasets <- list(apistrat = apistrat_df, apiclus1 = apiclus1_df, apiclus2 = apiclus2_df)
files <- list()
factor_levels <- list()
for (nm in names(datasets)) {
  df <- datasets[[nm]]
  files[[nm]] <- paste0("verbs_", nm, ".csv")
  write.csv(df, file.path(data_dir, files[[nm]]), row.names = FALSE, na = "")
  facs <- names(df)[sapply(df, is.factor)]
  factor_levels[[nm]] <- setNames(lapply(facs, function(f) levels(df[[f]])), facs)
}
# R analyses the data as read back from the CSVs (write.csv keeps 15 significant digits, e.g.
# of fpc1_frac), with the factor levels restored, so R and Python see the same numbers.
for (nm in names(datasets)) {
  df <- datasets[[nm]]
  back <- read.csv(file.path(data_dir, files[[nm]]), stringsAsFactors = FALSE)
  stopifnot(identical(names(back), names(df)))
  for (v in names(df)) {
    if (is.factor(df[[v]])) {
      back[[v]] <- factor(back[[v]], levels = levels(df[[v]]), ordered = is.ordered(df[[v]]))
      stopifnot(identical(back[[v]], df[[v]]))
    } else {
      stopifnot(isTRUE(all.equal(as.numeric(back[[v]]), as.numeric(df[[v]]), tolerance = 1e-14)))
    }
  }
  datasets[[nm]] <- back
}

# ---------------------------------------------------------------- designs
spec_of <- function(weight, strata = NULL, psu = character(0), fpc = character(0), nest = FALSE,
                    ultimate = FALSE) {
  list(weight = weight, strata = if (is.null(strata)) NA else strata, psu = as.list(psu),
       fpc = as.list(fpc), nest = nest, lonely_psu = "fail", ultimate_cluster = ultimate)
}
rhs <- function(v, empty) if (length(v) == 0) empty else paste0("~", paste(unlist(v), collapse = " + "))
design_call <- function(data, spec) {
  sprintf("svydesign(ids = %s, strata = %s, weights = ~%s, fpc = %s, data = %s, nest = %s)",
          rhs(spec$psu, "~1"), if (is.na(spec$strata)) "NULL" else paste0("~", spec$strata),
          spec$weight, rhs(spec$fpc, "NULL"), files[[data]], spec$nest)
}
designs <- list(
  apistrat = list(data = "apistrat", spec = spec_of("pw", "stype", fpc = "fpc")),
  apistrat_zero = list(data = "apistrat", spec = spec_of("pw_zero", "stype", fpc = "fpc")),
  apiclus1 = list(data = "apiclus1", spec = spec_of("pw", psu = "dnum", fpc = "fpc")),
  apiclus2 = list(data = "apiclus2", spec = spec_of("pw", psu = c("dnum", "snum"), fpc = c("fpc1", "fpc2"))),
  apiclus2_frac = list(data = "apiclus2",
                       spec = spec_of("pw", psu = c("dnum", "snum"), fpc = c("fpc1_frac", "fpc2_frac"))),
  apiclus2_ultimate = list(data = "apiclus2",
                           spec = spec_of("pw", psu = c("dnum", "snum"), fpc = c("fpc1", "fpc2"),
                                          ultimate = TRUE)),
  apiclus2_nofpc = list(data = "apiclus2", spec = spec_of("pw", psu = c("dnum", "snum")))
)
# build a design (and set the options its variance depends on)
use_design <- function(name) {
  d <- designs[[name]]
  options(survey.lonely.psu = d$spec$lonely_psu, survey.ultimate.cluster = d$spec$ultimate_cluster)
  df <- datasets[[d$data]]
  s <- d$spec
  eval(parse(text = sub("data = [^,]*,", "data = df,", design_call(d$data, s))))
}

cases <- list()
add_case <- function(section, id, design_name, call, result, note = NULL) {
  d <- designs[[design_name]]
  cases[[length(cases) + 1]] <<- list(
    id = id, section = section, data = files[[d$data]], design_name = design_name, design = d$spec,
    design_call = design_call(d$data, d$spec), call = call, result = result,
    note = if (is.null(note)) NA else note)
}
# evaluate R code (a string, recorded verbatim) with `design` bound
run <- function(code, design) eval(parse(text = code), envir = list(design = design), enclos = globalenv())

# rows of a svystat / svyratio-like object: name, estimate, se, CI on df
stat_rows <- function(x, df, level = 0.95) {
  est <- coef(x)
  se <- SE(x)
  ci <- confint(x, level = level, df = df)
  lapply(seq_along(est), function(j) list(
    name = names(est)[j], estimate = n17(est[j]), se = n17(se[j]),
    ci_low = n17(ci[j, 1]), ci_high = n17(ci[j, 2]), df = df))
}

# svyciprop logit with a converged glm (see estimates.R); checked against svyciprop's own CI
ciprop_logit <- function(indicator, design, label, level = 0.95) {
  f <- as.formula(paste0("~", indicator))
  cp <- suppressWarnings(svyciprop(f, design, method = "logit", level = level))
  ci_default <- as.vector(attr(cp, "ci"))
  first <- eval(bquote(svyglm(.(f[[2]]) ~ 1, design, family = quasibinomial, control = tight)))
  fit <- eval(bquote(svyglm(.(f[[2]]) ~ 1, design, family = quasibinomial, control = tight,
                            start = .(unname(coef(first))))))
  stopifnot(first$converged, fit$converged)
  ci <- suppressMessages(as.numeric(plogis(confint(fit, 1, level = level, method = "Wald",
                                                   ddf = degf(design)))))
  stopifnot(all(abs(ci - ci_default) <= 1e-6 * pmax(1e-300, abs(ci))))
  list(estimate = n17(plogis(coef(fit))), ci_low = n17(ci[1]), ci_high = n17(ci[2]),
       df = degf(design), r_call = sprintf("svyciprop(~%s, %s, method = \"logit\")", indicator, label))
}

# ---------------------------------------------------------------- 1. subset
subset_case <- function(id, design_name, cond, vars) {
  design <- use_design(design_name)
  d <- designs[[design_name]]
  sub <- run(sprintf("subset(design, %s)", cond), design)
  df_full <- datasets[[d$data]]
  keep <- eval(parse(text = cond), df_full)
  filtered_design <- eval(parse(text = sub("data = [^,]*,", "data = df_full[keep, ],",
                                           design_call(d$data, d$spec))))
  f <- paste0("~", paste(vars, collapse = " + "))
  calls <- c(mean = sprintf("svymean(%s, subset(design, %s), na.rm = TRUE)", f, cond),
             total = sprintf("svytotal(%s, subset(design, %s), na.rm = TRUE)", f, cond))
  res <- list(condition = cond, n = sum(keep), degf_subset = degf(sub),
              degf_filtered = degf(filtered_design))
  for (k in names(calls)) {
    a <- run(calls[[k]], design)
    b <- tryCatch(run(sub(sprintf("subset(design, %s)", cond), "design", calls[[k]], fixed = TRUE),
                      filtered_design), error = function(e) conditionMessage(e))
    res[[k]] <- list(call = calls[[k]], subset = stat_rows(a, degf(sub)),
                     filtered_frame = if (is.character(b)) NA else stat_rows(b, degf(filtered_design)),
                     filtered_frame_error = if (is.character(b)) b else NA,
                     se_differs = if (is.character(b)) NA else any(abs(SE(a) - SE(b)) > 1e-10 * abs(SE(a))))
  }
  add_case("subset", id, design_name, calls[["mean"]], res,
           note = "filtered_frame: the same svydesign() call on the filtered data frame (its own n_h / PSU counts)")
}
subset_case("subset_apiclus1_E", "apiclus1", 'stype == "E"', c("api00", "enroll"))
subset_case("subset_apiclus1_H", "apiclus1", 'stype == "H"', c("api00", "enroll"))
subset_case("subset_apistrat_api600", "apistrat", "api00 > 600", c("api00", "enroll", "meals"))
subset_case("subset_apiclus2_E", "apiclus2", 'stype == "E"', c("api00", "enroll"))

# ---------------------------------------------------------------- 2. crosstab
# cells are (row level, column level); interaction(r, c) has levels r1.c1, r2.c1, ... (row fastest)
crosstab_tables <- function(design, r, c, rl, cl, label = "design") {
  cell_grid <- expand.grid(row = rl, col = cl, stringsAsFactors = FALSE)
  tab <- svytable(as.formula(sprintf("~%s + %s", r, c)), design)
  stopifnot(identical(dimnames(tab)[[1]], rl), identical(dimnames(tab)[[2]], cl))
  fi <- sprintf("~interaction(%s, %s)", r, c)
  tot <- svytotal(as.formula(fi), design)
  mea <- svymean(as.formula(fi), design)
  stopifnot(identical(names(coef(tot)), paste0("interaction(", r, ", ", c, ")", cell_grid$row, ".", cell_grid$col)))
  dfree <- degf(design)
  ci_t <- confint(tot, df = dfree)
  ci_m <- confint(mea, df = dfree)
  cells <- lapply(seq_len(nrow(cell_grid)), function(j) {
    rr <- cell_grid$row[j]
    cc <- cell_grid$col[j]
    count <- tab[rr, cc]
    stopifnot(abs(count - coef(tot)[j]) <= 1e-9 * max(1, count))
    lp <- if (coef(mea)[j] > 0 && coef(mea)[j] < 1)
      ciprop_logit(sprintf('I(%s == "%s" & %s == "%s")', r, rr, c, cc), design, label) else NA
    list(row = rr, col = cc, svytable = n17(count),
         total = list(estimate = n17(coef(tot)[j]), se = n17(SE(tot)[j]), ci_low = n17(ci_t[j, 1]),
                      ci_high = n17(ci_t[j, 2])),
         proportion = list(estimate = n17(coef(mea)[j]), se = n17(SE(mea)[j]), ci_low = n17(ci_m[j, 1]),
                           ci_high = n17(ci_m[j, 2])),
         proportion_logit = lp)
  })
  # row proportions: svyby(~col, ~row, svymean) (FUN on design[row == level, ])
  rp <- svyby(as.formula(paste0("~", c)), as.formula(paste0("~", r)), design, svymean)
  ci_rp <- confint(rp, df = dfree)
  rows <- list()
  for (rr in rl) {
    dom <- eval(bquote(subset(design, .(as.name(r)) == .(rr))))
    df_dom <- degf(dom)
    for (cc in cl) {
      nm <- paste0(rr, ":", c, cc)
      j <- match(nm, names(coef(rp)))
      est <- coef(rp)[j]
      se <- SE(rp)[[paste0("se.", c, cc)]][match(rr, rp[[r]])]
      ci_dom <- est + c(-1, 1) * qt(0.975, df_dom) * se
      stopifnot(abs(ci_dom - confint(rp, df = df_dom)[j, ]) <= 1e-9 * abs(est))  # (not parm=: see estimates.R)
      lp <- if (est > 0 && est < 1) ciprop_logit(sprintf('I(%s == "%s")', c, cc), dom,
                                                           sprintf('subset(%s, %s == "%s")', label, r, rr)) else NA
      rows[[length(rows) + 1]] <- list(
        row = rr, col = cc, estimate = n17(est), se = n17(se),
        ci_low = n17(ci_rp[j, 1]), ci_high = n17(ci_rp[j, 2]), df_design = dfree,
        ci_low_domain_df = n17(ci_dom[1]), ci_high_domain_df = n17(ci_dom[2]), df_domain = df_dom,
        logit = lp)
    }
  }
  list(df = dfree, n = nrow(design), cells = cells, row_proportions = rows)
}
crosstab_case <- function(id, design_name, r, c, by = NULL) {
  design <- use_design(design_name)
  df <- datasets[[designs[[design_name]]$data]]
  rl <- levels(df[[r]])
  cl <- levels(df[[c]])
  calls <- list(
    svytable = sprintf("svytable(~%s + %s, design)", r, c),
    total = sprintf("svytotal(~interaction(%s, %s), design)", r, c),
    proportion = sprintf("svymean(~interaction(%s, %s), design)", r, c),
    ci = "confint(stat, df = degf(design))",
    proportion_logit = sprintf('svyciprop(~I(%s == "<row>" & %s == "<col>"), design, method = "logit")', r, c),
    row_proportions = sprintf("svyby(~%s, ~%s, design, svymean); CI confint(., df = degf(design)) and on degf(subset(design, %s == \"<row>\"))", c, r, r),
    row_logit = sprintf('svyciprop(~I(%s == "<col>"), subset(design, %s == "<row>"), method = "logit")', c, r))
  res <- list(row_var = r, col_var = c, row_levels = as.list(rl), col_levels = as.list(cl), calls = calls)
  if (is.null(by)) {
    res <- c(res, crosstab_tables(design, r, c, rl, cl))
  } else {
    bl <- levels(df[[by]])
    sb <- svyby(as.formula(sprintf("~interaction(%s, %s)", r, c)), as.formula(paste0("~", by)), design, svymean)
    res$by <- by
    res$domains <- lapply(bl, function(k) {
      dom <- eval(bquote(subset(design, .(as.name(by)) == .(k))))
      tabs <- crosstab_tables(dom, r, c, rl, cl, sprintf('subset(design, %s == "%s")', by, k))
      # the same cell proportions as svyby(~interaction(r, c), ~by, design, svymean)
      est <- sapply(tabs$cells, function(x) as.numeric(x$proportion$estimate))
      stopifnot(max(abs(est - unlist(sb[sb[[by]] == k, 1 + seq_along(est)]))) < 1e-12)
      c(list(level = k, call = sprintf('subset(design, %s == "%s")', by, k)), tabs)
    })
  }
  add_case("crosstab", id, design_name, calls$proportion, res,
           note = if (is.null(by)) NA else sprintf("every table on subset(design, %s == level)", by))
}
crosstab_case("crosstab_apistrat_stype_sch_wide", "apistrat", "stype", "sch_wide")
crosstab_case("crosstab_apiclus1_stype_sch_wide", "apiclus1", "stype", "sch_wide")
crosstab_case("crosstab_apistrat_stype_awards", "apistrat", "stype", "awards")
crosstab_case("crosstab_apiclus1_awards_both", "apiclus1", "awards", "both")
crosstab_case("crosstab_apiclus1_mealcat_sch_wide", "apiclus1", "mealcat", "sch_wide")
crosstab_case("crosstab_apiclus2_stype_sch_wide", "apiclus2", "stype", "sch_wide")
crosstab_case("crosstab_apiclus1_stype_awards_by_comp_imp", "apiclus1", "stype", "awards", by = "comp_imp")
crosstab_case("crosstab_apistrat_stype_awards_by_high_api", "apistrat", "stype", "awards", by = "high_api")
crosstab_case("crosstab_apiclus2_stype_awards_by_high_api", "apiclus2", "stype", "awards", by = "high_api")

# ---------------------------------------------------------------- 3. svychisq
chisq_stats <- c("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")
chisq_one <- function(design, formula, label) {
  out <- list()
  for (st in chisq_stats) {
    code <- sprintf('svychisq(%s, %s, statistic = "%s")', formula, label, st)
    warn <- character(0)
    x <- withCallingHandlers(run(sprintf('svychisq(%s, design, statistic = "%s")', formula, st), design),
                             warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
    par <- x$parameter
    out[[st]] <- list(
      call = code, statistic = n17(x$statistic), statistic_name = names(x$statistic),
      ndf = if ("ndf" %in% names(par)) n17(par[["ndf"]]) else NA,
      ddf = if ("ddf" %in% names(par)) n17(par[["ddf"]]) else NA,
      df = if ("df" %in% names(par)) n17(par[["df"]]) else NA,
      p_value = n17(x$p.value), method = x$method,
      warnings = as.list(warn))
    if (st == "lincom")
      out[[st]]$lincom_method <- if (requireNamespace("CompQuadForm", quietly = TRUE))
        "integration (CompQuadForm::davies, acc = 1e-7)" else "saddlepoint (CompQuadForm not installed)"
  }
  # nu as svychisq computes it: distinct PSU ids - distinct strata over all rows of the design
  nu <- length(unique(design$cluster[, 1])) - length(unique(design$strata[, 1]))
  stopifnot(abs(as.numeric(out$Wald$ddf) - nu) < 1e-12)
  # Rao-Scott: F = X2 / tr(Delta), so tr(Delta) = X2 / F; d0 = tr(Delta)^2 / tr(Delta^2) = F's ndf
  x2 <- as.numeric(out$Chisq$statistic)
  list(nu = nu, degf = degf(design), n_rows = nrow(design), pearson_x2 = out$Chisq$statistic,
       trace_delta = n17(x2 / as.numeric(out$F$statistic)), d0 = out$F$ndf, tests = out)
}
chisq_case <- function(id, design_name, r, c, by = NULL) {
  design <- use_design(design_name)
  df <- datasets[[designs[[design_name]]$data]]
  formula <- sprintf("~%s + %s", r, c)
  res <- list(formula = formula, row_var = r, col_var = c, row_levels = as.list(levels(df[[r]])),
              col_levels = as.list(levels(df[[c]])))
  if (is.null(by)) {
    res <- c(res, chisq_one(design, formula, "design"))
  } else {
    res$by <- by
    res$domains <- lapply(levels(df[[by]]), function(k) {
      label <- sprintf('subset(design, %s == "%s")', by, k)
      c(list(level = k, design = label), chisq_one(run(label, design), formula, label))
    })
  }
  add_case("svychisq", id, design_name, sprintf("svychisq(%s, design, statistic = <statistic>)", formula), res)
}
chisq_case("chisq_apistrat_sch_wide_comp_imp", "apistrat", "sch_wide", "comp_imp")
chisq_case("chisq_apistrat_stype_awards", "apistrat", "stype", "awards")
chisq_case("chisq_apistrat_mealcat_sch_wide", "apistrat", "mealcat", "sch_wide")
chisq_case("chisq_apistrat_stype_mealcat", "apistrat", "stype", "mealcat")
chisq_case("chisq_apiclus1_awards_yr_rnd", "apiclus1", "awards", "yr_rnd")
chisq_case("chisq_apiclus1_stype_awards", "apiclus1", "stype", "awards")
chisq_case("chisq_apiclus1_mealcat_sch_wide", "apiclus1", "mealcat", "sch_wide")
chisq_case("chisq_apiclus2_stype_sch_wide", "apiclus2", "stype", "sch_wide")
chisq_case("chisq_apistrat_stype_awards_by_high_api", "apistrat", "stype", "awards", by = "high_api")
chisq_case("chisq_apiclus1_stype_awards_by_high_api", "apiclus1", "stype", "awards", by = "high_api")

# ---------------------------------------------------------------- 4. svyquantile
quantile_rows <- function(q, df) {
  lapply(names(q), function(v) {
    m <- q[[v]]
    list(variable = v, rows = lapply(seq_len(nrow(m)), function(i) list(
      p = as.numeric(rownames(m)[i]), quantile = n17(m[i, 1]), ci_low = n17(m[i, 2]),
      ci_high = n17(m[i, 3]), se = n17(m[i, 4]), df = df)))
  })
}
quantile_case <- function(id, design_name, vars, qrule) {
  design <- use_design(design_name)
  out <- list()
  for (v in vars) {
    code <- sprintf('svyquantile(~%s, design, quantiles = c(0.25, 0.5, 0.75), qrule = "%s", ci = TRUE, na.rm = TRUE)', v, qrule)
    q <- run(code, design)
    dfq <- degf(design[!is.na(design$variables[[v]]), ])  # svyquantile: df = degf(design after na.rm)
    # the CI's df is degf(design): the same CI from an explicit df
    q2 <- run(sub("na.rm = TRUE)", sprintf("na.rm = TRUE, df = %d)", dfq), code, fixed = TRUE), design)
    stopifnot(identical(unclass(q)[[1]], unclass(q2)[[1]]))
    out[[length(out) + 1]] <- list(call = code, variable = v, qrule = qrule, interval_type = "mean",
                                   level = 0.95, df = dfq, rows = quantile_rows(q, dfq)[[1]]$rows)
  }
  add_case("svyquantile", id, design_name, out[[1]]$call, list(quantiles = out),
           note = "se = (ci_high - ci_low) / (2 * qt(0.975, df)); df = degf(design) (na.rm: of design[!is.na(x), ])")
}
for (dn in c("apistrat", "apiclus1", "apiclus2")) {
  for (qr in c("math", "hf7")) quantile_case(sprintf("quantile_%s_%s", dn, qr), dn, c("api00", "enroll"), qr)
}
quantile_by_case <- function(id, design_name, v, by, qrule = "math") {
  design <- use_design(design_name)
  code <- sprintf('svyby(~%s, ~%s, design, svyquantile, quantiles = 0.5, qrule = "%s", ci = TRUE, keep.var = TRUE, vartype = c("se", "ci"), na.rm = TRUE)', v, by, qrule)
  sb <- run(code, design)
  sym <- confint(sb)  # confint.svyby: coef +- qnorm * SE (df = Inf), not the Woodruff interval
  lev <- as.character(sb[[by]])
  rows <- lapply(seq_along(lev), function(i) {
    dom <- run(sprintf('subset(design, %s == "%s")', by, lev[i]), design)
    q <- svyquantile(as.formula(paste0("~", v)), dom, quantiles = 0.5, qrule = qrule, ci = TRUE, na.rm = TRUE)[[1]]
    same <- function(a, b) (is.na(a) && is.na(b)) || isTRUE(abs(a - b) <= 1e-12 * max(1, abs(a)))
    stopifnot(same(q[1, 1], coef(sb)[[i]]), same(q[1, 2], sb$ci_l[i]), same(q[1, 3], sb$ci_u[i]),
              same(q[1, 4], SE(sb)[[i]]))
    list(level = lev[i], estimate = n17(coef(sb)[i]), se = n17(SE(sb)[i]),
         ci_low = n17(sb$ci_l[i]), ci_high = n17(sb$ci_u[i]),
         df_domain = degf(dom[!is.na(dom$variables[[v]]), ]),
         ci_low_symmetric = n17(sym[i, 1]), ci_high_symmetric = n17(sym[i, 2]))
  })
  add_case("svyquantile", id, design_name, code,
           list(variable = v, by = by, qrule = qrule, p = 0.5, level = 0.95, rows = rows),
           note = paste("ci_low/ci_high: svyby's vartype 'ci' = the Woodruff CI of svyquantile on",
                        "subset(design, by == level) (df = degf of that subset); *_symmetric: confint(svyby object),",
                        "coef +- qnorm(0.975) * se"))
}
quantile_by_case("quantile_by_apistrat_api00_stype", "apistrat", "api00", "stype")
quantile_by_case("quantile_by_apiclus1_api00_stype", "apiclus1", "api00", "stype")
quantile_by_case("quantile_by_apiclus2_api00_stype", "apiclus2", "api00", "stype")
quantile_by_case("quantile_by_apiclus1_enroll_stype_hf7", "apiclus1", "enroll", "stype", qrule = "hf7")

# ---------------------------------------------------------------- 5. svyratio
ratio_case <- function(id, design_name, num, den) {
  design <- use_design(design_name)
  code <- sprintf("svyratio(~%s, ~%s, design, na.rm = TRUE)", num, den)
  r <- run(code, design)
  d_used <- design[!is.na(design$variables[[num]]) & !is.na(design$variables[[den]]), ]
  dfree <- degf(d_used)
  ci <- confint(r, df = dfree)
  add_case("svyratio", id, design_name, code,
           list(numerator = num, denominator = den, estimate = n17(coef(r)), se = n17(SE(r)),
                ci_low = n17(ci[1, 1]), ci_high = n17(ci[1, 2]), df = dfree),
           note = "CI: confint(ratio, df = degf(design without rows missing num or den))")
}
ratio_by_case <- function(id, design_name, num, den, by) {
  design <- use_design(design_name)
  code <- sprintf("svyby(~%s, by = ~%s, denominator = ~%s, design = design, FUN = svyratio)", num, by, den)
  sb <- run(code, design)
  dfree <- degf(design)
  ci <- confint(sb, df = dfree)
  lev <- as.character(sb[[by]])
  rows <- lapply(seq_along(lev), function(i) {
    dom <- run(sprintf('subset(design, %s == "%s")', by, lev[i]), design)
    se <- SE(sb)[i]
    list(level = lev[i], estimate = n17(coef(sb)[i]), se = n17(se), ci_low = n17(ci[i, 1]),
         ci_high = n17(ci[i, 2]), df_design = dfree, df_domain = degf(dom),
         ci_low_domain_df = n17(coef(sb)[i] - qt(0.975, degf(dom)) * se),
         ci_high_domain_df = n17(coef(sb)[i] + qt(0.975, degf(dom)) * se))
  })
  add_case("svyratio", id, design_name, code, list(numerator = num, denominator = den, by = by, rows = rows),
           note = "ci_low/ci_high: confint(svyby object, df = degf(design)); *_domain_df on degf(subset(design, by == level))")
}
for (dn in c("apistrat", "apiclus1", "apiclus2")) {
  ratio_case(sprintf("ratio_%s_api00_api99", dn), dn, "api00", "api99")
  ratio_case(sprintf("ratio_%s_enroll_api99", dn), dn, "enroll", "api99")
  ratio_by_case(sprintf("ratio_by_%s_api00_api99_stype", dn), dn, "api00", "api99", "stype")
}

# ---------------------------------------------------------------- 6. svyttest
ttest_case <- function(id, design_name, code) {
  design <- use_design(design_name)
  tt <- run(code, design)
  est <- unname(tt$estimate)
  add_case("svyttest", id, design_name, code,
           list(estimate = n17(est), estimate_name = names(tt$estimate), se = n17(est / tt$statistic),
                statistic = n17(tt$statistic), df = n17(tt$parameter), p_value = n17(tt$p.value),
                ci_low = n17(tt$conf.int[1]), ci_high = n17(tt$conf.int[2]), level = 0.95),
           note = paste("two-sample: svyglm(y ~ g, gaussian) slope (level 2 minus level 1), df = fit$df.residual",
                        "= degf(design without NA rows) - 1; one-sample (y ~ 0): svymean, df = degf - 1"))
}
for (dn in c("apistrat", "apiclus1", "apiclus2")) {
  ttest_case(sprintf("ttest_%s_api00_sch_wide", dn), dn, "svyttest(api00 ~ sch_wide, design)")
  ttest_case(sprintf("ttest_%s_enroll_comp_imp", dn), dn, "svyttest(enroll ~ comp_imp, design)")
}
ttest_case("ttest_apistrat_api00_awards_domain_M", "apistrat", 'svyttest(api00 ~ awards, subset(design, stype == "M"))')
ttest_case("ttest_apiclus1_api00_sch_wide_domain_E", "apiclus1", 'svyttest(api00 ~ sch_wide, subset(design, stype == "E"))')
ttest_case("ttest_apiclus1_growth_one_sample", "apiclus1", "svyttest(I(api00 - api99) ~ 0, design)")

# ---------------------------------------------------------------- 7. svycontrast
contrast_case <- function(id, design_name, code_stat, contrasts) {
  design <- use_design(design_name)
  st <- run(code_stat, design)
  dfree <- degf(design)
  rows <- lapply(names(contrasts), function(nm) {
    w <- contrasts[[nm]]
    cc <- svycontrast(st, w)
    ci <- confint(cc, df = dfree)
    list(name = nm, weights = as.list(setNames(w, names(coef(st)))), call = sprintf("svycontrast(stat, c(%s))", paste(w, collapse = ", ")),
         estimate = n17(coef(cc)), se = n17(SE(cc)), ci_low = n17(ci[1, 1]), ci_high = n17(ci[1, 2]), df = dfree)
  })
  add_case("svycontrast", id, design_name, code_stat,
           list(stat_call = code_stat, names = as.list(names(coef(st))), estimates = nv(coef(st)),
                covariance = nv(as.vector(vcov(st))), contrasts = rows),
           note = "stat = the call; covariance column-major; CI: confint(contrast, df = degf(design))")
}
for (dn in c("apistrat", "apiclus1", "apiclus2")) {
  contrast_case(sprintf("contrast_%s_api00_by_stype", dn), dn, "svyby(~api00, ~stype, design, svymean, covmat = TRUE)",
                list(E_vs_HM = c(1, -0.5, -0.5), H_minus_M = c(0, 1, -1), weighted_2_1_1 = c(0.5, 0.25, 0.25)))
  contrast_case(sprintf("contrast_%s_mean_api00_api99", dn), dn, "svymean(~api00 + api99, design)",
                list(difference = c(1, -1), average = c(0.5, 0.5)))
  contrast_case(sprintf("contrast_%s_total_api00_api99", dn), dn, "svytotal(~api00 + api99, design)",
                list(difference = c(1, -1)))
}

# ---------------------------------------------------------------- 8. models
model_case <- function(id, design_name, family, formula, tests) {
  design <- use_design(design_name)
  fam <- switch(family, gaussian = gaussian(), quasibinomial = quasibinomial(), quasipoisson = quasipoisson())
  f <- as.formula(formula)
  first <- suppressWarnings(svyglm(f, design = design, family = fam, control = tight))
  # refit from the converged coefficients (do.call passes the values, see models.R)
  fit <- suppressWarnings(do.call(svyglm, list(f, design = design, family = fam, control = tight,
                                               start = unname(coef(first)))))
  stopifnot(first$converged, fit$converged)
  table <- summary(fit)$coefficients
  ci <- confint(fit)
  rtt <- lapply(tests, function(tt) {
    r <- regTermTest(fit, as.formula(tt))
    list(call = sprintf("regTermTest(fit, %s)", tt), test_terms = as.list(r$test.terms),
         F = n17(r$Ftest), ndf = r$df, ddf = r$ddf, p_value = n17(r$p), method = "Wald")
  })
  add_case("svyglm", id, design_name,
           sprintf("svyglm(%s, design, family = %s, control = glm.control(epsilon = 1e-14, maxit = 100))", formula, family),
           list(family = family, formula = formula, terms = as.list(rownames(table)),
                coef = nv(table[, 1]), se = nv(table[, 2]), t = nv(table[, 3]), p_value = nv(table[, 4]),
                ci_low = nv(ci[, 1]), ci_high = nv(ci[, 2]), df_residual = fit$df.residual,
                design_df = degf(fit$survey.design), n = length(fit$y),
                dispersion = n17(summary(fit)$dispersion), regTermTest = rtt),
           note = paste("refitted from its own solution (start = coef of the first fit); df_residual = degf + 1 - #coef;",
                        "CIs: confint(fit) (Wald, t on df_residual); regTermTest ddf = df_residual"))
}
glm_formulas <- list(gaussian = "api00 ~ meals + ell + stype", quasibinomial = "sch_wide01 ~ meals + ell + stype",
                     quasipoisson = "enroll ~ meals + ell + stype")
for (dn in c("apistrat", "apiclus1", "apiclus2")) {
  for (fam in names(glm_formulas)) {
    model_case(sprintf("svyglm_%s_%s", dn, fam), dn, fam, glm_formulas[[fam]], list("~stype", "~meals + ell"))
  }
}

olr_control <- function(p, ndeps = 1e-3) list(reltol = 1e-15, maxit = 1000, ndeps = rep(ndeps, p))
# The proportional-odds optimum polished by Newton steps on an independent weighted negative
# log-likelihood (logistic link): BFGS stops with a gradient of ~1e-5..1e-4 (coefficients ~1e-9
# relative from the optimum). At the optimum, the sandwich of svyolr: influence = score_i H^-1
# (H: Hessian of the negative log-likelihood in (beta, zeta), here by central differences of the
# analytic gradient, step 1e-6 * max(1, |par|)), variance = svyrecvar(influence, design).
olr_optimum <- function(design, formula, par) {
  mf <- model.frame(as.formula(formula), model.frame(design))
  x <- model.matrix(attr(mf, "terms"), mf)[, -1, drop = FALSE]
  y <- as.integer(model.response(mf))
  w <- weights(design)
  pc <- ncol(x)
  q <- length(par) - pc
  scores <- function(par) {
    eta <- drop(x %*% par[seq_len(pc)])
    z <- c(-100, par[pc + seq_len(q)], 100)  # svyolr's outer bounds
    p1 <- dlogis(z[y + 1] - eta)
    p2 <- dlogis(z[y] - eta)
    pr <- plogis(z[y + 1] - eta) - plogis(z[y] - eta)
    cbind(x * (w * (p1 - p2) / pr),
          sapply(seq_len(q), function(k) -w * ((y == k) * p1 - (y == k + 1) * p2) / pr))
  }
  grad <- function(par) colSums(scores(par))
  hess <- function(par) sapply(seq_along(par), function(i) {
    h <- 1e-6 * max(1, abs(par[i]))
    e <- replace(numeric(length(par)), i, h)
    (grad(par + e) - grad(par - e)) / (2 * h)
  })
  for (k in 1:4) par <- par - solve(hess(par), grad(par))
  H <- hess(par)
  H <- (H + t(H)) / 2
  v <- svyrecvar(scores(par) %*% solve(H), design$cluster, design$strata, design$fpc,
                 postStrata = design$postStrata)
  list(par = par, se = sqrt(diag(v)), grad = grad(par))
}

olr_case <- function(id, design_name, formula, tests) {
  design <- use_design(design_name)
  f <- as.formula(formula)
  first <- svyolr(f, design, control = list(reltol = 1e-15, maxit = 1000))
  p <- length(first$coefficients) + length(first$zeta)
  # svyolr's start is (beta, theta): theta = (zeta_1, log(diff(zeta)))
  start <- unname(c(first$coefficients, first$zeta[1], log(diff(first$zeta))))
  # do.call puts the formula and design objects in fit$call: regTermTest -> model.frame.svyolr
  # re-evaluates call$design and call$formula (from the survey namespace, i.e. globally)
  fit <- do.call(svyolr, list(f, design, start = start, control = olr_control(p)))
  fine <- do.call(svyolr, list(f, design, start = start, control = olr_control(p, 1e-6)))
  stopifnot(first$convergence == 0, fit$convergence == 0, fine$convergence == 0)
  stopifnot(max(abs(c(fit$coefficients, fit$zeta) - c(fine$coefficients, fine$zeta))) == 0)
  se <- sqrt(diag(vcov(fit)))
  se_fine <- sqrt(diag(vcov(fine)))
  opt <- olr_optimum(design, formula, unname(c(fit$coefficients, fit$zeta)))
  rel_coef <- max(abs(opt$par / c(fit$coefficients, fit$zeta) - 1))
  rel_se <- max(abs(opt$se / se_fine - 1))
  stopifnot(rel_coef < 1e-7, rel_se < 1e-6)
  rtt <- lapply(tests, function(tt) {
    r <- regTermTest(fit, as.formula(tt))
    rf <- regTermTest(fine, as.formula(tt))
    list(call = sprintf("regTermTest(fit, %s)", tt), test_terms = as.list(r$test.terms),
         F = n17(r$Ftest), ndf = r$df, ddf = r$ddf, p_value = n17(r$p),
         F_fine = n17(rf$Ftest), p_value_fine = n17(rf$p), method = "Wald")
  })
  add_case("svyolr", id, design_name,
           sprintf("svyolr(%s, design, control = list(reltol = 1e-15, maxit = 1000))", formula),
           list(formula = formula, method = "logistic", response_levels = as.list(fit$lev),
                terms = as.list(names(fit$coefficients)), coef = nv(fit$coefficients),
                zeta_names = as.list(names(fit$zeta)), zeta = nv(fit$zeta),
                se_names = as.list(names(se)), se = nv(se), se_fine = nv(se_fine),
                optimum = list(coef_zeta = nv(opt$par), se = nv(opt$se), max_abs_gradient = n17(max(abs(opt$grad))),
                               max_rel_diff_coef_vs_svyolr = n17(rel_coef), max_rel_diff_se_vs_se_fine = n17(rel_se)),
                df_residual = fit$df.residual, design_df = degf(design), deviance = n17(fit$deviance),
                regTermTest = rtt),
           note = paste("refitted with start = c(beta, zeta[1], log(diff(zeta))); se: vcov(fit) with optim's",
                        "finite-difference Hessian (ndeps = 1e-3, central differences of the analytic gradient,",
                        "symmetrised) on the (beta, theta) scale; se_fine: the same with ndeps = 1e-6;",
                        "df_residual = degf(design) - #beta; regTermTest ddf = df_residual;",
                        "optimum: Newton-polished maximum and its sandwich SE (this script's own likelihood, see olr_optimum)"))
}
for (dn in c("apistrat", "apiclus1", "apiclus2")) {
  olr_case(sprintf("svyolr_%s_api_cat", dn), dn, "api_cat ~ meals + stype", list("~stype", "~meals"))
}

# ---------------------------------------------------------------- 9. two-stage designs
by_rows <- function(sb, design, by) {
  dfree <- degf(design)
  ci <- confint(sb, df = dfree)
  lev <- as.character(sb[[by]])
  lapply(seq_along(lev), function(i) {
    dom <- run(sprintf('subset(design, %s == "%s")', by, lev[i]), design)
    v <- attr(sb, "svyby")$variables
    dom <- dom[!is.na(dom$variables[[v]]), ]  # svyby's FUN with na.rm = TRUE
    se <- SE(sb)[[i]]
    list(level = lev[i], estimate = n17(coef(sb)[[i]]), se = n17(se), ci_low = n17(ci[i, 1]),
         ci_high = n17(ci[i, 2]), df_design = dfree, df_domain = degf(dom),
         ci_low_domain_df = n17(coef(sb)[[i]] - qt(0.975, degf(dom)) * se),
         ci_high_domain_df = n17(coef(sb)[[i]] + qt(0.975, degf(dom)) * se))
  })
}
two_stage_results <- list()
two_stage_case <- function(id, design_name, note) {
  design <- use_design(design_name)
  out <- list()
  for (v in c("api00", "enroll")) {
    for (stat in c("svymean", "svytotal")) {
      code <- sprintf("%s(~%s, design, na.rm = TRUE)", stat, v)
      x <- run(code, design)
      dfree <- degf(design[!is.na(design$variables[[v]]), ])
      code_by <- sprintf("svyby(~%s, ~stype, design, %s, na.rm = TRUE)", v, stat)
      sb <- run(code_by, design)
      out[[length(out) + 1]] <- list(variable = v, statistic = stat, call = code, overall = stat_rows(x, dfree)[[1]],
                                     by_call = code_by, by = by_rows(sb, design, "stype"))
      two_stage_results[[design_name]] <<- c(two_stage_results[[design_name]], SE(x), SE(sb))
    }
  }
  add_case("two_stage", id, design_name, "svymean / svytotal (~api00, ~enroll) overall and by ~stype", list(estimates = out),
           note = note)
}
two_stage_case("two_stage_apiclus2_fpc_counts", "apiclus2",
               "multistage variance (survey.ultimate.cluster = FALSE): stage 1 districts, stage 2 schools within district")
two_stage_case("two_stage_apiclus2_fpc_fractions", "apiclus2_frac",
               "fpc as sampling fractions (fpc1_frac = 40/fpc1, fpc2_frac = m_i/fpc2): identical to the counts")
two_stage_case("two_stage_apiclus2_ultimate", "apiclus2_ultimate",
               "options(survey.ultimate.cluster = TRUE): first-stage variance only, with the stage-1 fpc")
two_stage_case("two_stage_apiclus2_nofpc", "apiclus2_nofpc",
               "no fpc: with replacement at stage 1 (stage 2 contributes nothing)")
stopifnot(max(abs(two_stage_results$apiclus2 / two_stage_results$apiclus2_frac - 1)) < 1e-12,
          max(abs(two_stage_results$apiclus2 / two_stage_results$apiclus2_ultimate - 1)) > 1e-6)

# ---------------------------------------------------------------- 10. zero weights
zero_case <- function() {
  design <- use_design("apistrat_zero")
  df <- datasets$apistrat
  kept <- subset_frame <- df[df$pw_zero > 0, ]
  dropped_design <- svydesign(ids = ~1, strata = ~stype, weights = ~pw_zero, fpc = ~fpc, data = kept)
  dfree <- degf(design)
  res <- list(zero_rows = as.list(zero_rows), n_rows = nrow(design), degf = dfree,
              degf_rows_dropped = degf(dropped_design), n_h = as.list(table(df$stype)),
              n_h_nonzero = as.list(table(kept$stype)))
  m <- svymean(~api00 + enroll, design)
  t <- svytotal(~enroll, design)
  res$mean <- list(call = "svymean(~api00 + enroll, design)", rows = stat_rows(m, dfree),
                   rows_dropped_frame = stat_rows(svymean(~api00 + enroll, dropped_design), degf(dropped_design)))
  res$total <- list(call = "svytotal(~enroll, design)", rows = stat_rows(t, dfree),
                    rows_dropped_frame = stat_rows(svytotal(~enroll, dropped_design), degf(dropped_design)))
  res$ciprop <- lapply(c(logit = "logit", beta = "beta", mean = "mean"), function(mth) {
    code <- sprintf('svyciprop(~sch_wide01, design, method = "%s")', mth)
    cp <- if (mth == "logit") NULL else run(code, design)
    r <- if (mth == "logit") ciprop_logit("sch_wide01", design, "design")
         else list(estimate = n17(cp), ci_low = n17(attr(cp, "ci")[1]), ci_high = n17(attr(cp, "ci")[2]), df = dfree)
    r$call <- code
    r
  })
  res$ciprop$beta$note <- "n.eff scaled by (qt(alpha/2, nrow(design) - 1) / qt(alpha/2, degf(design)))^2: nrow counts zero-weight rows"
  sb <- svyby(~api00, ~stype, design, svymean)
  res$by_stype <- list(call = "svyby(~api00, ~stype, design, svymean)", rows = by_rows(sb, design, "stype"))
  sz <- svyby(~api00, ~zgroup, design, svymean)
  res$by_zgroup <- list(call = "svyby(~api00, ~zgroup, design, svymean)", levels_returned = as.list(as.character(sz$zgroup)),
                        rows = by_rows(sz, design, "zgroup"),
                        note = "the by-group 'zeroed' (all weights 0) is dropped by svyby")
  q <- svyquantile(~api00, design, quantiles = c(0.25, 0.5, 0.75), ci = TRUE)
  res$quantile <- list(call = "svyquantile(~api00, design, quantiles = c(0.25, 0.5, 0.75), ci = TRUE)",
                       rows = quantile_rows(q, dfree)[[1]]$rows)
  tab <- svytable(~stype + awards, design)
  res$svytable <- list(call = "svytable(~stype + awards, design)", row_levels = as.list(rownames(tab)),
                       col_levels = as.list(colnames(tab)), counts_column_major = nv(as.vector(tab)))
  res$svychisq <- c(list(formula = "~stype + awards"), chisq_one(design, "~stype + awards", "design"))
  tt <- svyttest(api00 ~ sch_wide, design)
  res$svyttest <- list(call = "svyttest(api00 ~ sch_wide, design)", estimate = n17(tt$estimate),
                       se = n17(tt$estimate / tt$statistic), statistic = n17(tt$statistic), df = n17(tt$parameter),
                       p_value = n17(tt$p.value), ci_low = n17(tt$conf.int[1]), ci_high = n17(tt$conf.int[2]))
  add_case("zero_weights", "zero_weights_apistrat", "apistrat_zero", "svymean(~api00 + enroll, design)", res,
           note = paste("pw_zero = 0 on zero_rows (1-based); the rows stay in the design (prob = Inf) and in n_h (the",
                        "variance's n_h/(n_h-1) and fpc use all rows), but degf counts only nonzero-weight PSUs;",
                        "svychisq's nu counts all rows (197 here, degf 187); svyttest df = degf - 1;",
                        "*_dropped_frame: svydesign() on the frame without the zero-weight rows (n_h smaller)"))
}
withCallingHandlers(zero_case(), warning = function(w) {
  # summary.glm on svyglm / svyttest fits: "observations with zero weight not used for calculating dispersion"
  if (grepl("zero weight", conditionMessage(w))) invokeRestart("muffleWarning")
})

# ---------------------------------------------------------------- 11. the embedded survey
# Read with haven as estimates.R does (indicators from their codebook rules); not exported.
embedded_sav <- file.path(here, "..", "..", "data", "survey", "cbss_synthetic_hbsc2018.sav")
embedded_md5 <- NA
if (file.exists(embedded_sav) && requireNamespace("haven", quietly = TRUE)) {
  embedded_md5 <- unname(tools::md5sum(embedded_sav))
  sav <- haven::read_sav(embedded_sav)
  code <- function(v) as.numeric(haven::zap_labels(sav[[v]]))
  iso2 <- c("208000" = "DK", "246000" = "FI", "352000" = "IS", "578000" = "NO", "752000" = "SE",
            "233000" = "EE", "428000" = "LV", "440000" = "LT", "276000" = "DE", "616000" = "PL",
            "643000" = "RU")
  rule_in <- function(v, codes) {
    x <- code(v)
    ifelse(is.na(x), NA, as.numeric(x %in% codes))
  }
  embedded <- data.frame(
    cluster = code("cluster"), countryno = code("countryno"), id1 = code("id1"),
    weight = code("weight"), age = code("age"),
    state = factor(iso2[as.character(code("countryno"))], levels = unname(iso2)),
    sex = factor(c("Boy", "Girl")[code("sex")], levels = c("Boy", "Girl")),
    cyberbullied = rule_in("cbeenbullied", 2:5),
    been_bullied = rule_in("beenbullied", 3:5))
  # the codebook's design (HBSC2018OAed1.1): strata country x id1 (999 a stratum of its own), PSU cluster;
  # every stratum has two classes or more, so its lonely_psu = "adjust" changes nothing here
  embedded$stratum <- interaction(embedded$countryno, embedded$id1, drop = TRUE)
  stopifnot(all(tapply(embedded$cluster, embedded$stratum, function(k) length(unique(k))) >= 2))
  options(survey.lonely.psu = "adjust", survey.ultimate.cluster = FALSE)
  edesign <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = embedded, nest = TRUE)
  espec <- list(weight = "weight", strata = list("countryno", "id1"), psu = list("cluster"), fpc = list(),
                nest = TRUE, lonely_psu = "adjust", ultimate_cluster = FALSE)
  ecall <- "svydesign(ids = ~cluster, strata = ~interaction(countryno, id1), weights = ~weight, data = embedded, nest = TRUE)"
  add_embedded <- function(id, kind, call, result, note = NULL) {
    cases[[length(cases) + 1]] <<- list(
      id = id, section = "embedded", data = "embedded", design_name = "embedded", design = espec,
      design_call = ecall, call = call, result = c(list(kind = kind), result), note = if (is.null(note)) NA else note)
  }
  states <- levels(embedded$state)
  state_design <- function(s, design = edesign) design[design$variables$state == s, ]
  # ratio of totals, overall and by state (svyby's FUN on design[state == s, ], na.rm drops rows missing either)
  r <- svyratio(~cyberbullied, ~been_bullied, edesign, na.rm = TRUE)
  used <- edesign[!is.na(embedded$cyberbullied) & !is.na(embedded$been_bullied), ]
  df_r <- degf(used)
  ci <- confint(r, df = df_r)
  sb <- svyby(~cyberbullied, ~state, denominator = ~been_bullied, design = edesign, FUN = svyratio, na.rm = TRUE)
  add_embedded("embedded_ratio_cyberbullied_been_bullied", "svyratio",
               "svyratio(~cyberbullied, ~been_bullied, design, na.rm = TRUE); svyby(..., ~state, FUN = svyratio, na.rm = TRUE)",
               list(numerator = "cyberbullied", denominator = "been_bullied", by = "state",
                    overall = list(estimate = n17(coef(r)), se = n17(SE(r)), ci_low = n17(ci[1, 1]),
                                   ci_high = n17(ci[1, 2]), df = df_r),
                    rows = lapply(seq_along(sb$state), function(i) {
                      dom <- state_design(as.character(sb$state[i]), used)
                      se <- SE(sb)[i]
                      list(level = as.character(sb$state[i]), estimate = n17(coef(sb)[i]), se = n17(se),
                           df_domain = degf(dom), ci_low_domain_df = n17(coef(sb)[i] - qt(0.975, degf(dom)) * se),
                           ci_high_domain_df = n17(coef(sb)[i] + qt(0.975, degf(dom)) * se))
                    })),
               note = "df: degf of the design without rows missing either variable (by state: of that domain)")
  # quantiles of age: overall (math and hf7) and the median by state (Woodruff CI on the domain df)
  qs_overall <- lapply(c("math", "hf7"), function(qr) {
    q <- svyquantile(~age, edesign, quantiles = c(0.25, 0.5, 0.75), qrule = qr, ci = TRUE, na.rm = TRUE)
    list(qrule = qr, df = degf(edesign), rows = quantile_rows(q, degf(edesign))[[1]]$rows)
  })
  qb <- svyby(~age, ~state, edesign, svyquantile, quantiles = 0.5, ci = TRUE, keep.var = TRUE,
              vartype = c("se", "ci"), na.rm = TRUE)
  add_embedded("embedded_quantile_age", "svyquantile",
               "svyquantile(~age, design, quantiles = c(0.25, 0.5, 0.75), qrule = <qrule>, ci = TRUE); svyby(~age, ~state, design, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c(\"se\", \"ci\"))",
               list(variable = "age", by = "state", overall = qs_overall,
                    rows = lapply(seq_along(qb$state), function(i) list(
                      level = as.character(qb$state[i]), p = 0.5, estimate = n17(coef(qb)[i]), se = n17(SE(qb)[i]),
                      ci_low = n17(qb$ci_l[i]), ci_high = n17(qb$ci_u[i]),
                      df_domain = degf(state_design(as.character(qb$state[i])))))))
  # t test of age between sexes, overall and within each state
  tt_row <- function(tt) list(estimate = n17(tt$estimate), se = n17(tt$estimate / tt$statistic),
                              statistic = n17(tt$statistic), df = n17(tt$parameter), p_value = n17(tt$p.value),
                              ci_low = n17(tt$conf.int[1]), ci_high = n17(tt$conf.int[2]))
  add_embedded("embedded_ttest_age_sex", "svyttest",
               "svyttest(age ~ sex, design); svyttest(age ~ sex, subset(design, state == s))",
               list(variable = "age", group = "sex", by = "state", overall = tt_row(svyttest(age ~ sex, edesign)),
                    rows = lapply(states, function(s) c(list(level = s), tt_row(svyttest(age ~ sex, state_design(s)))))),
               note = "difference = Girl minus Boy; df = degf - 1 (of the state's domain design)")
}

# ---------------------------------------------------------------- write
options(survey.lonely.psu = "fail", survey.ultimate.cluster = FALSE)
result <- list(
  generated_by = "tests/reference/verbs.R",
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  compquadform = requireNamespace("CompQuadForm", quietly = TRUE),
  embedded_md5 = embedded_md5,
  glm_epsilon = tight$epsilon,
  files = files,
  factor_levels = factor_levels,
  ordered_factors = list(api_cat = list("low", "mid", "high", "top")),
  designs = lapply(designs, function(d) c(list(data = files[[d$data]], call = design_call(d$data, d$spec)), d$spec)),
  cases = cases)
writeLines(toJSON(result, json_verbatim = TRUE, auto_unbox = TRUE, na = "null", null = "null", pretty = TRUE),
           file.path(here, "verbs.json"))
cat("wrote", length(cases), "cases to", file.path(here, "verbs.json"), "\n")
