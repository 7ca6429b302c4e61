"""Validation: a table of strings, as read from any file format, into a :class:`Timeline`.

Whole columns are checked at once (pyarrow compute), so a million rows validate in well
under a second; line numbers are worked out only when something is wrong, and then
every problem is reported with its line, column, value and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from natsort import natsort_keygen, ns

from . import dates
from .lives import LIFE_END, LIFE_START, ParsedLives, empty_lives, lives_frame, parse_lives
from .media import ADDRESS_COLUMNS, MAX_ADDRESS, MEDIA_COLUMNS, PLAIN_ADDRESS, media_problem
from .model import (
    CALENDARS,
    DATE_TEXT_COLUMNS,
    DEFAULT_IMPORTANCE,
    FORMULA_START,
    KINDS,
    KNOWN_COLUMNS,
    MAX_THEMES,
    MEDIA_TEXT_COLUMNS,
    NOT_TEXT,
    STORY_COLUMN,
    TEXT_COLUMNS,
    THEME_VOCABULARY,
    Problem,
    Timeline,
    ValidationError,
    has_variants,
    language_variant,
)

TRIMMED_COLUMNS = (
    "id",
    "date",
    "end_date",
    "title",
    "themes",
    "importance",
    "kind",
    "source",
    "calendar",
    LIFE_START,
    LIFE_END,
    *ADDRESS_COLUMNS,
    STORY_COLUMN,
)
"""Cells compared or parsed are trimmed; long free text is kept as written."""
STORY_LIMIT = 2**31
"""A story number is a whole number below this either way (it orders rows; it is not a count)."""
STORY_EXPECTED = f"a whole number (the event's place in the story; negative allowed, below {STORY_LIMIT:,} either way)"


def unescape_formulas(arr: pa.Array) -> pa.Array:
    """``'=SUM(A1)`` back to ``=SUM(A1)`` (see FORMULA_START); other cells untouched."""
    if not pc.any(pc.starts_with(arr, "'")).as_py():
        return arr
    pattern = "^'[" + re.escape(FORMULA_START) + "]"
    return pc.if_else(pc.match_substring_regex(arr, pattern), pc.utf8_slice_codeunits(arr, 1), arr)


class _Columns:
    """Each column once, as a single chunk of strings (trimmed where it is compared or parsed)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.n = table.num_rows
        self._cache: dict[str, pa.Array] = {}

    def __getitem__(self, col: str) -> pa.Array:
        if col not in self._cache:
            if col not in self.table.column_names:
                arr = pa.nulls(self.n, pa.string()).fill_null("")
            else:
                arr = self.table[col].combine_chunks()
                if col in TRIMMED_COLUMNS:
                    arr = pc.utf8_trim_whitespace(arr)
                if col not in NOT_TEXT:
                    arr = unescape_formulas(arr)
            self._cache[col] = arr
        return self._cache[col]


def validate_table(
    table: pa.Table,
    problems: list[Problem],
    name: str,
    line_numbers: Callable[[], np.ndarray],
    date_order: str | None = None,
    shown: Mapping[str, str] | None = None,
    number_from: int = 1,
) -> Timeline:
    """Every row of a table of strings (the file's columns, normalised names) checked at once: the
    :class:`Timeline`, or ValidationError listing every problem (``problems`` holds those the reader
    found). ``line_numbers()`` gives each row's line in the file; it is called only to report a
    problem, as working lines out can mean reading the file again. ``date_order`` ("dmy" or "mdy")
    reads numeric day/month dates such as 25/12/1066 in both date columns (refused without it).
    ``shown`` names the file's own header for our columns it calls otherwise (``{'date': 'Start'}``):
    problems say 'Start'. ``number_from``: the number of the table's first row in the whole file, when
    the table is one chunk of a larger one (rows without an id are named ``row-N`` after it)."""
    shown = shown or {}
    n = table.num_rows
    if n == 0 and not problems:
        raise ValidationError(name, [Problem(None, None, None, "at least one event row after the header")])
    cols = _Columns(table)
    line_memo: list[np.ndarray] = []

    def line_of_rows() -> np.ndarray:
        """Each row's line in the file: read again (slowly) only when a problem needs it, and once."""
        if not line_memo:
            line_memo.append(line_numbers())
        return line_memo[0]

    # (row mask, column, values, reason): one reason for every row, or an array of one per row
    bad: list[tuple[np.ndarray, str, pa.Array, str | np.ndarray]] = []

    def flag(mask: np.ndarray, column: str, reason: str | np.ndarray) -> None:
        if mask.any():
            bad.append((mask, column, cols[column], reason))

    variants = [c for c in table.column_names if language_variant(c)]
    for column in variants:
        base, _ = language_variant(column) or ("", "")
        if not has_variants(base):
            problems.append(
                Problem(
                    1,
                    column,
                    column,
                    "a language variant of a text column only (title_ja, description_ja: "
                    + ", ".join((*TEXT_COLUMNS, *MEDIA_TEXT_COLUMNS))
                    + f"), not of '{base}'",
                )
            )
    variants = [c for c in variants if has_variants((language_variant(c) or ("", ""))[0])]

    flag(_np(pc.equal(cols["title"], "")), "title", "a title (it may not be empty)")

    kind = pc.utf8_lower(cols["kind"])
    is_era = _is_era(kind)
    flag(~_np(pc.is_in(kind, pa.array(KINDS + ("",)))), "kind", "'event' or 'era' (or empty)")

    calendar = pc.utf8_lower(cols["calendar"])
    flag(~_np(pc.is_in(calendar, pa.array((*CALENDARS, "")))), "calendar", "'gregorian' or 'julian' (or empty)")
    julian = _np(pc.equal(calendar, "julian")) if "calendar" in table.column_names else None

    date_cells, end_cells = cols["date"], cols["end_date"]
    lives: ParsedLives | None = None
    only = np.zeros(n, dtype=bool)
    if LIFE_START in table.column_names or LIFE_END in table.column_names:
        lives, date_cells, end_cells, only = _check_lives(cols, julian, date_order, flag)
    start = dates.parse_dates(date_cells, julian, date_order)
    if lives is None:
        flag(~start.present, "date", dates.DATE_FORMS + " (the date is required)")
    else:
        flag(
            ~start.present & ~only,
            "date",
            dates.DATE_FORMS + f" (a date is required, or for a life alone a birth date in {LIFE_START})",
        )
    flag(start.error != None, "date", start.error)  # noqa: E711 (elementwise)

    end = dates.parse_dates(end_cells, julian, date_order, end=True)
    flag(end.error != None, "end_date", end.error)  # noqa: E711
    backwards = end.present & (end.end_ms < start.ms)
    if backwards.any():
        reasons = np.full(n, None, dtype=object)
        date_txt = cols["date"]
        for i in np.flatnonzero(backwards):
            reasons[i] = f"an end date on or after the start date {date_txt[int(i)].as_py()}"
        flag(backwards, "end_date", reasons)
    flag(is_era & ~end.present, "end_date", "an end date: an era is a period")

    flat, parents = _split_themes(cols["themes"])
    has_theme = np.zeros(n, dtype=bool)
    has_theme[parents] = True
    flag(~has_theme & ~is_era, "themes", "one or more themes separated by ';' (e.g. security;trade)")

    importance_txt = cols["importance"]
    importance = pc.cast(
        pc.if_else(pc.match_substring_regex(importance_txt, r"^[1-5]$"), importance_txt, None), pa.int8()
    )
    flag(
        _np(pc.and_(pc.not_equal(importance_txt, ""), pc.is_null(importance))),
        "importance",
        "a whole number from 1 to 5 (or empty for 3)",
    )
    importance = pc.fill_null(importance, DEFAULT_IMPORTANCE).to_numpy()

    flag(~_is_url(cols["source"]) & _np(pc.not_equal(cols["source"], "")), "source", "an http:// or https:// URL")

    media_columns = MEDIA_COLUMNS if any(c in table.column_names for c in MEDIA_COLUMNS) else ()
    for column in ADDRESS_COLUMNS:
        if column in table.column_names:
            wrong, expected = _each_distinct(cols[column], media_problem, PLAIN_ADDRESS, MAX_ADDRESS)
            flag(wrong, column, expected)
    story: dict[str, np.ndarray] = {}
    if STORY_COLUMN in table.column_names:
        story[STORY_COLUMN], wrong = _story_numbers(cols[STORY_COLUMN])
        flag(wrong, STORY_COLUMN, STORY_EXPECTED)

    ids = cols["id"]
    has_id = _np(pc.not_equal(ids, ""))
    # Ids are unique within a file; in the export of several files (a topic column), within a topic.
    scoped = pc.binary_join_element_wise(cols["topic"], ids, "\x1f") if "topic" in table.column_names else ids
    given = scoped.filter(pa.array(has_id)) if not has_id.all() else scoped
    if len(given) and len(pc.unique(given)) < len(given):
        id_np = np.asarray(scoped.to_pylist(), dtype=object)
        dup = has_id & pd.Series(id_np).duplicated(keep="first").to_numpy()
        first_row: dict[str, int] = {}
        for i in np.flatnonzero(has_id):
            first_row.setdefault(id_np[i], int(i))
        line_of = line_of_rows()
        reasons = np.full(n, None, dtype=object)
        for i in np.flatnonzero(dup):
            reasons[i] = f"a unique id: it is already used on line {line_of[first_row[id_np[i]]]}"
        flag(dup, "id", reasons)

    # Themes: vocabulary order first, then the rest alphabetically.
    event_rows = ~is_era
    ordered = lane_order(set(pc.unique(flat.filter(pa.array(event_rows[parents]))).to_pylist()))
    if len(ordered) > MAX_THEMES:
        problems.append(
            Problem(
                None,
                shown.get("themes", "themes"),
                None,
                f"at most {MAX_THEMES} different themes (one lane each), found {len(ordered)}",
            )
        )

    if bad or problems:
        line_of = line_of_rows()
        for mask, column, values, reason in bad:
            rows = np.flatnonzero(mask)
            vals = values.take(pa.array(rows)).to_pylist()
            for r, v in zip(rows.tolist(), vals):
                why = reason[r] if isinstance(reason, np.ndarray) else reason
                problems.append(Problem(int(line_of[r]), shown.get(column, column), v, why))
        raise ValidationError(name, problems, [shown.get(c, c) for c in KNOWN_COLUMNS])

    mask = _theme_masks(n, flat, parents, ordered)
    if not has_id.all():
        generated = pc.binary_join_element_wise(
            "row-", pc.cast(pa.array(np.arange(number_from, number_from + n)), pa.string()), ""
        )
        ids = pc.if_else(pa.array(has_id), ids, generated)

    is_range = end.present
    numeric = {
        "start": start.ms,
        "last": np.where(is_range, end.end_ms, start.end_ms),
        "end": np.where(is_range, end.ms, np.nan),
        "start_prec": start.precision,
        "end_prec": np.where(is_range, end.precision, -1).astype(np.int8),
        "earliest": start.earliest,
        "latest": np.where(is_range, end.latest, start.latest),
        "julian": np.zeros(n, dtype=bool) if julian is None else julian,
        "theme_mask": mask,
        "importance": importance.astype(np.int8),
        **story,
    }
    text = {"id": ids, **{col: cols[col] for col in (*TEXT_COLUMNS, *media_columns, *variants)}}
    # Dates in the new forms (or Julian): their text as written, and shown so unless the file says how.
    for parsed, col, shown_col in ((start, "date", "display_date"), (end, "end_date", "end_display_date")):
        special = parsed.special
        if special.any():
            written = pa.array(np.where(special, parsed.display, ""), type=pa.string())
            keep = pc.or_(pc.invert(pa.array(special)), pc.not_equal(text[shown_col], ""))
            text[shown_col] = pc.if_else(keep, text[shown_col], written)
            text[col + "_text"] = pc.if_else(pa.array(special), cols[col], "")
        else:
            text[col + "_text"] = pa.nulls(n, pa.string()).fill_null("")
    extras_cols = extra_columns(table.column_names)

    def frame(rows: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows given, in the file's order (no copy when that is every row)."""
        every = len(rows) == n
        take = None if every else pa.array(rows, type=pa.int64())
        df = pd.DataFrame({k: v if every else v[rows] for k, v in numeric.items()})
        for k, v in text.items():
            df[k] = pd.Series((v if every else v.take(take)).to_pandas(), dtype="str")
        ex = pa.table({c: cols[c] for c in extras_cols}) if extras_cols else None
        ex = (ex if every else ex.take(take)).to_pandas() if ex is not None else pd.DataFrame(index=range(len(rows)))
        return df[["id", *numeric, *TEXT_COLUMNS, *media_columns, *DATE_TEXT_COLUMNS, *variants]], ex

    events, extras = frame(np.flatnonzero(event_rows))
    era_rows = np.flatnonzero(is_era)
    eras, era_extras = frame(era_rows)
    era_themes = pd.Series(cols["themes"].take(pa.array(era_rows, type=pa.int64())).to_pandas(), dtype="str")
    era_extras.insert(0, "themes", era_themes)
    if len(events) == 0:
        raise ValidationError.of_file(
            name,
            "at least one event row (kind 'event'): eras are drawn behind events; to draw periods alone, "
            "leave their kind empty",
        )
    life_table = empty_lives() if lives is None else lives_frame(lives, only, np.flatnonzero(event_rows))
    return Timeline(
        events=events,
        themes=ordered,
        eras=eras.drop(columns=["theme_mask"]),
        source_name=name,
        extras=extras,
        era_extras=era_extras,
        lives=life_table,
    )


def _check_lives(
    cols: _Columns,
    julian: np.ndarray | None,
    date_order: str | None,
    flag: Callable[[np.ndarray, str, str | np.ndarray], None],
) -> tuple[ParsedLives, pa.Array, pa.Array, np.ndarray]:
    """Parse and check the life columns; (lives, date cells, end date cells, life alone): a row with
    a life and no date of its own takes the life's dates."""
    lives = parse_lives(cols[LIFE_START], cols[LIFE_END], julian, date_order)
    birth, death = lives.birth, lives.death
    flag(birth.error != None, LIFE_START, birth.error)  # noqa: E711 (elementwise)
    flag(death.error != None, LIFE_END, death.error)  # noqa: E711
    flag(death.present & ~birth.present, LIFE_START, f"a birth date: the row has a death date in {LIFE_END}")
    backwards = lives.backwards & (birth.error == None)  # noqa: E711
    if backwards.any():
        reasons = np.full(len(backwards), None, dtype=object)
        for i in np.flatnonzero(backwards):
            reasons[i] = f"a death date on or after the birth date {cols[LIFE_START][int(i)].as_py()}"
        flag(backwards, LIFE_END, reasons)
    date_cells, end_cells, only = lives.event_dates(cols["date"], cols["end_date"])
    return lives, date_cells, end_cells, only


def extra_columns(names: Sequence[str]) -> list[str]:
    """The file's other columns among ``names`` (normalised): neither ours nor a language's variant of
    ours (``title_ja``; a variant of a column that has none is refused). They are kept as text and
    written back by the CSV export."""
    return [c for c in names if c not in KNOWN_COLUMNS and not language_variant(c)]


def _is_era(kind: pa.Array) -> np.ndarray:
    """Rows of kind 'era' (``kind`` in lower case)."""
    return _np(pc.equal(kind, "era"))


def _split_themes(cells: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(every theme named, by :func:`theme_names`; the cell each comes from): ``a; B`` names 'a' and 'B'."""
    theme_lists = pc.split_pattern(cells, ";")
    flat = pc.utf8_trim_whitespace(pc.list_flatten(theme_lists))
    parents = pc.list_parent_indices(theme_lists).to_numpy()
    keep = _np(pc.not_equal(flat, ""))
    if not keep.all():
        flat = flat.filter(pa.array(keep))
        parents = parents[keep]
    return theme_names(flat), parents


def theme_names(written: pa.Array) -> pa.Array:
    """Each theme as written, under the one name of all its spellings: a theme is the same in any case
    ('WWII', 'wwii'), and is named by the spelling that sorts first, so that capitals stay ('WWII',
    'USA', 'iPhone era'), whatever order the rows (or a file's chunks) come in; the shipped
    vocabulary's themes in lower case, as their translations are keyed."""
    lower = pc.utf8_lower(written)
    if len(written) == 0 or pc.all(pc.equal(lower, written)).as_py():
        return lower
    spelled = pa.table({"k": lower, "w": written}).group_by("k").aggregate([("w", "min")])
    keys, names = spelled["k"].combine_chunks(), spelled["w_min"].combine_chunks()
    names = pc.if_else(pc.is_in(keys, pa.array(THEME_VOCABULARY)), keys, names)
    return pc.take(names, pc.index_in(lower, keys))


_NATURAL = natsort_keygen(alg=ns.IGNORECASE)
"""A sort key reading the numbers in a name as numbers, in any case."""


def lane_order(themes: set[str]) -> list[str]:
    """Themes in the order of their lanes: the shipped vocabulary's first, then the rest alphabetically
    (in any case, numbers as numbers: 'Phase 2' before 'Phase 10'); one name for each theme
    (:func:`theme_names`), as a file read in chunks has several."""
    named = set(theme_names(pa.array(sorted(themes), type=pa.string())).to_pylist())
    rest = sorted(named - set(THEME_VOCABULARY), key=lambda t: (_NATURAL(t), t))
    return [t for t in THEME_VOCABULARY if t in named] + rest


def event_themes(table: pa.Table) -> set[str]:
    """The themes :func:`validate_table` finds for the events of a table of strings (our column names;
    only ``themes`` and ``kind`` are read; eras' own themes give no lane): a first pass over a file
    validated in chunks learns all its lanes from these. Each distinct cell is read once."""
    cols = _Columns(table)
    events = pa.array(~_is_era(pc.utf8_lower(cols["kind"])))
    flat, _ = _split_themes(pc.unique(cols["themes"].filter(events)))
    return set(pc.unique(flat).to_pylist())


def _theme_masks(n: int, flat: pa.Array, parents: np.ndarray, ordered: list[str]) -> np.ndarray:
    """One uint64 per row, bit i set when the row has theme ``ordered[i]``."""
    mask = np.zeros(n, dtype=np.uint64)
    if len(parents) == 0:
        return mask
    codes = pc.index_in(flat, pa.array(ordered, type=pa.string())).to_numpy(zero_copy_only=False)
    codes = np.nan_to_num(codes.astype(np.float64), nan=0).astype(np.uint64)  # era-only themes: no lane
    bits = np.left_shift(np.uint64(1), codes)
    firsts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
    mask[parents[firsts]] = np.bitwise_or.reduceat(bits, firsts)
    return mask


def _each_distinct(
    values: pa.Array, problem: Callable[[str], str | None], fine: str, longest: int
) -> tuple[np.ndarray, np.ndarray]:
    """(which cells are wrong, what each wrong cell should be instead): cells matching the regular
    expression ``fine`` (and at most ``longest`` characters) pass at once, with the empty ones; the
    others are asked about (``problem``) once per distinct value."""
    wrong = np.zeros(len(values), dtype=bool)
    reasons = np.full(len(values), None, dtype=object)
    passed = pc.and_(pc.match_substring_regex(values, fine), pc.less_equal(pc.utf8_length(values), longest))
    distinct = pc.unique(values.filter(pc.invert(pc.or_(passed, pc.equal(values, "")))))
    found = {v: why for v in distinct.to_pylist() if (why := problem(v)) is not None}
    if found:
        at = pc.index_in(values, pa.array(list(found), type=pa.string())).to_numpy(zero_copy_only=False)
        hit = ~np.isnan(at.astype(np.float64))
        wrong[hit] = True
        reasons[hit] = np.asarray(list(found.values()), dtype=object)[at[hit].astype(np.int64)]
    return wrong, reasons


def _story_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(each cell's story number, NaN where empty or wrong; which cells are not a whole number in range)."""
    whole = pc.match_substring_regex(values, r"^[+-]?[0-9]{1,10}$")
    number = pc.cast(pc.if_else(whole, pc.utf8_ltrim(values, "+"), None), pa.int64())
    fits = pc.less(pc.abs(number), STORY_LIMIT)
    kept = pc.if_else(fits, pc.cast(number, pa.float64()), None)
    wrong = _np(pc.and_(pc.not_equal(values, ""), pc.invert(pc.fill_null(fits, False))))
    return kept.to_numpy(zero_copy_only=False).astype(np.float64), wrong


def _is_url(values: pa.Array) -> np.ndarray:
    """http(s) links without spaces, quotes or angle brackets."""
    return _np(pc.match_substring_regex(values, r"^https?://[^\s<>\"]+$"))


def _np(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)
