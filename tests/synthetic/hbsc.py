"""Figures of the HBSC 2017/18 open-access file, typed in independently of cbss_analysis.synthetic."""

from __future__ import annotations

# HBSC 2017/18 open-access file, cases per state (SOURCES.md 1.1, HBSC2018OAed1.1 codebook), typed in
# independently of synthetic.HBSC2018_SAMPLE_SIZES.
HBSC2018_N = {
    208000: 3181, 233000: 4725, 246000: 3146, 276000: 4347, 352000: 6996, 428000: 4412,
    440000: 3797, 578000: 3127, 616000: 5224, 643000: 4281, 752000: 4185,
}
ONLINE_RISK = ["att_images_ok", "att_share_wrong", "att_pressure_blame", "att_right_no", "att_gifts_ok",
               "img_received", "img_sent", "img_asked", "met_offline", "bothered_online", "knows_help"]
