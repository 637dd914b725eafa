"""Runs the CPU queue leaves to a GPU: those no CPU of the cost table finishes in a session.

A working session lasts at most SESSION_HOURS and ends whatever it left running; a killed run
restarts from scratch unless its machine (and checkpoint) was kept. So a run that even the
fastest CPU the cost table has measured, at the run's own precision and on one worker, is
predicted to need longer for does not finish on a CPU: it is cut from the CPU queue
(`make_runs` skips it on a CPU unless `--include-long`), and the execution report lists it
with its predicted cost. A GPU (`scripts/gpu_queue.py`, the paper profile) still trains it.

Predictions are the cost table's (`costs.predict_seconds`: seconds per epoch measured, epochs
from stored runs of the same kind, else a guess), so the cut moves when the table or the store
learns more.
"""
from __future__ import annotations

import re

import pandas as pd

SESSION_HOURS = 3.0  # the longest a working session lasts; runs must finish inside one
COLUMNS = ["run", "experiment", "fastest CPU measured", "predicted hours"]


def cheapest_cpu(config, entries: dict, evidence: dict | None = None) -> tuple[str, float] | None:
    """(cost-table entry, predicted seconds) of the entry that predicts `config` fastest,
    among those of the run's own precision (any, for "auto") that measured its model; None
    when none did."""
    from ..costs import predict_seconds
    known = {}
    for key, entry in entries.items():
        if config.precision != "auto" and not key.endswith(f"/ {config.precision}"):
            continue
        secs = predict_seconds(config, entry, evidence)
        if secs is not None:
            known[key] = secs
    if not known:
        return None
    key = min(known, key=known.get)
    return key, known[key]


def fastest_cpu(results_dir, table: dict | None = None):
    """config -> (fastest CPU entry, predicted hours on it) or None where no entry measured
    its model (`cheapest_cpu`). Reads the cost table and the store's evidence once."""
    from ..costs import evidence_from_store, load_table
    entries = (table if table is not None else load_table()).get("machines", {})
    evidence = evidence_from_store(results_dir)

    def predict(config) -> tuple[str, float] | None:
        best = cheapest_cpu(config, entries, evidence)
        return None if best is None else (best[0], best[1] / 3600)
    return predict


def too_long(results_dir, table: dict | None = None, hours: float = SESSION_HOURS):
    """A judge: config -> (fastest CPU entry, predicted hours) when that CPU would take longer
    than `hours` to train it, else None. Reads the cost table and the store's evidence once."""
    predict = fastest_cpu(results_dir, table)

    def judge(config) -> tuple[str, float] | None:
        best = predict(config)
        return best if best is not None and best[1] > hours else None
    return judge


def short_entry(entry: str) -> str:
    """A cost-table entry as a table cell: "Intel(R) Xeon(R) Processor (AMX) / bf16" -> "AMX,
    bf16"; an entry without a parenthesised instruction set is kept whole."""
    machine, _, precision = entry.rpartition(" / ")
    isa = re.findall(r"\(([^()]*)\)", machine)
    return f"{isa[-1]}, {precision}" if isa and precision else entry


def long_runs(profile: str, results_dir, table: dict | None = None,
              hours: float = SESSION_HOURS, configs: dict | None = None) -> pd.DataFrame:
    """The profile's missing runs that the fastest CPU measured would take longer than `hours`
    to train (COLUMNS; in queue order). configs: {run_id: (experiment, RunConfig)}, runs known
    to be missing, to judge instead of the profile's whole plan."""
    judge = too_long(results_dir, table, hours)
    if configs is None:
        from ..experiments import QUEUE, planned_runs, resolve
        from ..store_scan import scan_store
        stored = {e.run_id for e in scan_store(results_dir) if e.result is not None}
        configs = {k: v for k, v in planned_runs(resolve(profile), QUEUE).items()
                   if k not in stored}
    rows = [{"run": run_id, "experiment": experiment, "fastest CPU measured": long[0],
             "predicted hours": round(long[1], 1)}
            for run_id, (experiment, config) in configs.items()
            if (long := judge(config)) is not None]
    return pd.DataFrame(rows, columns=COLUMNS)


def long_runs_sentence(frame: pd.DataFrame, profile: str, hours: float = SESSION_HOURS) -> str:
    """What the report says of `long_runs`: how many runs are cut from the CPU queue, why,
    and their predicted cost together."""
    if frame.empty:
        return (f"No missing run of the {profile} profile is predicted to take longer than a "
                f"{hours:g}-hour session on the fastest CPU measured, so the CPU queue cuts none.")
    n, total = len(frame), float(frame["predicted hours"].sum())
    return (f"{n} missing run{'s' if n != 1 else ''} of the {profile} profile "
            f"{'are' if n != 1 else 'is'} cut from the CPU queue: even on the fastest CPU the "
            f"cost table has measured (one worker, the run's own precision) each would take "
            f"longer than a {hours:g}-hour working session, which ends any run left running. "
            f"Together they are predicted at {total:,.1f} hours of such a worker. A GPU still "
            f"trains them (`scripts/gpu_queue.py`); `make_runs --include-long` trains them on a "
            f"CPU whose machine is kept between sessions.")


def main_note(frame: pd.DataFrame, hours: float = SESSION_HOURS) -> str:
    """make_runs' one line for the runs it skips on a CPU."""
    return (f"note: {len(frame)} runs are left to a GPU, each predicted over {hours:g} h (a "
            f"session) even on the fastest CPU measured; --include-long trains them: "
            + ", ".join(f"{r} ({h:g} h)" for r, h in zip(frame["run"], frame["predicted hours"])))
