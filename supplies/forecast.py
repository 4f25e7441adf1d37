"""Days until a supply runs out, from its level history. Pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

REPLACEMENT_JUMP = 20  # a rise of this many points is a new cartridge, not noise
MIN_SPAN_DAYS = 3
MIN_USE_PER_DAY = 0.05  # percent a day: below this the device is idle


def _known(samples):
    return [(t, p) for t, p in samples if p is not None]


def replaced_since(samples: list[tuple[datetime, int | None]], moment: datetime) -> bool:
    """Whether the samples (oldest first) show a new cartridge put in at or after ``moment``:
    a rise of REPLACEMENT_JUMP points between two readings, the later one from ``moment`` on."""
    points = _known(samples)
    return any(
        points[i][0] >= moment and points[i][1] - points[i - 1][1] >= REPLACEMENT_JUMP
        for i in range(1, len(points))
    )


def days_left(samples: list[tuple[datetime, int | None]], *, now: datetime | None = None) -> float | None:
    """Forecast from (time, percent) samples, oldest first; None when it cannot be told.

    Only the samples since the last cartridge replacement count (a jump up); the use per
    day is the least-squares slope over them; an idle device (no measurable use) and
    unknown levels give None. The days are counted from ``now`` (default: this moment), not
    from the last sample: a device silent for 20 days has used 20 days of toner meanwhile.
    """
    points = _known(samples)
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
    now = now or datetime.now(UTC)
    silent_days = max(0.0, (now - points[-1][0]).total_seconds() / 86400)
    return max(0.0, ys[-1] / use - silent_days)


def level_is_old(seen_at: datetime | None, *, old_after_days: int, now: datetime | None = None) -> bool:
    """Whether a level last read at ``seen_at`` is too old to be taken as today's."""
    if seen_at is None:
        return False
    now = now or datetime.now(UTC)
    return now - seen_at > timedelta(days=old_after_days)


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


def level_age_label(seen_at: datetime | None, *, now: datetime | None = None) -> str:
    """ "data from 20 days ago": said beside a forecast made from an old reading."""
    from django.utils.translation import ngettext

    if seen_at is None:
        return ""
    now = now or datetime.now(UTC)
    days = max(1, int((now - seen_at).total_seconds() // 86400))
    return ngettext(
        "old data: last reading %(days)d day ago", "old data: last reading %(days)d days ago", days
    ) % {"days": days}
