"""Several files shown together: each file a topic, a group of lanes named after it.

Comparing parallel chronologies (monarchs against prime ministers against wars) means one timeline
of validated timelines: :func:`combine` concatenates them, and namespaces every theme by its topic
(``monarchs › war`` and ``wars › war`` stay two lanes), so everything that works on themes (filters,
counts, the URL, the figure) works on topics unchanged. Each event and era keeps its topic (a
``topic`` column), and event ids need only be unique within their file. Columns only some files
have (media, a story order, a language) are empty (NaN for ``story``) in the others' rows. The
combination's cover is the first file's (the one the others are shown beside), if it has one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .lives import empty_lives
from .model import MAX_THEMES, Problem, Timeline, ValidationError

TOPIC_SEP = " › "
"""Between a topic and a theme in a lane's key: 'monarchs › war'."""


def theme_key(topic: str, theme: str) -> str:
    """The lane of ``theme`` in ``topic`` (lower case, as themes are)."""
    return f"{topic.lower()}{TOPIC_SEP}{theme}"


def local_theme(theme: str) -> str:
    """A lane's theme without its topic: 'monarchs › war' -> 'war' ('war' stays 'war')."""
    return theme.rsplit(TOPIC_SEP, 1)[-1]


def topic_name(timeline: Timeline, theme: str) -> str | None:
    """The topic a lane belongs to, as shown; None in a timeline of one file."""
    if not timeline.topics:
        return None
    return timeline.topics[timeline.theme_topics[timeline.themes.index(theme)]]


def lane_groups(timeline: Timeline, lanes: list[str]) -> list[tuple[str, int, int]]:
    """(topic, first lane, number of lanes) for each run of ``lanes`` in one topic; [] for one file."""
    if not timeline.topics:
        return []
    groups: list[tuple[str, int, int]] = []
    for i, lane in enumerate(lanes):
        name = topic_name(timeline, lane) or ""
        if groups and groups[-1][0] == name:
            groups[-1] = (name, groups[-1][1], groups[-1][2] + 1)
        else:
            groups.append((name, i, 1))
    return groups


def _parts(name: str, timeline: Timeline) -> list[tuple[str, list[str]]]:
    """(topic, its themes' local names) of a timeline, in lane order."""
    if not timeline.topics:
        return [(name, list(timeline.themes))]
    return [
        (topic, [local_theme(t) for t, k in zip(timeline.themes, timeline.theme_topics) if k == i])
        for i, topic in enumerate(timeline.topics)
    ]


def combine(parts: list[tuple[str, Timeline]]) -> Timeline:
    """One timeline of several, each ``(topic name, timeline)`` a topic (a timeline of several files
    keeps its own topics). Topic names repeated get ' (2)', ' (3)'. ValidationError if the lanes of
    all of them are more than the MAX_THEMES a timeline can draw."""
    topics: list[str] = []
    themes: list[str] = []
    theme_topics: list[int] = []
    events, eras, extras, era_extras, lives = [], [], [], [], []
    offset = 0
    for name, tl in parts:
        local_topics = []
        for topic, local in _parts(name, tl):
            shown, k = topic, 2
            while shown.lower() in (t.lower() for t in topics):
                shown, k = f"{topic} ({k})", k + 1
            local_topics.append(len(topics))
            themes += [theme_key(shown, t) for t in local]
            theme_topics += [len(topics)] * len(local)
            topics.append(shown)
        first_bit = len(themes) - len(tl.themes)
        event_topic = _row_topics(tl, tl.events, local_topics)
        events.append(
            tl.events.assign(
                theme_mask=tl.events["theme_mask"].to_numpy() << np.uint64(first_bit),
                topic=event_topic,
            )
        )
        eras.append(tl.eras.assign(topic=_row_topics(tl, tl.eras, local_topics)))
        extras.append(tl.extras.reset_index(drop=True).astype("str"))
        era_extras.append(tl.era_extras.reindex(range(len(tl.eras))).fillna("").astype("str"))
        lives.append(tl.lives.assign(row=tl.lives["row"].to_numpy() + offset))
        offset += len(tl.events)
    source = " + ".join(tl.source_name for _, tl in parts)
    n = len(themes)
    if n > MAX_THEMES:
        raise ValidationError(
            source,
            [
                Problem(
                    None, "themes", None, f"at most {MAX_THEMES} lanes in all the files together, found {len(themes)}"
                )
            ],
        )
    extra = pd.concat(extras, ignore_index=True).fillna("") if any(len(e.columns) for e in extras) else None
    era_extra = pd.concat(era_extras, ignore_index=True).fillna("").astype("str") if era_extras else pd.DataFrame()
    return Timeline(
        events=_concat(events),
        themes=themes,
        eras=_concat(eras),
        source_name=source,
        title=" · ".join(topics),
        extras=extra.astype("str") if extra is not None else pd.DataFrame(index=range(offset)),
        era_extras=era_extra,
        lives=pd.concat([empty_lives(), *lives], ignore_index=True) if offset else empty_lives(),
        topics=topics,
        theme_topics=theme_topics,
        cover=dict(parts[0][1].cover) if parts else {},
        rich_text=any(tl.rich_text for _, tl in parts),
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Events (or eras) of several files, one under another: a text column some lack is empty in
    their rows, not missing (a number column, such as ``story``, is NaN)."""
    out = pd.concat(frames, ignore_index=True)
    for column in out.columns:
        if not all(column in frame for frame in frames) and not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].fillna("").astype("str")
    return out


def _row_topics(timeline: Timeline, frame: pd.DataFrame, local_topics: list[int]) -> np.ndarray:
    """Each row's topic in the combined timeline."""
    if "topic" in frame:
        mapped: np.ndarray = np.asarray(local_topics, dtype=np.int16)[frame["topic"].to_numpy()]
        return mapped
    return np.full(len(frame), local_topics[0], dtype=np.int16)


def row_topics(timeline: Timeline, rows: np.ndarray) -> np.ndarray:
    """The topic name of each event of ``rows`` ('' in a timeline of one file)."""
    if not timeline.topics:
        return np.full(len(rows), "", dtype=object)
    names: np.ndarray = np.asarray(timeline.topics, dtype=object)[timeline.events["topic"].to_numpy()[rows]]
    return names


def resolve_themes(timeline: Timeline, wanted: list[str]) -> tuple[list[str], list[str]]:
    """(the lanes, the names that match none): each name a lane ('monarchs › war', or 'monarchs/war'),
    a theme in every topic ('war') or a whole topic ('monarchs'); any case."""
    lanes: set[str] = set()
    unknown = []
    for raw in wanted:
        name = raw.strip().lower()
        mark = TOPIC_SEP.strip()
        if timeline.topics and (mark in name or "/" in name):
            topic, _, theme = name.partition(mark if mark in name else "/")
            name = theme_key(topic.strip(), theme.strip())
        found = {
            t
            for t in timeline.themes
            if t.lower() == name or local_theme(t).lower() == name or (topic_name(timeline, t) or "").lower() == name
        }
        lanes |= found
        if not found:
            unknown.append(raw)
    return [t for t in timeline.themes if t in lanes], unknown
