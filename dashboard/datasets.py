"""Which timeline a browser is looking at: the one served, or a file that user uploaded.

Uploads are kept by the SHA-256 of their bytes, on disk (so that any server worker
can answer for them) and, parsed, in a small in-memory LRU (so memory stays bounded).
The browser holds only that key; nothing about a user is kept in a callback's
process, and nobody sees an upload without having its key, which only its uploader's
page knows. A bad upload raises the validator's error and changes nothing.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections import OrderedDict
from hashlib import sha256
from pathlib import Path

from .data import Problem, Timeline, ValidationError, parse_events
from .files import write_atomic

DEFAULT_MAX_UPLOAD_MB = 50
KEPT_IN_MEMORY = 4
UPLOAD_DIR_MAX_BYTES = 2 << 30
_KEY = re.compile(r"^[0-9a-f]{64}$")


def default_upload_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"timeline-uploads-{os.getuid()}"


class Datasets:
    def __init__(self, served: Timeline, upload_dir: Path | None = None,
                 max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB << 20, kept: int = KEPT_IN_MEMORY):
        self.served = served
        self.upload_dir = Path(upload_dir or default_upload_dir())
        self.max_upload_bytes = max_upload_bytes
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
        except OSError:
            raise KeyError(key) from None
        return self._remember(key, parse_events(data, name))

    def add(self, data: bytes, filename: str) -> tuple[str, Timeline]:
        """Validate an upload and keep it; ValidationError (and nothing kept) if it is not usable."""
        name = Path(filename or "upload").name[:200] or "upload"
        if len(data) > self.max_upload_bytes:
            raise ValidationError(name, [Problem(None, None, None, (
                f"a file of at most {self.max_upload_bytes / 2**20:,.0f} MB: this one is "
                f"{len(data) / 2**20:,.1f} MB (start the server with --max-upload-mb to allow more)"))])
        timeline = parse_events(data, name)
        key = sha256(data).hexdigest()
        self.upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not (self.upload_dir / f"{key}.upload").exists():
            self._make_room(len(data))
            write_atomic(self.upload_dir / f"{key}.name", name.encode("utf-8"))
            write_atomic(self.upload_dir / f"{key}.upload", data)
        return key, self._remember(key, timeline)

    def _remember(self, key: str, timeline: Timeline) -> Timeline:
        with self._lock:
            self._loaded[key] = timeline
            self._loaded.move_to_end(key)
            while len(self._loaded) > self.kept:
                self._loaded.popitem(last=False)
        return timeline

    def _make_room(self, incoming: int) -> None:
        """Forget the oldest uploads on disk once they pass UPLOAD_DIR_MAX_BYTES."""
        files = sorted(self.upload_dir.glob("*.upload"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files) + incoming
        for old in files:
            if total <= UPLOAD_DIR_MAX_BYTES:
                break
            total -= old.stat().st_size
            old.unlink(missing_ok=True)
            old.with_suffix(".name").unlink(missing_ok=True)
