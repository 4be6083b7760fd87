"""The report plan (``notebooks/reports.yaml``): which notebooks run with which parameters.

Schema::

    defaults:                      # optional: parameters for every run whose notebook has them
      min_n: 30
    reports:
      - notebook: 02_data_overview # notebooks/<name>.ipynb, relative to the plan's folder
      - notebook: 06_state_profile
        parameters: {min_n: 30}    # optional: parameters of this entry's runs
        grid:                      # optional: one run per combination of the listed values
          state: [DK, FI, NO]
        run: "{state}"             # optional: run name; default "default", or the grid values joined by "-"

Everything is checked before anything runs: unknown keys, unknown notebooks, parameters
that the notebook's ``parameters`` cell does not define (read as ``papermill.inspect_notebook`` does),
values of the wrong type, and run names that are not safe folder names or not unique.
Each problem is one :class:`~cbss_analysis.errors.ReportError` line that names the plan
file, the notebook, the parameter and the value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cbss_analysis import paths
from cbss_analysis.common.safe_yaml import read_yaml_file
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.params import ParamType, notebook_parameters, param_type, parse_cli_value
from cbss_analysis.reports.values import contract_problem, json_problem

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FIELD = re.compile(r"\{(\w+)\}")
_PLAN_KEYS = {"defaults", "reports"}
_ENTRY_KEYS = {"notebook", "parameters", "grid", "run"}


@dataclass(frozen=True)
class RunSpec:
    """One execution of one notebook with one set of parameters.

    Attributes
    ----------
    notebook : str
        Notebook name (file stem), e.g. ``06_state_profile``.
    run : str
        Run name, unique within the notebook, e.g. ``DK``; the output folder is
        ``<out>/<notebook>/<run>/``.
    path : Path
        The notebook file.
    parameters : dict
        Values injected by papermill (the notebook's defaults apply to the rest).
    grid : tuple of str
        The parameters whose values name this run (its plan entry's ``grid`` keys): an override
        may not change them, or one run's output would be filed under another's name.
    """

    notebook: str
    run: str
    path: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    grid: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """``<notebook>/<run>``."""
        return f"{self.notebook}/{self.run}"


@dataclass(frozen=True)
class Plan:
    """A validated report plan.

    Attributes
    ----------
    path : Path
        The plan file.
    runs : tuple of RunSpec
        Every run, in plan order.
    parameters : dict
        Per notebook name, its parameters as ``papermill.inspect_notebook`` reports them.
    """

    path: Path
    runs: tuple[RunSpec, ...]
    parameters: dict[str, dict[str, dict[str, Any]]]

    def types(self, notebook: str) -> dict[str, ParamType]:
        """Expected type of each parameter of ``notebook``."""
        return {name: param_type(name, info) for name, info in self.parameters[notebook].items()}


def _read_plan_file(path: Path) -> dict[str, Any]:
    content = read_yaml_file(path, ReportError, what="report plan", if_missing="pass --plan FILE or create it")
    if not isinstance(content, dict):
        raise ReportError(f"{path}: the report plan must be a mapping with a 'reports' list")
    unknown = sorted(set(content) - _PLAN_KEYS)
    if unknown:
        raise ReportError(f"{path}: unknown key {unknown[0]!r}; expected {', '.join(sorted(_PLAN_KEYS))}")
    if not isinstance(content.get("reports"), list) or not content["reports"]:
        raise ReportError(f"{path}: 'reports' must be a non-empty list of entries with a 'notebook'")
    return content


def _mapping(plan: Path, where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ReportError(f"{plan}: {where} must be a mapping of parameter names to values, got {value!r}")
    return dict(value)


def check_value(plan: Path, notebook: str, name: str, value: Any, types: Mapping[str, ParamType]) -> None:
    """Raise a one-line ReportError unless ``value`` is plain data of the type and meaning ``name`` promises.

    Checks, in order: ``name`` is a parameter of ``notebook``; the value is JSON-like
    (:func:`~cbss_analysis.reports.values.json_problem`); it has the declared type; it means what a
    contract parameter promises (:func:`~cbss_analysis.reports.values.contract_problem`).
    """
    if name not in types:
        known = ", ".join(sorted(types)) or "none"
        raise ReportError(f"{plan}: notebook {notebook!r}: unknown parameter {snippet(name)} = {snippet(value)}; "
                          f"its parameters cell defines: {known}")
    where = f"{plan}: notebook {notebook!r}: parameter {snippet(name)} = {snippet(value)}"
    problem = json_problem(value)
    if problem is not None:
        raise ReportError(f"{where} {problem}")
    expected = types[name]
    if not expected.accepts(value):
        hint = " (quote it in YAML)" if isinstance(value, bool) and expected.base is str else ""
        raise ReportError(f"{where} has type {type(value).__name__}, expected {expected.describe()}{hint}")
    problem = contract_problem(name, value)
    if problem is not None:
        raise ReportError(f"{where} {problem}")


def _run_name(plan: Path, notebook: str, template: Any, combo: dict[str, Any]) -> str:
    if template is None:
        name = "-".join(str(v) for v in combo.values()) if combo else "default"
    elif isinstance(template, str):
        missing = [f for f in _FIELD.findall(template) if f not in combo]
        if missing:
            raise ReportError(f"{plan}: notebook {notebook!r}: run name {template!r} uses {{{missing[0]}}}, not in its grid")
        name = _FIELD.sub(lambda m: str(combo[m.group(1)]), template)
    else:
        raise ReportError(f"{plan}: notebook {notebook!r}: run name must be text, got {template!r}")
    if not _NAME.match(name):
        raise ReportError(
            f"{plan}: notebook {notebook!r}: run name {name!r} is not a safe folder name (letters, digits, _ . -)"
        )
    return name


def _expand_entry(
    plan: Path, entry: Any, defaults: dict[str, Any], inspected: dict[str, dict[str, dict[str, Any]]]
) -> list[RunSpec]:
    if not isinstance(entry, dict) or "notebook" not in entry:
        raise ReportError(f"{plan}: each entry of 'reports' needs a 'notebook', got {entry!r}")
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    notebook = str(entry["notebook"]).removesuffix(".ipynb")
    if unknown:
        raise ReportError(
            f"{plan}: notebook {notebook!r}: unknown key {unknown[0]!r}; expected {', '.join(sorted(_ENTRY_KEYS))}"
        )
    path = plan.parent / f"{notebook}.ipynb"
    if not _NAME.match(notebook) or not path.is_file():
        available = ", ".join(sorted(p.stem for p in plan.parent.glob("*.ipynb"))) or "none"
        raise ReportError(f"{plan}: unknown notebook {notebook!r}: no file {path}; available: {available}")
    if notebook not in inspected:
        inspected[notebook] = notebook_parameters(path)
    types = {name: param_type(name, info) for name, info in inspected[notebook].items()}
    fixed = _mapping(plan, f"notebook {notebook!r}: parameters", entry.get("parameters"))
    grid = _mapping(plan, f"notebook {notebook!r}: grid", entry.get("grid"))
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ReportError(f"{plan}: notebook {notebook!r}: grid {name!r} must be a non-empty list, got {values!r}")
    base = {k: v for k, v in defaults.items() if k in types}
    base.update(fixed)
    runs = []
    for combo_values in itertools.product(*grid.values()):
        combo = dict(zip(grid, combo_values, strict=True))
        parameters = {**base, **combo}
        for name, value in parameters.items():
            check_value(plan, notebook, name, value, types)
        run = _run_name(plan, notebook, entry.get("run"), combo)
        runs.append(RunSpec(notebook, run, path, parameters, tuple(grid)))
    return runs


def load_plan(path: Path | str | None = None) -> Plan:
    """Read and validate a report plan.

    Parameters
    ----------
    path : Path or str, optional
        The plan file; default ``notebooks/reports.yaml`` (``paths.REPORT_PLAN``).
        Notebook names are resolved relative to the plan's folder.

    Returns
    -------
    Plan

    Raises
    ------
    ReportError
        On any problem in the plan, before anything runs.
    """
    plan = Path(path).expanduser().resolve() if path is not None else paths.REPORT_PLAN
    content = _read_plan_file(plan)
    defaults = _mapping(plan, "defaults", content.get("defaults"))
    inspected: dict[str, dict[str, dict[str, Any]]] = {}
    runs: list[RunSpec] = []
    for entry in content["reports"]:
        runs.extend(_expand_entry(plan, entry, defaults, inspected))
    for name in defaults:
        if not any(name in params for params in inspected.values()):
            raise ReportError(f"{plan}: defaults: parameter {name!r} is not defined by any notebook of the plan")
    seen: set[str] = set()
    for run in runs:
        if run.id in seen:
            raise ReportError(f"{plan}: run {run.id!r} appears twice; give the entries different 'run' names")
        seen.add(run.id)
    return Plan(plan, tuple(runs), inspected)


def select_runs(plan: Plan, only: Iterable[str] = ()) -> list[RunSpec]:
    """The runs named by ``--only`` (``NOTEBOOK`` or ``NOTEBOOK/RUN``); all runs when empty."""
    wanted = [str(w).removesuffix(".ipynb") for w in only]
    if not wanted:
        return list(plan.runs)
    for want in wanted:
        if not any(want in (run.notebook, run.id) for run in plan.runs):
            names = ", ".join(dict.fromkeys(run.notebook for run in plan.runs))
            raise ReportError(f"{plan.path}: --only {want!r} matches no run; notebooks: {names}")
    return [run for run in plan.runs if run.notebook in wanted or run.id in wanted]


def override_runs(
    plan: Plan,
    runs: Iterable[RunSpec],
    params: Iterable[str] = (),
    data: Path | None = None,
    codebook: str | None = None,
) -> list[RunSpec]:
    """Apply ``--param key=value``, ``--data`` and ``--codebook`` to the selected runs.

    Each override goes to every run whose notebook defines the parameter; one that no
    selected notebook defines, a value of the wrong type, or a parameter that names runs
    (a ``grid`` key of their plan entry) is a ReportError.
    """
    runs = list(runs)
    raw: dict[str, str] = {}
    options: dict[str, str] = {}
    for item in params:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ReportError(f"--param {item!r}: expected key=value, e.g. --param min_n=50")
        raw[key.strip()] = value
        options[key.strip()] = "--param"
    if data is not None:
        raw["data_path"], options["data_path"] = str(data), "--data"
    if codebook is not None:
        raw["codebook"], options["codebook"] = codebook, "--codebook"
    for key in raw:
        if not any(key in plan.parameters[run.notebook] for run in runs):
            raise ReportError(f"{options[key]} {raw[key]!r}: no selected notebook defines parameter {key!r}")
    result = []
    for run in runs:
        types = plan.types(run.notebook)
        parameters = dict(run.parameters)
        for key, text in raw.items():
            if key not in types:
                continue
            if key in run.grid:
                raise ReportError(
                    f"{options[key]} {key}={snippet(text)}: {key!r} names the runs of notebook {run.notebook!r} "
                    f"(a grid parameter of the plan); select one with --only {run.notebook}/RUN instead"
                )
            value = text if options[key] != "--param" else parse_cli_value(text, types[key])
            check_value(plan.path, run.notebook, key, value, types)
            parameters[key] = value
        result.append(replace(run, parameters=parameters))
    return result
