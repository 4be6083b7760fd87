"""cbss_analysis.synthetic.assumptions: the reference figures the generator is calibrated to, as transcribed."""

from __future__ import annotations

from cbss_analysis.synthetic import assumptions


def test_reference_transcription_spot_checks():
    # Values copied from SOURCES.md 2.1 (hbsc2018_oa_pooled_distributions.csv) by hand.
    assert assumptions.HBSC2018_POOLED_PCT["beenbullied"][0] == 73.2
    assert assumptions.HBSC2018_POOLED_PCT["cbeenbullied"][1] == 8.9
    assert assumptions.HBSC2018_POOLED_PCT["emconlfreq3"] == (36.2, 29.5, 13.7, 8.2, 6.0, 6.4)
    assert assumptions.HBSC2018_POOLED_PCT["hadsex"] == (16.7, 83.3)
    assert assumptions.HBSC2018_POOLED_PCT["contraceptcondom"] == (52.2, 34.3, 13.5)
    assert assumptions.HBSC2018_POOLED_PCT["talkfather"][4] == 6.7
    for name, pct in {**assumptions.HBSC2018_POOLED_PCT, **assumptions.ASSUMED_PCT}.items():
        assert abs(sum(pct) - 100) < 0.25, name
