"""Realistic synthetic events in the project's CSV format, for tests and benchmarks at scale.

Dates are skewed towards recent centuries with a BCE tail, at mixed precision;
about one event in ten is a period; each event has 1-3 themes with uneven
popularity; titles and descriptions have realistic lengths. The same seed gives
the same file.

``python benchmarks/generate.py --events 1000000 -o /tmp/events-1m.csv`` writes such a file.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

THEMES = [
    "diplomacy",
    "security",
    "trade",
    "war",
    "china",
    "korea",
    "memory",
    "politics",
    "science",
    "religion",
    "migration",
    "culture",
    "labour",
    "environment",
    "health",
    "law",
    "finance",
    "technology",
    "sport",
    "media",
]
NOUNS = [
    "Treaty",
    "Summit",
    "Conference",
    "Agreement",
    "Battle",
    "Declaration",
    "Accord",
    "Expedition",
    "Embassy",
    "Strike",
    "Election",
    "Reform",
    "Visit",
    "Talks",
    "Crisis",
    "Founding",
    "Census",
    "Charter",
]
PLACES = [
    "Kanagawa",
    "Shimoda",
    "Portsmouth",
    "Geneva",
    "Washington",
    "Tokyo",
    "Osaka",
    "Seoul",
    "Beijing",
    "Manila",
    "Honolulu",
    "San Francisco",
    "Nagasaki",
    "Kyoto",
    "Hakodate",
    "Okinawa",
    "Busan",
    "Shanghai",
    "Canton",
    "Edo",
    "Athens",
    "Marathon",
    "Rome",
    "Carthage",
    "Alexandria",
    "Babylon",
]
ADJ = [
    "first",
    "second",
    "provisional",
    "secret",
    "bilateral",
    "regional",
    "historic",
    "contested",
    "brief",
    "long-awaited",
    "failed",
    "landmark",
    "disputed",
    "joint",
]
VERBS = ["signed", "announced", "opened", "concluded", "rejected", "ratified", "negotiated", "proclaimed"]
PEOPLE = [
    "Matthew Perry",
    "Townsend Harris",
    "Ito Hirobumi",
    "Theodore Roosevelt",
    "Shigeru Yoshida",
    "Douglas MacArthur",
    "Nobusuke Kishi",
    "Eisaku Sato",
    "Yasuhiro Nakasone",
    "Ronald Reagan",
    "Junichiro Koizumi",
    "Shinzo Abe",
    "Barack Obama",
    "Fumio Kishida",
    "Sanae Takaichi",
    "Cyrus",
    "Pericles",
    "Miltiades",
    "Darius I",
    "Tokugawa Iesada",
    "Emperor Meiji",
    "Li Hongzhang",
]


def generate(n: int, n_themes: int = 12, seed: int = 7, first: int = 1) -> pa.Table:
    """``n`` events, ids numbered from ``first`` (a chunk of a larger file takes its own seed and first)."""
    rng = np.random.default_rng(seed)
    # Years: 70% modern (1800-2025, denser towards today), 20% 0-1800, 10% BCE (to 3000 BCE).
    kind = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    modern = 2025 - np.floor(rng.exponential(40, n)).clip(0, 225)
    middle = rng.integers(1, 1800, n)
    bce = -rng.integers(1, 3001, n)
    year = np.where(kind == 0, modern, np.where(kind == 1, middle, bce)).astype(np.int64)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    prec = rng.choice(3, size=n, p=[0.25, 0.25, 0.5])  # year, month, day

    def fmt(y, m, d, p):
        ys = np.where(y < 0, np.char.add("-", np.char.zfill((-y).astype(str), 4)), np.char.zfill(y.astype(str), 4))
        ym = np.char.add(np.char.add(ys, "-"), np.char.zfill(m.astype(str), 2))
        ymd = np.char.add(np.char.add(ym, "-"), np.char.zfill(d.astype(str), 2))
        return np.where(p == 0, ys, np.where(p == 1, ym, ymd))

    date = fmt(year, month, day, prec)
    is_range = rng.random(n) < 0.1
    dur_years = np.floor(rng.lognormal(0.5, 1.2, n)).astype(np.int64)
    end_year = year + dur_years
    end_year = np.where((year < 0) & (end_year >= 0), end_year + 1, end_year)  # no year 0
    end_year = np.minimum(end_year, 2026)
    end_month = np.where(dur_years == 0, 12, month)
    end_day = np.where(dur_years == 0, 28, day)
    end = np.where(is_range, fmt(end_year, end_month, end_day, prec), "")

    # 1-3 themes with Zipf-like popularity.
    themes = np.array(THEMES[:n_themes])
    weights = 1 / np.arange(1, n_themes + 1) ** 0.8
    weights /= weights.sum()
    k = rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15])
    t1 = rng.choice(n_themes, size=n, p=weights)
    t2 = (t1 + 1 + rng.integers(0, n_themes - 1, n)) % n_themes
    t3 = (t2 + 1 + rng.integers(0, n_themes - 2, n)) % n_themes
    t3 = np.where(t3 == t1, (t3 + 1) % n_themes, t3)
    theme_col = np.where(
        k == 1,
        themes[t1],
        np.where(
            k == 2,
            np.char.add(np.char.add(themes[t1], ";"), themes[t2]),
            np.char.add(np.char.add(np.char.add(np.char.add(themes[t1], ";"), themes[t2]), ";"), themes[t3]),
        ),
    )

    noun = np.array(NOUNS)[rng.integers(0, len(NOUNS), n)]
    place = np.array(PLACES)[rng.integers(0, len(PLACES), n)]
    adj = np.array(ADJ)[rng.integers(0, len(ADJ), n)]
    title = [f"{a.capitalize()} {b} of {c}" for a, b, c in zip(adj.tolist(), noun.tolist(), place.tolist())]
    people = np.array(PEOPLE)
    p1 = people[rng.integers(0, len(people), n)]
    p2 = people[rng.integers(0, len(people), n)]
    verb = np.array(VERBS)[rng.integers(0, len(VERBS), n)]
    place2 = np.array(PLACES)[rng.integers(0, len(PLACES), n)]
    description = [
        f"Delegates led by {a} {v} the {b.lower()} in {c} after months of preparation. "
        f"Observers in {d} described it as {e} and it shaped relations for years afterwards."
        for a, v, b, c, d, e in zip(
            p1.tolist(), verb.tolist(), noun.tolist(), place.tolist(), place2.tolist(), adj.tolist()
        )
    ]
    actors = np.where(rng.random(n) < 0.5, p1, np.char.add(np.char.add(p1, ";"), p2))
    importance = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.2, 0.35, 0.35, 0.09, 0.01])
    ids = np.char.add("ev-", np.char.zfill(np.arange(first, first + n).astype(str), 7))
    return pa.table(
        {
            "id": ids,
            "date": date,
            "end_date": end,
            "title": title,
            "themes": theme_col,
            "description": description,
            "actors": actors,
            "location": place,
            "source": np.char.add("https://example.org/archive/", ids),
            "importance": importance.astype(str),
        }
    )
