"""A stop asked by a signal, raised again when a finalizer swallowed it (``io.stops``)."""

from __future__ import annotations

import signal
import sys
import time
import weakref

import pytest

from dashboard.io import stops


def test_a_stop_signal_swallowed_by_a_finalizer_is_raised_again_by_an_alarm_and_at_the_next_report(monkeypatch):
    """SIGTERM stops a builder by raising SystemExit wherever it lands; landing in a finalizer (a weakref's
    callback, as importlib's module locks have), it was only printed as ignored and the build went on to
    the end (seen in tests/test_cli.py's server stopped while it builds). It is raised again by an alarm
    as soon as the finalizer is done (and by the next report, should that be swallowed too), and the
    swallowed one is not printed."""
    monkeypatch.setattr(stops, "STOPPED", [])
    monkeypatch.setattr(stops, "_STOPPING", [])
    monkeypatch.setattr(stops, "_HOOK", [])
    hook = sys.unraisablehook
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)}
    said: list[str] = []
    report = stops.unless_stopped(lambda msg, step=None: said.append(msg))
    report("validated 1 of 2 chunks")

    class Held:
        pass

    held = Held()
    unraisable: list[object] = []
    sys.unraisablehook = unraisable.append  # the hook before: what it is handed would be printed
    try:
        stops.stop_at(signal.SIGTERM, signal.SIGHUP)
        watch = weakref.ref(held, lambda ref: signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None))
        with pytest.raises(SystemExit) as stopped:
            del held  # the callback runs here: its SystemExit goes to sys.unraisablehook, not to this frame
            for _ in range(1000):  # raised again by the hook's alarm, here, before any report
                time.sleep(0.001)
        assert watch() is None
        assert stopped.value.code == 128 + signal.SIGTERM
        assert not [u for u in unraisable if getattr(u, "exc_type", None) is SystemExit]  # not printed
        with pytest.raises(SystemExit) as again:  # should the alarm's be swallowed too: the next report
            report("validated 2 of 2 chunks")
        assert again.value.code == 128 + signal.SIGTERM
        assert said == ["validated 1 of 2 chunks"]
        # once: no further signal, nor the alarm, cuts short what the stop unwinds
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        for stopping in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
            assert signal.getsignal(stopping) is signal.SIG_IGN, stopping
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in before.items():
            signal.signal(signum, handler)
        sys.unraisablehook = hook


def test_anything_else_a_finalizer_raises_goes_to_the_hook_there_was(monkeypatch):
    """Such as a test runner's, or an error reporter's; Python's own prints it."""
    monkeypatch.setattr(stops, "STOPPED", [])
    monkeypatch.setattr(stops, "_HOOK", [])
    hook = sys.unraisablehook
    unraisable: list[object] = []
    sys.unraisablehook = unraisable.append

    class Held:
        pass

    held = Held()
    try:
        stops.stop_at()
        watch = weakref.ref(held, lambda ref: 1 / 0)
        del held
        assert watch() is None
    finally:
        sys.unraisablehook = hook
    assert [getattr(u, "exc_type", None) for u in unraisable] == [ZeroDivisionError]
