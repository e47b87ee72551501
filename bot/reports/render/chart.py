"""The report chart: support for recommendations and participation by policy community.

Drawn with matplotlib's object API on an Agg canvas (never pyplot), so no figure is kept in
pyplot's global registry (no leak in a long-running bot) and no global backend is switched.
The figure size and DPI are fixed so the PNG always has the same pixel size, which keeps DOCX
and PDF layouts stable. matplotlib >= 3.11 shapes Arabic and lays out right-to-left labels.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from collections.abc import Callable, Sequence
from functools import partial

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n import N_, Translator, translator
from bot.reports.model import SessionReport, Theme
from bot.reports.render.layout import VOTED_SECTIONS, community_name, rank_themes

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 5.2, 100  # 1000 x 520 px, whatever the data
TOP_THEMES = 10
MIN_ROWS = 5
AGREE_COLOR, DISAGREE_COLOR, COMMUNITY_COLOR = "#2e7d32", "#c62828", "#1f4e79"
# Fixed axes boxes (left, bottom, width, height as figure fractions) instead of constrained
# layout: labels are wrapped to a bounded width, so fixed margins fit them and drawing takes
# half the time. Keyed by the number of panels.
PANEL_BOXES = {
    1: [(0.22, 0.09, 0.74, 0.8)],
    2: [(0.205, 0.09, 0.43, 0.8), (0.775, 0.09, 0.19, 0.8)],
    3: [(0.15, 0.09, 0.22, 0.8), (0.53, 0.09, 0.22, 0.8), (0.865, 0.09, 0.115, 0.8)],
}
OFFSET = "offset points"  # i18n: not shown (a matplotlib coordinate system)
SUPPORT_TITLES = {"recommendations": N_("Recommendations by support"), "takeaways": N_("Key takeaways by support")}


def wrap_label(text: str, width: int = 26, lines: int = 2) -> str:
    """Long theme labels wrapped to two short lines so bars keep most of the width."""
    wrapped = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = textwrap.shorten(wrapped[-1] + " …", width, placeholder=" …")
    return "\n".join(wrapped)


def voted_themes(report: SessionReport, top: int = TOP_THEMES) -> list[tuple[str, list[Theme]]]:
    """Per voted section (recommendations, key takeaways: never mixed), its best supported
    themes that anyone has voted on, with the panel's title in the report's language."""
    tr = translator(report.language)
    panels = []
    for section in report.sections:
        if section.key not in VOTED_SECTIONS or section.text_override is not None:
            continue
        themes = [t for t in rank_themes(section) if t.support.agree or t.support.disagree]
        themes.sort(key=lambda t: (-t.support.score, -t.count, t.label.casefold(), t.representative.contribution_id))
        if themes:
            panels.append((tr.gettext(SUPPORT_TITLES[section.key]), themes[:top]))
    return panels


def _plot_support(ax: Axes, title: str, themes: Sequence[Theme], label_width: int, tr: Translator) -> None:
    """Diverging bars: agreement to the right, disagreement to the left, best on top."""
    y = range(len(themes))
    agree = [t.support.agree for t in themes]
    disagree = [-t.support.disagree for t in themes]
    ax.barh(y, agree, color=AGREE_COLOR, label=tr.gettext("Agree"))
    ax.barh(y, disagree, color=DISAGREE_COLOR, label=tr.gettext("Disagree"))
    ax.set_yticks(list(y), [wrap_label(t.label, label_width) for t in themes], fontsize=8)
    _fixed_rows(ax, len(themes))
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_title(title, fontsize=10.5, loc="left", pad=14)
    ax.legend(
        loc="lower right",  # i18n: not shown
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
        fontsize=8,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.0,
        columnspacing=0.8,
        handletextpad=0.4,
    )
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{abs(int(value))}")
    _tidy_axes(ax)


def _plot_participation(ax: Axes, participation: dict[str, int], title: str, tr: Translator) -> None:
    """Participants per policy community, largest first."""
    ranked = sorted(participation.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_THEMES]
    y = range(len(ranked))
    ax.barh(y, [n for _, n in ranked], color=COMMUNITY_COLOR)
    ax.set_yticks(list(y), [wrap_label(community_name(c, tr), 18) for c, _ in ranked], fontsize=8)
    _fixed_rows(ax, len(ranked))
    for i, (_, n) in enumerate(ranked):
        ax.annotate(str(n), (n, i), xytext=(3, 0), textcoords=OFFSET, va="center", fontsize=8)
    ax.set_xlim(0, max(n for _, n in ranked) * 1.18)
    ax.set_title(title, fontsize=10.5, loc="left", pad=14)
    _tidy_axes(ax)


def _fixed_rows(ax: Axes, rows: int) -> None:
    """Best on top, and room for at least MIN_ROWS rows so two bars don't fill a whole panel."""
    ax.set_ylim(max(rows, MIN_ROWS) - 0.5, -0.5)


def _tidy_axes(ax: Axes) -> None:
    """A quiet, print-friendly look: no top/right frame, light vertical grid."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", labelsize=8)


def render_chart(report: SessionReport) -> bytes | None:
    """The chart as PNG bytes of a fixed size, or ``None`` when there is nothing to plot."""
    tr = translator(report.language)
    supported = voted_themes(report)
    participation = {c: n for c, n in report.participation.items() if n > 0}
    if not supported and not participation:
        return None
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    panels: list[Callable[[Axes], None]] = []
    label_width = 26 if len(supported) < 2 else 20
    for title, themes in supported:
        panels.append(partial(_plot_support, title=title, themes=themes, label_width=label_width, tr=tr))
    if participation:
        title = tr.gettext("Participants") if len(supported) > 1 else tr.gettext("Participants by community")
        panels.append(lambda ax: _plot_participation(ax, participation, title, tr))
    for plot, box in zip(panels, PANEL_BOXES[len(panels)], strict=True):
        plot(fig.add_axes(box))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph missing" for emoji in labels: box drawn instead
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    fig.clear()
    return buffer.getvalue()
