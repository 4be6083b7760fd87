"""Run keys: what a report depends on, hashed, so that unchanged runs are skipped.

A run's key is the sha256 of a canonical JSON document holding:

- the notebook's cell sources and tags (code and markdown; never outputs, counts or timings);
- the injected parameters and whether input code is shown in the HTML;
- the sha256 of the data file and of every codebook file (the codebook and its includes);
- the library: every ``cbss_analysis/**/*.py`` and the package data the notebooks read
  (``data/strategy``, ``data/published``);
- the environment: Python and the versions of the packages that compute or render reports.

File contents are hashed, never modification times, each file once per command
(:class:`Inputs` keeps the digests for the life of one command).
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from cbss_analysis import paths
from cbss_analysis.common.files import sha256_of, sha256_text
from cbss_analysis.errors import CbssError, ReportError
from cbss_analysis.reports.plan import RunSpec

KEY_PACKAGES: tuple[str, ...] = (
    "cbss-analysis", "numpy", "pandas", "scipy", "statsmodels", "formulaic", "pyreadstat", "pyarrow",
    "PyYAML", "matplotlib", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "jupyter_client",
)
KERNEL_NAME = "python3"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def environment() -> dict[str, Any]:
    """Python version and the versions of :data:`KEY_PACKAGES` (``"not installed"`` when absent)."""
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "packages": versions}


def library_files() -> list[Path]:
    """The library source and the package data the notebooks read, in a fixed order.

    The package data are the strategy, the published figures, the shipped codebooks and the embedded surveys (a
    notebook may read the embedded earlier cycles, or another cycle's codebook, without naming them).
    """
    files = sorted(p for p in paths.PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)
    for folder in (paths.strategy_dir(), paths.published_dir(), paths.codebook_dir(), paths.survey_dir()):
        if folder.is_dir():
            files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    return files


def library_hash() -> str:
    """sha256 over the relative path and contents of every :func:`library_files` file."""
    digest = hashlib.sha256()
    for path in library_files():
        try:
            name = path.relative_to(paths.PROJECT_ROOT).as_posix()
        except ValueError:
            name = path.as_posix()
        digest.update(name.encode() + b"\0" + sha256_of(path).encode() + b"\n")
    return digest.hexdigest()


def notebook_source_hash(path: Path) -> str:
    """sha256 over the cell types, sources and tags of a notebook (not its outputs)."""
    content = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        [c.get("cell_type"), "".join(c.get("source", "")), sorted(c.get("metadata", {}).get("tags", []))]
        for c in content.get("cells", [])
    ]
    return sha256_text(canonical_json(cells))


@dataclass
class Inputs:
    """Digests of the files that runs read, computed at most once per command."""

    _files: dict[Path, str] = field(default_factory=dict)
    _notebooks: dict[Path, str] = field(default_factory=dict)
    _codebooks: dict[tuple[str, Path], CodebookInfo] = field(default_factory=dict)
    _library: str | None = None
    _environment: dict[str, Any] | None = None

    def file(self, path: Path) -> str:
        """sha256 of ``path`` (cached)."""
        path = path.resolve()
        if path not in self._files:
            self._files[path] = sha256_of(path)
        return self._files[path]

    def notebook(self, path: Path) -> str:
        """:func:`notebook_source_hash` of ``path`` (cached)."""
        if path not in self._notebooks:
            self._notebooks[path] = notebook_source_hash(path)
        return self._notebooks[path]

    def codebook(self, run: RunSpec) -> CodebookInfo:
        """:func:`codebook_info` of a run (cached by codebook reference or data file, and notebook folder)."""
        key = (str(run.parameters.get("codebook") or f"default for {data_file(run)}"), run.path.parent)
        if key not in self._codebooks:
            self._codebooks[key] = codebook_info(run)
        return self._codebooks[key]

    @property
    def library(self) -> str:
        """:func:`library_hash` (cached)."""
        if self._library is None:
            self._library = library_hash()
        return self._library

    @property
    def environment(self) -> dict[str, Any]:
        """:func:`environment` (cached)."""
        if self._environment is None:
            self._environment = environment()
        return self._environment


def data_file(run: RunSpec) -> Path:
    """The survey file a run reads: its ``data_path`` (relative to the notebook's folder) or the embedded survey."""
    value = run.parameters.get("data_path")
    path = paths.embedded_survey() if value in (None, "") else (run.path.parent / str(value)).resolve()
    if not path.is_file():
        raise ReportError(f"run {run.id}: data file {path} not found; pass --data PATH to an existing survey file")
    return path


@dataclass(frozen=True)
class CodebookInfo:
    """What the header and the run key need from a codebook: its files, title and synthetic flag."""

    reference: str
    files: tuple[Path, ...]
    title: str
    synthetic: bool


def default_codebook(run: RunSpec) -> str:
    """The codebook a notebook picks when its ``codebook`` parameter is None (``survey.default_codebook_for``)."""
    data = data_file(run)
    if data == paths.embedded_survey().resolve():
        return paths.DEFAULT_CODEBOOK
    from cbss_analysis.survey import default_codebook_for

    return default_codebook_for(data)


def codebook_info(run: RunSpec) -> CodebookInfo:
    """The codebook a run uses (its ``codebook`` parameter or the one chosen from the data file).

    Loaded with :func:`cbss_analysis.survey.codebook.load_codebook`, as the notebook will load it: a
    path is taken relative to the notebook's folder (the kernel's working folder), and
    ``Codebook.files`` lists the YAML files read, includes too.
    """
    from cbss_analysis.survey.codebook import load_codebook

    reference = str(run.parameters.get("codebook") or default_codebook(run))
    target = reference
    if Path(reference).suffix in (".yaml", ".yml") or "/" in reference or "\\" in reference:
        target = str((run.path.parent / reference).resolve())
    try:
        codebook = load_codebook(target)
    except CbssError as exc:
        raise ReportError(f"run {run.id}: codebook {reference!r}: {exc}; pass --codebook NAME|PATH") from exc
    files = tuple(codebook.files) or ((codebook.path,) if codebook.path else ())
    return CodebookInfo(reference, files, codebook.title, codebook.synthetic)


def data_folders(run: RunSpec) -> list[Path]:
    """The folders of every survey file a run's parameters name (``data_path``, ``*_paths`` lists), from the
    parameters alone (a file need not exist): folders whose absolute path no output may show."""
    names = [run.parameters.get("data_path")]
    names += [item for name, value in run.parameters.items() if name.endswith("_paths") and isinstance(value, (list, tuple))
              for item in value]
    return [(run.path.parent / str(name)).resolve().parent for name in names if isinstance(name, str) and name]


def extra_data_files(run: RunSpec) -> list[Path]:
    """Further survey files a run names in a list parameter ending in ``_paths`` (``trend_paths``), relative to the
    notebook's folder."""
    files = []
    for name, value in run.parameters.items():
        if name.endswith("_paths") and isinstance(value, (list, tuple)):
            for item in value:
                path = (run.path.parent / str(item)).resolve()
                if not path.is_file():
                    raise ReportError(f"run {run.id}: {name} file {Path(str(item)).name} not found")
                files.append(path)
    return files


def run_inputs(run: RunSpec, inputs: Inputs) -> list[dict[str, Any]]:
    """The input files of a run with their sha256: the data file (and those of ``*_paths`` parameters), then the
    codebook files."""
    rows = [{"role": "data", "path": str(data), "sha256": inputs.file(data), "bytes": data.stat().st_size}
            for data in (data_file(run), *extra_data_files(run))]
    for path in inputs.codebook(run).files:
        rows.append({"role": "codebook", "path": str(path), "sha256": inputs.file(path), "bytes": path.stat().st_size})
    return rows


def run_key(run: RunSpec, inputs: Inputs, with_code: bool) -> str:
    """The sha256 run key described in the module docstring."""
    document = {
        "notebook": inputs.notebook(run.path),
        "parameters": run.parameters,
        "with_code": with_code,
        "kernel": KERNEL_NAME,
        "inputs": [(row["role"], row["sha256"]) for row in run_inputs(run, inputs)],
        "library": inputs.library,
        "environment": inputs.environment,
    }
    return sha256_text(canonical_json(document))
