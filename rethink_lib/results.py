"""Results store: one directory per run config, written atomically, never silently reused.

results/<run_id>/
    config.json    the RunConfig (its hash is part of run_id)
    metrics.csv    one row per epoch (see metrics.epoch_row)
    steps.csv      training loss of every SGD step (Fig. 1a)
    summary.json   written last: final accuracies, times to fit, device, threads, ... and
                   "files": the sha256 of the three files above, checked on every load
checkpoints/<run_id>.pt  (outside git) the last epoch's state, removed once the run is stored
All JSON is strict (no NaN: missing values are null).

Every load checks a stored run against itself (store_checks.py): the checksums, the config,
and every summary number that the rows or the image counts determine. A run that fails is
refused with one line (ResultMismatchError) naming it and what differs, never reused.
"""
from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import RunConfig
from .store_checks import summary_problem
from .train import train

DEFAULT_RESULTS_DIR = Path("results")
# The store the book reads: $RETHINK_RESULTS_DIR (tests point it at a temporary folder),
# else <repo>/results, wherever a chapter is executed from.
BOOK_RESULTS_DIR = Path(os.environ.get("RETHINK_RESULTS_DIR",
                                       Path(__file__).resolve().parent.parent / "results"))


def user_results_dir() -> Path:
    """Where ad-hoc chapter reruns store the runs they train, so that a rerun never writes
    into the committed store: $RETHINK_USER_RESULTS, else ~/.cache/rethink/results."""
    return Path(os.environ.get("RETHINK_USER_RESULTS",
                               Path.home() / ".cache" / "rethink" / "results"))


def find_result(config: RunConfig, stores) -> RunResult | None:
    """Read-through lookup: the result of `config` from the first of `stores` that holds
    it (RunResult.path says which), None if none does; a damaged run raises as in
    load_result. Nothing is copied between stores."""
    for store in stores:
        found = load_result(config, store)
        if found is not None:
            return found
    return None


STORED_FILES = ("config.json", "metrics.csv", "steps.csv")


class StoreError(RuntimeError):
    """The results store cannot be read or written; the message is one line."""


class ResultMismatchError(StoreError):
    """A stored result is corrupt or belongs to another config."""


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
            errno.EEXIST: "a file is in the way"}.get(err.errno)
    return f"{text} ({hint})" if hint and hint.lower() not in text.lower() else text


def _atomic_write(path: Path, text: str) -> None:
    """Write to <name>.part and rename; on failure the partial file is removed."""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise


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


def _no_constants(name: str):
    raise ValueError(f"holds {name}, which strict JSON does not allow")


def _read_json(path: Path):
    text = path.read_text()
    if not text.strip():
        raise ValueError("is empty")
    return json.loads(text, parse_constant=_no_constants)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: _num(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _num(v: str):
    if v == "":
        return None
    try:
        x = float(v)
    except ValueError:
        return v
    return int(x) if x.is_integer() and "." not in v and "e" not in v.lower() else x


def run_dir(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    return Path(results_dir) / config.run_id


def checkpoint_dir(results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    """<results_dir>/../checkpoints: checkpoints and run locks, outside the committed store."""
    return Path(results_dir).resolve().parent / "checkpoints"


def checkpoint_path(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    return checkpoint_dir(results_dir) / f"{config.run_id}.pt"


def check_writable(results_dir: str | Path = DEFAULT_RESULTS_DIR) -> None:
    """Create the results and checkpoints folders and prove both writable, else StoreError.

    Called before anything trains, so a read-only or impossible store fails in a second,
    not after the run."""
    for d in (Path(results_dir), checkpoint_dir(results_dir)):
        if d.exists() and not d.is_dir():
            raise StoreError(f"cannot store runs: {d} is a file, not a directory; "
                             "nothing was trained")
        try:
            d.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=d):
                pass
        except OSError as err:
            raise StoreError(f"cannot store runs: {d} is not writable: {os_reason(err)}; "
                             "nothing was trained") from None


def _refuse(d: Path, what: str):
    what = (what.splitlines() or [""])[0]
    return ResultMismatchError(f"stored run {d.name}: {what}; delete {d} to rerun it")


def _remove_orphan_checkpoint(config: RunConfig, results_dir) -> None:
    """A run stored between summary.json and its checkpoint's removal left the checkpoint
    (10+ MB) behind; the stored result supersedes it."""
    ckpt = checkpoint_path(config, results_dir)
    for path in (ckpt, ckpt.with_name(ckpt.name + ".part")):
        try:
            path.unlink(missing_ok=True)
        except OSError:  # a read-only store is still readable
            pass


def load_result(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult | None:
    """The stored result of exactly this config, None if absent; ResultMismatchError (one
    line) if any file is missing, damaged or disagrees with the others."""
    d = run_dir(config, results_dir)
    name = "summary.json"
    try:
        if not (d / name).exists():
            return None
        summary = _read_json(d / name)
        if not isinstance(summary, dict):
            raise _refuse(d, f"summary.json holds a {type(summary).__name__}, not an object")
        files = summary.get("files")
        if not isinstance(files, dict) or set(files) != set(STORED_FILES):
            raise _refuse(d, "summary.json has no checksums of " + ", ".join(STORED_FILES))
        for name in STORED_FILES:
            if not (d / name).is_file():
                raise _refuse(d, f"{name} is missing")
            if files[name] != _sha256(d / name):
                raise _refuse(d, f"{name} differs from the checksum recorded at completion")
        name = "config.json"
        raw = _read_json(d / name)
        if not isinstance(raw, dict):
            raise _refuse(d, f"config.json holds a {type(raw).__name__}, not an object")
        stored = RunConfig.from_dict(raw)
        name = "metrics.csv"
        metrics = _read_csv(d / name)
        name = "steps.csv"
        steps = [float(r["loss"]) for r in _read_csv(d / name)]
    except ResultMismatchError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        first = (str(err).splitlines() or [""])[0][:160]
        raise _refuse(d, f"{name} is unreadable ({type(err).__name__}: {first})") from None
    if stored != config:
        raise _refuse(d, f"config.json holds another config than {config.run_id}")
    problem = summary_problem(summary, config, metrics, steps)
    if problem:
        raise _refuse(d, problem)
    _remove_orphan_checkpoint(config, results_dir)
    return RunResult(config, metrics, steps, summary, d)


def save_result(config: RunConfig, metrics, step_losses, summary,
                results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult:
    """Store a finished run (summary.json last: its presence marks a complete result).

    An OS error (disk full, read-only) leaves no partial file and raises StoreError."""
    d = run_dir(config, results_dir)
    try:
        d.mkdir(parents=True, exist_ok=True)
        _atomic_write(d / "config.json", _json_text(config.to_dict()))
        _atomic_write(d / "metrics.csv", _csv_text(_strict(metrics)))
        _atomic_write(d / "steps.csv", _csv_text([{"step": i + 1, "loss": f"{x:.6g}"}
                                                   for i, x in enumerate(step_losses)]))
        files = {name: _sha256(d / name) for name in STORED_FILES}
        summary = {**summary, "config": config.to_dict(), "files": files}
        _atomic_write(d / "summary.json", _json_text(summary))
    except OSError as err:
        raise StoreError(f"cannot store run {config.run_id} in {d}: {os_reason(err)}; "
                         "its checkpoint is kept, rerun to store it") from None
    return load_result(config, results_dir)


def get_or_run(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR,
               device="auto", progress: bool = True, compile: bool = False,
               run_missing: bool = True) -> RunResult:
    """Stored result for exactly `config`, else train it (resuming a killed run) and store it."""
    found = load_result(config, results_dir)
    if found is not None:
        return found
    if not run_missing:
        raise FileNotFoundError(f"no stored result for {config.run_id} under {results_dir}")
    check_writable(results_dir)
    ckpt = checkpoint_path(config, results_dir)
    out = train(config, device=device, checkpoint=ckpt, progress=progress, compile=compile)
    return save_result(config, out.metrics, out.step_losses, out.summary, results_dir)


def get_or_run_all(configs: dict, results_dir: str | Path = DEFAULT_RESULTS_DIR, **kw) -> dict:
    """get_or_run over a {label: RunConfig} dict (an experiment), keeping the labels."""
    return {label: get_or_run(c, results_dir, **kw) for label, c in configs.items()}
