"""The ``cbss-analysis`` command: report, validate, codebook, synth.

Errors on bad input are printed as one line (``error: ...``) with exit code 2, or 1 for
a file that fails validation or a report run that fails; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from cbss_analysis import __version__, paths
from cbss_analysis.common.text import exception_line, first_line, strip_control
from cbss_analysis.errors import CbssError

EXIT_CODES = """exit codes:
  0  success
  1  the file has problems (validate) or a report run failed (report)
  2  bad input: unreadable file, invalid codebook, bad option, plan or parameter
  3  the machine ran out of memory or disk space
  4  an unexpected internal error (a bug: run again with --debug and report the traceback)
  130 interrupted (Ctrl-C)"""
EXIT_BAD_INPUT, EXIT_RESOURCES, EXIT_INTERNAL = 2, 3, 4


def _say(text: str, file: object = None) -> None:
    """Print text that may hold data (labels, values): each line without control characters."""
    print("\n".join(strip_control(line) for line in str(text).split("\n")), file=file or sys.stdout)


def _cmd_validate(args: argparse.Namespace) -> int:
    from cbss_analysis.survey.codebook import load_codebook
    from cbss_analysis.survey.validation import validate_file

    if Path(args.path).suffix.lower() in {".yaml", ".yml"}:
        codebook = load_codebook(args.path)
        _say(f"{args.path}: codebook {codebook.name!r} OK ({len(codebook.variables)} variables, {len(codebook.indicators)} indicators)")
        return 0
    problems = validate_file(args.path, args.codebook)
    for problem in problems:
        _say(problem.message)
    if problems:
        _say(f"{args.path}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    _say(f"{args.path}: OK")
    return 0


def _cmd_codebook(args: argparse.Namespace) -> int:
    from cbss_analysis.survey.codebook import load_codebook

    print("\n".join(load_codebook(args.name).describe_lines()))
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from cbss_analysis import synthetic

    out = Path(args.out)
    if out.suffix.lower() != ".sav":
        raise CbssError(f"--out {out.name}: the synthetic survey is written as SPSS; give a path ending in .sav")
    if not out.parent.is_dir():
        raise CbssError(f"--out {out.name}: its folder does not exist; create it first")
    if args.seed < 0 or args.seed >= 2**63:
        raise CbssError(f"--seed {args.seed}: must be a whole number from 0 to 2**63 - 1")
    if args.rows is not None and args.rows < 1:
        raise CbssError(f"--rows {args.rows}: must be a positive number of respondents")
    frame = synthetic.generate(seed=args.seed, n=args.rows)
    synthetic.write_sav(frame, out)
    print(f"{out}: {len(frame):,} synthetic respondents (seed {args.seed})")
    return 0


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cbss-analysis report``."""
    parser.add_argument("--plan", metavar="FILE", type=Path, default=None,
                        help=f"report plan (default: {paths.REPORT_PLAN.relative_to(paths.PROJECT_ROOT)})")
    parser.add_argument("--only", metavar="NOTEBOOK", action="append", default=[],
                        help="run only this notebook (or NOTEBOOK/RUN); repeatable")
    parser.add_argument("--param", metavar="KEY=VALUE", action="append", default=[],
                        help="set a parameter of every notebook that has it (value read as YAML); repeatable")
    parser.add_argument("--data", metavar="PATH", type=Path, default=None,
                        help="survey file for every run (default: the embedded synthetic survey)")
    parser.add_argument("--codebook", metavar="NAME|PATH", default=None,
                        help="codebook name or YAML file for every run (default: the survey's own)")
    parser.add_argument("--out", metavar="DIR", type=Path, default=None,
                        help=f"output folder (default: {paths.REPORTS_DIR.relative_to(paths.PROJECT_ROOT)}/)")
    parser.add_argument("--jobs", metavar="N", type=int, default=os.cpu_count() or 1,
                        help="runs in parallel (default: number of CPUs)")
    parser.add_argument("--force", action="store_true", help="re-run even the runs whose inputs are unchanged")
    parser.add_argument("--with-code", action="store_true", help="keep the input cells in the HTML")
    parser.add_argument("--pdf", action="store_true", help="also write every report as PDF (needs WeasyPrint)")
    parser.add_argument("--fail-fast", action="store_true", help="start no new run after the first failure")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=None,
                        help="fail a run that takes longer than this (default: no limit)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="where runs execute: worker processes on this machine (default) or a Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="with --executor dask: tcp://HOST:PORT, a scheduler .json file, or 'local' "
                             "(a LocalCluster of --jobs workers on 127.0.0.1 that stops with the command)")
    parser.add_argument("--no-survey-cache", action="store_true",
                        help="do not keep decoded surveys in OUT/.survey-cache (respondent-level rows) between runs")
    parser.add_argument("--fresh-kernels", action="store_true",
                        help="start every kernel from scratch instead of warm (slower; for comparison)")


def _cmd_report(args: argparse.Namespace) -> int:
    """Run ``cbss-analysis report``: 0 when every run is ok or skipped, 1 when any failed, 130 on Ctrl-C."""
    from cbss_analysis import reports

    options = reports.ReportOptions(
        only=args.only, params=args.param, data=args.data, codebook=args.codebook,
        out=args.out if args.out is not None else paths.REPORTS_DIR, jobs=args.jobs, force=args.force,
        with_code=args.with_code, fail_fast=args.fail_fast, timeout=args.timeout, executor=args.executor, pdf=args.pdf,
        scheduler=args.scheduler, survey_cache=not args.no_survey_cache, warm_kernels=not args.fresh_kernels,
    )
    summary = reports.run_plan(args.plan, options)
    for warning in summary.warnings:
        _say(f"warning: {warning}", file=sys.stderr)
    for run_id, error in summary.errors.items():
        _say(f"failed: {run_id}: {error}", file=sys.stderr)
    print(summary.line())
    return summary.exit_code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cbss-analysis`` command."""
    parser = argparse.ArgumentParser(
        prog="cbss-analysis",
        description="Survey analysis and reports on children and young people at risk in the CBSS states.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    report = commands.add_parser("report", help="render the notebooks of the report plan into reports/", epilog=EXIT_CODES,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_report_arguments(report)
    report.set_defaults(handler=_cmd_report)

    validate = commands.add_parser("validate", help="check a survey file against its codebook; list every problem",
                                   epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    validate.add_argument("path", help="survey file (.sav, .dta, .csv, .parquet), or a codebook (.yaml) to check alone")
    validate.add_argument("--codebook", help="codebook name or YAML path (default: by the file's label)")
    validate.set_defaults(handler=_cmd_validate)

    codebook = commands.add_parser("codebook", help="print a codebook's variables and indicators")
    codebook.add_argument("name", help="codebook name (hbsc2018_oa, cbss_online_risk, cbss_synthetic) or YAML path")
    codebook.set_defaults(handler=_cmd_codebook)

    synth = commands.add_parser("synth", help="write a synthetic survey (SPSS .sav) from a seed")
    synth.add_argument("--seed", type=int, default=20180, help="random seed (default 20180, the embedded survey's)")
    synth.add_argument("--out", required=True, help="output .sav path")
    synth.add_argument("--rows", type=int, default=None, help="number of respondents (default: the HBSC 2017/18 sizes)")
    synth.set_defaults(handler=_cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.simplefilter("ignore", category=FutureWarning)
            return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        message, code = _error_line(error)
        print(f"error: {message}", file=sys.stderr)
        return code


def _error_line(error: Exception) -> tuple[str, int]:
    """One line and the exit code for an error that ends a command."""
    if isinstance(error, CbssError):
        return strip_control(first_line(error, limit=1000)), EXIT_BAD_INPUT
    if isinstance(error, MemoryError):
        return "out of memory; use a machine with more memory or fewer --jobs", EXIT_RESOURCES
    if isinstance(error, OSError):
        name = Path(str(error.filename)).name if error.filename else ""
        text = f"{name}: {error.strerror or exception_line(error)}" if name else (error.strerror or exception_line(error))
        return strip_control(text), EXIT_RESOURCES if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.ENOMEM) else EXIT_BAD_INPUT
    return f"unexpected {type(error).__name__}: {exception_line(error)} (a bug: run with --debug and report it)", EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
