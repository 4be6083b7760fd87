"""Regenerate the bad-input corpus: ``python tests/bad_inputs/make_bad_inputs.py``.

Each file is a small survey (or codebook) with one defect; ``expected.yaml`` lists the
specific one-line error that ``cbss-analysis validate`` must print for it. The files are
committed; this script documents how they were made and rebuilds them deterministically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

HERE = Path(__file__).resolve().parent


def valid_frame(rows: int = 240) -> pd.DataFrame:
    """A valid survey for ``tests/fixtures/mini_codebook.yaml`` (two states, two regions, classes of 10)."""
    rng = np.random.default_rng(7)
    cluster = np.repeat(np.arange(1, rows // 10 + 1), 10)
    countryno = np.where(cluster <= rows // 20, 233000, 246000)
    region = 1 + (cluster % 2)
    agecat = rng.integers(1, 4, rows)
    return pd.DataFrame({
        "countryno": countryno, "region": region, "cluster": cluster,
        "weight": rng.uniform(0.5, 2.0, rows).round(4),
        "sex": rng.integers(1, 3, rows), "agecat": agecat, "age": 9 + 2 * agecat + rng.integers(0, 2, rows),
        "cbeenbullied": rng.choice([1, 1, 1, 2, 3, 4, 5, 99], rows),
        "hadsex": np.where(agecat == 3, rng.choice([1, 2, 2, 99], rows), 99),
        "smd1": rng.integers(1, 3, rows), "smd2": rng.integers(1, 3, rows), "smd3": rng.integers(1, 3, rows),
    })


def write_corpus() -> None:
    frame = valid_frame()
    frame.to_csv(HERE / "valid.csv", index=False)
    pyreadstat.write_sav(frame, HERE / "_full.sav")
    data = (HERE / "_full.sav").read_bytes()
    (HERE / "truncated.sav").write_bytes(data[: len(data) // 3])
    (HERE / "_full.sav").unlink()
    frame.to_csv(HERE / "wrong_delimiter.csv", index=False, sep=" ")
    frame.drop(columns="cbeenbullied").to_csv(HERE / "missing_variable.csv", index=False)
    frame.assign(cbeenbullied=frame["cbeenbullied"].where(frame.index % 40 != 0, 7)).to_csv(HERE / "unknown_code.csv", index=False)
    frame.assign(age=frame["age"].where(frame.index != 5, 45)).to_csv(HERE / "out_of_range.csv", index=False)
    frame.assign(weight=frame["weight"].where(frame.index != 3, -1.0)).to_csv(HERE / "negative_weight.csv", index=False)
    frame.assign(weight=frame["weight"].where(frame.index != 3, 0.0)).to_csv(HERE / "zero_weight.csv", index=False)
    frame.assign(weight=frame["weight"].where(frame.index != 3, np.nan)).to_csv(HERE / "nan_weight.csv", index=False)
    lonely = frame.assign(region=frame["region"].where(frame["cluster"] != 1, 3))
    lonely.to_csv(HERE / "lonely_psu.csv", index=False)
    (HERE / "empty.csv").write_bytes(b"")
    codebook = (HERE.parent / "fixtures" / "mini_codebook.yaml").read_text()
    (HERE / "unknown_key.yaml").write_text(codebook.replace("  - {name: age, label: Age,", "  - {name: age, lable: Age, label: Age,"))
    (HERE / "label_not_string.yaml").write_text(codebook.replace("values: {1: Boy, 2: Girl}", "values: {1: Boy, 2: [Girl]}"))


if __name__ == "__main__":
    write_corpus()
