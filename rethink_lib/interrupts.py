"""Ctrl-C and SIGTERM in the command-line tools: one line and the shell's exit status.

A stopped training job keeps its state: every finished run is stored, and the run in
progress resumes from its last checkpointed epoch (written atomically after every epoch)
when the same command is rerun. So an interrupt needs no traceback: `stoppable(main)` turns
KeyboardInterrupt into exit 130 and SIGTERM into exit 143, each with one line on stderr.
"""
from __future__ import annotations

import contextlib
import signal
import sys
import threading


class Terminated(BaseException):
    """SIGTERM, raised where the process is (a BaseException: `except Exception` in a loop
    over runs does not swallow it)."""


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def held():
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver the first one caught to
    whatever handler was in place. A write (a checkpoint, a stored run) is never cut in half
    by a signal, and a signal during a write still stops the process as 130 / 143 rather
    than surfacing as a write error. A second signal during the block is not held (a write
    that hangs stays interruptible): it goes to that handler at once. Outside the main
    thread signals cannot be handled, so the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    escalated: list[int] = []

    def restore():
        for s, handler in previous.items():
            signal.signal(s, handler)

    def hold(signum, frame):
        if caught:  # the user insists: deliver now
            escalated.append(signum)
            restore()
            signal.raise_signal(signum)
            return
        caught.append(signum)

    previous = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        restore()
        if caught and not escalated:
            signal.raise_signal(caught[0])


LINE = ("stopped ({why}): finished runs are stored; the run in progress resumes from its last "
        "checkpointed epoch when the same command is rerun")


def stoppable(main, *args) -> int:
    """main(*args), with Ctrl-C -> exit 130 and SIGTERM -> exit 143, one line each."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return main(*args)
    except KeyboardInterrupt:
        code, why = 130, "Ctrl-C"
    except Terminated:
        code, why = 143, "SIGTERM"
    finally:
        signal.signal(signal.SIGTERM, previous)
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)  # clear a progress bar's line
    print(LINE.format(why=why), file=sys.stderr, flush=True)
    return code
