"""Files the app writes (caches, exports) are replaced atomically: a crash mid-write leaves the old file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_file(path: str | Path, durable: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write that replaces ``path`` only once it is complete.

    ``durable`` also flushes it to disk before the rename (exports); a cache, which is
    checked when read, can skip that.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably."""
    with atomic_file(path) as fh:
        fh.write(data)


def user_cache_dir() -> Path:
    """The user's cache folder for this program (``$XDG_CACHE_HOME/timeline``, else ``~/.cache/timeline``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "timeline"
