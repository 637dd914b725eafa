"""Results store: one directory per run config, written atomically, never silently reused.

results/<run_id>/
    config.json    the RunConfig (its hash is part of run_id)
    metrics.csv    one row per epoch (see metrics.epoch_row)
    steps.csv      training loss of every SGD step (Fig. 1a)
    summary.json   written last: final accuracies, times to fit, device, threads, ... and
                   "files": the sha256 of the three files above, checked on every load
checkpoints/<run_id>.pt  (outside git) the last epoch's state, removed once the run ends
All JSON is strict (no NaN: missing values are null).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from .config import RunConfig
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


class ResultMismatchError(RuntimeError):
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


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text)
    os.replace(tmp, path)


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
    return hashlib.sha256(path.read_bytes()).hexdigest()


STORED_FILES = ("config.json", "metrics.csv", "steps.csv")


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


def checkpoint_path(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    return Path(results_dir).resolve().parent / "checkpoints" / f"{config.run_id}.pt"


def _refuse(d: Path, what: str):
    return ResultMismatchError(f"stored run {d.name}: {what}; delete {d} to rerun it")


def load_result(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult | None:
    """The stored result of exactly this config, None if absent; raises if corrupt/mismatched.

    Checked on every load: each file against the checksum summary.json recorded at
    completion, the config against the one asked for, and the summary against the rows.
    """
    d = run_dir(config, results_dir)
    if not (d / "summary.json").exists():
        return None
    try:
        summary = json.loads((d / "summary.json").read_text())
        if not isinstance(summary, dict):
            raise _refuse(d, f"summary.json holds a {type(summary).__name__}, not an object")
        files = summary.get("files")
        if not isinstance(files, dict):
            raise _refuse(d, "summary.json has no checksums (written by an older version?)")
        for name in STORED_FILES:
            if files.get(name) != _sha256(d / name):
                raise _refuse(d, f"{name} differs from the checksum recorded at completion")
        raw = json.loads((d / "config.json").read_text())
        if not isinstance(raw, dict):
            raise _refuse(d, "config.json is not an object")
        stored = RunConfig.from_dict(raw)
        metrics = _read_csv(d / "metrics.csv")
        steps = [float(r["loss"]) for r in _read_csv(d / "steps.csv")]
    except ResultMismatchError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        first = (str(err).splitlines() or [""])[0][:160]
        raise _refuse(d, f"unreadable ({type(err).__name__}: {first})") from None
    if stored != config:
        raise _refuse(d, f"config.json holds another config than {config.run_id}")
    if not metrics or summary.get("epochs") != len(metrics) or summary.get("steps") != len(steps):
        raise _refuse(d, "metrics.csv/steps.csv row counts differ from summary.json")
    last = metrics[-1]
    for key, col in (("final_train_acc_running", "train_acc"), ("last_lr", "lr")):
        if summary.get(key) != last.get(col):
            raise _refuse(d, f"summary.json {key}={summary.get(key)!r} but metrics.csv's last "
                             f"{col} is {last.get(col)!r}")
    return RunResult(config, metrics, steps, summary, d)


def save_result(config: RunConfig, metrics, step_losses, summary,
                results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult:
    d = run_dir(config, results_dir)
    d.mkdir(parents=True, exist_ok=True)
    _atomic_write(d / "config.json", _json_text(config.to_dict()))
    _atomic_write(d / "metrics.csv", _csv_text(_strict(metrics)))
    _atomic_write(d / "steps.csv", _csv_text([{"step": i + 1, "loss": f"{x:.6g}"}
                                               for i, x in enumerate(step_losses)]))
    files = {name: _sha256(d / name) for name in STORED_FILES}
    summary = {**summary, "config": config.to_dict(), "files": files}
    # summary.json last: its presence marks a complete result
    _atomic_write(d / "summary.json", _json_text(summary))
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
    ckpt = checkpoint_path(config, results_dir)
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    out = train(config, device=device, checkpoint=ckpt, progress=progress, compile=compile)
    result = save_result(config, out.metrics, out.step_losses, out.summary, results_dir)
    ckpt.unlink(missing_ok=True)
    return result


def get_or_run_all(configs: dict, results_dir: str | Path = DEFAULT_RESULTS_DIR, **kw) -> dict:
    """get_or_run over a {label: RunConfig} dict (an experiment), keeping the labels."""
    return {label: get_or_run(c, results_dir, **kw) for label, c in configs.items()}
