"""A corpus of hostile or broken inputs: each gets its own one-line error, runs no code, touches nothing outside.

Data files, codebooks and arguments come from other people. Every case below builds one input in a
temporary folder and asserts the error class and a fragment of its message; for every case, the
message is one short line without control characters and without the secret that sits in a file
*outside* the working folder, no sentinel file appears (the inputs that could conceivably run
something try to create it), and the files outside the working folder, the shipped codebooks and the
test fixtures stay byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from cbss_analysis import Survey, estimate, models, overview, scales
from cbss_analysis.errors import CodebookError, DataError, DesignError, EstimationError
from cbss_analysis.survey import design_from_codebook, load_survey
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.validation import validate_file

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
MINI = TESTS / "fixtures" / "mini_codebook.yaml"
VALID = TESTS / "bad_inputs" / "valid.csv"
SECRET = "TOPSECRET-7f3a"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
WATCHED = [ROOT / "data" / "codebooks", ROOT / "data" / "strategy", ROOT / "data" / "published", TESTS / "fixtures",
           TESTS / "bad_inputs"]


@dataclass
class Sandbox:
    """The working folder of one case, a folder outside it with secrets, and the sentinel path."""

    work: Path
    outside: Path

    @property
    def sentinel(self) -> Path:
        return self.work / "SENTINEL"

    def write(self, name: str, text: str) -> Path:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


def _digest(paths: list[Path]) -> dict[str, str]:
    found = {}
    for top in paths:
        for path in sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]:
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture()
def sandbox(tmp_path: Path) -> Sandbox:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"codebook: {SECRET}\ntitle: {SECRET}\nvariables: [{{name: {SECRET}, label: x, type: id}}]\n")
    (outside / "secret.txt").write_text(f"{SECRET}: {SECRET}\n")
    (work / "notes.txt").write_text(f"{SECRET}: {SECRET}\n")
    return Sandbox(work, outside)


# ---------------------------------------------------------------- builders

def _mini() -> dict:
    return yaml.safe_load(MINI.read_text())


def _codebook_text(change: Callable[[dict], None]) -> str:
    raw = _mini()
    change(raw)
    return yaml.safe_dump(raw, sort_keys=False)


def _frame() -> pd.DataFrame:
    return pd.read_csv(VALID)


def _survey(frame: pd.DataFrame | None = None) -> Survey:
    codebook = load_codebook(MINI)
    return Survey(_frame() if frame is None else frame, design_from_codebook(codebook), codebook)


def _including(sb: Sandbox, entry: str) -> Callable[[], object]:
    path = sb.write("book.yaml", f"codebook: book\ninclude: [{yaml.safe_dump(entry, default_style=chr(34)).strip()}]\n")
    return lambda: load_codebook(path)


def _load(sb: Sandbox, frame: pd.DataFrame, name: str = "data.csv", codebook: Path = MINI) -> Callable[[], object]:
    path = sb.work / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return lambda: load_survey(path, codebook)


def _with(column: str, values) -> pd.DataFrame:
    frame = _frame()
    frame[column] = values
    return frame


def _symlink(sb: Sandbox, name: str, target: Path) -> None:
    (sb.work / name).symlink_to(target)


def _deep(levels: int) -> str:
    return "codebook: deep\ntitle: " + "[" * levels + "]" * levels + "\n"


def _bomb() -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 8):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)},"
                     f"*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)}]")
    return "\n".join(lines) + "\n"


def _many_values(count: int) -> Callable[[dict], None]:
    def change(raw: dict) -> None:
        raw["variables"][4]["values"] = {i: f"level {i}" for i in range(1, count + 1)}
    return change


def _duplicate_parquet(sb: Sandbox) -> Callable[[], object]:
    frame = _frame()
    arrays = [pa.array(frame[c]) for c in frame.columns] + [pa.array(frame["sex"])]
    path = sb.work / "dup.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=[*frame.columns, "sex"]), path)
    return lambda: load_survey(path, MINI)


def _big_categorical() -> pd.DataFrame:
    frame = _frame()
    labels = [f"level {i}" for i in range(5000)]
    frame["sex"] = pd.Categorical([labels[i % 5000] for i in range(len(frame))], categories=labels)
    return frame


def _replicated(times: int) -> pd.DataFrame:
    frame = _frame()
    return pd.concat([frame] * times, ignore_index=True)


def _plain_survey(frame: pd.DataFrame) -> Survey:
    from cbss_analysis.survey import Design

    return Survey(frame, Design(weight="weight"))


def _compare_empty() -> object:
    table = estimate.mean(_survey(), "age", by="state")
    return estimate.compare(table.iloc[:0])


# ---------------------------------------------------------------- the corpus (each: build(sandbox) -> action)

CASES = [
    # codebook includes: no file outside the codebook's folder tree or the shipped codebooks
    ("include_absolute", lambda sb: _including(sb, str(sb.outside / "secret.yaml")), CodebookError, "absolute paths are not allowed"),
    ("include_etc_passwd", lambda sb: _including(sb, "/etc/passwd"), CodebookError, "absolute paths are not allowed"),
    ("include_home", lambda sb: _including(sb, "~/.ssh/id_rsa.yaml"), CodebookError, "absolute paths are not allowed"),
    ("include_dotdot", lambda sb: _including(sb, "../outside/secret.yaml"), CodebookError, "'..' is not allowed"),
    ("include_dotdot_inside", lambda sb: _including(sb, "sub/../../outside/secret.yaml"), CodebookError, "'..' is not allowed"),
    ("include_symlink_file", lambda sb: (_symlink(sb, "link.yaml", sb.outside / "secret.yaml"), _including(sb, "link.yaml"))[1],
     CodebookError, "leads outside the codebook's folder"),
    ("include_symlink_folder", lambda sb: (_symlink(sb, "linked", sb.outside), _including(sb, "linked/secret.yaml"))[1],
     CodebookError, "leads outside the codebook's folder"),
    ("include_symlink_to_text", lambda sb: (_symlink(sb, "notes.yaml", sb.work / "notes.txt"), _including(sb, "notes.yaml"))[1],
     CodebookError, "is not a .yaml file once links are resolved"),
    ("include_not_yaml", lambda sb: _including(sb, "notes.txt"), CodebookError, "only .yaml files may be included"),
    ("include_shipped_name_with_shell", lambda sb: _including(sb, "hbsc2018_oa;rm"), CodebookError, "not a codebook name"),
    ("include_control_characters", lambda sb: _including(sb, "a\x1b[2J.yaml"), CodebookError, "not a plain file name"),
    ("include_missing", lambda sb: _including(sb, "nothere.yaml"), CodebookError, "codebook file not found"),
    # YAML: plain data only, bounded
    ("yaml_python_tag", lambda sb: (lambda p: lambda: load_codebook(p))(
        sb.write("tag.yaml", f"codebook: x\nvariables: !!python/object/apply:os.system ['touch {sb.sentinel}']\n")),
     CodebookError, "explicit tag"),
    ("yaml_custom_tag", lambda sb: (lambda p: lambda: load_codebook(p))(sb.write("t.yaml", "codebook: !include secret.yaml\n")),
     CodebookError, "explicit tag"),
    ("yaml_alias_bomb", lambda sb: (lambda p: lambda: load_codebook(p))(sb.write("bomb.yaml", _bomb())),
     CodebookError, "alias bomb"),
    ("yaml_too_deep", lambda sb: (lambda p: lambda: load_codebook(p))(sb.write("deep.yaml", _deep(60))),
     CodebookError, "nested deeper than 40 levels"),
    ("yaml_oversized", lambda sb: (lambda p: lambda: load_codebook(p))(sb.write("big.yaml", "codebook: big\n# " + "x" * 4_100_000 + "\n")),
     CodebookError, "a codebook of at most 4,000,000 bytes"),
    ("yaml_duplicate_key", lambda sb: (lambda p: lambda: load_codebook(p))(sb.write("dup.yaml", "codebook: a\ncodebook: b\n")),
     CodebookError, "duplicate key 'codebook'"),
    ("yaml_merge_key", lambda sb: (lambda p: lambda: load_codebook(p))(sb.write("merge.yaml", "a: &a {x: 1}\nb: {<<: *a}\n")),
     CodebookError, "merge keys"),
    # codebook values
    ("range_nan", lambda sb: (lambda p: lambda: load_codebook(p))(
        sb.write("nan.yaml", _codebook_text(lambda r: r["variables"][6].update(range=[float("nan"), 17])))),
     CodebookError, "'range' must be [min, max] finite numbers"),
    ("range_inf", lambda sb: (lambda p: lambda: load_codebook(p))(
        sb.write("inf.yaml", _codebook_text(lambda r: r["variables"][6].update(range=[10, float("inf")])))),
     CodebookError, "'range' must be [min, max] finite numbers"),
    ("codebook_5000_levels", lambda sb: (lambda p: lambda: load_codebook(p))(sb.write("levels.yaml", _codebook_text(_many_values(5000)))),
     CodebookError, "5,000 value labels; a variable may have at most 1,000"),
    ("codebook_huge_value_in_message", lambda sb: (lambda p: lambda: load_codebook(p))(
        sb.write("long.yaml", _codebook_text(lambda r: r["variables"][4].update(values={1: "Boy", 2: ["x" * 10_000]})))),
     CodebookError, "label of code 2 must be a string"),
    ("codebook_ansi_key", lambda sb: (lambda p: lambda: load_codebook(p))(
        sb.write("ansi.yaml", _codebook_text(lambda r: r["variables"][4].update({"\x1b[31mcolour\x1b[0m": "red"})))),
     CodebookError, "unknown key 'colour' in variable"),
    # survey files
    ("weights_overflow", lambda sb: _load(sb, _with("weight", 1e300)), DesignError, "weight 'weight' is too large"),
    ("weights_squares_overflow", lambda sb: _load(sb, _with("weight", 1e160)), DesignError, "overflows to infinity"),
    ("duplicate_columns_csv", lambda sb: (lambda p: lambda: load_survey(p, MINI))(
        sb.write("dup.csv", VALID.read_text().replace("smd3", "smd2", 1))), DataError, "duplicate column name(s) 'smd2'"),
    ("duplicate_columns_parquet", _duplicate_parquet, DataError, "duplicate column name(s) 'sex'"),
    ("no_member_state_rows", lambda sb: _load(sb, _with("countryno", 840000)), DataError, "no rows of a CBSS member state"),
    ("state_variable_not_numeric", lambda sb: _load(sb, _with("countryno", "Narnia")), DataError, "no rows of a CBSS member state"),
    ("parquet_categorical_unknown_label", lambda sb: _load(sb, _with("sex", pd.Categorical(_frame()["sex"].map({1: "Boy", 2: "Gurl"}))),
                                                          "cat.parquet"), DataError, "value(s) not in the codebook: 'Gurl'"),
    ("parquet_categorical_unknown_code", lambda sb: _load(sb, _with("sex", pd.Categorical(_frame()["sex"].replace({2: 7}))),
                                                         "code.parquet"), DataError, "code(s) not in the codebook: 7"),
    ("parquet_categorical_5000_levels", lambda sb: _load(sb, _big_categorical(), "levels.parquet"), DataError,
     "5,000 categories in the file; at most 1,000"),
    ("parquet_boolean_weight", lambda sb: _load(sb, _with("weight", _frame()["weight"] > 1), "bool.parquet"), DataError,
     "weight 'weight' holds true/false values"),
    ("csv_boolean_weight", lambda sb: _load(sb, _with("weight", ["True", "False"] * 120)), DataError, "holds true/false values"),
    ("parquet_boolean_labelled", lambda sb: _load(sb, _with("sex", _frame()["sex"] == 1), "sexbool.parquet"), DataError,
     "variable 'sex' has code(s) not in the codebook: 0"),
    ("data_value_with_escapes", lambda sb: _load(sb, _with("cbeenbullied", ["\x1b[31m" + "A" * 5000] * 240)), DataError,
     "holds non-numeric value 'AAAA"),
    ("data_infinite_in_range", lambda sb: _load(sb, _with("age", [np.inf] + [15] * 239)), DataError, "variable 'age' is infinite in 1 row(s)"),
    # the Python API
    ("estimate_empty_survey", lambda sb: lambda: estimate.mean(_survey(_frame().iloc[:0]), "age"), EstimationError,
     "mean: the survey has no respondents"),
    ("estimate_all_missing", lambda sb: lambda: estimate.proportion(_survey(_with("cbeenbullied", 99)), "cyberbullied"), EstimationError,
     "variable 'cyberbullied' has no valid value"),
    ("estimate_infinite_values", lambda sb: lambda: estimate.mean(_plain_survey(_with("age", [np.inf] + [1.0] * 239)), "age"),
     EstimationError, "'age' is infinite in 1 row(s)"),
    ("estimate_sums_overflow", lambda sb: lambda: estimate.mean(_plain_survey(_with("age", 1e300)), "age"), EstimationError,
     "its weighted sums overflow"),
    ("estimate_5000_categories", lambda sb: lambda: estimate.proportion(_plain_survey(_big_categorical()), "sex"), EstimationError,
     "'sex' has 5,000 categories; at most 1,000"),
    ("estimate_by_5000_values", lambda sb: lambda: estimate.mean(
        _plain_survey(_replicated(25).assign(case=lambda f: np.arange(len(f)) % 5000)), "age", by="case"),
     EstimationError, "'case' has 5,000 distinct values"),
    ("estimate_by_all_missing", lambda sb: lambda: estimate.mean(_survey(_with("nothing", np.nan)), "age", by="nothing"),
     EstimationError, "by: 'nothing' is missing for every respondent"),
    ("model_by_all_missing", lambda sb: lambda: models.linear(_survey(_with("nothing", np.nan)), "age ~ C(sex)", by="nothing"),
     EstimationError, "by: 'nothing' is missing for every respondent"),
    ("compare_empty_table", lambda sb: _compare_empty, EstimationError, "compare: the table has no rows"),
    ("model_empty_survey", lambda sb: lambda: models.linear(_survey(_frame().iloc[:0]), "age ~ C(sex)"), EstimationError,
     "linear: the survey has no respondents"),
    ("model_by_5000_values", lambda sb: lambda: models.linear(
        _plain_survey(_replicated(25).assign(case=lambda f: np.arange(len(f)) % 5000)), "age ~ sex", by="case"),
     EstimationError, "'case' has 5,000 distinct values"),
    ("model_term_5000_levels", lambda sb: lambda: models.linear(
        _plain_survey(_replicated(25).assign(group=lambda f: [f"g{i % 5000}" for i in range(len(f))])), "age ~ C(group)"),
     EstimationError, "'group' has 5,000 categories"),
    ("formula_np_save", lambda sb: lambda: models.linear(_survey(), f"age ~ np.save('{sb.sentinel}', 1)"), EstimationError,
     "is not allowed"),
    ("formula_np_load", lambda sb: lambda: models.linear(_survey(), f"age ~ np.load('{sb.outside / 'secret.txt'}')"), EstimationError,
     "is not allowed"),
    ("formula_import", lambda sb: lambda: models.linear(_survey(), f"age ~ __import__('os').system('touch {sb.sentinel}')"),
     EstimationError, "cannot be parsed"),
    ("formula_dunder", lambda sb: lambda: models.linear(_survey(), "age ~ np.log.__call__(age)"), EstimationError, "is not allowed"),
    ("scale_all_missing_item", lambda sb: lambda: scales.alpha(_survey(_with("smd1", 99)), ["smd1", "smd2"]), EstimationError,
     "scale item 'smd1' has no valid value"),
    ("scale_empty_survey", lambda sb: lambda: scales.score(_survey(_frame().iloc[:0]), ["smd1", "smd2"]), EstimationError,
     "the survey has no respondents"),
    ("overview_empty_survey", lambda sb: lambda: overview.sample_sizes(_survey(_frame().iloc[:0])), EstimationError,
     "sample_sizes: the survey has no respondents"),
    ("overview_unknown_by", lambda sb: lambda: overview.weight_summary(_survey(), by="\x1b[2Jnope"), EstimationError,
     "by='nope' is not a column"),
    ("overview_by_5000_values", lambda sb: lambda: overview.design_summary(
        _survey(_replicated(25).assign(case=lambda f: np.arange(len(f)) % 5000)), by="case"),
     EstimationError, "'case' has 5,000 distinct values"),
]


@pytest.fixture(scope="module")
def watched() -> dict[str, str]:
    before = _digest(WATCHED)
    yield before
    assert _digest(WATCHED) == before, "a shipped or fixture file changed"


@pytest.mark.parametrize(("build", "error", "fragment"), [pytest.param(b, e, f, id=i) for i, b, e, f in CASES])
def test_hostile_input_gets_its_specific_error(sandbox: Sandbox, watched, build, error, fragment) -> None:
    outside_before = _digest([sandbox.outside])
    action = build(sandbox)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            action()
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message and not CONTROL.search(message), "one line, no control characters"
    assert len(message) < 600, "a message quotes at most a snippet of a value"
    assert SECRET not in message, "no content of a file outside the codebook's folder"
    assert not sandbox.sentinel.exists(), "nothing was executed"
    assert _digest([sandbox.outside]) == outside_before


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 35
    assert len({case[0] for case in CASES}) == len(CASES)


VALIDATE_CASES = [
    ("no_member_state", lambda f: f.assign(countryno=840000), "data.csv", "no_member_state",
     "no row of 'countryno' is a CBSS member state (values such as 840000"),
    ("duplicate_columns", None, "dup.csv", "unreadable", "duplicate column name(s) 'smd2'"),
    ("categorical_unknown", lambda f: f.assign(sex=pd.Categorical(f["sex"].map({1: "Boy", 2: "\x1b[5mGurl"}))), "c.parquet",
     "unknown_code", "value(s) not in the codebook: 'Gurl' (132 rows)"),
    ("boolean_weight", lambda f: f.assign(weight=f["weight"] > 1), "b.parquet", "not_numeric", "holds true/false values"),
    ("weights_overflow", lambda f: f.assign(weight=1e300), "w.csv", "design", "overflows to infinity"),
]


@pytest.mark.parametrize(("change", "name", "kind", "fragment"), [pytest.param(c, n, k, f, id=i) for i, c, n, k, f in VALIDATE_CASES])
def test_validate_lists_the_problem(sandbox: Sandbox, change, name, kind, fragment) -> None:
    path = sandbox.work / name
    if change is None:
        path.write_text(VALID.read_text().replace("smd3", "smd2", 1))
    elif name.endswith(".parquet"):
        change(_frame()).to_parquet(path)
    else:
        change(_frame()).to_csv(path, index=False)
    problems = validate_file(path, MINI)
    assert any(p.kind == kind and fragment in p.message for p in problems), [p.message for p in problems]
    assert all("\n" not in p.message and not CONTROL.search(p.message) for p in problems)


def test_a_valid_file_still_validates(sandbox: Sandbox) -> None:
    path = sandbox.work / "ok.parquet"
    frame = _frame()
    frame["sex"] = pd.Categorical(frame["sex"].map({1: "Boy", 2: "Girl"}))  # a Parquet dictionary of value labels
    frame.to_parquet(path)
    assert validate_file(path, MINI) == []
    assert (load_survey(path, MINI).data["sex"] == load_survey(VALID, MINI).data["sex"]).all()


def test_allowed_includes_still_work(sandbox: Sandbox) -> None:
    (sandbox.work / "sub").mkdir()
    (sandbox.work / "sub" / "base.yaml").write_text(MINI.read_text())
    (sandbox.work / "shared.yaml").symlink_to(sandbox.work / "sub" / "base.yaml")  # a link that stays inside is fine
    path = sandbox.write("book.yaml", "codebook: book\ninclude: [sub/base.yaml, shared.yaml, hbsc2018_oa]\n")
    codebook = load_codebook(path)
    assert "smd1" in codebook.variables and "emcsocmed1" in codebook.variables
    assert not os.path.exists(sandbox.sentinel)
