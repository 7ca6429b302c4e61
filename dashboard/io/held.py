"""Folders a process holds while it lives, so that what one killed outright left can be removed.

A process killed outright (SIGKILL, the kernel short of memory, a development server's reloader
ending its child) runs no finalizer: its work folders (a store half built, a search's progress, a
database's spill, possibly gigabytes) would stay for good. Each such folder holds a file the process
keeps locked (``flock``) as long as it, or a child it forked, lives. The lock goes with the process,
even on another host sharing the folder, so the next process to make a folder of the same kind
removes those whose lock is free, and never one in use.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO

LOCK = ".held.lock"
"""The file in a held folder its process keeps locked."""


def make_held(prefix: str, parent: Path) -> tuple[Path, IO[str]]:
    """A new folder in ``parent`` named ``prefix`` and a random ending, and the open file holding its
    lock (closing it lets the folder go). The lock is taken on a file of another name, then renamed
    into place: no process ever sees the lock there and free while this one lives."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        return folder, hold(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def hold(folder: Path) -> IO[str]:
    """The open file holding the lock of ``folder`` (a folder of this process's own making), the lock
    made in it (see :func:`make_held`)."""
    holding = (folder / f"{LOCK}.new").open("w")
    try:
        fcntl.flock(holding, fcntl.LOCK_EX)
        (folder / f"{LOCK}.new").rename(folder / LOCK)
    except BaseException:
        holding.close()
        raise
    return holding


def remove_left(parent: Path, pattern: str, lockless: Callable[[Path], bool] | None = None) -> None:
    """The folders in ``parent`` whose names match ``pattern`` (a glob) that their process left: their lock
    free. One without a lock (made by an earlier version, or by a process between making it and
    locking it) is removed only where ``lockless`` says so. One that is not a folder, or not this
    user's to open, is left alone."""
    for found in parent.glob(pattern):
        try:
            with (found / LOCK).open("r") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(found, ignore_errors=True)  # its process gone: the lock was free
        except BlockingIOError:  # its process at work
            continue
        except FileNotFoundError:
            if lockless is not None and found.is_dir() and lockless(found):
                shutil.rmtree(found, ignore_errors=True)
        except OSError:
            continue


def is_locked(lock: Path) -> bool:
    """Whether a process holds the lock of the file ``lock`` (False: there is none, or it is free)."""
    try:
        with lock.open("r") as probe:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


class HeldFolder:
    """A folder of this process's own in ``parent`` (default: the system's temporary folder), held while
    it lives (see the module), those of the same ``prefix`` left by processes killed outright removed
    first. It is removed by :meth:`remove`, or once nothing refers to it, or when the process ends; a
    child forked meanwhile holds it too until the child ends, and never removes it."""

    def __init__(self, prefix: str, parent: Path | None = None):
        parent = Path(tempfile.gettempdir()) if parent is None else parent
        parent.mkdir(parents=True, exist_ok=True)
        remove_left(parent, f"{glob.escape(prefix)}*")
        self.path, holding = make_held(prefix, parent)
        self._finalizer = weakref.finalize(self, _remove, self.path, holding, os.getpid())

    def remove(self) -> None:
        """The folder removed, then let go (once: again, nothing)."""
        self._finalizer()


def _remove(folder: Path, holding: IO[str], owner: int) -> None:
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        holding.close()
