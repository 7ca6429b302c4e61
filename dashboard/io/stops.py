"""A process's stop asked by a signal, which a finalizer must not swallow.

A server preparing its data and the process building a store stop at SIGTERM (and the server at
SIGHUP) by raising SystemExit wherever their main thread is, so that what they started is stopped
and what they made is removed on the way out. Should the signal land while a finalizer runs (a
weakref's callback, as importlib's module locks have), Python only prints the SystemExit as ignored
and the work goes on to the end: seen once in six runs of a server stopped while its store was built.
Here the stop is recorded, the swallowed SystemExit is not printed, and it is raised again by an
alarm once the finalizer is done, and at the next progress report.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from . import progress

STOPPED: list[int] = []
"""The exit status a signal asked this process to stop with (:func:`stop`), once one came."""

STOP_AGAIN_S = 0.01
"""How soon a stop a finalizer swallowed is raised again, by an alarm (:func:`quiet_stop`)."""


def stop_at(*signums: int) -> None:
    """This process stopped by SystemExit(128 + the signal) at each of ``signums`` from now on (in its
    main thread, which this must be called from), a stop a finalizer swallowed raised again."""
    sys.unraisablehook = quiet_stop
    for signum in signums:
        signal.signal(signum, stop)


def stop(signum: int, frame: object) -> None:
    """Stop (once: a second signal does not cut short what the first's SystemExit unwinds; the kernel
    tells a builder its caller is gone once for each of the caller's threads as they end)."""
    signal.signal(signum, signal.SIG_IGN)
    STOPPED.append(128 + signum)
    raise SystemExit(128 + signum)


def _stop_again(signum: int, frame: object) -> None:
    """The alarm of :func:`quiet_stop`: the stop asked before, raised again."""
    raise SystemExit(STOPPED[0])


def unless_stopped(say: progress.Said) -> progress.Said:
    """``say``, raising first the stop a signal asked for, if any (from a helper's feeding thread it
    reaches the main thread as that thread's failure)."""

    def told(msg: str, step: progress.Step | None = None) -> None:
        raise_if_stopped()
        say(msg, step)

    return told


def raise_if_stopped() -> None:
    """SystemExit, should a signal have asked this process to stop: work that went on after a stop
    was swallowed ends here."""
    if STOPPED:
        raise SystemExit(STOPPED[0])


def quiet_stop(unraisable: Any) -> None:
    """``sys.unraisablehook`` of :func:`stop_at`: a stop a finalizer swallowed is not printed but raised
    again by an alarm :data:`STOP_AGAIN_S` later, once the finalizer is done (asked at once, it would be
    raised inside this hook, and lost; the next report raises it too, but a store's tables' queries go
    minutes without one); anything else is printed, as Python would."""
    if STOPPED and unraisable.exc_type is SystemExit:
        if threading.current_thread() is threading.main_thread():  # where signal handlers run
            signal.signal(signal.SIGALRM, _stop_again)
            signal.setitimer(signal.ITIMER_REAL, STOP_AGAIN_S)
        return
    sys.__unraisablehook__(unraisable)
