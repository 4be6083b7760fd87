"""The shipped replicate-weight example is SYNTHETIC, documented and byte-reproducible from its function."""

from __future__ import annotations

import pytest

from cbss_analysis import estimate, paths
from cbss_analysis.common.notices import SYNTHETIC_BADGE
from cbss_analysis.synthetic import replicates


@pytest.mark.slow
def test_example_is_rebuilt_byte_for_byte(tmp_path) -> None:
    rebuilt = replicates.write_replicate_example(tmp_path / replicates.FILE_NAME)
    assert rebuilt.read_bytes() == (paths.survey_dir() / replicates.FILE_NAME).read_bytes()


def test_example_is_labelled_and_estimable() -> None:
    shipped = paths.survey_dir() / replicates.FILE_NAME
    assert shipped.read_text(encoding="utf-8").startswith(f"# {SYNTHETIC_BADGE}")
    survey = replicates.load_replicate_example()
    assert survey.synthetic
    assert survey.replicates.count == replicates.REPLICATES
    table = estimate.proportion(survey, "cyberbullied", by="sex")
    assert table.attrs["synthetic"]
    assert (table["se"] > 0).all()
    assert (table["df"] == replicates.REPLICATES - 1).all()
