"""Notebook hygiene: refreshed notebooks carry the kernelspec the project kernel is installed under, named in one place."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout

import nbformat
import pytest

from cbss_analysis import paths
from cbss_analysis.reports import refresh


def test_normalise_writes_the_project_kernelspec():
    executed = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                                                 "language": "python"}, "papermill": {"x": 1}})
    executed.cells = [nbformat.v4.new_code_cell("1")]
    refresh.normalise(executed, executed)
    assert executed.metadata["kernelspec"] == {"display_name": "Python 3 (cbss-analysis)", "language": "python",
                                               "name": "python3"}
    assert "papermill" not in executed.metadata


def test_the_makefile_installs_the_kernel_under_that_one_name():
    out = io.StringIO()
    with redirect_stdout(out):
        assert refresh.main(["--kernel-display-name"]) == 0
    assert out.getvalue() == f"{refresh.KERNEL_DISPLAY_NAME}\n"
    makefile = (paths.PROJECT_ROOT / "Makefile").read_text()
    assert "--display-name \"$$($(BIN)/python -m cbss_analysis.reports.refresh --kernel-display-name)\"" in makefile
    assert refresh.KERNEL_DISPLAY_NAME not in makefile  # one home for the name: refresh.py
    assert re.search(r"^lab: .*\n\t\$\(BIN\)/jupyter lab --MultiKernelManager.default_kernel_name=python3 notebooks/", makefile, re.M)
    assert re.search(r"^browser-test: ", makefile, re.M)


def test_the_installed_project_kernel_has_that_name():
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:  # pragma: no cover - no kernel installed
        pytest.skip("no python3 kernel installed (make env installs it)")
    if spec.display_name != refresh.KERNEL_DISPLAY_NAME:
        pytest.skip(f"the python3 kernel here is not the project's ({spec.display_name!r}); make env installs it")
    assert spec.display_name == refresh.KERNELSPEC["display_name"]
