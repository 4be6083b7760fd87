"""Re-execute the committed notebooks in place on the embedded data, deterministically.

``python -m cbss_analysis.reports.refresh [NOTEBOOK ...]`` (``make notebooks``) runs every
``notebooks/0*.ipynb`` (or the ones named) through papermill with its default parameters,
with the kernel named ``python3``, in the notebooks' folder, and with ``CBSS_DATA_DIR``
unset so that the package's own (embedded) data is read. Before writing, it removes what
changes from one execution to the next: papermill's metadata (times, durations, paths),
nbclient's per-cell execution timestamps, and the machine's kernel display name (replaced by
:data:`KERNEL_DISPLAY_NAME`, the name ``make env`` installs the project kernel under, so that saving
a notebook from JupyterLab changes nothing); cell ids are kept from the source notebook. A second refresh with nothing changed therefore gives
byte-identical files. The figures that the notebook records (``cbss_analysis.record``) are
stored in its ``metadata["cbss"]["records"]``. A notebook that fails is left as it was; the
command then exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cbss_analysis import paths
from cbss_analysis.common.files import atomic_write
from cbss_analysis.errors import CbssError, ReportError
from cbss_analysis.reports.cache import KERNEL_NAME
from cbss_analysis.reports.plan import RunSpec

KERNEL_DISPLAY_NAME = "Python 3 (cbss-analysis)"
"""The display name of the project kernel: ``make env`` installs the kernel under it (it asks
``python -m cbss_analysis.reports.refresh --kernel-display-name``), and committed notebooks carry it."""
KERNELSPEC = {"display_name": KERNEL_DISPLAY_NAME, "language": "python", "name": KERNEL_NAME}
"""The kernelspec every refreshed notebook carries: the kernel JupyterLab opens it with, as installed."""
_VOLATILE_CELL_KEYS = ("papermill", "execution")


def notebooks(names: list[str] | None = None) -> list[Path]:
    """The notebooks to refresh: ``notebooks/0*.ipynb``, or those named (stem or file name)."""
    if not names:
        return sorted(paths.NOTEBOOKS_DIR.glob("0*.ipynb"))
    found = []
    for name in names:
        path = paths.NOTEBOOKS_DIR / (name if name.endswith(".ipynb") else f"{name}.ipynb")
        if not path.is_file():
            raise ReportError(f"{path}: no such notebook; available: "
                            f"{', '.join(p.stem for p in sorted(paths.NOTEBOOKS_DIR.glob('0*.ipynb')))}")
        found.append(path)
    return found


def normalise(executed, source) -> None:
    """Strip run-to-run noise from ``executed`` in place, taking cell ids from ``source``.

    Removes ``metadata.papermill`` of the notebook and of every cell, each cell's
    ``metadata.execution`` timestamps, and sets ``metadata.kernelspec`` to :data:`KERNELSPEC` (the
    ``python3`` kernel with the display name the project kernel is installed under). Consecutive outputs of one
    stream are joined into one (how a kernel splits stderr into messages depends on timing), as nbval compares them.
    """
    from cbss_analysis.reports.execute import coalesced_streams

    executed.metadata.pop("papermill", None)
    executed.metadata["kernelspec"] = dict(KERNELSPEC)
    source_ids = [cell.get("id") for cell in source.cells]
    for index, cell in enumerate(executed.cells):
        for key in _VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.get("outputs"):
            cell["outputs"] = coalesced_streams(cell["outputs"])  # as every report run (reports.execute)
        if len(executed.cells) == len(source.cells) and source_ids[index]:
            cell["id"] = source_ids[index]
        elif "id" in cell:
            cell["id"] = f"cell-{index}"


def refresh(path: Path) -> None:
    """Execute ``path`` with its defaults and overwrite it with the normalised result.

    Raises
    ------
    papermill.exceptions.PapermillExecutionError
        When a cell fails (``path`` is left unchanged).
    """
    import nbformat

    from cbss_analysis.records import store_records_in_metadata
    from cbss_analysis.reports.execute import execute_notebook

    source = nbformat.read(path, as_version=4)
    executed = execute_notebook(RunSpec(path.stem, "refresh", path, {}), None, None, {"CBSS_SURVEY_CACHE": "off"})
    normalise(executed, source)
    store_records_in_metadata(executed)
    text = nbformat.writes(executed)
    atomic_write(path, text if text.endswith("\n") else text + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command line: refresh the named notebooks (default all); exit 1 if any failed."""
    parser = argparse.ArgumentParser(prog="python -m cbss_analysis.reports.refresh", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="notebook name, e.g. 03_attitudes (default: all)")
    parser.add_argument("--kernel-display-name", action="store_true",
                        help="print the display name of the project kernel (for 'make env') and exit")
    args = parser.parse_args(argv)
    if args.kernel_display_name:
        print(KERNEL_DISPLAY_NAME)
        return 0
    os.environ.pop("CBSS_DATA_DIR", None)
    try:
        targets = notebooks(args.notebooks)
    except CbssError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in targets:
        try:
            refresh(path)
        except Exception as exc:
            failed += 1
            from cbss_analysis.reports.execute import error_text

            print(f"failed: {path.name}: {error_text(exc, None)}", file=sys.stderr)
        else:
            print(f"refreshed: {path.relative_to(paths.PROJECT_ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
