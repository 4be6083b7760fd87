"""The marks in the figures of notebook 04 and of a state profile are exactly the Holm-significant cells, and no
notebook text states a rule that the code does not apply.

The notebooks' code cells are run here, in this process, with their default parameters (a state profile for
Latvia), and every figure they show is kept: its marked cells (artists with gid ``significant:<row>:<state>``)
are compared with Holm's adjustment computed independently (statsmodels ``multipletests``) over the p-values
of the differences the figure shows.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from matplotlib.figure import Figure

from cbss_analysis import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("0*.ipynb"))
RULE_WORDS = re.compile(
    r"Holm|Bonferroni|correct(ed|ion) for|adjusted|multiple comparisons|significan|excludes? (zero|0)|beyond sampling"
    r"|do(es)? not overlap|\d+ ?% (confidence|CI)|confidence interval|fewer than|suppress|outlined|bold|hollow",
    re.IGNORECASE,
)


def _run(notebook: str, **parameters) -> tuple[dict, list[Figure]]:
    nb = nbformat.read(paths.NOTEBOOKS_DIR / notebook, as_version=4)
    shown: list[Figure] = []
    namespace: dict = {"display": lambda *objects, **_: shown.extend(o for o in objects if isinstance(o, Figure))}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, notebook, "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), notebook, "eval"), namespace)
            if isinstance(value, Figure):
                shown.append(value)
    return namespace, shown


def _marks(figure: Figure) -> set[str]:
    return {a.get_gid() for a in figure.findobj(lambda a: (a.get_gid() or "").startswith("significant:"))}


def _holm_cells(differences, rows=None) -> set[str]:
    from statsmodels.stats.multitest import multipletests

    finite = differences[differences["p_value"].notna()]
    adjusted = multipletests(finite["p_value"].to_numpy(float), method="holm")[1]
    names = finite["variable"].astype(str) if rows is None else rows.loc[finite.index]
    return {f"significant:{v}:{s}" for v, s, p in zip(names, finite["state"].astype(str), adjusted) if p < 0.05}


@pytest.mark.slow
def test_online_risk_heatmap_marks_are_the_holm_significant_cells():
    namespace, figures = _run("04_online_risk.ipynb")
    (heatmap,) = [f for f in figures if "difference from" in f.get_suptitle()]
    expected = _holm_cells(namespace["shown"])
    assert _marks(heatmap) == expected and len(expected) == namespace["shown"]["significant"].sum() > 0
    assert namespace["shown"].attrs["significance"]["text"] in " ".join(heatmap.texts[-1].get_text().split())


@pytest.mark.slow
def test_state_profile_marks_are_the_holm_significant_cells():
    namespace, figures = _run("06_state_profile.ipynb", state="LV")
    (profile,) = [f for f in figures if f.get_suptitle() == "Latvia against the regional average"]
    expected = _holm_cells(namespace["profile"])
    assert _marks(profile) == expected and len(expected) > 0
    assert namespace["profile"]["state"].astype(str).unique().tolist() == ["LV"], "the family is this state's indicators"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_text_states_a_rule(notebook):
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = RULE_WORDS.search(cell.source)
            assert found is None, f"{notebook.name}: markdown states a rule ({found.group(0)!r}); let the code say it"
