"""File access for a store that may hold hostile files: bounded reads, exclusive writes.

Reading (`read_bytes`, `read_json`, `read_csv`): regular files only, never through a
symbolic link (O_NOFOLLOW), opened non-blocking so a FIFO cannot hang the reader, capped in
size so /dev/zero or a huge file cannot exhaust memory; JSON nested too deeply and CSV fields
over the csv module's limit are refused. Every refusal is a `FileRefused` (a ValueError)
whose message is one line saying what is wrong with the file.

Writing (`write_atomic`, `open_exclusive`): a fresh temporary file beside the target, with a
name no other process uses (PID and random token), opened O_CREAT|O_EXCL|O_NOFOLLOW, so a
planted file or symlink under that name is never followed or truncated; then renamed over
the target (rename replaces a symlink, it does not write through it). On failure the
temporary file is removed.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import stat
from pathlib import Path

from . import interrupts

JSON_LIMIT = 4 << 20      # bytes: a summary.json or config.json is a few kB
CSV_LIMIT = 256 << 20     # bytes: steps.csv of a paper-profile run is a few MB
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileRefused(ValueError):
    """A file that is not a bounded regular file of the expected kind; one line."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def lexists(path: Path) -> bool:
    """True if anything (a dangling symlink included) is at `path`."""
    try:
        os.lstat(path)
        return True
    except (FileNotFoundError, NotADirectoryError):
        return False


def refuse_link_or_odd(path: Path, want_dir: bool = False) -> None:
    """FileRefused if `path` is a symbolic link or not a regular file (folder: want_dir)."""
    mode = os.lstat(path).st_mode
    ok = stat.S_ISDIR(mode) if want_dir else stat.S_ISREG(mode)
    if not ok:
        raise FileRefused(f"is {_kind(mode)}, not a {'folder' if want_dir else 'regular file'}")


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; FileRefused otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC)
    except OSError as err:
        if err.errno == 40:  # ELOOP: the last component is a symlink
            raise FileRefused("is a symbolic link; the store accepts regular files only") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise FileRefused(f"is {st.st_size:,} bytes, over the {limit:,}-byte limit")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:  # grew while being read
                raise FileRefused(f"is over the {limit:,}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _no_constants(name: str):
    raise ValueError(f"holds {name}, which strict JSON does not allow")


def parse_json(text: str | bytes):
    """Strict JSON (no NaN/Infinity); too deep a nesting is a FileRefused, not a crash."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if not text.strip():
        raise ValueError("is empty")
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise FileRefused("is JSON nested too deeply to be a run's file") from None


def read_json(path: Path, limit: int = JSON_LIMIT):
    return parse_json(read_bytes(path, limit))


def parse_csv(data: bytes) -> list[dict]:
    """Rows of a CSV text as {column: str}; a field over csv's limit is a FileRefused."""
    try:
        return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    except csv.Error as err:
        first = (str(err).splitlines() or [""])[0]
        raise FileRefused(f"is not a CSV of a run ({first})") from None


# ------------------------------------------------------------------ writing
def temp_name(path: Path) -> Path:
    """A name beside `path` that no other process or planted file uses."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")


def open_exclusive(path: Path) -> int:
    """A new file at `path` for writing: fails if anything (a symlink included) is there."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_atomic(path: Path, data: bytes | str, writer=None) -> None:
    """Write `data` (or call writer(file) with a binary file) to a fresh temporary file and
    rename it over `path`; on any error the temporary file is removed and the error raised.
    Ctrl-C and SIGTERM are held until the write is done (interrupts.held)."""
    tmp = temp_name(Path(path))
    with interrupts.held():
        fd = open_exclusive(tmp)
        try:
            with os.fdopen(fd, "wb") as f:
                if writer is not None:
                    writer(f)
                else:
                    f.write(data.encode() if isinstance(data, str) else data)
            os.replace(tmp, path)
        except BaseException:
            _remove(tmp)
            raise


def stale_temps(path: Path) -> list[Path]:
    """Temporary files of `path` left by a killed writer (and the old `<name>.part`)."""
    path = Path(path)
    return [p for p in (path.with_name(path.name + ".part"),) if lexists(p)] + \
        sorted(path.parent.glob(f".{path.name}.*.part"))
