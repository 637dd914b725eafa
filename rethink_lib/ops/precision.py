"""The precision check: runs of one config trained twice, in fp32 and in bf16.

The cpu profile keeps one precision per model (docs/precision_check/README.md). A run that
was stored in one precision before its model's queue moved to the other is kept under
`docs/precision_check/<machine>-<precision>/<run_id>/` (the store's own format, checksums
included), and the same config's run in another archive folder or in `results/` is its
partner: the pair shows what the arithmetic (and the machine) changes, next to the noise of
the test set.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..config import PRECISIONS, RunConfig
from ..results import DEFAULT_RESULTS_DIR, ResultMismatchError, RunResult, load_result
from ..report import verdicts as V
from ..report.names import METRIC_NAMES, listing, model_name

ARCHIVE = Path("docs") / "precision_check"  # relative to the repository root
TOPIC = "What the precision alone changes (the same config in fp32 and in bf16)"


def find_archive(start: Path | None = None) -> Path:
    """docs/precision_check of the repository holding `start` (default: the working
    directory; the book builds from book/)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ARCHIVE).is_dir():
            return folder / ARCHIVE
    return here / ARCHIVE


def _same_but_precision(config: RunConfig) -> list[RunConfig]:
    """`config` and the same config in each other precision (a profile that fixes a model's
    precision, like cifar, gives its partner another run id)."""
    return [config] + [replace(config, precision=p) for p in PRECISIONS if p != config.precision]


def load_pairs(archive: Path, results_dir: Path = DEFAULT_RESULTS_DIR
               ) -> list[tuple[RunResult, RunResult | None]]:
    """Per archived config: (its first archived run, its other run or None). The other run is
    the same config's run, up to its precision field, in another archive folder (when the
    config left the profile, both precisions may be archived) or in the store. Every run is
    read through the store's checks, so a damaged file raises ResultMismatchError."""
    found: dict[str, list[RunResult]] = {}
    for cfg in sorted(Path(archive).glob("*/*/config.json")):
        config = RunConfig.from_dict(json.loads(cfg.read_text()))
        run = load_result(config, cfg.parent.parent)
        if run is not None:
            found.setdefault(replace(config, precision="auto").run_id, []).append(run)
    pairs = []
    for runs in found.values():
        partner = runs[1] if len(runs) > 1 else next(
            (r for c in _same_but_precision(runs[0].config)
             if (r := load_result(c, results_dir)) is not None), None)
        pairs.append((runs[0], partner))
    return pairs


def train_partner(run_id: str, precision: str, folder: Path,
                  results_dir: Path = DEFAULT_RESULTS_DIR, device: str = "cpu",
                  progress=True) -> RunResult:
    """Train the stored run `run_id`'s config again in `precision` into the archive folder
    `folder` (docs/precision_check/<machine>-<precision>/), resuming a killed attempt; the
    stored run is read through the store's checks first."""
    from ..runner import get_or_run
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be fp32 or bf16, got {precision!r}")
    config_file = Path(results_dir) / run_id / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"no stored run {run_id!r} under {results_dir}")
    config = RunConfig.from_dict(json.loads(config_file.read_text()))
    if load_result(config, results_dir) is None or config.run_id != run_id:
        raise ResultMismatchError(f"{config_file} does not hold the stored run {run_id}")
    if config.precision == precision:
        raise ValueError(f"{run_id} already uses {precision}: a partner needs the other one")
    return get_or_run(replace(config, precision=precision), folder, device=device,
                      progress=progress)


def pairs_frame(pairs) -> pd.DataFrame:
    """One row per run of each pair: where and in what precision it trained, how long it took
    to fit (three ways) and its final accuracies (%)."""
    rows = []
    for old, new in pairs:
        for r in (old, new):
            if r is None:
                continue
            s = r.summary
            rows.append({"run": r.config.run_id, "precision": s.get("precision"),
                         "device": s.get("device_name"), "epochs": s.get("epochs"),
                         **{METRIC_NAMES[k].format(loss=s.get("fit_loss", 0.01)): s.get(k)
                            for k in METRIC_NAMES},
                         "train %": 100 * s["final_train_acc"],
                         "test %": 100 * s["final_test_acc"],
                         "hours": s.get("wall_seconds", float("nan")) / 3600})
    return pd.DataFrame(rows)


def precision_verdicts(pairs) -> list[V.Verdict]:
    """Per pair: the change of test accuracy from the archived precision to the stored one,
    against the noise of the test set; 'agrees' when it is within the noise (the expectation
    that precision does not decide our findings), 'missing' while the partner is not stored."""
    out = []
    for old, new in pairs:
        name = f"{model_name(old.config.model)} ({old.config.run_id})"
        po = old.summary.get("precision")
        if new is None:
            out.append(V.Verdict(TOPIC, "missing", f"{name}: its {po} run is kept, the run in the "
                                 "other precision is not stored yet."))
            continue
        pn = new.summary.get("precision")
        if pn == po:
            out.append(V.Verdict(TOPIC, "inconclusive", f"{name}: both runs used {po}, so they "
                                 "measure the machine and its threads, not the precision."))
            continue
        steps = [r.summary.get("steps_to_loss") for r in (old, new)]
        loss = old.summary.get("fit_loss", 0.01)
        fit = (f"It reached a training loss of {loss:g} after {steps[0]:,} steps in {po} and "
               f"{steps[1]:,} in {pn} ({pn}/{po} = {steps[1] / steps[0]:.2f}x)"
               + (": the same time to fit." if steps[0] == steps[1] else
                  ": a difference in time to fit of this size can come from the arithmetic "
                  "alone, or from anything else the two runs differ in.")
               if None not in steps else
               f"Steps to a training loss of {loss:g}: {steps[0]} in {po}, {steps[1]} in {pn} "
               "(None: not reached).")
        also = [f"{what} ({old.summary.get(k)} against {new.summary.get(k)})"
                for k, what in (("device_name", "machine"), ("threads", "threads"))
                if old.summary.get(k) != new.summary.get(k)]
        out.append(V.effect(name, 100 * new.summary["final_test_acc"],
                            100 * old.summary["final_test_acc"], new.summary["n_test"],
                            f"{pn} instead of {po}", TOPIC, expect="none",
                            caveat=fit + (f" (The two runs also differ in {listing(also)}.)"
                                          if also else "")))
    return out


def model_precision_sentence(runs: pd.DataFrame) -> str:
    """Which precision each model's complete runs in the store used (runs: the execution
    report's runs frame: run id, status, precision), naming any model whose runs mix them."""
    done = runs[runs.status == "complete"] if "status" in runs else runs
    if done.empty:
        return "The store holds no complete runs."
    per = {}
    for run_id, p in zip(done["run"], done["precision"].fillna("unrecorded")):
        per.setdefault(run_id.split("-")[0], {}).setdefault(p, 0)
        per[run_id.split("-")[0]][p] += 1
    parts = [f"{model_name(m)}: " + ", ".join(f"{n} in {p}" for p, n in sorted(c.items()))
             for m, c in per.items()]
    mixed = [model_name(m) for m, c in per.items() if len(c) > 1]
    return ("Complete runs in the store by model and precision: " + "; ".join(parts) + ". "
            + (f"The runs of {listing(mixed)} mix precisions, and the verdicts that compare "
               "them say so." if mixed else "Each model's runs share one precision."))


def main(argv=None) -> int:
    """python -m rethink_lib.ops.precision RUN_ID --precision fp32 --into FOLDER"""
    import argparse
    import sys
    p = argparse.ArgumentParser(prog="python -m rethink_lib.ops.precision",
                                description="Train a stored run's config again in the other "
                                "precision, into a docs/precision_check/ folder.")
    p.add_argument("run_id")
    p.add_argument("--precision", required=True, choices=["fp32", "bf16"])
    p.add_argument("--into", required=True, type=Path,
                   help="archive folder, e.g. docs/precision_check/amd-epyc-avx2-fp32")
    p.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    try:
        run = train_partner(args.run_id, args.precision, args.into, args.results_dir,
                            progress=sys.stderr)  # a bar, in a terminal or a log
    except (ValueError, FileNotFoundError, ResultMismatchError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    s = run.summary
    print(f"{run.config.run_id}: {s['precision']}, train {s['final_train_acc']:.4f}, "
          f"test {s['final_test_acc']:.4f}, {s['epochs']} epochs -> {run.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
