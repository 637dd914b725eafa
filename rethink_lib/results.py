"""Results store: one directory per run config, written atomically, never silently reused.

results/<run_id>/
    config.json    the RunConfig (its hash is part of run_id)
    metrics.csv    one row per epoch (see train._epoch_row)
    steps.csv      training loss of every SGD step (Fig. 1a)
    summary.json   wall_seconds, final_train_acc, final_test_acc, steps_to_fit, ...
checkpoints/<run_id>.pt  (outside git) the last epoch's state, removed once the run ends
"""
from __future__ import annotations

import csv
import io
import json
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
    try:
        x = float(v)
    except ValueError:
        return v
    return int(x) if x.is_integer() and "." not in v and "e" not in v.lower() else x


def run_dir(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    return Path(results_dir) / config.run_id


def checkpoint_path(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    return Path(results_dir).resolve().parent / "checkpoints" / f"{config.run_id}.pt"


def load_result(config: RunConfig, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult | None:
    """The stored result of exactly this config, None if absent; raises if corrupt/mismatched."""
    d = run_dir(config, results_dir)
    if not (d / "summary.json").exists():
        return None
    try:
        stored = RunConfig.from_dict(json.loads((d / "config.json").read_text()))
        summary = json.loads((d / "summary.json").read_text())
        metrics = _read_csv(d / "metrics.csv")
        steps = [float(r["loss"]) for r in _read_csv(d / "steps.csv")]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ResultMismatchError(f"stored result {d} is unreadable ({type(err).__name__}: {err}); "
                                  "delete the directory to rerun it") from None
    if stored != config:
        raise ResultMismatchError(f"{d}/config.json holds another config than {config.run_id}; "
                                  "delete the directory to rerun it")
    if not metrics or summary.get("epochs") != len(metrics) or summary.get("steps") != len(steps):
        raise ResultMismatchError(f"{d}: metrics.csv/steps.csv do not match summary.json "
                                  "(truncated or edited?); delete the directory to rerun it")
    return RunResult(config, metrics, steps, summary, d)


def save_result(config: RunConfig, metrics, step_losses, summary,
                results_dir: str | Path = DEFAULT_RESULTS_DIR) -> RunResult:
    d = run_dir(config, results_dir)
    d.mkdir(parents=True, exist_ok=True)
    summary = {**summary, "config": config.to_dict()}
    _atomic_write(d / "config.json", json.dumps(config.to_dict(), indent=1, sort_keys=True) + "\n")
    _atomic_write(d / "metrics.csv", _csv_text(metrics))
    _atomic_write(d / "steps.csv", _csv_text([{"step": i + 1, "loss": f"{x:.6g}"}
                                               for i, x in enumerate(step_losses)]))
    # summary.json last: its presence marks a complete result
    _atomic_write(d / "summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n")
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
