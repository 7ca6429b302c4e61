"""Open existing TimelineJS (Knight Lab) data: the Google Sheets template saved as CSV, or TimelineJS JSON.

Both become the project's own table of string columns (``id, date, end_date, title, themes,
description, kind, ...``), which :func:`dashboard.data._validate` then checks like any events
file. What only this importer can see (a Year cell that is not a whole number, an era without
an end, malformed JSON, ...) comes back as :class:`~dashboard.data.Problem` objects with the line
in the user's own file, so every message points at what they wrote::

    kind = detect(data)
    found = read_timelinejs(data, kind, name)
    timeline = validate_table(found.table, found.problems, name, lambda: found.lines, shown=found.shown)

Mapping, in short: Year/Month/Day become ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` at the precision
given (negative years are BCE as historians write them, ``-490``); Headline becomes the plain-text
title (Text's first words when it is empty); Text is kept verbatim as the description (it may be
HTML; it is sanitised when shown); Group becomes the theme (``general`` when there is none);
Type ``era`` rows become eras (with their media, kept like an event's) and the ``title`` row (JSON's
``title`` slide) gives the timeline's title and its cover (:attr:`Read.cover`); Media, Media Credit,
Media Caption and Media Thumbnail become the media columns, each address checked like any file's.
"""

from __future__ import annotations

import csv
import json
import re
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from ..core import dates
from ..core.markup import one_line
from ..core.media import ADDRESS_COLUMNS, media_problem
from ..core.model import Problem, ValidationError, normalise_column
from .csv_reader import SEPARATORS, header_names, text_separator
from .csv_reader import records as csv_records
from .decode import TIMELINEJS_FILE, sniff_text, utf8_bytes, utf8_text

__all__ = ["COLUMNS", "DEFAULT_THEME", "Read", "detect", "read_timelinejs"]

COLUMNS = (
    "id",
    "date",
    "end_date",
    "title",
    "themes",
    "description",
    "kind",
    "display_date",
    "end_display_date",
    "media",
    "media_credit",
    "media_caption",
    "media_thumbnail",
)
"""The columns of the table :func:`read_timelinejs` returns, in order; every one is a string column."""
MEDIA_FIELDS = COLUMNS[-4:]
"""The media columns, in the order of :data:`COLUMNS` (and of a JSON media object's url, credit,
caption, thumbnail)."""
JSON_MEDIA_KEYS = ("url", "credit", "caption", "thumbnail")
JSON_NAMES = {column: f"media.{key}" for column, key in zip(MEDIA_FIELDS, JSON_MEDIA_KEYS)}
"""How problems name the media columns of a JSON file: as its keys."""


class Read(NamedTuple):
    """What :func:`read_timelinejs` found."""

    table: pa.Table
    """The string columns :data:`COLUMNS`, one row per event or era."""
    lines: np.ndarray
    """Each row's line in the file (int64; header = line 1), where its record or JSON object starts."""
    problems: list[Problem]
    """What is wrong that only the importer can see; rows with such problems are left out."""
    title: str | None
    """The timeline's own title as plain text, or None."""
    cover: dict[str, str]
    """The title slide: ``title`` (plain text), ``description`` (as written), and its media columns;
    only what it gives, empty when there is none."""
    shown: dict[str, str]
    """Our column -> the name the file gives it ('Media', 'media.url'): what problems about cells say."""


DEFAULT_THEME = "general"
"""The theme of a row that has no Group."""

TITLE_FALLBACK_LENGTH = 60
"""A row without a Headline is titled with about this many characters of its Text."""

SNIFF_BYTES = 64 * 1024
"""How much of a file :func:`detect` looks at."""

_CSV_LABELS = {  # the template's own spelling, for messages about columns the file lacks
    "year": "Year",
    "month": "Month",
    "day": "Day",
    "end_year": "End Year",
    "end_month": "End Month",
    "end_day": "End Day",
    "media": "Media",
    "media_credit": "Media Credit",
    "media_caption": "Media Caption",
    "media_thumbnail": "Media Thumbnail",
}

_JSON_HINT = re.compile(r'"(?:events|eras)"\s*:\s*\[|"start_date"\s*:\s*\{')
_WHOLE = re.compile(r"^([+-]?)([0-9]+)(?:\.0*)?$")
_MAX_DIGITS = 18
_WS = re.compile(r"[ \t\n\r]*")


# -- detection ----------------------------------------------------------------------


def detect(data: bytes) -> str | None:
    """'csv' for a TimelineJS spreadsheet CSV, 'json' for TimelineJS JSON, None for anything else.

    Only the first :data:`SNIFF_BYTES` are looked at (for a CSV, only its header line), so this is
    cheap on any size of file. A UTF-8 (or UTF-16) byte-order mark is accepted. What comes after
    is not checked here: :func:`read_timelinejs` reports it, with its line.
    """
    text = sniff_text(bytes(data[:SNIFF_BYTES]))
    body = text.lstrip(" \t\r\n")
    if body.startswith("{"):
        return "json" if _JSON_HINT.search(body) else None
    first = body.split("\n", 1)[0]
    if "\x00" in first or "\ufffd" in first:
        return None  # binary, or not UTF-8
    return "csv" if {"year", "headline"} <= header_names(body) else None


# -- reading ------------------------------------------------------------------------


def read_timelinejs(data: bytes, kind: str, name: str) -> Read:
    """What TimelineJS data of ``kind`` 'csv' or 'json' (see :func:`detect`) holds (:class:`Read`).

    Bad input never raises here: everything wrong is in ``problems``, and
    :func:`dashboard.core.validation.validate_table` raises ValidationError with all of it.
    """
    if kind not in ("csv", "json"):
        raise ValueError(f"kind must be 'csv' or 'json', not {kind!r}")
    try:
        raw, offset = utf8_bytes(bytes(data), name, TIMELINEJS_FILE)
        text = utf8_text(raw, offset, name, TIMELINEJS_FILE)
    except ValidationError as exc:
        return _nothing(exc.problems)
    if kind == "csv":
        return _read_csv(text)
    return _read_json(text)


def _table(rows: list[tuple[str, ...]]) -> pa.Table:
    """Rows (tuples of strings in :data:`COLUMNS` order) as a table of string columns."""
    columns = list(zip(*rows)) if rows else [()] * len(COLUMNS)
    return pa.table({c: pa.array(list(v), type=pa.string()) for c, v in zip(COLUMNS, columns)})


def _empty() -> pa.Table:
    return _table([])


def _nothing(problems: list[Problem]) -> Read:
    """No rows: only ``problems``."""
    return Read(_empty(), np.zeros(0, dtype=np.int64), problems, None, {}, {})


def _cover(
    headline: str, body: str, media: tuple[str, ...], line: int, names: dict[str, str]
) -> tuple[dict[str, str], list[Problem]]:
    """A title slide as a cover (only what it gives) and the problems of its media addresses, at ``line``
    and under the file's ``names`` for the media columns."""
    values = {"title": one_line(headline), "description": body, **dict(zip(MEDIA_FIELDS, media))}
    cover = {key: value for key, value in values.items() if value}
    problems = [
        Problem(line, names.get(column, column), cover[column], why)
        for column in ADDRESS_COLUMNS
        if column in cover and (why := media_problem(cover[column])) is not None
    ]
    return cover, problems


# -- dates ------------------------------------------------------------------------


def _whole(value: object) -> tuple[int | None, bool]:
    """A spreadsheet or JSON cell as a whole number: (number or None when blank, whether it is valid).

    '1854', ' 1854 ', '1854.0' (a spreadsheet's number), 1854 and 1854.0 are 1854; '19x5' is not valid.
    """
    if value is None:
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return value, True
    if isinstance(value, float):
        return (int(value), True) if value.is_integer() else (None, False)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and text.isascii() and len(text) <= _MAX_DIGITS:
            return int(text), True
        if not text:
            return None, True
        m = _WHOLE.match(text)
        if not m:
            return None, False
        digits = m.group(2).lstrip("0") or "0"
        # Far too large either way; Python will not even convert thousands of digits.
        number = int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS
        return (-number if m.group(1) == "-" else number), True
    return None, False


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str | None:
    """A cell or JSON value as the user wrote it, for a Problem (None for none)."""
    return None if value is None else _written(value)


def _written(value: object) -> str:
    """A cell or JSON value that is there (not None) as the user wrote it."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return f"({type(value).__name__})"


def _date(
    year: object, month: object, day: object, names: tuple[str, str, str], required: str | None
) -> tuple[str, list[tuple[str, str | None, str]]]:
    """Year/month/day cells as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` ("" when all are blank).

    ``names`` are the cells' column names for problems; ``required`` is why a blank year is wrong
    (None when a blank date is fine). Returns (date, [(column, value, expected), ...]).
    """
    if type(year) is str and type(month) is str and type(day) is str:
        # The usual spreadsheet cells ('1854', '3', '' ...), without the general checks below.
        y_cell, m_cell, d_cell = year.strip(), month.strip(), day.strip()
        if not (y_cell or m_cell or d_cell):
            return "", ([(names[0], year, required)] if required else [])
        if (
            y_cell.isdigit()
            and y_cell.isascii()
            and len(y_cell) <= 4
            and y_cell != "0" * len(y_cell)
            and (not m_cell or (m_cell.isdigit() and m_cell.isascii() and len(m_cell) <= 2 and 1 <= int(m_cell) <= 12))
            and (
                not d_cell
                or (m_cell and d_cell.isdigit() and d_cell.isascii() and len(d_cell) <= 2 and 1 <= int(d_cell) <= 28)
            )
        ):
            text = y_cell.zfill(4)
            if m_cell:
                text += "-" + m_cell.zfill(2)
                if d_cell:
                    text += "-" + d_cell.zfill(2)
            return text, []
    elif type(year) is int and (month is None or type(month) is int) and (day is None or type(day) is int):
        # The usual JSON numbers ({"year": 1854, "month": 3}), likewise.
        if (
            0 < abs(year) <= dates.MAX_YEAR
            and (month is None or 1 <= month <= 12)
            and (day is None or (month is not None and 1 <= day <= 28))
        ):
            text = f"-{-year}" if year < 0 else f"{year:04d}"
            if month is not None:
                text += f"-{month:02d}"
                if day is not None:
                    text += f"-{day:02d}"
            return text, []
    elif _blank(year) and _blank(month) and _blank(day):
        return "", ([(names[0], _shown(year), required)] if required else [])
    errors: list[tuple[str, str | None, str]] = []
    y, y_ok = _whole(year)
    m, m_ok = _whole(month)
    d, d_ok = _whole(day)
    if not y_ok:
        errors.append((names[0], _shown(year), "a year as a whole number (e.g. 1854; -490 for 490 BCE)"))
    elif y is None:
        if m is not None or d is not None or not m_ok or not d_ok:
            errors.append((names[0], _shown(year), "a year: the month or day is given without one"))
        elif required:
            errors.append((names[0], _shown(year), required))
        return "", errors
    elif y == 0:
        errors.append((names[0], _shown(year), "a real year: there is no year 0 (1 BCE is -1, 1 CE is 1)"))
    elif not dates.MIN_YEAR <= y <= dates.MAX_YEAR:
        errors.append(
            (names[0], _shown(year), f"a year from {-dates.MIN_YEAR} BCE ({dates.MIN_YEAR}) to {dates.MAX_YEAR}")
        )
    if not m_ok or (m is not None and not 1 <= m <= 12):
        errors.append((names[1], _shown(month), "a month as a whole number from 1 to 12"))
    if not d_ok or (d is not None and not 1 <= d <= 31):
        errors.append((names[2], _shown(day), "a day as a whole number from 1 to 31"))
    elif d is not None and m is None and m_ok:
        errors.append((names[1], _shown(month), "a month: the day is given without one"))
    if errors:
        return "", errors
    assert y is not None
    text = f"-{-y}" if y < 0 else f"{y:04d}"
    if m is not None:
        text += f"-{m:02d}"
        if d is not None:
            length = int(dates.days_in_month(dates.historian_to_astronomical(np.array([y])), np.array([m]))[0])
            if d > length:
                month_name = dates.MONTH_ABBR[m - 1]
                return "", [
                    (
                        names[2],
                        _shown(day),
                        f"a real calendar date: {month_name} {dates.format_year(y)} has {length} days",
                    )
                ]
            text += f"-{d:02d}"
    return text, errors


def _headline(headline: str, body: str) -> str:
    """The title: the headline as plain text, else the start of the text, else ''."""
    title = one_line(headline)
    if title or not body:
        return title
    text = one_line(body)
    if len(text) <= TITLE_FALLBACK_LENGTH:
        return text
    cut = text[: TITLE_FALLBACK_LENGTH + 1].rsplit(" ", 1)[0] if " " in text[: TITLE_FALLBACK_LENGTH + 1] else ""
    return (cut or text[:TITLE_FALLBACK_LENGTH]).rstrip(" ,;:.") + "…"


# -- the spreadsheet template as CSV -------------------------------------------------

_CSV_KEYS = (
    "year",
    "month",
    "day",
    "end_year",
    "end_month",
    "end_day",
    "headline",
    "text",
    "type",
    "group",
    "display_date",
    "media",
    "media_credit",
    "media_caption",
    "media_thumbnail",
)
"""The template's columns read, normalised (see :func:`dashboard.data.normalise_column`)."""
_ERA_END = "an end year: an era is a period"
_START_REQUIRED = "a year (a whole number; -490 for 490 BCE): every event and era needs one"


def _read_csv(text: str) -> Read:
    problems: list[Problem] = []
    out: list[tuple[str, ...]] = []
    out_lines: list[int] = []
    title: str | None = None
    cover: dict[str, str] = {}
    seen_title = False
    sep = text_separator(text)
    records = csv_records(text, sep)

    header: list[str] | None = None
    for line, fields in records:
        if isinstance(fields, csv.Error):
            problems.append(Problem(line, None, None, f"well-formed CSV ({fields})"))
            continue
        header = fields
        break
    if header is None:
        problems.append(
            Problem(
                None, None, None, "the TimelineJS template's header line (Year, Month, Day, ..., Headline, Text, ...)"
            )
        )
        return _nothing(problems)
    where: dict[str, int] = {}
    for i, name in enumerate(header):
        where.setdefault(normalise_column(name), i)
    if "year" not in where or "headline" not in where:
        found = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
        problems.append(
            Problem(
                line, None, None, f"the TimelineJS template's header, with columns Year and Headline (found: {found})"
            )
        )
        return _nothing(problems)

    width = len(header)
    # Each cell we read, by its position; a column the file lacks reads the blank cell put after the row.
    (
        i_year,
        i_month,
        i_day,
        i_end_year,
        i_end_month,
        i_end_day,
        i_headline,
        i_text,
        i_type,
        i_group,
        i_display,
        i_media,
        i_credit,
        i_caption,
        i_thumbnail,
    ) = (where.get(key, width) for key in _CSV_KEYS)
    # Column names for problems: as the file writes them (the template's when the file lacks one).
    label = {
        key: (header[where[key]].strip().lstrip("\ufeff") if key in where else "") or _CSV_LABELS.get(key, key)
        for key in _CSV_LABELS
    }
    start_names = (label["year"], label["month"], label["day"])
    end_names = (label["end_year"], label["end_month"], label["end_day"])
    shown = {column: label[column] for column in MEDIA_FIELDS if label[column] != column}
    blank = [""]

    for line, fields in records:
        if isinstance(fields, csv.Error):
            problems.append(Problem(line, None, None, f"well-formed CSV ({fields})"))
            continue
        n = len(fields)
        if n != width:
            if n > width and "".join(fields[width:]).strip():
                problems.append(
                    Problem(
                        line,
                        None,
                        sep.join(fields),
                        f"at most {width} cells as in the header, found {n} "
                        f"(a {SEPARATORS[sep]} inside a value needs the value in double quotes)",
                    )
                )
                continue
            fields = fields[:width] + blank * (width - n) if n < width else fields[:width]
        fields.append("")
        row_type = fields[i_type].strip().lower()
        headline, body = fields[i_headline], fields[i_text]
        if row_type == "title":
            if not seen_title:
                seen_title = True
                title = one_line(headline) or None
                media = tuple(fields[i].strip() for i in (i_media, i_credit, i_caption, i_thumbnail))
                cover, wrong = _cover(headline, body, media, line, shown)
                problems += wrong
            continue
        if not "".join(fields).strip():
            continue  # a blank row (the template leaves many)
        kind = "era" if row_type == "era" else "event"
        start, errors = _date(fields[i_year], fields[i_month], fields[i_day], start_names, _START_REQUIRED)
        end, end_errors = _date(
            fields[i_end_year], fields[i_end_month], fields[i_end_day], end_names, _ERA_END if kind == "era" else None
        )
        if errors or end_errors:
            problems.extend(Problem(line, col, value, why) for col, value, why in errors + end_errors)
            continue
        out.append(
            (
                f"tjs-{line}",
                start,
                end,
                _headline(headline, body),
                fields[i_group].strip() or DEFAULT_THEME,
                body,
                kind,
                fields[i_display].strip(),
                "",
                fields[i_media].strip(),
                fields[i_credit].strip(),
                fields[i_caption].strip(),
                fields[i_thumbnail].strip(),
            )
        )
        out_lines.append(line)
    if not out and not problems:
        problems.append(
            Problem(
                None,
                None,
                None,
                "at least one event row after the header (the row of Type 'title' gives the timeline's title only)",
            )
        )
    return Read(_table(out), np.asarray(out_lines, dtype=np.int64), problems, title, cover, shown)


# -- TimelineJS JSON ------------------------------------------------------------------


def _read_json(text: str) -> Read:
    try:
        top, value_at, items_at = _scan_json(text)
    except json.JSONDecodeError as exc:
        return _nothing(
            [Problem(exc.lineno, None, None, f"well-formed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
        )
    except RecursionError:
        return _nothing([Problem(None, None, None, "JSON nested less deeply than this file")])
    except ValueError as exc:  # a number of thousands of digits, which Python will not convert
        return _nothing([Problem(None, None, None, f"JSON that Python can read ({exc})")])
    if not isinstance(top, dict):
        return _nothing(
            [
                Problem(
                    1,
                    None,
                    _written(top)[:200] if top is not None else "null",
                    'a TimelineJS JSON object: {"title": {...}, "events": [...], "eras": [...]}',
                )
            ]
        )

    line_at = _LineCounter(text)
    problems: list[Problem] = []

    title: str | None = None
    cover: dict[str, str] = {}
    slide = top.get("title")
    if slide is not None:
        slide_line = line_at(value_at["title"])
        if not isinstance(slide, dict):
            problems.append(
                Problem(
                    slide_line,
                    "title",
                    _shown(slide),
                    'a title slide object: {"text": {"headline": ...}}',
                )
            )
        else:
            errors: list[tuple[str, str | None, str]] = []
            text_obj = _part(slide, "text", _TEXT_OBJECT, errors)
            headline = _string(text_obj.get("headline"), "text.headline", errors)
            body = _string(text_obj.get("text"), "text.text", errors)
            title = one_line(headline) or None
            media = _media_cells(_part(slide, "media", _MEDIA_OBJECT, errors), errors)
            cover, wrong = _cover(headline, body, media, slide_line, {c: "title." + n for c, n in JSON_NAMES.items()})
            problems += [Problem(slide_line, "title." + col, value, why) for col, value, why in errors] + wrong

    found: list[tuple[int, str, int, object]] = []  # (position, kind, index, object)
    for key, kind in (("events", "event"), ("eras", "era")):
        if key not in top:
            if key == "events":
                problems.append(Problem(1, "events", None, 'an "events" list: TimelineJS JSON needs one'))
            continue
        items = top[key]
        if not isinstance(items, list):
            if items is not None or key == "events":
                problems.append(
                    Problem(
                        line_at(value_at[key]),
                        key,
                        _written(items)[:200] if items is not None else "null",
                        f'a list of {kind} objects: "{key}": [{{...}}, ...]',
                    )
                )
            continue
        starts = items_at.get(key) or [value_at[key]] * len(items)
        found += [(pos, kind, i, obj) for i, (pos, obj) in enumerate(zip(starts, items))]
    found.sort(key=lambda f: f[0])

    out: list[tuple[str, ...]] = []
    out_lines: list[int] = []
    for pos, kind, index, obj in found:
        line = line_at(pos)
        row, errors = _json_row(obj, kind, index)
        if errors:
            problems.extend(Problem(line, col, value, why) for col, value, why in errors)
        else:
            out.append(row)
            out_lines.append(line)
    if not found and not problems:
        problems.append(Problem(None, "events", None, 'at least one event in the "events" list'))
    return Read(_table(out), np.asarray(out_lines, dtype=np.int64), problems, title, cover, JSON_NAMES)


_DATE_OBJECT = 'an object such as {"year": 1854, "month": 3, "day": 31}'
_TEXT_OBJECT = 'a text object: {"headline": ..., "text": ...}'
_MEDIA_OBJECT = 'a media object: {"url": ..., "credit": ..., "caption": ..., "thumbnail": ...}'
_START_NAMES = ("start_date.year", "start_date.month", "start_date.day")
_END_NAMES = ("end_date.year", "end_date.month", "end_date.day")
_JSON_START_REQUIRED = "a year (a whole number; -490 for 490 BCE): start_date needs one"
_NO_OBJECT: dict[str, object] = {}


def _part(
    obj: dict[str, object], key: str, expected: str, errors: list[tuple[str, str | None, str]]
) -> dict[str, object]:
    """``obj[key]`` when it is an object; {} when it is absent, and also (with a problem) when it is not one."""
    value = obj.get(key)
    if type(value) is dict:
        return value
    if value is not None:
        errors.append((key, _shown(value), expected))
    return _NO_OBJECT


def _string(value: object, column: str, errors: list[tuple[str, str | None, str]]) -> str:
    """A JSON value as text: strings as they are, numbers written out, null as ''; else a problem."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _shown(value) or ""
    errors.append((column, _shown(value), "text (a string)"))
    return ""


def _json_row(obj: object, kind: str, index: int) -> tuple[tuple[str, ...], list[tuple[str, str | None, str]]]:
    """One event or era object as a row (in :data:`COLUMNS` order), or the reasons it cannot be one."""
    if type(obj) is not dict:
        return (), [(f"{kind}s", _shown(obj), f'an {kind} object: {{"start_date": {{"year": ...}}, ...}}')]
    errors: list[tuple[str, str | None, str]] = []
    get = obj.get

    start_obj = get("start_date")
    start = ""
    if type(start_obj) is dict:
        start, date_errors = _date(
            start_obj.get("year"), start_obj.get("month"), start_obj.get("day"), _START_NAMES, _JSON_START_REQUIRED
        )
        errors += date_errors
    elif start_obj is None:
        errors.append(("start_date", None, f"a start_date: {_DATE_OBJECT} (every {kind} needs one)"))
        start_obj = _NO_OBJECT
    else:
        errors.append(("start_date", _shown(start_obj), _DATE_OBJECT))
        start_obj = _NO_OBJECT
    end = ""
    end_obj = _part(obj, "end_date", _DATE_OBJECT, errors)
    if end_obj:
        end, date_errors = _date(end_obj.get("year"), end_obj.get("month"), end_obj.get("day"), _END_NAMES, None)
        errors += date_errors
    if kind == "era" and not end and not any(e[0].startswith("end_date") for e in errors):
        errors.append(("end_date", _shown(get("end_date")), f"an end_date: {_DATE_OBJECT} (an era is a period)"))

    text_obj = _part(obj, "text", _TEXT_OBJECT, errors)
    media = _part(obj, "media", _MEDIA_OBJECT, errors)
    headline = _string(text_obj.get("headline"), "text.headline", errors)
    body = _string(text_obj.get("text"), "text.text", errors)
    display = get("display_date")
    if display is None or display == "":
        display = start_obj.get("display_date")
    unique_id = _string(get("unique_id"), "unique_id", errors).strip()
    media_cells = _media_cells(media, errors)
    row = (
        unique_id or (f"tjs-{index + 1}" if kind == "event" else f"tjs-era-{index + 1}"),
        start,
        end,
        _headline(headline, body),
        _string(get("group"), "group", errors).strip() or DEFAULT_THEME,
        body,
        kind,
        _string(display, "display_date", errors).strip(),
        _string(end_obj.get("display_date"), "end_date.display_date", errors).strip(),
        *media_cells,
    )
    return row, errors


def _media_cells(media: dict[str, object], errors: list[tuple[str, str | None, str]]) -> tuple[str, ...]:
    """A JSON media object's url, credit, caption and thumbnail as text (trimmed; '' where absent)."""
    if not media:
        return ("",) * len(JSON_MEDIA_KEYS)
    return tuple(_string(media.get(key), f"media.{key}", errors).strip() for key in JSON_MEDIA_KEYS)


def _scan_json(text: str) -> tuple[object, dict[str, int], dict[str, list[int]]]:
    """Parse JSON like ``json.loads``, also noting where things start (character offsets).

    Returns (value, {top-level key: where its value starts}, {"events"/"eras": where each item starts}).
    The values are parsed by the json module's own C scanner; only the top-level object and the
    events/eras lists are walked here. Raises json.JSONDecodeError with the line and column.
    """
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    if not text.startswith("{", pos):
        return json.loads(text), {}, {}
    top: dict[str, object] = {}
    value_at: dict[str, int] = {}
    items_at: dict[str, list[int]] = {}
    pos = _skip_space(text, pos + 1)
    if text.startswith("}", pos):
        pos += 1
    else:
        while True:
            if not text.startswith('"', pos):
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos)
            if not text.startswith(":", pos):
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            pos = _skip_space(text, pos + 1)
            value_at[key] = pos
            if key in ("events", "eras") and text.startswith("[", pos):
                value, items_at[key], pos = _scan_list(text, pos, decoder)
            else:
                value, pos = decoder.raw_decode(text, pos)
                items_at.pop(key, None)
            top[key] = value  # a repeated key: the last one counts, as with json.loads
            pos = _skip_space(text, pos)
            if text.startswith(",", pos):
                pos = _skip_space(text, pos + 1)
                continue
            if text.startswith("}", pos):
                pos += 1
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
    pos = _skip_space(text, pos)
    if pos != len(text):
        raise json.JSONDecodeError("Extra data", text, pos)
    return top, value_at, items_at


def _scan_list(text: str, pos: int, decoder: json.JSONDecoder) -> tuple[list[object], list[int], int]:
    """The list starting at ``pos`` ('['): (items, where each starts, the position after ']')."""
    items: list[object] = []
    starts: list[int] = []
    pos = _skip_space(text, pos + 1)
    if text.startswith("]", pos):
        return items, starts, pos + 1
    while True:
        starts.append(pos)
        value, pos = decoder.raw_decode(text, pos)
        items.append(value)
        pos = _skip_space(text, pos)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
            continue
        if text.startswith("]", pos):
            return items, starts, pos + 1
        raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)


def _skip_space(text: str, pos: int) -> int:
    """Where the JSON whitespace at ``pos`` ends."""
    found = _WS.match(text, pos)
    assert found is not None  # the pattern matches anywhere, if only the empty string
    return found.end()


class _LineCounter:
    """Line numbers (1-based) of character offsets, counting on from the last one asked for."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def __call__(self, pos: int) -> int:
        if pos >= self.pos:
            self.line += self.text.count("\n", self.pos, pos)
        else:
            self.line -= self.text.count("\n", pos, self.pos)
        self.pos = pos
        return self.line
