"""People's lives: a birth and a death date beside an event (a monarch's reign, a minister's term).

A life is kept apart from the event's own dates (``Timeline.lives``, one row per event that has
one), so a file without lives costs nothing. Its dates are possible spans like any date
("c. 1028" may mean 1018 to 1038); a blank death with a birth is a person still alive, whose life
runs to the present. A row with a birth but no event date is the life alone: its dates are the
event's, and the figure draws it as the life line only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dates

LIFE_START, LIFE_END = "life_start", "life_end"
"""The columns of a file (ours; hdtimelines' hdate_birth and hdate_death) holding a life."""

LIFE_FRAME_COLUMNS = (
    "row",
    "start",
    "last",
    "earliest",
    "latest",
    "only",
    "start_label",
    "end_label",
    "start_text",
    "end_text",
)
"""``Timeline.lives``: the event's row; the first and last ms the life most likely covers and may
cover (last and latest NaN while the person lives); whether the event is the life alone; the dates
as shown ('1533', 'c. 1028') and as written (exports write them back)."""


def empty_lives() -> pd.DataFrame:
    """A lives table with no rows (a timeline without lives)."""
    frame = pd.DataFrame(
        {
            "row": np.zeros(0, dtype=np.int64),
            **{c: np.zeros(0) for c in ("start", "last", "earliest", "latest")},
            "only": np.zeros(0, dtype=bool),
        }
    )
    for col in LIFE_FRAME_COLUMNS[6:]:
        frame[col] = pd.Series([], dtype="str")
    return frame


@dataclass
class ParsedLives:
    """The life columns of a table, parsed; rows without a birth have no life."""

    birth: dates.ParsedDates
    death: dates.ParsedDates
    birth_text: pa.Array
    death_text: pa.Array

    @property
    def valid(self) -> np.ndarray:
        """Rows whose birth (and death, if given) are dates, the death not before the birth."""
        ok_birth = self.birth.present & (self.birth.error == None)  # noqa: E711 (elementwise)
        ok_death = ~self.death.present | (self.death.error == None)  # noqa: E711
        return np.asarray(ok_birth & ok_death & ~self.backwards, dtype=bool)

    @property
    def backwards(self) -> np.ndarray:
        return np.asarray(self.death.present & (self.death.end_ms < self.birth.ms), dtype=bool)

    def event_dates(self, date: pa.Array, end_date: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray]:
        """(date, end date, life alone): a row with no dates but a valid life takes the life's dates."""
        blank = pc.and_(pc.equal(date, ""), pc.equal(end_date, ""))
        only = np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool) & self.valid
        if not only.any():
            return date, end_date, only
        use = pa.array(only)
        return pc.if_else(use, self.birth_text, date), pc.if_else(use, self.death_text, end_date), only


def parse_lives(
    birth_text: pa.Array, death_text: pa.Array, julian: np.ndarray | None, date_order: str | None = None
) -> ParsedLives:
    """Parse the birth and death cells (trimmed strings) of every row (a death may be 'ongoing')."""
    return ParsedLives(
        dates.parse_dates(birth_text, julian, date_order),
        dates.parse_dates(death_text, julian, date_order, end=True),
        birth_text,
        death_text,
    )


def lives_frame(parsed: ParsedLives, only: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    """The lives of the table rows ``rows`` (the events, in order), numbered by event."""
    has = parsed.birth.present[rows] & parsed.valid[rows]
    if not has.any():
        return empty_lives()
    taken = rows[has]
    b, d = parsed.birth, parsed.death
    died = d.present[taken]
    frame = pd.DataFrame(
        {
            "row": np.flatnonzero(has).astype(np.int64),
            "start": b.ms[taken],
            "last": np.where(died, d.end_ms[taken], np.nan),
            "earliest": b.earliest[taken],
            "latest": np.where(died, d.latest[taken], np.nan),
            "only": only[taken],
        }
    )
    frame["start_label"] = pd.Series(_shown(b, taken), dtype="str")
    frame["end_label"] = pd.Series(np.where(died, _shown(d, taken), ""), dtype="str")
    frame["start_text"] = pd.Series(parsed.birth_text.take(pa.array(taken)).to_pylist(), dtype="str")
    frame["end_text"] = pd.Series(parsed.death_text.take(pa.array(taken)).to_pylist(), dtype="str")
    return frame


def _shown(parsed: dates.ParsedDates, rows: np.ndarray) -> np.ndarray:
    """Dates as they read: the written form where it is one of the new forms, else at their precision."""
    plain = dates.format_dates(np.nan_to_num(parsed.ms[rows]), np.maximum(parsed.precision[rows], 0))
    special = parsed.display[rows]
    out: np.ndarray = np.where(special != None, special, plain).astype(object)  # noqa: E711
    return out


def present_ms() -> float:
    """Now, in epoch ms: where the life of someone still alive ends."""
    return time.time() * 1000.0


def lives_of(lives: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The lives of the event rows ``rows`` (in the order of the lives table)."""
    if len(lives) == 0:
        return lives
    return lives[np.isin(lives["row"].to_numpy(), rows)]


def life_span(lives: pd.DataFrame, possible: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) ms of each life: most likely, or as wide as it may be; a life goes on to today."""
    lo = lives["earliest" if possible else "start"].to_numpy(dtype=np.float64)
    hi = lives["latest" if possible else "last"].to_numpy(dtype=np.float64)
    return lo, np.where(np.isnan(hi), present_ms(), hi)


def life_labels(lives: pd.DataFrame) -> np.ndarray:
    """'1533 – 1603', or '1948 –' for someone alive, per life."""
    start = lives["start_label"].to_numpy(dtype=object)
    end = lives["end_label"].to_numpy(dtype=object)
    out: np.ndarray = np.where(end != "", start + " – " + end, start + " –").astype(object)
    return out


def life_only(lives: pd.DataFrame, n_events: int) -> np.ndarray:
    """A mask over the events: those that are a life alone (no event date of their own)."""
    mask = np.zeros(n_events, dtype=bool)
    if len(lives):
        mask[lives["row"].to_numpy()[lives["only"].to_numpy(dtype=bool)]] = True
    return mask
