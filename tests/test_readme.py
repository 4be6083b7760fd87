"""The README's "Doing your own analysis" example runs as written and gives the tables it promises."""

from __future__ import annotations

import re
import warnings

from cbss_analysis import paths


def _section_code(title: str) -> str:
    text = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)


def test_doing_your_own_analysis_runs_as_written() -> None:
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(_section_code("Doing your own analysis"), "README.md", "exec"), namespace)
    assert set(namespace["tests"]["statistic"]) == {"F"} and len(namespace["tests"]) == 11
    assert namespace["girls"].subset_mask.sum() < len(namespace["survey"].data)
    assert namespace["median_age"]["quantile"].eq(0.5).all()
    assert {"img_received", "met_offline", "count", "row_proportion"} <= set(namespace["cells"].columns)


def test_trends_across_cycles_run_as_written() -> None:
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(_section_code("Trends across HBSC cycles"), "README.md", "exec"), namespace)
    cycles = list(namespace["cycles"].data["cycle"].astype(str).unique())
    assert cycles == ["2001/02", "2005/06", "2009/10", "2013/14", "2017/18"]
    changes = namespace["changes"]
    assert {"consecutive", "first_last", "linear"} <= set(changes["comparison"])
    assert "IS" not in set(changes.loc[changes["from"] == "2001/02", "state"]), "Iceland has no 2001/02 cases"
