"""Results store: one directory per run config, written atomically, never silently reused.

results/<run_id>/
    config.json    the RunConfig (its hash is part of run_id)
    metrics.csv    one row per epoch (see metrics.epoch_row)
    steps.csv      training loss of every SGD step (Fig. 1a)
    summary.json   written last: final accuracies, times to fit, device, threads, ... and
                   "files": the sha256 of the three files above, checked on every load
results/.checkpoints/<run_id>.pt    the last epoch's state, removed once the run is stored
results/.checkpoints/<run_id>.lock  the run lock (store_lock.RunLock); ignored by git
All JSON is strict (no NaN: missing values are null).

Every reader goes through `load_result` (one config), `load_folder` (one run folder) or
rethink_lib.store_scan (every run folder of a store), which verify the same things:
the checksums, the config, and every summary number that the rows or the image counts
determine (store_checks.py). Files are read with rethink_lib.safe_io: regular files only,
never through a symlink, capped in size; a symlinked run folder is refused too. A run that
fails is refused with one line (ResultMismatchError) naming it and what differs, never
reused and never counted. Writes go to fresh exclusive temporary files (safe_io).
"""
from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import math
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import safe_io
from .config import RunConfig
from .store_checks import summary_problem

DEFAULT_RESULTS_DIR = Path("results")
# The store the book reads: $RETHINK_RESULTS_DIR (tests point it at a temporary folder),
# else <repo>/results, wherever a chapter is executed from.
BOOK_RESULTS_DIR = Path(os.environ.get("RETHINK_RESULTS_DIR",
                                       Path(__file__).resolve().parent.parent / "results"))
CHECKPOINTS = ".checkpoints"  # inside the store it belongs to; a dot: never a run folder
STORED_FILES = ("config.json", "metrics.csv", "steps.csv")


def user_results_dir() -> Path:
    """Where ad-hoc chapter reruns store the runs they train, so that a rerun never writes
    into the committed store: $RETHINK_USER_RESULTS, else ~/.cache/rethink/results."""
    return Path(os.environ.get("RETHINK_USER_RESULTS",
                               Path.home() / ".cache" / "rethink" / "results"))


class StoreError(RuntimeError):
    """The results store cannot be read or written; the message is one line."""


class ResultMismatchError(StoreError):
    """A stored result is corrupt or belongs to another config; .reason: what is wrong."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


@dataclass
class RunResult:
    config: RunConfig
    metrics: list[dict]
    step_losses: list[float]
    summary: dict
    path: Path

    def metrics_frame(self):
        import pandas as pd
        return pd.DataFrame(self.metrics)


def os_reason(err: OSError) -> str:
    """One line for an OS error, with what it usually means."""
    text = (err.strerror or str(err) or type(err).__name__).splitlines()[0]
    hint = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system", errno.EACCES: "no write permission",
            errno.EPERM: "no write permission", errno.ENOTDIR: "a path component is a file",
            errno.EEXIST: "a file is in the way", errno.ELOOP: "a symbolic link is in the way"
            }.get(err.errno)
    return f"{text} ({hint})" if hint and hint.lower() not in text.lower() else text


# ------------------------------------------------------------------ layout
def run_dir(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    return Path(results_dir) / config.run_id


def checkpoint_dir(results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    """<results_dir>/.checkpoints: checkpoints and run locks of this store, and no other."""
    return Path(results_dir) / CHECKPOINTS


def checkpoint_path(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    return checkpoint_dir(results_dir) / f"{config.run_id}.pt"


def _nothing(err_or_text) -> str:
    text = os_reason(err_or_text) if isinstance(err_or_text, OSError) else err_or_text
    return f"{text}; nothing was trained"


def _first_existing(path: Path) -> Path:
    """`path` or its nearest ancestor that exists (StoreError if a component is a file)."""
    for p in (path, *path.parents):
        try:
            os.lstat(p)
            return p
        except FileNotFoundError:
            continue
        except OSError as err:
            raise StoreError(f"cannot store runs: {path}: {_nothing(err)}") from None
    return Path(".")


def check_writable(results_dir: str | Path = DEFAULT_RESULTS_DIR, create: bool = True) -> None:
    """Prove the store and its checkpoint folder writable, else StoreError (one line).

    Checked before anything is created (no folder appears for an impossible store); then,
    with `create`, the store and its .checkpoints folder are made. Called before anything
    trains, so a read-only or impossible store fails in a second, not after the run."""
    if str(results_dir).strip() == "":
        raise StoreError("cannot store runs: the results folder is '' (it would be the current "
                         "folder); name a folder, e.g. results; nothing was trained")
    root = Path(results_dir)
    ckpts = checkpoint_dir(root)
    if safe_io.lexists(ckpts) and os.path.islink(ckpts):
        raise StoreError(f"cannot store runs: {ckpts} is a symbolic link; remove it; "
                         "nothing was trained")
    for d in (root, ckpts):
        if safe_io.lexists(d) and not os.path.isdir(d):
            raise StoreError(f"cannot store runs: {d} is a file, not a directory; "
                             "nothing was trained")
    for d in {_first_existing(root), *([ckpts] if safe_io.lexists(ckpts) else [])}:
        try:
            with tempfile.TemporaryFile(dir=d):
                pass
        except OSError as err:
            raise StoreError(f"cannot store runs: {d} is not writable: {_nothing(err)}") from None
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
            ensure_checkpoint_dir(root)
        except OSError as err:
            raise StoreError(f"cannot store runs: {root} is not writable: {_nothing(err)}") from None


def ensure_checkpoint_dir(results_dir) -> Path:
    """The store's .checkpoints folder, made (with a .gitignore of everything) if absent;
    the store itself must exist. A symlink there is refused."""
    d = checkpoint_dir(results_dir)
    try:
        d.mkdir()
        safe_io.write_atomic(d / ".gitignore", "*\n")
    except FileExistsError:
        if os.path.islink(d) or not d.is_dir():
            raise StoreError(f"{d} is not a real folder (a symlink or a file); remove it") from None
    return d


def check_run_path(config: RunConfig, results_dir) -> None:
    """StoreError (one line) if something other than a real run folder is where `config`'s
    run folder belongs: a file, or a symbolic link (the store refuses both)."""
    d = run_dir(config, results_dir)
    try:
        mode = os.lstat(d).st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise StoreError(f"cannot store run {config.run_id}: {_nothing(err)}") from None
    if stat.S_ISLNK(mode):
        raise StoreError(f"cannot store run {config.run_id}: {d} is a symbolic link and the "
                         f"store accepts only real folders; remove it; nothing was trained")
    if not stat.S_ISDIR(mode):
        raise StoreError(f"cannot store run {config.run_id}: {d} is a file where its run folder "
                         f"belongs; move or delete it; nothing was trained")


# ------------------------------------------------------------------ reading
def _strict(obj):
    """NaN/inf -> None, recursively, so the JSON we write is strict."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    return obj


def _json_text(obj) -> str:
    return json.dumps(_strict(obj), indent=1, sort_keys=True, allow_nan=False) + "\n"


def _sha256(path: Path) -> str:
    return hashlib.sha256(safe_io.read_bytes(path, safe_io.CSV_LIMIT)).hexdigest()


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _num(v: str):
    if v == "":
        return None
    try:
        x = float(v)
    except ValueError:
        return v
    return int(x) if x.is_integer() and "." not in v and "e" not in v.lower() else x


def _rows(data: bytes) -> list[dict]:
    return [{k: _num(v) for k, v in row.items()} for row in safe_io.parse_csv(data)]


def _refuse(d: Path, what: str):
    what = (what.splitlines() or [""])[0]
    return ResultMismatchError(f"stored run {d.name}: {what}; delete {d} to rerun it", what)


def _read_run(d: Path):
    """(summary, stored config, metrics, steps) of run folder `d` if its files are sound and
    agree with their checksums; None if it has no summary.json (not complete)."""
    name = "summary.json"
    try:
        if os.path.islink(d):
            raise _refuse(d, "the run folder is a symbolic link; the store accepts only real "
                             "folders")
        if safe_io.lexists(d) and not d.is_dir():
            raise _refuse(d, "a file is where the run folder belongs, not a folder")
        if not safe_io.lexists(d / name):
            return None
        summary = safe_io.read_json(d / name)
        if not isinstance(summary, dict):
            raise _refuse(d, f"summary.json holds a {type(summary).__name__}, not an object")
        files = summary.get("files")
        if not isinstance(files, dict) or set(files) != set(STORED_FILES):
            raise _refuse(d, "summary.json has no checksums of " + ", ".join(STORED_FILES))
        data = {}
        for name in STORED_FILES:
            if not safe_io.lexists(d / name):
                raise _refuse(d, f"{name} is missing")
            data[name] = safe_io.read_bytes(d / name, safe_io.CSV_LIMIT)
            if files[name] != hashlib.sha256(data[name]).hexdigest():
                raise _refuse(d, f"{name} differs from the checksum recorded at completion")
        name = "config.json"
        raw = safe_io.parse_json(data[name])
        if not isinstance(raw, dict):
            raise _refuse(d, f"config.json holds a {type(raw).__name__}, not an object")
        stored = RunConfig.from_dict(raw)
        name = "metrics.csv"
        metrics = _rows(data[name])
        name = "steps.csv"
        steps = [float(r["loss"]) for r in _rows(data[name])]
    except ResultMismatchError:
        raise
    except safe_io.FileRefused as err:
        raise _refuse(d, f"{name} {err}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            MemoryError) as err:
        first = (str(err).splitlines() or [""])[0][:160]
        raise _refuse(d, f"{name} is unreadable ({type(err).__name__}: {first})") from None
    return summary, stored, metrics, steps


def _verified(config: RunConfig, d: Path, found) -> RunResult:
    summary, stored, metrics, steps = found
    if stored != config:
        raise _refuse(d, f"config.json holds another config than {config.run_id}")
    problem = summary_problem(summary, config, metrics, steps)
    if problem:
        raise _refuse(d, problem)
    return RunResult(config, metrics, steps, summary, d)


def _remove_orphan_checkpoint(config: RunConfig, results_dir) -> None:
    """A run stored between summary.json and its checkpoint's removal left the checkpoint
    (10+ MB) behind; the stored result supersedes it."""
    ckpt = checkpoint_path(config, results_dir)
    for path in [ckpt, *safe_io.stale_temps(ckpt)]:
        try:
            if safe_io.lexists(path):
                os.unlink(path)
        except OSError:  # a read-only store is still readable
            pass


def load_result(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult | None:
    """The stored result of exactly this config, None if absent; ResultMismatchError (one
    line) if any file is missing, damaged, hostile or disagrees with the others."""
    d = run_dir(config, results_dir)
    found = _read_run(d)
    if found is None:
        return None
    result = _verified(config, d, found)
    _remove_orphan_checkpoint(config, results_dir)
    return result


def find_result(config: RunConfig, stores) -> RunResult | None:
    """Read-through lookup: the result of `config` from the first of `stores` that holds
    it (RunResult.path says which), None if none does; a damaged run raises as in
    load_result. Nothing is copied between stores."""
    for store in stores:
        found = load_result(config, store)
        if found is not None:
            return found
    return None


def load_folder(folder) -> RunResult | None:
    """The verified run in run folder `folder` (whatever config it holds, which must be the
    one its name says), None if it is not complete; ResultMismatchError as load_result."""
    path = Path(folder)
    found = _read_run(path)
    if found is None:
        return None
    config = found[1]
    if config.run_id != path.name:
        raise _refuse(path, f"config.json holds run {config.run_id}, not {path.name}")
    return _verified(config, path, found)


# ------------------------------------------------------------------ writing
def save_result(config: RunConfig, metrics, step_losses, summary,
                results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult:
    """Store a finished run (summary.json last: its presence marks a complete result).

    An OS error (disk full, read-only) leaves no partial file and raises StoreError; a
    symlink or file where the run folder belongs is refused (check_run_path)."""
    check_run_path(config, results_dir)
    d = run_dir(config, results_dir)
    try:
        d.mkdir(parents=True, exist_ok=True)
        check_run_path(config, results_dir)
        texts = {"config.json": _json_text(config.to_dict()),
                 "metrics.csv": _csv_text(_strict(metrics)),
                 "steps.csv": _csv_text([{"step": i + 1, "loss": f"{x:.6g}"}
                                         for i, x in enumerate(step_losses)])}
        for name in STORED_FILES:
            safe_io.write_atomic(d / name, texts[name])
        files = {name: hashlib.sha256(texts[name].encode()).hexdigest() for name in STORED_FILES}
        summary = {**summary, "config": config.to_dict(), "files": files}
        safe_io.write_atomic(d / "summary.json", _json_text(summary))
    except OSError as err:
        raise StoreError(f"cannot store run {config.run_id} in {d}: {os_reason(err)}; "
                         "its checkpoint is kept, rerun to store it") from None
    return load_result(config, results_dir)
