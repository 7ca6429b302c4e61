"""Level of detail: how many events fall in each lane and period when there are too many to draw.

Buckets follow the calendar (days, months, years, decades, centuries...) so a
hover can say "1850 – 1859"; counts are exact. Events are counted per theme
combination first (one ``bincount``), then per lane with a small matrix product:
a million events take a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import dates
from .model import Timeline

TARGET_BUCKETS = 160
YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000) + tuple(
    m * 10**k for k in range(4, 13) for m in (1, 2, 5)
)
"""Bucket widths in years, up to a trillion years: whatever the range, the buckets stay few."""
MAX_BUCKETS = 4 * TARGET_BUCKETS
MAX_BUCKET_MS = 1e12 * 365.2425 * 86_400_000
"""Beyond a trillion years from 1970 no range is bucketed (such a range never reaches here)."""
MONTH_STEPS = (1, 2, 3, 6)
DAY_STEPS = (1, 2, 7, 14)


@dataclass(frozen=True)
class Buckets:
    edges: np.ndarray  # float64 epoch ms, len = n + 1
    unit: str  # "year", "month" or "day"
    step: int

    def labels(self) -> list[str]:
        """'1850 – 1859', 'Mar 1945', '2 Sep 1945 – 8 Sep 1945' for each bucket."""
        prec = {"year": dates.YEAR, "month": dates.MONTH, "day": dates.DAY}[self.unit]
        first = dates.format_dates(self.edges[:-1], np.full(len(self.edges) - 1, prec))
        if self.step == 1:
            return list(first)
        last = dates.format_dates(self.edges[1:] - 1, np.full(len(self.edges) - 1, prec))
        return [f"{a} – {b}" for a, b in zip(first, last)]


def calendar_buckets(x0: float, x1: float, target: int = TARGET_BUCKETS) -> Buckets:
    """The finest calendar-aligned buckets covering [x0, x1] with at most about ``target`` of them."""
    span_days = max((x1 - x0) / dates.MS_PER_DAY, 1.0)
    candidates = (
        [("day", s, span_days / s) for s in DAY_STEPS]
        + [("month", s, span_days / (30.436875 * s)) for s in MONTH_STEPS]
        + [("year", s, span_days / (365.2425 * s)) for s in YEAR_STEPS]
    )
    unit, step, _ = next((c for c in candidates if c[2] <= target), candidates[-1])
    d0, d1 = int(x0 // dates.MS_PER_DAY), int(x1 // dates.MS_PER_DAY)
    if not (np.isfinite(x0) and np.isfinite(x1)) or max(abs(x0), abs(x1)) > MAX_BUCKET_MS:
        raise ValueError(f"cannot bucket the range {x0!r} to {x1!r}")
    if unit == "day":
        days = np.arange(d0 - d0 % step, d1 + step + 1, step)
    else:
        (y0,), (m0,), _ = dates.civil_from_days(np.array([d0]))
        (y1,), (m1,), _ = dates.civil_from_days(np.array([d1]))
        if unit == "month":
            first = int(y0) * 12 + int(m0) - 1
            months = np.arange(first - first % step, int(y1) * 12 + int(m1) + step, step)
            days = dates.days_from_civil(months // 12, months % 12 + 1, np.ones_like(months))
        else:
            # Multiples of the step in historians' years (100 BCE, 50 BCE, 1, 50, 100...).
            h0, h1 = (int(dates.astronomical_to_historian(np.array([y]))[0]) for y in (y0, y1))
            hist = np.arange(h0 - h0 % step, h1 + step + 1, step)
            years = np.unique(np.where(hist < 0, hist + 1, np.maximum(hist, 1)))
            days = dates.days_from_civil(years, np.ones_like(years), np.ones_like(years))
    if len(days) > MAX_BUCKETS + 1:
        raise ValueError(f"a range of {span_days:,.0f} days is too wide for density buckets")
    return Buckets(days.astype(np.float64) * dates.MS_PER_DAY, unit, step)


@dataclass(frozen=True)
class Density:
    buckets: Buckets
    lanes: list[str]
    per_lane: np.ndarray  # int64 [lane, bucket]: events of that theme starting in the bucket
    total: np.ndarray  # int64 [bucket]: distinct events (an event with two themes counts once)


def in_window(timeline: Timeline, rows: np.ndarray, x0: float, x1: float) -> np.ndarray:
    """The rows whose time span overlaps [x0, x1]."""
    start = timeline.column("start")[rows]
    last = timeline.column("last")[rows]
    overlapping: np.ndarray = rows[(last >= x0) & (start <= x1)]
    return overlapping


def density(
    timeline: Timeline, rows: np.ndarray, lanes: list[str], x0: float, x1: float, target: int = TARGET_BUCKETS
) -> Density:
    """Exact counts of ``rows`` (already inside the window) per lane and calendar bucket.

    An event is counted in the bucket where it starts; a period that began before the
    window is counted in the first bucket, so the buckets add up to the events in view.
    """
    buckets = calendar_buckets(x0, x1, target)
    nb = len(buckets.edges) - 1
    start = timeline.column("start")[rows]
    b = np.clip(np.searchsorted(buckets.edges, start, side="right") - 1, 0, nb - 1)
    combos, codes = timeline.theme_combinations()
    c = codes[rows]
    lane_bits = np.array([np.uint64(1) << np.uint64(timeline.themes.index(t)) for t in lanes], dtype=np.uint64)
    has = ((combos[:, None] & lane_bits[None, :]) != 0).astype(np.int64)  # [combo, lane]
    if len(combos) * nb <= 20_000_000:
        counts = np.bincount(b * len(combos) + c, minlength=nb * len(combos)).reshape(nb, len(combos))
        per_lane = (counts @ has).T
    else:  # very many distinct theme combinations: count lane by lane
        per_lane = np.stack([np.bincount(b[has[c, j] == 1], minlength=nb) for j in range(len(lanes))])
    total = np.bincount(b, minlength=nb)
    return Density(buckets, lanes, per_lane.astype(np.int64), total.astype(np.int64))
