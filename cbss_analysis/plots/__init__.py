"""The package's figures, in one colour-blind-safe style (Okabe-Ito palette, DejaVu Sans).

Every function returns a :class:`matplotlib.figure.Figure` with a title, labelled axes (with
units) and a caption naming the source, and "Synthetic data" when the input says so
(``attrs["synthetic"]``). Nothing is shown; save with :func:`save_figure` for byte-identical files.

- :func:`estimates_by_state`: dot and CI whisker per state, regional reference line, optional split.
- :func:`estimates_by_group`: the same by sex, age group, cycle or for the whole sample, in category order.
- :func:`gap_plot`: two groups per state (girls vs boys, or two ages), dumbbell chart.
- :func:`state_map`: tile-grid map of the eleven states coloured by a value.
- :func:`indicator_heatmap`: indicators x states, difference from the regional average.
- :func:`trend_plot`: each state's estimate across survey cycles, the regional average and the breaks.
- :func:`timeline`: CBSS milestones and the states' corporal-punishment bans and first Barnahus.
"""

from cbss_analysis.plots.estimates import estimates_by_state, gap_plot
from cbss_analysis.plots.groups import estimates_by_group
from cbss_analysis.plots.heatmap import indicator_heatmap
from cbss_analysis.plots.maps import TILES, state_map
from cbss_analysis.plots.style import OKABE_ITO, PALETTE, save_figure
from cbss_analysis.plots.timeline import timeline
from cbss_analysis.plots.trends import trend_plot

__all__ = ["OKABE_ITO", "PALETTE", "TILES", "estimates_by_group", "estimates_by_state", "gap_plot", "indicator_heatmap", "save_figure",
           "state_map", "timeline", "trend_plot"]
