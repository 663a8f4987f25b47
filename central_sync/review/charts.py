"""Charts drawn on the server as inline SVG: no script, no CDN, nothing to download (a Content-Security-Policy
forbids inline scripts; SVG markup in the page is fine). Colours and fonts are presentation attributes, so the
charts need no stylesheet. Each chart is an ``img`` with a title and a description for screen readers, and
every bar carries its exact figure as a tooltip (``<title>``).

The drawing is in a fixed ``viewBox`` that scales to the width of its card: 800 units are about 800 CSS pixels
on a tablet in landscape and 1,200 on a laptop, so the 13-unit labels stay legible on both."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import count

from babel.numbers import format_decimal
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from central_sync.protocol import vnd

WIDTH = 800
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Arial, sans-serif"'
INK, MUTED, GRID, BAR, NEGATIVE = "#17140f", "#5e564b", "#e4ddd0", "#2f4a1f", "#b3261e"
_ids = count(1)


def _locale() -> str:
    return str(get_locale() or "vi") if has_request_context() else "vi"


def _decimal(value: float) -> str:
    return format_decimal(value, format="#,##0.#", locale=_locale())


def short_vnd(amount: int) -> str:
    """Money as an axis shows it: '45.000 ₫' under a million, '1,2 tr ₫' in millions, '3,4 tỷ ₫' in billions."""
    if abs(amount) >= 1_000_000_000:
        return _("%(amount)s bn ₫", amount=_decimal(amount / 1_000_000_000))
    if abs(amount) >= 1_000_000:
        return _("%(amount)s M ₫", amount=_decimal(amount / 1_000_000))
    return vnd(amount)


def short_number(value: int) -> str:
    """A quantity: '1.234' (dot thousands separator, as Vietnamese write it)."""
    return f"{value:,}".replace(",", ".")


def nice_ticks(low: int, high: int, wanted: int = 4) -> list[int]:
    """Round values (1, 2 or 5 times a power of ten apart) covering [low, high], zero included."""
    low, high = min(low, 0), max(high, 0)
    if low == high:
        high = 1
    rough = (high - low) / wanted
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(1, int(step))
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return list(range(first, last + step, step))


def _svg(height: int, title: str, desc: str, body: list[str], css_class: str, width: int = WIDTH) -> Markup:
    ident = f"chart-{next(_ids)}"
    return Markup(
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" preserveAspectRatio="xMidYMid meet" {FONT}>'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 13, fill: str = MUTED,
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}"{extra}>'
            f"{escape(text)}</text>")


def _bar(x: float, y: float, width: float, height: float, value: int, tip: str) -> str:
    colour = NEGATIVE if value < 0 else BAR
    css = "bar bar-negative" if value < 0 else "bar"
    return (f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{max(width, 1):.1f}" height="{height:.1f}" '
            f'fill="{colour}" data-value="{value}"><title>{escape(tip)}</title></rect>')


def column_chart(points: Sequence[tuple[str, int]], *, title: str, desc: str, money: bool = True,
                 height: int = 280, width: int = 1000) -> Markup:
    """Vertical bars over time, one per (label, value), left to right; a value axis with round ticks. Meant
    for a card as wide as the page (``width`` units then are about a CSS pixel on a laptop)."""
    fmt: Callable[[int], str] = short_vnd if money else short_number
    left, right, top, bottom = 92, 12, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [value for _label, value in points] or [0]
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    y_of = lambda v: top + plot_h * (high - v) / (high - low)  # noqa: E731
    body = []
    for tick in ticks:
        y = y_of(tick)
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{INK if tick == 0 else GRID}" stroke-width="1"/>')
        body.append(_text(left - 8, y + 4, fmt(tick), "end"))
    slot = plot_w / max(len(points), 1)
    every = max(1, math.ceil(len(points) / 12))  # at most about twelve date labels under the axis
    zero = y_of(0)
    for index, (label, value) in enumerate(points):
        x = left + index * slot
        y = min(zero, y_of(value))
        body.append(_bar(x + slot * 0.15, y, slot * 0.7, abs(y_of(value) - zero), value, f"{label}: {fmt(value)}"))
        if index % every == 0:
            body.append(_text(x + slot / 2, height - bottom + 20, label, "middle"))
    return _svg(height, title, desc, body, "chart-columns", width)


def bar_chart(rows: Sequence[tuple[str, int]], *, title: str, desc: str, money: bool = True) -> Markup:
    """Horizontal bars, one row per (label, value), top to bottom; the label on the left, the figure at the
    bar's end. Long labels are shortened on the chart (the tooltip and the table keep them whole)."""
    fmt: Callable[[int], str] = short_vnd if money else short_number
    label_w, value_w, row_h, top = 250, 110, 30, 6
    height = top + row_h * max(len(rows), 1) + 6
    values = [value for _label, value in rows] or [0]
    low, high = min(min(values), 0), max(max(values), 0) or 1
    plot_w = WIDTH - label_w - value_w
    x_of = lambda v: label_w + plot_w * (v - low) / (high - low)  # noqa: E731
    zero = x_of(0)
    body = [f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{height - 6}" stroke="{INK}" stroke-width="1"/>']
    for index, (label, value) in enumerate(rows):
        y = top + index * row_h
        short = label if len(label) <= 32 else label[:31] + "…"
        body.append(_text(label_w - 10, y + row_h / 2 + 5, short, "end", 13, INK))
        x = min(zero, x_of(value))
        body.append(_bar(x, y + 5, abs(x_of(value) - zero), row_h - 10, value, f"{label}: {fmt(value)}"))
        body.append(_text(max(zero, x_of(value)) + 6, y + row_h / 2 + 5, fmt(value)))
    return _svg(height, title, desc, body, "chart-bars")
