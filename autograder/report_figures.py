"""The class report's charts as inline SVG, drawn by hand (no matplotlib in the grading process).

A chart is a :class:`Chart`: its size in CSS pixels and its SVG elements. :func:`stacked_bars`
draws horizontal bars (one row per category, one coloured segment per series), :func:`histogram`
draws columns over bins, :func:`side_by_side` puts charts next to each other, and
:meth:`Chart.svg` makes the ``<svg>`` element to put inline in a page.

Decisions:

- Bar lengths (columns heights) are exactly proportional to the counts: each bar is a ``<rect>``
  whose ``width`` (``height``) is ``count × pixels per unit`` and which carries ``data-count``.
- Count axes have a few integer "nice" ticks (0, 1, 2… or 0, 5, 10…) and light grid lines.
- Every text (category names, titles, legends) is HTML-escaped: grade ids and assignment names
  come from files. The SVG has no script, no link and no external reference.
- Text is not measured (that would need the font): a CJK character counts ~1 em, any other
  ~0.6 em, and the margins grow with the longest label, so that no label is clipped. The SVG has a
  ``viewBox`` and ``max-width: 100%``: a wide chart is scaled down to the page, never cut.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .report_text import escape_html, shorten

__all__ = ["FONT_FAMILY", "Chart", "Series", "histogram", "nice_ticks", "side_by_side", "stacked_bars", "text_width"]

#: The font stack of the report pages (also ``body { font-family }`` of their CSS).
FONT_FAMILY = (
    '"Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans CJK JP", "Yu Gothic", Meiryo, IPAexGothic, sans-serif'
)
#: Font sizes (px) of tick labels and category names, and of titles.
FONT_SIZE = 12
TITLE_SIZE = 14
#: Longest category label drawn whole (longer ones are shortened with 「…(以下省略)」).
LABEL_LIMIT = 60
_GRID = "#d0d7de"
_AXIS = "#57606a"
_TEXT = "#1f2328"
_ROW = 26  # px per category in a bar chart
_BAR = 18  # bar thickness
_PAD = 10


@dataclass(frozen=True)
class Series:
    """One series of a bar chart: its legend label, colour and one count per category."""

    label: str
    color: str
    counts: Sequence[int]


@dataclass(frozen=True)
class Chart:
    """SVG elements (escaped, ready to inline) drawn in a ``width`` × ``height`` px box."""

    width: float
    height: float
    body: str

    def svg(self, label: str) -> str:
        """The ``<svg>`` element, scaled to fit its container; role="img", ``aria-label`` and ``<title>``: ``label``."""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape_html(label)}" '
            f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" width="{_n(self.width)}" '
            f'height="{_n(self.height)}" style="max-width: 100%; height: auto" '
            f'font-family="{escape_html(FONT_FAMILY)}" font-size="{FONT_SIZE}" fill="{_TEXT}">'
            f"<title>{escape_html(label)}</title>{self.body}</svg>"
        )


def _n(value: float) -> str:
    """A coordinate: at most 3 decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An estimate of the width (px) of ``text`` at ``size`` px: wide (CJK) characters 1 em, others 0.6 em."""
    return size * sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


def nice_ticks(largest: float, most: int = 6) -> list[int]:
    """Integer ticks from 0 to at least ``largest`` with a step of 1, 2 or 5 × 10ⁿ, at most ``most`` + 1 ticks."""
    top = max(1, int(-(-largest // 1)))
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            count = -(-top // step)
            if count <= most:
                return [i * step for i in range(count + 1)]
        magnitude *= 10


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: float = FONT_SIZE, extra: str = "") -> str:
    size_attr = "" if size == FONT_SIZE else f' font-size="{_n(size)}"'
    weight = ' font-weight="bold"' if size == TITLE_SIZE else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{size_attr}{weight}{extra}>{escape_html(text)}</text>'


def _legend(series: Sequence[Series], left: float, top: float, width: float) -> tuple[list[str], float]:
    """Swatches and labels in rows that fit ``width``, centred; returns (elements, height used)."""
    items = [(s, 14 + text_width(s.label) + 16) for s in series]
    rows: list[list[tuple[Series, float]]] = [[]]
    for item in items:
        if rows[-1] and sum(w for _, w in rows[-1]) + item[1] > width:
            rows.append([])
        rows[-1].append(item)
    parts = []
    for r, row in enumerate(rows):
        x = left + max(0.0, (width - sum(w for _, w in row)) / 2)
        y = top + r * 18
        for s, w in row:
            parts.append(f'<rect x="{_n(x)}" y="{_n(y + 2)}" width="10" height="10" fill="{s.color}"/>')
            parts.append(_text(x + 14, y + 11, s.label))
            x += w
    return parts, len(rows) * 18


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    width: float = 640,
    legend: bool = True,
) -> Chart:
    """Horizontal stacked bars: one row per category (top to bottom), the series' segments left to right.

    ``series[k].counts[i]`` is the length of series k in row i; a segment of 0 is not drawn. Each
    segment is a ``<rect data-count=…>`` whose ``width`` is exactly proportional to its count.
    ``width`` is the chart's width in px; it grows if the labels or the title need more.
    """
    labels = [shorten(c, LABEL_LIMIT) for c in categories]
    totals = [sum(s.counts[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    left = _PAD + max((text_width(label) for label in labels), default=0) + 8
    width = max(width, left + 200 + 2 * _PAD, text_width(title, TITLE_SIZE) + 2 * _PAD)
    right = width - _PAD - text_width(str(ticks[-1])) / 2
    scale = (right - left) / ticks[-1]
    top = _PAD + TITLE_SIZE + 12
    bottom = top + _ROW * len(categories)
    parts = [_text(width / 2, _PAD + TITLE_SIZE, title, anchor="middle", size=TITLE_SIZE)]
    for tick in ticks:
        x = left + tick * scale
        parts.append(f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" stroke="{_GRID}"/>')
        parts.append(_text(x, bottom + 16, str(tick), anchor="middle"))
    for i, label in enumerate(labels):
        y = top + i * _ROW + (_ROW - _BAR) / 2
        parts.append(_text(left - 6, y + _BAR / 2 + 4, label, anchor="end"))
        x = left
        for s in series:
            count = s.counts[i]
            if count:
                tip = f"{categories[i]}: {s.label} {count}"
                parts.append(
                    f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(count * scale)}" height="{_BAR}" fill="{s.color}" '
                    f'stroke="white" data-count="{count}"><title>{escape_html(tip)}</title></rect>'
                )
                x += count * scale
    parts.append(f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(bottom)}" stroke="{_AXIS}"/>')
    parts.append(f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" stroke="{_AXIS}"/>')
    parts.append(_text((left + right) / 2, bottom + 36, x_label, anchor="middle"))
    height = bottom + 44
    if legend and series:
        swatches, used = _legend(series, _PAD, height, width - 2 * _PAD)
        parts.extend(swatches)
        height += used + 4
    return Chart(width, height + _PAD, "".join(parts))


def histogram(
    counts: Sequence[int],
    edges: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    color: str,
    width: float = 400,
    height: float = 240,
) -> Chart:
    """Columns over bins: ``counts[i]`` values fall in ``[edges[i], edges[i + 1])``.

    Each column is a ``<rect data-count=…>`` whose ``height`` is exactly proportional to its count;
    its ``width`` is proportional to its bin. ``width`` and ``height`` are the chart's size in px
    (they grow if the title or the labels need more).
    """
    if len(edges) != len(counts) + 1:
        raise ValueError(f"{len(counts)} counts need {len(counts) + 1} edges, not {len(edges)}")
    ticks = nice_ticks(max(counts, default=0))
    left = _PAD + FONT_SIZE + 8 + text_width(str(ticks[-1])) + 6
    width = max(width, left + 200 + 2 * _PAD, text_width(title, TITLE_SIZE) + 2 * _PAD)
    height = max(height, 160)
    right = width - _PAD - text_width(f"{edges[-1]:g}") / 2
    top = _PAD + TITLE_SIZE + 12
    bottom = height - _PAD - 36
    y_scale = (bottom - top) / ticks[-1]
    x_scale = (right - left) / (edges[-1] - edges[0])
    parts = [_text(width / 2, _PAD + TITLE_SIZE, title, anchor="middle", size=TITLE_SIZE)]
    for tick in ticks:
        y = bottom - tick * y_scale
        parts.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" stroke="{_GRID}"/>')
        parts.append(_text(left - 6, y + 4, str(tick), anchor="end"))
    for i, count in enumerate(counts):
        x0 = left + (edges[i] - edges[0]) * x_scale
        x1 = left + (edges[i + 1] - edges[0]) * x_scale
        if count:
            tip = f"{edges[i]:g}–{edges[i + 1]:g}: {count}"
            parts.append(
                f'<rect x="{_n(x0)}" y="{_n(bottom - count * y_scale)}" width="{_n(x1 - x0)}" '
                f'height="{_n(count * y_scale)}" fill="{color}" stroke="white" data-count="{count}">'
                f"<title>{escape_html(tip)}</title></rect>"
            )
    step = max(1, -(-len(counts) // 5))  # at most about 6 labels on the value axis
    for i in range(0, len(edges), step):
        x = left + (edges[i] - edges[0]) * x_scale
        parts.append(f'<line x1="{_n(x)}" y1="{_n(bottom)}" x2="{_n(x)}" y2="{_n(bottom + 4)}" stroke="{_AXIS}"/>')
        parts.append(_text(x, bottom + 16, f"{edges[i]:g}", anchor="middle"))
    parts.append(f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(bottom)}" stroke="{_AXIS}"/>')
    parts.append(f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" stroke="{_AXIS}"/>')
    parts.append(_text((left + right) / 2, bottom + 32, x_label, anchor="middle"))
    y_middle = (top + bottom) / 2
    rotate = f' transform="rotate(-90 {_n(_PAD + FONT_SIZE)} {_n(y_middle)})"'
    parts.append(_text(_PAD + FONT_SIZE, y_middle, y_label, anchor="middle", extra=rotate))
    return Chart(width, height, "".join(parts))


def side_by_side(charts: Sequence[Chart], gap: float = 16) -> Chart:
    """``charts`` next to each other, left to right, aligned at the top."""
    parts, x = [], 0.0
    for chart in charts:
        parts.append(f'<g transform="translate({_n(x)} 0)">{chart.body}</g>')
        x += chart.width + gap
    return Chart(max(0.0, x - gap), max((c.height for c in charts), default=0.0), "".join(parts))
