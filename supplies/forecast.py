"""Days until a supply runs out, from its level history. Pure functions."""

from __future__ import annotations

from datetime import datetime

REPLACEMENT_JUMP = 20  # a rise of this many points is a new cartridge, not noise
MIN_SPAN_DAYS = 3
MIN_USE_PER_DAY = 0.05  # percent a day: below this the device is idle


def days_left(samples: list[tuple[datetime, int | None]]) -> float | None:
    """Forecast from (time, percent) samples, oldest first; None when it cannot be told.

    Only the samples since the last cartridge replacement count (a jump up); the use per
    day is the least-squares slope over them; an idle device (no measurable use) and
    unknown levels give None.
    """
    points = [(t, p) for t, p in samples if p is not None]
    if len(points) < 2:
        return None
    start = 0
    for i in range(1, len(points)):
        if points[i][1] - points[i - 1][1] >= REPLACEMENT_JUMP:
            start = i
    points = points[start:]
    if len(points) < 2:
        return None
    t0 = points[0][0]
    xs = [(t - t0).total_seconds() / 86400 for t, _ in points]
    ys = [float(p) for _, p in points]
    if xs[-1] - xs[0] < MIN_SPAN_DAYS:
        return None
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var
    use = -slope
    if use < MIN_USE_PER_DAY:
        return None
    return max(0.0, ys[-1] / use)


def days_left_label(days: float | None, *, short: bool = False) -> str:
    """ "about 12 days left", "about 1 day left", "less than a day left" (``short``: without "left")."""
    from django.utils.translation import gettext, ngettext

    if days is None:
        return ""
    rounded = round(days)
    if rounded < 1:
        return gettext("less than a day") if short else gettext("less than a day left")
    if short:
        return ngettext("about %(days)d day", "about %(days)d days", rounded) % {"days": rounded}
    return ngettext("about %(days)d day left", "about %(days)d days left", rounded) % {"days": rounded}
