"""The set-up promises: one dependency list in two files, a light import, a self-documenting Makefile."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from cbss_analysis import paths


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_dependencies():
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = {_name(r) for r in project["dependencies"] + extras["test"] + extras["lab"]}
    conda = yaml.safe_load((paths.PROJECT_ROOT / "environment.yml").read_text())["dependencies"]
    listed = {_name(d) for d in conda if isinstance(d, str)} - {"python", "pip"}
    assert listed == declared
    pip_section = next(d["pip"] for d in conda if isinstance(d, dict))
    assert "-e ." in pip_section


def test_import_is_light():
    code = "import sys, cbss_analysis; heavy = {'pandas', 'matplotlib', 'pyreadstat', 'papermill', 'statsmodels'}; print(sorted(heavy & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_makefile_targets_are_documented():
    out = subprocess.run(["make", "-s", "help"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("reports", "test", "notebooks", "lab", "bench"):
        assert f"make {target} " in out


def test_readme_opens_with_the_two_commands():
    first_screen = (paths.PROJECT_ROOT / "README.md").read_text().splitlines()[:10]
    text = "\n".join(first_screen)
    assert "make reports" in text and "make test" in text
