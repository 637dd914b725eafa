"""What the cpu profile would cost from scratch under cheaper run plans, from the stored runs.

    .venv/bin/python scripts/budget_whatif.py [--entry "Intel(R) Xeon(R) Processor / bf16"]

Issue 8 asks for the whole cpu profile in at most 8 h of a 2-core machine. This prints the
cost table's from-scratch prediction (`ops.budget.run_costs`, as the execution report
states it) and what three plan changes would save, each computed from the stored per-epoch
curves, not guessed. None of them is applied: each changes what a figure shows.

(a) Augmented runs that stop only at 100% (Table I/II) never fit under augmentation and run to
    their cap. Stop them once levelled instead: the first epoch whose last 5 epochs' mean
    running training accuracy is under 1 point above the 5 before (Fig. 3a's rule).
(b) Fig. 3a's two curves without augmentation stop at the first epoch with 100% running
    training accuracy instead of running all `fig3a_epochs`.
(c) Fig. 3c's batch-128 curve is the first `implicit_epochs` of Fig. 3a's no-regularizer curve
    (same config but the cap; the lr schedule does not depend on the cap): read it from there.
Savings scale a run's predicted seconds by the share of its epochs left out.
"""
from __future__ import annotations

import argparse
import inspect
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from rethink_lib.experiments import planned_runs, resolve
from rethink_lib.ops import budget
from rethink_lib.report.findings import LEVEL_WINDOW
from rethink_lib.report.tables import late_rise
from rethink_lib.report.verdicts import levelled
from rethink_lib.results import load_result

LEVEL_POINTS = inspect.signature(levelled).parameters["tolerance"].default  # Fig. 3a's rule


def levelled_epoch(result) -> int | None:
    """First epoch at which the run's curve counts as levelled by Fig. 3a's rule."""
    for e in range(2 * LEVEL_WINDOW, len(result.metrics) + 1):
        rise = late_rise(SimpleNamespace(metrics=result.metrics[:e]), LEVEL_WINDOW)
        if rise < LEVEL_POINTS:
            return e
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entry", default="Intel(R) Xeon(R) Processor / bf16")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    args = p.parse_args()
    s = resolve("cpu")
    costs = budget.run_costs("cpu", args.results_dir).set_index("run")
    runs = planned_runs(s)
    total = costs[args.entry].sum() / 3600
    rows = []
    fig3a_noreg = None
    for run_id, (experiment, config) in runs.items():
        r = load_result(config, args.results_dir)
        if r is None:
            continue
        m = pd.DataFrame(r.metrics)
        epochs = len(m)
        predicted_h = costs.loc[run_id, args.entry] / 3600
        new, rule = None, None
        targeted = config.target_train_acc is not None or config.target_train_loss is not None
        if targeted and config.augment != "none" and not r.summary.get("fitted"):
            new, rule = levelled_epoch(r), "(a) stop when levelled"
        if experiment == "fig3a" and config.augment == "none":
            hit = m.index[m["train_acc"] >= 1.0 - 1e-9]
            new, rule = (int(hit[0]) + 1 if len(hit) else None), "(b) stop at 100%"
            if config.weight_decay == 0 and config.dropout == 0:
                fig3a_noreg = config
        if (experiment == "fig3c" and fig3a_noreg is not None
                and replace(config, max_epochs=fig3a_noreg.max_epochs) == fig3a_noreg):
            new, rule = 0, "(c) prefix of Fig. 3a"
        if rule:
            e = epochs if new is None else new
            rows.append({"run": run_id, "rule": rule, "epochs": epochs, "epochs then": e,
                         "final train % (whole set, stored)":
                             round(100 * r.summary["final_train_acc"], 2),
                         "running train % then": (round(100 * m["train_acc"].iloc[e - 1], 2)
                                                  if e else None),
                         "saved worker-h": predicted_h * (1 - e / epochs)})
    t = pd.DataFrame(rows)
    pd.set_option("display.width", 200, "display.max_colwidth", 70)
    print(f"cost table entry: {args.entry}")
    print(f"predicted from scratch: {total:.2f} worker-h, {total / 2:.2f} h of a 2-worker machine")
    print(t.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    saved = t["saved worker-h"].sum()
    print(f"saved by (a)-(c): {saved:.2f} worker-h; then {total - saved:.2f} worker-h, "
          f"{(total - saved) / 2:.2f} h of the machine (budget 8.0 h)")


if __name__ == "__main__":
    main()
