"""The report as a standalone, printable HTML page.

One file with inline CSS and the chart embedded as a ``data:`` URI, so it can be mailed,
opened offline or printed to PDF from any browser. Jinja2 autoescaping escapes all user text;
``dir="auto"`` on every element holding user text lets the browser lay out Arabic and Hebrew
right to left without us guessing the direction.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import lru_cache

from jinja2 import DictLoader, Environment, select_autoescape

from bot.i18n import N_, translator
from bot.reports.model import SessionReport
from bot.reports.render.layout import DOCUMENT_LIMITS, Block, Limits, session_blocks

_CSS = (  # i18n: not shown (a style sheet)
    """
@page { size: A4; margin: 18mm 16mm; }
:root { --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; --accent: #1f4e79;
        --agree: #2e7d32; --disagree: #c62828; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: var(--ink);
       line-height: 1.5; max-width: 52rem; margin: 2rem auto; padding: 0 1.25rem; font-size: 11pt; }
h1.event { font-size: 1.9rem; margin: 0; color: var(--accent); }
p.meta { color: var(--muted); margin: .2rem 0 1rem; }
h2.session { font-size: 1.35rem; text-transform: uppercase; letter-spacing: .02em;
             border-top: 3px solid var(--accent); padding-top: .8rem; margin: 1.6rem 0 .2rem; }
h3.section { font-size: 1.05rem; text-transform: uppercase; letter-spacing: .05em;
             color: var(--accent); margin: 1.6rem 0 .5rem; break-after: avoid; }
h4.part { font-size: 1rem; margin: 1rem 0 .4rem; break-after: avoid; }
p { margin: .45rem 0; }
p.body, p.note, p.small { white-space: pre-line; }
p.note { font-style: italic; color: var(--muted); }
p.small { font-size: .85rem; color: var(--muted); border-top: 1px solid var(--line);
          padding-top: .7rem; margin-top: 2rem; }
dl.field { margin: .5rem 0; }
dl.field dt { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
dl.field dd { margin: 0; white-space: pre-line; font-weight: 600; }
section.theme { border-left: 3px solid var(--line); padding: .1rem 0 .1rem .9rem; margin: .9rem 0;
                break-inside: avoid; }
.theme .label { font-weight: 700; }
.theme .stats { color: var(--muted); white-space: nowrap; }
.theme .kicker { color: var(--muted); font-style: italic; }
.badge { display: inline-block; font-size: .75rem; font-weight: 700; padding: .05rem .45rem;
         border-radius: .6rem; margin-inline-start: .3rem; vertical-align: middle; }
.badge.consensus { background: #e3f2e5; color: var(--agree); }
.badge.divisive { background: #fdecea; color: var(--disagree); }
.agreement { font-size: .88rem; color: var(--muted); margin: .15rem 0; }
ul.statements { margin: .3rem 0; padding-inline-start: 1.2rem; }
ul.statements li { margin: .2rem 0; }
.who, .votes, .num { color: var(--muted); font-size: .9rem; }
li.more { list-style: none; font-style: italic; color: var(--muted); }
figure.chart { margin: 1.2rem 0; text-align: center; break-inside: avoid; }
figure.chart img { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
"""
)

_TEMPLATE = (  # i18n: not shown (the page's markup)
    """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css|safe }}</style>
</head>
<body>
{% for b in blocks %}{% set k = kind(b) %}
{%- if k == "Title" %}<h1 class="event" dir="auto">{{ b.text }}</h1>
{%- elif k == "Meta" %}<p class="meta" dir="auto">{{ b.text }}</p>
{%- elif k == "Heading" %}{% set tag, cls = heading_tags[b.level] %}<{{ tag }} class="{{ cls }}" dir="auto">{{ b.text }}</{{ tag }}>
{%- elif k == "Field" %}<dl class="field"><dt>{{ b.label }}</dt><dd dir="auto">{{ b.text }}</dd></dl>
{%- elif k == "Para" %}<p class="{{ b.style }}" dir="auto">{{ b.text }}</p>
{%- elif k == "ThemeItem" %}<section class="theme">
<p class="head" dir="auto">{% if b.section %}<span class="kicker" dir="auto">{{ b.section }}:</span> {% endif -%}
<span class="label" dir="auto">{% if b.rank %}{{ b.rank }}. {% endif %}{{ b.label }}</span>
<span class="stats" dir="ltr">({{ b.stats }})</span>
{%- if b.standing_label %} <span class="badge {{ b.standing }}">{{ b.standing_label }}</span>{% endif %}</p>
{%- if b.agreement %}
<p class="agreement">{{ b.agreement }}</p>{% endif %}
<ul class="statements">
{%- for s in b.statements %}
<li dir="auto">{% if s.number is not none %}<span class="num" dir="ltr">#{{ s.number }}</span> {% endif %}<q dir="auto">{{ s.text }}</q>{% if s.attribution %} <span class="who" dir="auto">— {{ s.attribution }}</span>{% endif %}{% if s.stats %} <span class="votes" dir="ltr">({{ s.stats }})</span>{% endif %}
{%- if s.standing_label %}<br><span class="badge {{ s.standing }}">{{ s.standing_label }}</span>{% if s.agreement %} <span class="agreement">{{ s.agreement }}</span>{% endif %}{% endif %}</li>
{%- endfor %}
{%- if b.more_text %}
<li class="more">{{ b.more_text }}</li>{% endif %}
</ul>
</section>
{%- elif k == "ChartSlot" and chart_uri %}<figure class="chart"><img src="{{ chart_uri }}" alt="{{ chart_alt }}"></figure>
{%- endif %}
{% endfor %}
</body>
</html>
"""
)

_HEADING_TAGS = {1: ("h2", "session"), 2: ("h3", "section"), 3: ("h4", "part")}
CHART_ALT = N_("Support for recommendations and participation by policy community")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """A Jinja2 environment with autoescaping forced on for our in-code template."""
    env = Environment(
        loader=DictLoader({"report.html": _TEMPLATE}),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["kind"] = lambda block: type(block).__name__
    return env


def png_data_uri(png: bytes | None) -> str | None:
    """The chart inline, so the page is one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else None


def blocks_html_document(blocks: Sequence[Block], title: str, chart_png: bytes | None = None, language: str = "en") -> str:
    """Any block sequence (session or event) as a full HTML document in the report's language."""
    tr = translator(language)
    return (
        _environment()
        .get_template("report.html")
        .render(
            blocks=blocks,
            title=title,
            css=_CSS,
            heading_tags=_HEADING_TAGS,
            chart_uri=png_data_uri(chart_png),
            chart_alt=tr.gettext(CHART_ALT),
            lang=tr.locale,
        )
    )


def render_html(report: SessionReport, chart_png: bytes | None = None, limits: Limits = DOCUMENT_LIMITS) -> str:
    """The session report as a standalone HTML page."""
    title = f"{report.session_title} — {report.event_title}"
    return blocks_html_document(session_blocks(report, limits), title, chart_png, report.language)
