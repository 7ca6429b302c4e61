"""Which timeline a browser is looking at: the one served, or a file that user uploaded.

Uploads are kept by the SHA-256 of their bytes, on disk (so that any server worker
can answer for them) and, parsed, in a small in-memory LRU (so memory stays bounded).
The browser holds only that key; nothing about a user is kept in a callback's
process, and nobody sees an upload without having its key, which only its uploader's
page knows. A bad upload raises the validator's error and changes nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path

from ..core.model import Problem, Timeline, ValidationError
from ..core.topics import combine
from ..io.files import write_atomic
from ..io.formats import parse_events
from ..io.read_options import DEFAULT_OPTIONS, ReadOptions

DEFAULT_MAX_UPLOAD_MB = 50
KEPT_IN_MEMORY = 4
UPLOAD_DIR_MAX_BYTES = 2 << 30
LOCK_NAME = ".lock"
_KEY = re.compile(r"^[0-9a-f]{64}$")


def default_upload_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"timeline-uploads-{os.getuid()}"


class UnsafeUploadDir(Exception):
    """The upload folder could be read or changed by someone other than this server's user."""


def private_dir(path: Path) -> Path:
    """``path`` as a folder only this process's user can enter: created 0700 if missing; refused if it
    is a link, not a folder, owned by another user, or open to others (a predictable name in a shared
    temp folder could have been made by someone else first)."""
    try:
        path.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise UnsafeUploadDir(f"cannot create the upload folder {path}: {exc.strerror}") from None
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeUploadDir(
            f"the upload folder {path} is not a folder (or is a link): remove it or choose another with --upload-dir"
        )
    if info.st_uid != os.getuid():
        raise UnsafeUploadDir(
            f"the upload folder {path} belongs to another user (uid {info.st_uid}): "
            "remove it or choose another with --upload-dir"
        )
    if info.st_mode & 0o077:
        raise UnsafeUploadDir(
            f"the upload folder {path} can be read or written by other users "
            f"(mode {stat.S_IMODE(info.st_mode):o}): run 'chmod 700 {path}' or choose "
            "another with --upload-dir"
        )
    return path


def topic_of(timeline: Timeline) -> str:
    """The topic a file becomes beside others: its name without the extension."""
    return Path(timeline.source_name).stem or timeline.source_name


class Datasets:
    def __init__(
        self,
        served: Timeline,
        upload_dir: Path | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB << 20,
        kept: int = KEPT_IN_MEMORY,
        max_dir_bytes: int = UPLOAD_DIR_MAX_BYTES,
    ) -> None:
        self.served = served
        self.upload_dir = private_dir(Path(upload_dir or default_upload_dir()))
        self.max_upload_bytes = max_upload_bytes
        self.max_dir_bytes = max_dir_bytes
        self.kept = kept
        self._loaded: OrderedDict[str, Timeline] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | None) -> Timeline:
        """The timeline for a browser's key; the served one for no key. KeyError if the upload is gone."""
        if not key:
            return self.served
        if not isinstance(key, str) or not _KEY.match(key):
            raise KeyError(key)
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        path = self.upload_dir / f"{key}.upload"
        try:
            data = path.read_bytes()
            name = (self.upload_dir / f"{key}.name").read_text(encoding="utf-8")
            options_file = self.upload_dir / f"{key}.options"
            options = ReadOptions.from_key(options_file.read_text("utf-8")) if options_file.exists() else None
        except (OSError, ValueError):
            raise KeyError(key) from None
        combo = self.upload_dir / f"{key}.combo"
        if combo.exists():
            return self._remember(key, self._combined(combo, key))
        return self._remember(key, parse_events(data, name, options or DEFAULT_OPTIONS))

    def _combined(self, combo: Path, key: str) -> Timeline:
        """A combination of the served file and uploads, from the list of its parts' keys."""
        try:
            parts = json.loads(combo.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise KeyError(key) from None
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            raise KeyError(key)
        return combine([(topic_of(t), t) for t in (self.get(p or None) for p in parts)])

    def add_to(
        self, base: str | None, data: bytes, filename: str, options: ReadOptions = DEFAULT_OPTIONS
    ) -> tuple[str, Timeline]:
        """Validate an upload and join it, as a new topic, to the timeline ``base`` names (None: the served
        one): the combination's key. ValidationError (nothing kept) if the file is not usable or the lanes
        together are too many; KeyError if ``base`` is gone."""
        shown = self.get(base)
        key, upload = self.add(data, filename, options)
        timeline = combine([(topic_of(shown), shown), (topic_of(upload), upload)])
        parts = [base or "", key]
        combo_key = sha256(("combination:" + "+".join(parts)).encode()).hexdigest()
        with self._dir_lock():
            if not (self.upload_dir / f"{combo_key}.combo").exists():
                self._make_room(200)
                write_atomic(self.upload_dir / f"{combo_key}.name", timeline.source_name.encode("utf-8"))
                write_atomic(self.upload_dir / f"{combo_key}.upload", b"")
                write_atomic(self.upload_dir / f"{combo_key}.combo", json.dumps(parts).encode("utf-8"))
        return combo_key, self._remember(combo_key, timeline)

    def add(self, data: bytes, filename: str, options: ReadOptions = DEFAULT_OPTIONS) -> tuple[str, Timeline]:
        """Validate an upload (read with ``options``: the columns its user chose) and keep it;
        ValidationError (and nothing kept) if it is not usable."""
        name = Path(filename or "upload").name[:200] or "upload"
        if len(data) > self.max_upload_bytes:
            raise ValidationError(
                name,
                [
                    Problem(
                        None,
                        None,
                        None,
                        (
                            f"a file of at most {self.max_upload_bytes / 2**20:,.0f} MB: this one is "
                            f"{len(data) / 2**20:,.1f} MB (start the server with --max-upload-mb to allow more)"
                        ),
                    )
                ],
            )
        timeline = parse_events(data, name, options)
        read_as = options.key().encode("utf-8")
        key = sha256(
            data + b"\0read as:" + read_as if read_as else data
        ).hexdigest()  # the same bytes read otherwise: another key
        with self._dir_lock():
            if not (self.upload_dir / f"{key}.upload").exists():
                self._make_room(len(data) + len(name.encode("utf-8")) + len(read_as))
                if read_as:
                    write_atomic(self.upload_dir / f"{key}.options", read_as)
                write_atomic(self.upload_dir / f"{key}.name", name.encode("utf-8"))
                write_atomic(self.upload_dir / f"{key}.upload", data)
        return key, self._remember(key, timeline)

    @contextmanager
    def _dir_lock(self) -> Iterator[None]:
        """One writer at a time in the folder, across threads and server processes (and hosts sharing
        it, where the file system supports locks)."""
        with open(self.upload_dir / LOCK_NAME, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _remember(self, key: str, timeline: Timeline) -> Timeline:
        with self._lock:
            self._loaded[key] = timeline
            self._loaded.move_to_end(key)
            while len(self._loaded) > self.kept:
                self._loaded.popitem(last=False)
        return timeline

    def _make_room(self, incoming: int) -> None:
        """Forget the oldest uploads once everything in the folder passes ``max_dir_bytes``.

        Every file counts (names, leftovers of interrupted writes, anything put there); files go
        by key, oldest first, and a file another process removed meanwhile is simply gone."""
        groups: dict[str, list[tuple[Path, os.stat_result]]] = {}
        for entry in self.upload_dir.iterdir():
            if entry.name == LOCK_NAME:
                continue
            try:
                info = entry.lstat()
            except FileNotFoundError:
                continue
            groups.setdefault(entry.name.lstrip(".").split(".", 1)[0], []).append((entry, info))
        total = incoming + sum(info.st_size for files in groups.values() for _, info in files)
        oldest_first = sorted(groups.values(), key=lambda files: max(info.st_mtime for _, info in files))
        for files in oldest_first:
            if total <= self.max_dir_bytes:
                break
            for entry, info in files:
                try:
                    entry.unlink() if not stat.S_ISDIR(info.st_mode) else None
                    total -= info.st_size
                except FileNotFoundError:
                    total -= info.st_size
                except OSError:
                    continue
