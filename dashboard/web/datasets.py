"""Which timeline a browser is looking at: the one served, or a file that user uploaded.

Uploads are kept on disk (so that any server can answer for them: the workers of one server, and
several servers on one folder, on one machine or on a shared file system) and, parsed, in a small
in-memory LRU per process (so memory stays bounded). The browser holds only the upload's key, a
SHA-256 of its bytes, its name and how it was read; nothing about a user is kept in a callback's
process, and nobody sees an upload without having its key, which only its uploader's page knows.
A bad upload raises the validator's error and changes nothing.

Several servers share the folder safely because each upload is one file, written whole (a temp file
beside it, then a rename) and never changed: a reader has all of it or none. A file's time is its
last use by any server, so the clean-up past the size cap removes what nobody has used for longest;
a page whose upload was removed is told so (KeyError here), never shown something else.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import stat
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path

from ..core.model import Timeline, ValidationError
from ..core.topics import combine
from ..io.files import write_atomic
from ..io.formats import parse_events
from ..io.read_options import DEFAULT_OPTIONS, ReadOptions

DEFAULT_MAX_UPLOAD_MB = 50
KEPT_IN_MEMORY = 4
UPLOAD_DIR_MAX_BYTES = 2 << 30
LOCK_NAME = ".lock"
TOUCH_EVERY_S = 60.0
"""How often a server marks an upload it keeps using as used (its file's time), at most."""
FORMAT = b"timeline upload 1\n"
"""The first line of an upload's file; then a JSON line (its name, how it was read, the parts of a
combination), then its bytes."""
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}
_IN_PROCESS = threading.Lock()
"""The folder's lock within this process: on NFS, Linux emulates flock with POSIX locks, which belong
to the process, so threads of one server would not exclude each other by the file lock alone."""
_log = logging.getLogger(__name__)
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
        touch_every_s: float = TOUCH_EVERY_S,
    ) -> None:
        self.served = served
        self.upload_dir = private_dir(Path(upload_dir or default_upload_dir()))
        self.max_upload_bytes = max_upload_bytes
        self.max_dir_bytes = max_dir_bytes
        self.kept = kept
        self.touch_every_s = touch_every_s
        self._loaded: OrderedDict[str, tuple[Timeline, tuple[str, ...]]] = OrderedDict()
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, key: str | None) -> Timeline:
        """The timeline for a browser's key; the served one for no key. KeyError if the upload is gone
        (removed, or not whole: a reader never gets part of an upload)."""
        if not key:
            return self.served
        if not isinstance(key, str) or not _KEY.match(key):
            raise KeyError(key)
        with self._lock:
            found = self._loaded.get(key)
            if found is not None:
                self._loaded.move_to_end(key)
        if found is not None:
            self._touch(key, *found[1])
            return found[0]
        name, options, combined, data = self._read(key)
        parts = tuple(combined or ())
        try:
            if combined is not None:
                timeline = combine([(topic_of(t), t) for t in (self.get(p or None) for p in parts)])
            else:
                timeline = parse_events(data, name, options)
        except ValidationError:  # it was valid when kept: this is not the file that was kept
            raise KeyError(key) from None
        self._touch(key, *parts)
        return self._remember(key, timeline, parts)

    def _read(self, key: str) -> tuple[str, ReadOptions, list[str] | None, bytes]:
        """An upload's name, how it is read, its parts (a combination) or None, and its bytes."""
        try:
            stored = self._path(key).read_bytes()
            if not stored.startswith(FORMAT):
                raise ValueError("not an upload")
            about, data = stored.removeprefix(FORMAT).split(b"\n", 1)
            fields = json.loads(about)
            name, read_as, parts = fields["name"], fields["read_as"], fields.get("parts")
            if not isinstance(name, str) or not isinstance(read_as, str):
                raise ValueError("not an upload")
            if parts is not None and not (isinstance(parts, list) and all(isinstance(p, str) for p in parts)):
                raise ValueError("not a combination")
            return name, ReadOptions.from_key(read_as) if read_as else DEFAULT_OPTIONS, parts, data
        except (OSError, ValueError, TypeError, KeyError):
            raise KeyError(key) from None

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
        self._keep(combo_key, {"name": timeline.source_name, "read_as": "", "parts": parts}, b"")
        return combo_key, self._remember(combo_key, timeline, tuple(parts))

    def add(self, data: bytes, filename: str, options: ReadOptions = DEFAULT_OPTIONS) -> tuple[str, Timeline]:
        """Validate an upload (read with ``options``: the columns its user chose) and keep it;
        ValidationError (and nothing kept) if it is not usable. The same bytes under another name, or
        read another way, are another upload: each user sees what they sent, on any server."""
        name = Path(filename or "upload").name[:200] or "upload"
        if len(data) > self.max_upload_bytes:
            raise ValidationError.of_file(
                name,
                f"a file of at most {self.max_upload_bytes / 2**20:,.0f} MB: this one is "
                f"{len(data) / 2**20:,.1f} MB (start the server with --max-upload-mb to allow more)",
            )
        timeline = parse_events(data, name, options)
        read_as = options.key()
        about = json.dumps({"name": name, "read_as": read_as}, ensure_ascii=False).encode("utf-8")
        key = sha256(about + b"\n" + data).hexdigest()
        self._keep(key, {"name": name, "read_as": read_as}, data)
        return key, self._remember(key, timeline, ())

    def _path(self, key: str) -> Path:
        return self.upload_dir / f"{key}.upload"

    def _keep(self, key: str, about: dict[str, object], data: bytes) -> None:
        """Write an upload's file unless it is there already (then it counts as used). Two servers writing
        the same key at once write the same bytes, each whole: either rename leaves a good file."""
        stored = FORMAT + json.dumps(about, ensure_ascii=False).encode("utf-8") + b"\n" + data
        with self._dir_lock():
            try:
                os.utime(self._path(key))
                return
            except FileNotFoundError:
                pass
            self._make_room(len(stored))
            write_atomic(self._path(key), stored, private=True)  # a user's file: its owner alone reads it

    def _touch(self, *keys: str) -> None:
        """Mark uploads this server is using as used (their file's time, at most every ``touch_every_s``),
        so that another server's clean-up removes something else first."""
        now = time.monotonic()
        for key in filter(None, keys):
            if now - self._touched.get(key, -self.touch_every_s - 1) < self.touch_every_s:
                continue
            self._touched[key] = now
            # the file system's time: the same clock for every host. Gone: this server still has it in
            # memory, others will say it is gone.
            with contextlib.suppress(OSError):
                os.utime(self._path(key))
        if len(self._touched) > 4 * self.kept + 64:
            self._touched = {k: t for k, t in self._touched.items() if now - t < self.touch_every_s}

    @contextmanager
    def _dir_lock(self) -> Iterator[None]:
        """One writer at a time in the folder, across threads, server processes and hosts sharing it.
        Where the file system has no locks, writes go on unlocked: each is still whole, only two
        clean-ups at once may remove more than needed."""
        with _IN_PROCESS, open(self.upload_dir / LOCK_NAME, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX)
            except OSError as exc:
                if exc.errno not in _NO_LOCKS:
                    raise
                _log.warning("the upload folder %s cannot be locked (%s): writing unlocked", self.upload_dir, exc)
                yield
                return
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _remember(self, key: str, timeline: Timeline, parts: tuple[str, ...]) -> Timeline:
        with self._lock:
            self._loaded[key] = (timeline, parts)
            self._loaded.move_to_end(key)
            while len(self._loaded) > self.kept:
                self._loaded.popitem(last=False)
        return timeline

    def _make_room(self, incoming: int) -> None:
        """Forget the uploads used longest ago once everything in the folder passes ``max_dir_bytes``.

        Every file counts (leftovers of interrupted writes, anything put there); files go by key, the
        least recently used first, and a file another process removed meanwhile is simply gone."""
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
