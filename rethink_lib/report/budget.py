"""A profile's machine time against its budget, measured from the store and predicted from
the cost table (`experiments.BUDGETS`; issue 8: the cpu profile in at most 8 hours of a
2-core machine).

Measured: the wall seconds the stored runs took, summed: worker-hours, since each worker
trains one run on one core. Divided by the machine's workers, that is the machine time had
they all been busy together from the first run to the last: the least it can have been.
Predicted: every run of the profile trained from scratch on one machine in one precision, by
the cost table's seconds per epoch and the epochs the stored runs of the same model and
corruption level needed (`costs.predict_seconds`, as `make_runs --dry-run` predicts).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..experiments import BUDGETS, all_configs, resolve
from .names import listing


@dataclass(frozen=True)
class Prediction:
    cost_table: str    # the cost-table entry: "machine / precision"
    minutes: float     # of one worker, every run of the profile from scratch
    runs: int          # runs predicted
    unknown: int       # runs whose model that entry has not measured (not in `minutes`)


def predictions(profile: str, results_dir: Path, table: dict | None = None) -> list[Prediction]:
    """The whole profile from scratch, by every cost-table entry (machine / precision)."""
    from ..costs import evidence_from_store, load_table, predict_seconds
    configs = all_configs(resolve(profile))
    evidence = evidence_from_store(results_dir)
    out = []
    for key, entry in sorted((table or load_table()).get("machines", {}).items()):
        secs = [predict_seconds(c, entry, evidence) for c in configs]
        out.append(Prediction(key, sum(s for s in secs if s is not None) / 60, len(configs),
                              sum(s is None for s in secs)))
    return out


def stored_time(profile: str, wall_seconds: dict[str, float]) -> tuple[float, int, int]:
    """(worker-hours, runs stored, runs in the profile) from {run id: wall seconds} of the
    complete runs of a store; runs of other profiles are left out."""
    ids = [c.run_id for c in all_configs(resolve(profile))]
    stored = [wall_seconds[i] for i in ids if i in wall_seconds]
    return sum(stored) / 3600, len(stored), len(ids)


def _hours(h: float) -> str:
    return f"{h:.1f} h"


def budget_sentence(profile: str, worker_hours: float, stored: int, total: int,
                    predicted: list[Prediction]) -> str:
    """Measured and predicted machine time against the profile's budget, in words.

    `worker_hours`: the wall time of the `stored` runs, summed; `total`: the profile's runs."""
    if profile not in BUDGETS:
        return f"The {profile} profile has no machine-time budget."
    budget, workers = BUDGETS[profile]
    machine = worker_hours / workers
    what = (f"all {total:,} runs of the {profile} profile" if stored >= total
            else f"{stored:,} of the {total:,} runs of the {profile} profile")
    head = (f"The budget is {_hours(budget)} of a {workers}-core machine (one worker per core, "
            f"{_hours(budget * workers)} of workers). The stored runs ({what}) took "
            f"{_hours(worker_hours)} of workers, at least {_hours(machine)} of the machine")
    if machine > budget:
        head += (f": over the budget by {_hours(machine - budget)}"
                 + ("" if stored >= total else ", with runs still to train"))
    elif stored >= total:
        head += ": within the budget"
    else:
        head += (f", {_hours(budget - machine)} under the budget so far, with "
                 f"{total - stored:,} runs still to train")
    parts = [head + "."]
    known = [p for p in predicted if not p.unknown]
    if known:
        def one(p: Prediction) -> str:
            h = p.minutes / 60 / workers
            return (f"{_hours(h)} on {p.cost_table} "
                    f"({'over' if h > budget else 'within'} the budget)")
        parts.append(f"Trained from scratch with {workers} workers, the cost table predicts "
                     + listing(one(p) for p in sorted(known, key=lambda p: p.minutes)) + ".")
    return " ".join(parts)


def store_budget(profile: str, runs, results_dir: Path) -> str:
    """`budget_sentence` for a store, from the execution report's runs frame (`runs_frame`)."""
    import pandas as pd
    done = runs[runs.status == "complete"] if len(runs) else runs
    walls = dict(zip(done.get("run", []),
                     pd.to_numeric(done.get("wall_seconds", pd.Series(dtype=float)),
                                   errors="coerce").fillna(0)))
    return budget_sentence(profile, *stored_time(profile, walls), predictions(profile, results_dir))
