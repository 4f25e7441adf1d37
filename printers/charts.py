"""Small server-rendered SVG line charts (no JavaScript, nothing from a CDN)."""

from __future__ import annotations

from datetime import datetime

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = {
    "total": "#0d6efd",
    "black": "#212529",
    "colour": "#d63384",
    "cyan": "#0dcaf0",
    "magenta": "#d63384",
    "yellow": "#ffc107",
}
FALLBACK = ["#6f42c1", "#198754", "#fd7e14", "#20c997", "#6c757d"]


def line_chart(
    series: dict[str, list[tuple[datetime, float]]],
    *,
    labels: dict[str, str] | None = None,
    width: int = 720,
    height: int = 240,
    y_min: float | None = None,
    y_max: float | None = None,
    title: str = "",
) -> SafeString:
    """An SVG chart of one or more (time, value) series sharing both axes."""
    points = [p for values in series.values() for p in values]
    if not points:
        return mark_safe("")
    pad_l, pad_r, pad_t, pad_b = 64, 12, 12, 28
    xs = [p[0].timestamp() for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    lo = min(ys) if y_min is None else y_min
    hi = max(ys) if y_max is None else y_max
    if x1 == x0:
        x1 = x0 + 1
    if hi == lo:
        hi = lo + 1
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def sx(t: float) -> float:
        return pad_l + (t - x0) / (x1 - x0) * plot_w

    def sy(v: float) -> float:
        return pad_t + plot_h - (v - lo) / (hi - lo) * plot_h

    parts = [
        f'<svg class="fmp-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{plot_w}" height="{plot_h}" fill="#f8f9fa" stroke="#dee2e6"/>',
    ]
    for fraction in (0, 0.5, 1):
        value = lo + (hi - lo) * fraction
        y = sy(value)
        parts.append(f'<line x1="{pad_l}" x2="{pad_l + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>')
        parts.append(
            f'<text x="{pad_l - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#6c757d">'
            f"{escape(number_format(round(value), force_grouping=True))}</text>"
        )
    for t, anchor in ((x0, "start"), (x1, "end")):
        moment = datetime.fromtimestamp(t, tz=points[0][0].tzinfo)
        parts.append(
            f'<text x="{sx(t):.1f}" y="{height - 8}" font-size="11" text-anchor="{anchor}" fill="#6c757d">'
            f"{escape(date_format(moment, 'SHORT_DATE_FORMAT'))}</text>"
        )
    for i, (key, values) in enumerate(series.items()):
        if not values:
            continue
        colour = PALETTE.get(key, FALLBACK[i % len(FALLBACK)])
        coords = " ".join(f"{sx(t.timestamp()):.1f},{sy(v):.1f}" for t, v in sorted(values))
        name = escape((labels or {}).get(key, key))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"><title>{name}</title></polyline>'
        )
    parts.append("</svg>")
    if len(series) > 1:
        parts.append('<div class="d-flex flex-wrap gap-3 small mt-1">')
        for i, key in enumerate(series):
            colour = PALETTE.get(key, FALLBACK[i % len(FALLBACK)])
            name = escape((labels or {}).get(key, key))
            parts.append(
                f'<span><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{colour}"/></svg> '
                f"{name}</span>"
            )
        parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 -- every text above is escaped
