"""A process's stop asked by a signal, which a finalizer must not swallow.

A server preparing its data and the process building a store stop at SIGTERM (and the server at
SIGHUP) by raising SystemExit wherever their main thread is, so that what they started is stopped
and what they made is removed on the way out. Should the signal land while a finalizer runs (a
weakref's callback, as importlib's module locks have), Python only prints the SystemExit as ignored
and the work goes on to the end: seen once in six runs of a server stopped while its store was built.
Here the stop is recorded, the swallowed SystemExit is not printed, and it is raised again by an
alarm once the finalizer is done (and, in a builder, at its next progress report).
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

_STOPPING: list[int] = []
"""The signals :func:`stop_at` stops this process at."""
_HOOK: list[Any] = []
"""The ``sys.unraisablehook`` :func:`stop_at` found, which :func:`quiet_stop` hands the rest to."""


def stop_at(*signums: int) -> None:
    """This process stopped by SystemExit(128 + the signal) at each of ``signums`` from now on (in its
    main thread, which this must be called from), a stop a finalizer swallowed raised again."""
    if sys.unraisablehook is not quiet_stop:
        _HOOK[:] = [sys.unraisablehook]
        sys.unraisablehook = quiet_stop
    _STOPPING[:] = sorted(set(_STOPPING) | set(signums))
    for signum in signums:
        signal.signal(signum, stop)


def stop(signum: int, frame: object) -> None:
    """Stop, once: no further signal (of those it stops at; nor the alarm, once the stop is raised
    again) cuts short what the first one's SystemExit unwinds, such as removing what the process
    made. The kernel tells a builder its caller is gone once for each of the caller's threads."""
    for stopping in _STOPPING or [signum]:
        signal.signal(stopping, signal.SIG_IGN)
    STOPPED.append(128 + signum)
    raise SystemExit(128 + signum)


def _no_alarm() -> None:
    """The alarm of :func:`quiet_stop` put off, if any, from the main thread (where it was set)."""
    if threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)


def _stop_again(signum: int, frame: object) -> None:
    """The alarm of :func:`quiet_stop`: the stop asked before, raised again (once)."""
    _no_alarm()
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
        _no_alarm()  # raised here: not again while it unwinds
        raise SystemExit(STOPPED[0])


def quiet_stop(unraisable: Any) -> None:
    """``sys.unraisablehook`` of :func:`stop_at`: a stop a finalizer swallowed is not printed but raised
    again by an alarm :data:`STOP_AGAIN_S` later, once the finalizer is done (asked at once, it would be
    raised inside this hook, and lost; the next report raises it too, but a store's tables' queries go
    minutes without one); anything else goes to the hook there was before (which prints it)."""
    if STOPPED and unraisable.exc_type is SystemExit:
        if threading.current_thread() is threading.main_thread():  # where signal handlers run
            signal.signal(signal.SIGALRM, _stop_again)
            signal.setitimer(signal.ITIMER_REAL, STOP_AGAIN_S)
        return
    (_HOOK[0] if _HOOK else sys.__unraisablehook__)(unraisable)
