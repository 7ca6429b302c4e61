"""Files the app writes (caches, exports) are replaced atomically: a crash mid-write leaves the old file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def _umask_at_start() -> int:
    """The umask, set and set back: done once, at import, before any thread may create a file."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK_AT_START = _umask_at_start()


def umask() -> int:
    """The process's umask, read without changing it (Linux says it in /proc; elsewhere, the one the
    process had when this module was imported)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return _UMASK_AT_START


@contextmanager
def atomic_file(path: str | Path, durable: bool = True, private: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write that replaces ``path`` only once it is complete.

    ``durable`` also flushes it to disk before the rename (exports); a cache, which is
    checked when read, can skip that. The file gets the modes the user's umask gives a new file
    (the temporary file's own are 0600), or stays 0600 when ``private`` (a user's upload).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if not private:
            os.fchmod(fd, 0o666 & ~umask())
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


def write_atomic(path: str | Path, data: bytes, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically and durably (``private``: readable by its owner alone)."""
    with atomic_file(path, private=private) as fh:
        fh.write(data)


def user_cache_dir() -> Path:
    """The user's cache folder for this program (``$XDG_CACHE_HOME/timeline``, else ``~/.cache/timeline``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "timeline"
