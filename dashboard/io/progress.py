"""How far a long piece of work has got, where every process of one server can read it.

A first search of a timeline beyond memory reads every event's text once: seconds at ten million
events. The page asks how far it has got while it waits, and that request may reach another of
the server's worker processes than the one searching; so progress is written to a small file per
piece of work in a folder of the server's own (made before the workers fork, so they all share
it), replaced whole at each step (a reader never sees half of one) and removed when the work is
done. Each piece of work is named by a key: hexadecimal digits of a hash, never a path. Work the
server does for itself (building a store, making its tables) says how far it has got on stderr
(:func:`say`); while a server prepares its data, before it serves, the step it is at is also kept in
a file (:class:`StatusFile`: a store is built by a process of its own) for the page shown meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from .held import HeldFolder

STEPS = ("loading", "themes", "validating", "ids", "storing", "starting")
"""The steps of a server's preparation before it serves: reading a file into memory, reading a large
file's themes, validating its rows, checking its ids, writing its store, starting the server."""


@dataclass(frozen=True)
class Step:
    """A step of :data:`STEPS`, and how far it has got (``done`` of ``total`` rows; 0 of 0: unknown)."""

    name: str
    done: int = 0
    total: int = 0

    def __post_init__(self) -> None:
        if self.name not in STEPS:
            raise ValueError(f"a step is one of {', '.join(STEPS)}")


class Said(Protocol):
    """Told what a long piece of work is doing (a line for the terminal), and which step it is at."""

    def __call__(self, msg: str, step: Step | None = None) -> None: ...


def say(msg: str, step: Step | None = None) -> None:
    """Say what a long piece of work is doing, on stderr (a server's terminal)."""
    print(f"timeline: {msg}", file=sys.stderr, flush=True)


class StatusFile:
    """The step a server's preparation is at, in a file any process may write (replaced whole: a reader
    never sees half of one) and the page shown meanwhile reads."""

    def __init__(self, path: Path):
        self.path = path

    def say(self, msg: str, step: Step | None = None) -> None:
        """:func:`say`, and the step recorded (unless its folder is gone: the page that read it has
        made way for the server, which may serve a preview while the work goes on)."""
        say(msg)
        if step is not None:
            with contextlib.suppress(OSError):
                self.record(step)

    def record(self, step: Step) -> None:
        _write_whole(self.path, asdict(step))

    def read(self) -> Step | None:
        """The step last recorded (None: none yet, or not one this version writes)."""
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
            return Step(str(found["name"]), int(found["done"]), int(found["total"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


KEY_DIGITS = 32
KEY = re.compile(f"[0-9a-f]{{{KEY_DIGITS}}}")
"""A key as :func:`progress_key` makes it (and the only form :meth:`ProgressFolder.read` takes)."""


def progress_key(*parts: str) -> str:
    """The key of the work ``parts`` name (e.g. a store and a search's words)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:KEY_DIGITS]


def check_key(key: str) -> str:
    """``key`` if it is one :func:`progress_key` could make; ValueError saying what a key is otherwise."""
    if not KEY.fullmatch(key):
        raise ValueError(f"a progress key is {KEY_DIGITS} hexadecimal digits (0-9, a-f)")
    return key


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` (e.g. events searched of all of them)."""

    done: int
    total: int

    def as_dict(self) -> dict[str, int]:
        return {"done": self.done, "total": self.total}


class ProgressFolder:
    """A folder of one progress file per piece of work under way (``<key>.json``), made in the
    system's temporary folder (``io.held``: removed when the process that made it ends, not when a
    forked worker does, or by the next server should it be killed outright), or at ``folder``."""

    def __init__(self, folder: Path | None = None):
        self._held: HeldFolder | None = None
        if folder is None:
            self._held = HeldFolder("timeline-progress-")
            folder = self._held.path
        else:
            folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{check_key(key)}.json"

    def record(self, key: str, done: int, total: int) -> None:
        """``done`` of ``total`` of the work ``key`` names, replacing what was recorded of it."""
        _write_whole(self._path(key), Progress(int(done), int(total)).as_dict())

    def read(self, key: str) -> Progress | None:
        """What was last recorded of the work ``key`` names (None: none under way). ValueError for a
        key :func:`progress_key` could not have made."""
        try:
            found = json.loads(self._path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return Progress(int(found["done"]), int(found["total"]))

    def clear(self, key: str) -> None:
        """The work ``key`` names is done: nothing more to say of it."""
        self._path(key).unlink(missing_ok=True)


def _write_whole(target: Path, found: Mapping[str, object]) -> None:
    """``found`` as JSON at ``target``, replacing what was there whole: a reader in another process
    never sees half of it, nor two writers' (threads, processes) mixed."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.write_text(json.dumps(found), encoding="utf-8")
    os.replace(partial, target)
