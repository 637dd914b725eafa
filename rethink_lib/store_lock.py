"""Run locks: one worker trains a run at a time, whoever started it (queue, CLI, chapter, Ray).

The lock is an fcntl flock on <store>/.checkpoints/<run_id>.lock, held for the run's life,
so a dead holder's lock frees itself (no stale-lock clean-up). The file holds the holder's
PID for people: a worker that waits says which run it waits for and which process holds it
(and whether that process is stopped), and takes the run over once that process is gone.
The lock file is opened O_NOFOLLOW and must be a regular file: a planted symlink there is
refused, never truncated or written through.
"""
from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from pathlib import Path

from .results import StoreError, checkpoint_path, ensure_checkpoint_dir

POLL_SECONDS = 1.0       # how often a blocked worker retries the lock
REPORT_SECONDS = 1800.0  # how often it repeats who holds it (at once when that changes)


def process_state(pid: int | None) -> str:
    """'running', 'stopped' (SIGSTOP / Ctrl-Z), 'gone' or 'unknown' for a PID."""
    if not pid:
        return "unknown"
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return "gone"
        except OSError:
            return "unknown"
        return "running"
    return {"T": "stopped", "t": "stopped", "Z": "gone", "X": "gone"}.get(state, "running")


class RunLock:
    """An exclusive fcntl lock on <store>/.checkpoints/<run_id>.lock, held while a run trains."""

    def __init__(self, config, results_dir):
        self.run_id = config.run_id
        self.results_dir = Path(results_dir)
        self.path = checkpoint_path(config, results_dir).with_suffix(".lock")
        self.fd = None

    def _open(self) -> int:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        ensure_checkpoint_dir(self.results_dir)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
                         | os.O_NONBLOCK, 0o644)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise StoreError(f"run lock {self.path} is a symbolic link; remove it (a lock "
                                 "is never written through a link)") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreError(f"run lock {self.path} is not a regular file; remove it")
        return fd

    def holder(self) -> int | None:
        """The PID written by the process holding the lock (None if unreadable)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            text = os.read(fd, 32).decode(errors="replace").strip()
        finally:
            os.close(fd)
        return int(text) if text.isdigit() else None

    def waiting_line(self, pid=None, state=None) -> str:
        pid = self.holder() if pid is None else pid
        state = process_state(pid) if state is None else state
        who = f"PID {pid} ({state}" + (", resume it with `kill -CONT " + str(pid) + "` or end "
                                       "it" if state == "stopped" else "") + ")"
        return (f"{self.run_id}: waiting for {who if pid else 'another process'}, which holds "
                f"its lock {self.path}; this worker takes the run over once that process is gone")

    def acquire(self, block: bool = False, say=None) -> bool:
        """Take the lock; False if another process holds it (block: wait for it, calling
        say(line) with who holds it at once, whenever the holder or its state changes, and
        every REPORT_SECONDS)."""
        fd = self._open()
        last, last_holder = None, None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not block:
                    os.close(fd)
                    return False
            except BaseException:
                os.close(fd)
                raise
            now = time.monotonic()
            if say is not None:
                pid = self.holder()
                holder = (pid, process_state(pid))
                if holder != last_holder or now - last >= REPORT_SECONDS:
                    say(self.waiting_line(*holder))
                    last, last_holder = now, holder
            try:
                time.sleep(POLL_SECONDS)
            except BaseException:
                os.close(fd)
                raise
        try:  # the holder's PID, for people only: the lock itself is the flock
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        self.acquire(block=True)
        return self

    def __exit__(self, *exc):
        self.release()
