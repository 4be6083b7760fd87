"""Errors that help: one line with the closest names and where to list them, no machine path, no traceback in IPython."""

from __future__ import annotations

import re

import pytest

from cbss_analysis import estimate, models, scales
from cbss_analysis.errors import DEBUG_ENV, CbssError, CodebookError, EstimationError

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize(
    ("call", "closest", "listed"),
    [
        (lambda s: estimate.proportion(s, "cyberbulied"), "cyberbullied", "survey.indicator_ids"),
        (lambda s: estimate.mean(s, "smd_meen"), "smd_mean", "survey.indicator_ids"),
        (lambda s: s.indicator("ever_had_sx"), "ever_had_sex", "survey.indicator_ids"),
        (lambda s: s.codes("agecatt"), "agecat", "survey.data.columns"),
        (lambda s: estimate.proportion(s, "cyberbullied", by=["state", "sexx"]), "sex", "survey.data.columns"),
        (lambda s: models.logistic(s, "cyberbullied ~ C(sexx)"), "sex", "survey.data.columns"),
        (lambda s: scales.alpha(s, ["smd1", "smd2"], by="stat"), "state", "survey.data.columns"),
        (lambda s: scales.alpha(s, ["smd1", "smdd2"]), "smd2", "survey.data.columns"),
        (lambda s: s.codebook.variable("cbeenbulled"), "cbeenbullied", "codebook.variables"),
        (lambda s: s.codebook.indicator("bullied_oftn"), "bullied_often", "codebook.indicators"),
    ],
)
def test_unknown_names_suggest_the_closest_and_where_to_list_them(small_survey, call, closest, listed):
    with pytest.raises(CbssError) as info:
        call(small_survey)
    message = str(info.value)
    assert f"did you mean {closest!r}?" in message
    assert listed in message
    assert "\n" not in message
    assert str(small_survey.source.parent) not in message and "/" not in message.split(":")[0]


def test_messages_name_the_file_not_its_folder(small_survey):
    with pytest.raises(EstimationError) as info:
        small_survey.values("nothing_like_it")
    message = str(info.value)
    assert message.startswith("valid.csv: no variable or indicator 'nothing_like_it'")
    assert "did you mean" not in message
    with pytest.raises(CodebookError, match=r"^mini_codebook\.yaml: unknown variable"):
        small_survey.codebook.variable("zzz")


def test_package_errors_render_as_one_line_in_ipython(monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    error = EstimationError("proportion: no variable 'x'\n in the survey")
    assert error._render_traceback_() == ["EstimationError: proportion: no variable 'x' in the survey"]
    monkeypatch.setenv(DEBUG_ENV, "1")
    assert not hasattr(error, "_render_traceback_")
    monkeypatch.setenv(DEBUG_ENV, "0")
    assert hasattr(error, "_render_traceback_")


def test_a_real_ipython_shell_shows_one_line_without_setup(small_survey, capsys, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.delenv(DEBUG_ENV, raising=False)
    shell = InteractiveShell.instance()
    try:
        shell.user_ns["survey"] = small_survey
        shell.run_cell("import cbss_analysis as cbss\ncbss.estimate.proportion(survey, 'cyberbulied')")
        shown = ANSI.sub("", capsys.readouterr().out).strip().splitlines()
        assert shown == ["EstimationError: valid.csv: no variable or indicator 'cyberbulied' in the survey; did you mean "
                         "'cyberbullied'? (list them with survey.indicator_ids or survey.data.columns)"]
        monkeypatch.setenv(DEBUG_ENV, "1")
        shell.run_cell("cbss.estimate.proportion(survey, 'cyberbulied')")
        assert "Traceback" in ANSI.sub("", capsys.readouterr().out)
        shell.run_cell("{}['no such key']")  # other errors keep their traceback
        assert "KeyError" in ANSI.sub("", capsys.readouterr().out)
    finally:
        InteractiveShell.clear_instance()
