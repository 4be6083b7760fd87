"""The explorer's logic without a browser: options, choices, the program, its code, and that the code gives the view."""

from __future__ import annotations

import ast
import dataclasses
import io
import time
from contextlib import redirect_stdout

import pandas as pd
import pytest

from cbss_analysis import paths
from cbss_analysis._engine.intervals import PROPORTION_METHODS
from cbss_analysis.errors import EstimationError
from cbss_analysis.explorer import INTERVALS, MAX_FIGURES, Choices, checked, compute, default_choices, options_for
from cbss_analysis.explorer.code import Cache, Call, Item, Program, Ref, literal, run, source
from cbss_analysis.survey import Survey


def _run_code(code: str, given: dict | None = None) -> dict:
    """Execute generated code as a notebook cell would; ``display`` collects what it shows."""
    shown: list = []
    namespace = dict(given or {})
    compiled = compile(code, "<explorer cell>", "exec")
    import IPython.display

    original = IPython.display.display
    IPython.display.display = shown.append
    try:
        with redirect_stdout(io.StringIO()):
            exec(compiled, namespace)
    finally:
        IPython.display.display = original
    namespace["_shown"] = shown
    return namespace


def test_options_of_the_embedded_survey(embedded):
    options = options_for(embedded)
    assert list(options.breakdowns) == ["state", "sex", "agecat"]
    assert options.breakdowns == {"state": "State", "sex": "Sex", "agecat": "Age group"}
    assert len(options.states) == 11 and options.states["EE"] == "Estonia"
    assert sorted(options.indicators) == sorted(embedded.indicator_ids)
    assert options.kinds["family_support"] == "mean" and options.kinds["psmu"] == "proportion"
    assert options.theme_of("told_adult") == "Child-friendly justice"
    assert default_choices(options) == Choices(indicators=(options.indicators[0],), by="state")


def test_interval_methods_are_those_of_the_estimator():
    assert tuple(INTERVALS) == PROPORTION_METHODS


def test_checked_makes_choices_canonical(small_survey):
    options = options_for(small_survey)
    assert checked(Choices(("cyberbullied", "cyberbullied"), by=None, split="sex"), options) == Choices(("cyberbullied",), by="sex")
    assert checked(Choices(("cyberbullied",), by="sex", split="sex"), options).split is None
    assert checked(Choices(("cyberbullied",), states=("ee",)), options).states == ("EE",)
    assert checked(Choices(("cyberbullied",), states=("EE", "FI")), options).states is None  # all of them
    assert checked(Choices(("cyberbullied",), by="sex", states=("EE",)), options).states is None  # no state breakdown


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"indicators": ("cyberbulied",)}, "indicators 'cyberbulied' is not available; did you mean 'cyberbullied'? (list them with survey.indicator_ids)"),
        ({"indicators": ()}, "chooses no indicator"),
        ({"by": "sexx"}, "by 'sexx' is not available; did you mean 'sex'? (this survey offers: state, sex, agecat)"),
        ({"states": ("XX",)}, "states 'XX' is not available (states of this survey: FI, EE)"),
        ({"ci": "logt"}, "ci='logt' is not one of logit, beta, wilson, wald; did you mean 'logit'?"),
        ({"min_n": 5}, "below the floor of 10"),
    ],
)
def test_unknown_choices_are_one_line_with_the_closest(small_survey, changes, message):
    with pytest.raises(EstimationError) as info:
        checked(dataclasses.replace(Choices(("cyberbullied",)), **changes), options_for(small_survey))
    assert message in str(info.value)


def test_code_literals_are_python_literals():
    assert literal("a") == '"a"' and literal('say "x"') == "'say \"x\"'" and literal("it's") == '"it\'s"'
    assert literal(["a", 1, None, 0.5, True]) == '["a", 1, None, 0.5, True]'
    assert literal(Item(Ref("labels"), "x")) == 'labels["x"]'
    for text in ("line\nbreak", "\u2028", "quote' and \"", "\\", "\x00"):
        assert ast.literal_eval(literal(text)) == text
    with pytest.raises(TypeError):
        literal(object())
    call = Call("estimate.proportion", (Ref("survey"), ["x" * 30, "y" * 30]), (("by", "state"),), target="table")
    assert source(call).splitlines()[1].startswith("    survey, [")
    longer = Call("estimate.proportion", (Ref("survey"), ["x" * 50, "y" * 50]), (("by", "state"),), target="table")
    assert source(longer).splitlines()[1:3] == ["    survey,", f'    ["{"x" * 50}", "{"y" * 50}"],']


def test_program_runs_what_it_writes_with_a_cache():
    program = Program(("c",), (Call("cbss.states.state_codes", target="codes"),
                               Call("cbss.states.state_names", target="names", display=True)))
    assert program.code().splitlines()[:4] == ["# c", "from IPython.display import display", "", "import cbss_analysis as cbss"]
    cache = Cache(size=4)
    first = run(program, {}, cache)
    assert first.namespace["codes"][0] == "DK" and first.displayed == [first.namespace["names"]]
    assert run(program, {}, cache).namespace["names"] is first.namespace["names"]
    assert cache.hits == 2 and cache.misses == 2


def test_the_code_is_valid_python_without_machine_paths_or_codebook_text(small_survey):
    view = compute(small_survey, Choices(("cyberbullied", "smd_mean"), by="state", split="agecat", states=("EE",)))
    tree = ast.parse(view.code)
    assert view.code.startswith("# Made by cbss.explore")
    assert '`survey` is the Survey given to cbss.explore (file "valid.csv", codebook "mini").' in view.code
    assert "load_survey" not in view.code and str(paths.PROJECT_ROOT) not in view.code
    assert "Cyberbullied at least once" not in view.code  # labels come from the codebook at run time
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert names <= {"display", "cbss", "estimate", "plots", "survey", "labels", "proportions", "means"}
    assert list(view.tables) == ["proportions", "means"]


def test_generated_code_gives_the_explorer_table_and_figure(small_survey):
    for choices in (Choices(("cyberbullied",)), Choices(("cyberbullied", "smd_mean"), by="sex", split="agecat"),
                    Choices(("ever_had_sex",), by="state", split="sex", states=("EE",), ci="wilson", min_n=10),
                    Choices(("smd_two",), by=None)):
        view = compute(small_survey, choices)
        namespace = _run_code(view.code, {"survey": small_survey})
        for name, table in view.tables.items():
            pd.testing.assert_frame_equal(namespace[name], table)
        figures = [v for v in namespace["_shown"] if hasattr(v, "_repr_png_")]
        assert [f._repr_png_() for f in figures] == [f._repr_png_() for f in view.figures]
        assert [d.frame.to_dict() for d in namespace["_shown"] if hasattr(d, "frame")] == [d.frame.to_dict() for d in view.displays]


def test_generated_code_loads_the_embedded_survey_itself(embedded):
    view = compute(embedded, Choices(("psmu",), by="state", split="sex", states=("EE", "LV", "LT")))
    assert "survey = cbss.load_survey()" in view.code and "`survey` is the Survey" not in view.code
    namespace = _run_code(view.code)  # a fresh namespace: the code loads the survey
    pd.testing.assert_frame_equal(namespace["table"], view.tables["table"])
    assert list(view.tables["table"]["state"].unique()) == ["EE", "LV", "LT"]
    assert namespace["_shown"][0]._repr_png_() == view.figures[0]._repr_png_()


def test_figures_are_limited_and_notes_say_so(embedded):
    options = options_for(embedded)
    many = options.indicators[: MAX_FIGURES + 2]
    view = compute(embedded, Choices(many, by="sex"), options=options)
    assert len(view.figures) == MAX_FIGURES
    assert set(pd.concat(view.tables.values())["variable"]) == set(many)
    assert any("first 4" in note for note in view.notes) and any("pool all states" in note for note in view.notes)


def test_a_weird_indicator_id_stays_a_string_in_the_code(small_survey):
    weird = 'x"); import os; os.system("echo hacked") #\n'
    codebook = small_survey.codebook
    indicators = dict(codebook.indicators)
    indicators[weird] = dataclasses.replace(indicators["cyberbullied"], id=weird)
    survey = Survey(small_survey.data, small_survey.design, dataclasses.replace(codebook, indicators=indicators))
    view = compute(survey, Choices((weird,)))
    constants = [n.value for n in ast.walk(ast.parse(view.code)) if isinstance(n, ast.Constant)]
    assert weird in constants
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in ast.walk(ast.parse(view.code)))


def test_a_change_redraws_in_well_under_a_second(embedded):
    options = options_for(embedded)
    cache = Cache()
    compute(embedded, Choices(("cyberbullied",)), options=options, cache=cache)
    times = []
    for change in (Choices(("psmu",)), Choices(("psmu",), split="sex"), Choices(("psmu",), by="agecat"),
                   Choices(("told_adult",), states=("EE", "LV"))):
        start = time.process_time()
        view = compute(embedded, change, options=options, cache=cache)
        view.figures[0]._repr_png_()
        times.append(time.process_time() - start)
    assert sorted(times)[len(times) // 2] < 0.8, times


def test_cycles_and_surveys_without_states(small_survey):
    frame = small_survey.data.assign(cycle=["2018" if i % 2 else "2022" for i in range(len(small_survey.data))])
    with_cycles = Survey(frame, small_survey.design, small_survey.codebook)
    options = options_for(with_cycles)
    assert list(options.breakdowns) == ["state", "sex", "agecat", "cycle"] and options.breakdowns["cycle"] == "Cycle"
    view = compute(with_cycles, Choices(("cyberbullied",), by="cycle", split="sex", min_n=10), options=options)
    assert view.tables["table"]["cycle"].astype(str).unique().tolist() == ["2018", "2022"]
    assert 'by="cycle"' in view.code and 'ylabel="Cycle"' in view.code
    namespace = _run_code(view.code, {"survey": with_cycles})
    pd.testing.assert_frame_equal(namespace["table"], view.tables["table"])

    codebook = dataclasses.replace(small_survey.codebook, state_variable=None)
    stateless = Survey(small_survey.data.drop(columns="state"), small_survey.design, codebook)
    options = options_for(stateless)
    assert "state" not in options.breakdowns and options.states == {}
    choices = default_choices(options)
    assert choices.by == "sex"
    view = compute(stateless, choices, options=options)
    assert len(view.figures) == 1 and "estimates_by_group" in view.code
