"""What a survey and a codebook hold, as plain text and HTML for IPython and JupyterLab.

``display(survey)`` in a notebook shows :func:`survey_html`: respondents, states (and cycles
when there are several), the design, the codebook, the indicators the survey can compute
grouped by theme with their labels, and the synthetic-data badge; the plain-text form
(:func:`survey_text`) says the same for a terminal. :func:`codebook_html` and
:func:`codebook_text` do the same for a :class:`~cbss_analysis.survey.codebook.Codebook`.

Only counts and names are shown, never a respondent's row. Every text that comes from a file
(labels, titles, codes) is HTML-escaped in the HTML forms and stripped of control characters
in the text forms; file names are shown without their folders.

Themes (:func:`indicator_themes`) come from the codebook: an indicator belongs to the first
priority area it lists (titled as in the Regional Strategy, ``data/strategy/strategy.yaml``),
else to the questionnaire module of its first variable, else to "Other indicators".
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from cbss_analysis.common.notices import SYNTHETIC_BADGE, SYNTHETIC_NOTICE
from cbss_analysis.common.text import strip_control
from cbss_analysis.survey.codebook import Codebook

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey.core import Survey

OTHER_THEME = "Other indicators"
CYCLE_COLUMN = "cycle"
"""A column of this name, with several values, is shown as the survey's cycles (waves)."""
STATE_COLUMN = "state"

_BADGE_STYLE = ("background:#D55E00;color:#fff;font-weight:bold;padding:1px 6px;border-radius:3px;"
                "font-size:0.85em;letter-spacing:0.03em")
_MUTED = "color:#555"


def _e(value: object) -> str:
    return html.escape(strip_control(str(value)), quote=True)


def _t(value: object) -> str:
    return strip_control(str(value))


@lru_cache(maxsize=1)
def _strategy_titles() -> tuple[tuple[str, str], ...]:
    """(priority area id, title) pairs of the Regional Strategy in its order; empty when it cannot be read."""
    try:
        from cbss_analysis.strategy import load_strategy

        strategy = load_strategy(codebooks=[])
    except Exception:  # a display never fails because the strategy file is damaged
        return ()
    return tuple((area.id, area.title) for area in strategy.priority_areas)


def theme_title(key: str) -> str:
    """The title of a priority area (from the strategy) or a humanised module name."""
    titles = dict(_strategy_titles())
    if key in titles:
        return titles[key]
    text = str(key).replace("_", " ").strip()
    return text.upper() if text.isalpha() and len(text) <= 4 else text[:1].upper() + text[1:]


def indicator_themes(codebook: Codebook, ids: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Indicator ids grouped by theme title, themes in Regional Strategy order, then modules, then "Other indicators".

    Parameters
    ----------
    codebook : Codebook
        Where the indicators are defined.
    ids : iterable of str, optional
        Which indicators (default: all of the codebook), e.g. ``survey.indicator_ids``.

    Returns
    -------
    dict of str to list of str
        Theme title -> indicator ids in codebook order.
    """
    chosen = list(codebook.indicators) if ids is None else [i for i in ids if i in codebook.indicators]
    keys: dict[str, str] = {}
    for indicator_id in chosen:
        indicator = codebook.indicators[indicator_id]
        if indicator.priority_areas:
            keys[indicator_id] = f"area:{indicator.priority_areas[0]}"
            continue
        module = next((codebook.variables[v].module for v in indicator.variables
                       if v in codebook.variables and codebook.variables[v].module), None)
        keys[indicator_id] = f"module:{module}" if module else "other"
    order = [f"area:{area}" for area, _ in _strategy_titles()]
    present = list(dict.fromkeys(keys.values()))
    ranked = sorted(present, key=lambda k: (order.index(k) if k in order else len(order) + (k == "other"), present.index(k)))
    themes: dict[str, list[str]] = {}
    for key in ranked:
        title = OTHER_THEME if key == "other" else theme_title(key.split(":", 1)[1])
        themes.setdefault(title, []).extend(i for i in chosen if keys[i] == key)
    return themes


def _design_lines(survey: Survey) -> list[str]:
    design = survey.design
    arrays = survey.design_arrays()
    strata = design.strata_columns
    parts = [f"weight {design.weight!r}"]
    parts.append(f"{arrays.n_strata:,} strata ({' x '.join(strata)})" if strata else "no strata")
    nested = ", nested in strata" if design.nest and strata else ""
    parts.append(f"{arrays.n_psus:,} PSUs ({design.psu}{nested})" if design.psu else f"{arrays.n_psus:,} PSUs (each respondent)")
    parts.append(f"fpc {design.fpc!r}" if design.fpc else "no fpc (with-replacement approximation)")
    parts.append(f"lonely PSUs: {design.lonely_psu}")
    parts.append(f"{arrays.degrees_of_freedom:,} degrees of freedom")
    return parts


def _state_counts(survey: Survey) -> list[tuple[str, str, int]]:
    """(code, name, respondents) per state in display order; empty without a state column."""
    if STATE_COLUMN not in survey.data.columns:
        return []
    from cbss_analysis.states import state_codes, state_names

    counts = survey.data[STATE_COLUMN].astype("string").value_counts()
    names = state_names()
    order = [s for s in state_codes() if s in counts.index] + sorted(s for s in counts.index if s not in names)
    return [(code, names.get(code, code), int(counts[code])) for code in order]


def _cycles(survey: Survey) -> list[tuple[str, int]]:
    if CYCLE_COLUMN not in survey.data.columns:
        return []
    counts = survey.data[CYCLE_COLUMN].astype("string").value_counts(sort=False).sort_index()
    return [(str(c), int(n)) for c, n in counts.items()] if len(counts) > 1 else []


def _indicator_groups(survey: Survey) -> dict[str, list[tuple[str, str, str]]]:
    """Theme -> (id, label, kind) of the indicators the survey can compute."""
    codebook = survey.codebook
    if codebook is None:
        return {}
    return {theme: [(i, codebook.indicators[i].label, codebook.indicators[i].kind) for i in ids]
            for theme, ids in indicator_themes(codebook, survey.indicator_ids).items()}


def _file_name(survey: Survey) -> str | None:
    return survey.source.name if survey.source is not None else None


def survey_text(survey: Survey) -> str:
    """A plain-text summary of a survey (IPython's text display): several short lines."""
    codebook = survey.codebook
    lines = [f"Survey: {len(survey):,} respondents" + (f" from {_t(_file_name(survey))}" if survey.source else "")]
    if survey.synthetic:
        lines.append(f"  {SYNTHETIC_BADGE}: {SYNTHETIC_NOTICE}")
    states = _state_counts(survey)
    if states:
        lines.append(f"  States ({len(states)}): " + ", ".join(f"{_t(code)} {n:,}" for code, _, n in states))
    cycles = _cycles(survey)
    if cycles:
        lines.append(f"  Cycles ({len(cycles)}): " + ", ".join(f"{_t(c)} {n:,}" for c, n in cycles))
    lines.append("  Design: " + "; ".join(_design_lines(survey)))
    if codebook is not None:
        lines.append(f"  Codebook: {_t(codebook.name)} ({len(codebook.variables)} variables, "
                     f"{len(codebook.indicators)} indicators): {_t(codebook.title)}")
        groups = _indicator_groups(survey)
        lines.append(f"  Indicators it can compute ({len(survey.indicator_ids)}):")
        for theme, items in groups.items():
            lines.append(f"    {_t(theme)}:")
            lines.extend(f"      {_t(i)}: {_t(label)}" + (" (mean)" if kind == "mean" else "") for i, label, kind in items)
    lines.append("  Explore it with cbss.explore(survey); estimate with cbss.estimate.proportion(survey, id, by='state').")
    return "\n".join(lines)


def _badge(synthetic: bool) -> str:
    if not synthetic:
        return ""
    return (f'<p style="margin:0.3em 0"><span class="cbss-badge" style="{_BADGE_STYLE}">{_e(SYNTHETIC_BADGE)}</span> '
            f"{_e(SYNTHETIC_NOTICE)}</p>")


def _details(summary: str, body: str, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>{body}</details>"


def _indicator_table(items: list[tuple[str, str, str]]) -> str:
    rows = "".join(
        f"<tr><td style='text-align:left'><code>{_e(i)}</code></td><td style='text-align:left'>{_e(label)}</td>"
        f"<td style='text-align:left;{_MUTED}'>{'mean' if kind == 'mean' else 'proportion'}</td></tr>"
        for i, label, kind in items
    )
    return f"<table class='cbss-indicators'><tbody>{rows}</tbody></table>"


def survey_html(survey: Survey) -> str:
    """An HTML summary of a survey (JupyterLab's rich display); every text from a file is escaped."""
    codebook = survey.codebook
    source = f" <span style='{_MUTED}'>from {_e(_file_name(survey))}</span>" if survey.source else ""
    parts = [f"<div class='cbss-survey'><p style='margin:0.2em 0'><strong>Survey</strong>: "
             f"{len(survey):,} respondents{source}</p>", _badge(survey.synthetic)]
    facts = []
    states = _state_counts(survey)
    if states:
        listed = ", ".join(f"<span title='{_e(name)}'>{_e(code)}</span> {n:,}" for code, name, n in states)
        facts.append(f"<tr><th style='text-align:left'>States</th><td style='text-align:left'>{len(states)}: {listed}</td></tr>")
    cycles = _cycles(survey)
    if cycles:
        listed = ", ".join(f"{_e(c)} {n:,}" for c, n in cycles)
        facts.append(f"<tr><th style='text-align:left'>Cycles</th><td style='text-align:left'>{len(cycles)}: {listed}</td></tr>")
    facts.append(f"<tr><th style='text-align:left'>Design</th><td style='text-align:left'>{_e('; '.join(_design_lines(survey)))}</td></tr>")
    if codebook is not None:
        facts.append(f"<tr><th style='text-align:left'>Codebook</th><td style='text-align:left'><code>{_e(codebook.name)}</code>: "
                     f"{_e(codebook.title)} ({len(codebook.variables)} variables, {len(codebook.indicators)} indicators)</td></tr>")
    parts.append(f"<table class='cbss-facts'><tbody>{''.join(facts)}</tbody></table>")
    if codebook is not None:
        groups = _indicator_groups(survey)
        inner = "".join(_details(f"{_e(theme)} ({len(items)})", _indicator_table(items)) for theme, items in groups.items())
        parts.append(_details(f"<strong>Indicators it can compute</strong> ({len(survey.indicator_ids)}, by theme)", inner, open_=True))
    parts.append(f"<p style='{_MUTED};margin:0.3em 0'>Explore it with <code>cbss.explore(survey)</code>; "
                 "estimate with <code>cbss.estimate.proportion(survey, id, by=\"state\")</code>.</p></div>")
    return "".join(parts)


def _modules(codebook: Codebook) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name, variable in codebook.variables.items():
        if variable.module:
            groups.setdefault(theme_title(variable.module), []).append(name)
    other = [name for name, variable in codebook.variables.items() if not variable.module]
    return groups | ({"Other variables": other} if other else {})


def labels_for(codebook: Codebook | None, names: Iterable[str]) -> dict[str, str]:
    """Indicator or variable id -> its codebook label, for the names the codebook knows."""
    if codebook is None:
        return {}
    labels = {}
    for name in names:
        if name in codebook.indicators:
            labels[name] = codebook.indicators[name].label
        elif name in codebook.variables:
            labels[name] = codebook.variables[name].label
    return labels


def codebook_text(codebook: Codebook) -> str:
    """A plain-text summary of a codebook: name, title, files, variables by module, indicators by theme."""
    lines = [f"Codebook {_t(codebook.name)}: {_t(codebook.title)}"]
    if codebook.synthetic:
        lines.append(f"  {SYNTHETIC_BADGE}: {SYNTHETIC_NOTICE}")
    if codebook.files:
        lines.append("  Files: " + ", ".join(_t(f.name) for f in codebook.files))
    lines.append(f"  Variables ({len(codebook.variables)}): " + "; ".join(
        f"{_t(module)} {len(names)}" for module, names in _modules(codebook).items()))
    lines.append(f"  Indicators ({len(codebook.indicators)}):")
    for theme, ids in indicator_themes(codebook).items():
        lines.append(f"    {_t(theme)}:")
        lines.extend(f"      {_t(i)}: {_t(codebook.indicators[i].label)}" for i in ids)
    return "\n".join(lines)


def codebook_html(codebook: Codebook) -> str:
    """An HTML summary of a codebook; every text from the file is escaped."""
    parts = [f"<div class='cbss-codebook'><p style='margin:0.2em 0'><strong>Codebook</strong> <code>{_e(codebook.name)}</code>: "
             f"{_e(codebook.title)}</p>", _badge(codebook.synthetic)]
    if codebook.files:
        parts.append(f"<p style='{_MUTED};margin:0.2em 0'>Files: {_e(', '.join(f.name for f in codebook.files))}</p>")
    modules = []
    for module, names in _modules(codebook).items():
        rows = "".join(
            f"<tr><td style='text-align:left'><code>{_e(n)}</code></td><td style='text-align:left'>{_e(v.label)}</td>"
            f"<td style='text-align:left;{_MUTED}'>{_e(v.type)}{f', {len(v.values)} codes' if v.values else ''}</td></tr>"
            for n, v in ((n, codebook.variables[n]) for n in names)
        )
        modules.append(_details(f"{_e(module)} ({len(names)})", f"<table><tbody>{rows}</tbody></table>"))
    parts.append(_details(f"<strong>Variables</strong> ({len(codebook.variables)})", "".join(modules)))
    themes = []
    for theme, ids in indicator_themes(codebook).items():
        items = [(i, codebook.indicators[i].label, codebook.indicators[i].kind) for i in ids]
        themes.append(_details(f"{_e(theme)} ({len(ids)})", _indicator_table(items)))
    parts.append(_details(f"<strong>Indicators</strong> ({len(codebook.indicators)}, by theme)", "".join(themes), open_=True))
    parts.append("</div>")
    return "".join(parts)
