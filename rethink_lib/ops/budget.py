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

from ..experiments import BUDGETS, all_configs, get_experiment, planned_runs, resolve
from ..report.names import listing


EVAL_SHARE = 0.25  # evaluation may take at most this share of a run's wall time (issue 8)


@dataclass(frozen=True)
class Prediction:
    cost_table: str    # the cost-table entry: "machine / precision"
    minutes: float     # of one worker, every run of the profile from scratch
    runs: int          # runs predicted
    unknown: int       # runs whose model that entry has not measured (not in `minutes`)


def run_costs(profile: str, results_dir: Path, table: dict | None = None):
    """Per run of the profile (each once, under the first experiment that plans it): its
    experiment and the seconds each cost-table entry ("machine / precision") predicts for it
    from scratch (NaN where that entry has not measured its model). `predictions`,
    `store_budget` and `breakdown` all read this one frame, so each run is predicted once."""
    import pandas as pd
    from ..costs import evidence_from_store, load_table, predict_seconds
    evidence = evidence_from_store(results_dir)
    entries = dict(sorted((table or load_table()).get("machines", {}).items()))
    rows = [{"run": run_id, "experiment": name,
             **{k: predict_seconds(config, e, evidence) for k, e in entries.items()}}
            for run_id, (name, config) in planned_runs(resolve(profile)).items()]
    frame = pd.DataFrame(rows, columns=["run", "experiment", *entries])
    frame[list(entries)] = frame[list(entries)].astype(float)
    return frame


def _entries(costs) -> list[str]:
    return [c for c in costs.columns if c not in ("run", "experiment")]


def predictions(costs) -> list[Prediction]:
    """The whole profile from scratch, by every cost-table entry (machine / precision), from
    `run_costs`."""
    return [Prediction(k, float(costs[k].sum(skipna=True)) / 60, len(costs),
                       int(costs[k].isna().sum())) for k in _entries(costs)]


def stored_time(profile: str, wall_seconds: dict[str, float]) -> tuple[float, int, int]:
    """(worker-hours, runs stored, runs in the profile) from {run id: wall seconds} of the
    complete runs of a store; runs of other profiles are left out."""
    ids = [c.run_id for c in all_configs(resolve(profile))]
    stored = [wall_seconds[i] for i in ids if i in wall_seconds]
    return sum(stored) / 3600, len(stored), len(ids)


def _hours(h: float) -> str:
    return f"{h:.1f} h"


def _duration(h: float) -> str:
    return _hours(h) if h >= 0.1 else f"{h * 60:.0f} min"


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


def store_walls(runs) -> dict[str, float]:
    """{run id: wall seconds} of the complete runs in the execution report's runs frame."""
    import pandas as pd
    if not len(runs):
        return {}
    done = runs[runs.status == "complete"]
    return dict(zip(done.run, pd.to_numeric(done.wall_seconds, errors="coerce").fillna(0.0)))


def store_budget(profile: str, wall_seconds: dict[str, float], costs) -> str:
    """`budget_sentence` for a store: `wall_seconds` from `store_walls`, `costs` from
    `run_costs`."""
    return budget_sentence(profile, *stored_time(profile, wall_seconds), predictions(costs))


def eval_sentence(runs) -> str:
    """How much of the complete runs' wall time went to evaluation (the per-epoch test curve and
    the final accuracies), in all and in the run where it was largest, against EVAL_SHARE."""
    import pandas as pd
    done = runs[runs.status == "complete"] if len(runs) else runs
    if not len(done):
        return "No complete run is stored, so no evaluation time is measured."
    wall = pd.to_numeric(done.wall_seconds, errors="coerce")
    ev = pd.to_numeric(done.get("eval_seconds"), errors="coerce")
    ok = (wall > 0) & ev.notna()
    if not ok.any():
        return "The stored runs do not record their evaluation time."
    share = ev[ok] / wall[ok]
    worst = share.idxmax()
    limit = f"{EVAL_SHARE:.0%} of a run's time"
    verdict = ("within" if share.max() <= EVAL_SHARE
               else f"over in {int((share > EVAL_SHARE).sum()):,} runs, against")
    return (f"Evaluation took {ev[ok].sum() / wall[ok].sum():.1%} of the stored runs' wall time, "
            f"at most {share.max():.1%} in one run (`{done.run[worst]}`): {verdict} the limit of {limit}"
            + ("" if ok.all() else f"; {int((~ok).sum()):,} runs do not record it") + ".")


def hour_formats(frame) -> dict[str, str]:
    """Display formats for `breakdown`'s hour columns."""
    return {c: "{:.2f}" for c in frame.columns if c.endswith(" h") or c.startswith("predicted h")}


def _label(name: str) -> str:
    """An experiment's printed label ("Fig. 1b/1c" for "fig1bc"); an unregistered name as is."""
    from ..registry import get_experiment
    try:
        return get_experiment(name).label
    except ValueError:
        return name


def breakdown(costs, wall_seconds: dict[str, float]):
    """Where the machine time goes: per experiment (a run shared by two experiments counted
    in the first), its runs, the worker-hours its stored runs took, and the hours each
    complete cost-table entry predicts for all its runs from scratch (`costs`: `run_costs`)."""
    import pandas as pd
    rows = []
    for name, runs in costs.groupby("experiment", sort=False):
        row = {"experiment": _label(name), "runs": len(runs),
               "stored": int(runs.run.isin(wall_seconds).sum()),
               "stored h": sum(wall_seconds.get(r, 0.0) for r in runs.run) / 3600}
        for key in _entries(costs):
            # an entry that has not measured every model of an experiment predicts nothing
            row[f"predicted h, {key}"] = (None if runs[key].isna().any()
                                          else runs[key].sum() / 3600)
        rows.append(row)
    frame = pd.DataFrame(rows)
    numbers = frame.drop(columns="experiment")
    # a total over experiments some of which an entry cannot predict would understate it
    total = {c: (None if numbers[c].isna().any() else numbers[c].sum()) for c in numbers}
    return pd.concat([frame, pd.DataFrame([{"experiment": "all", **total}])], ignore_index=True)


def walls_from_store(results_dir: Path) -> dict[str, float]:
    """{run id: wall seconds} of the runs of a store that record it."""
    from .execution import stored_runs
    return {r.run_id: float(r.summary["wall_seconds"]) for r in stored_runs(Path(results_dir))
            if r.summary and r.summary.get("wall_seconds") is not None}


def _session_reason(profile: str, costs: list) -> str:
    """Why a profile without a machine-time budget leaves a run out: it would not finish in a
    working session (ops.long_runs.SESSION_HOURS), as the runs left to a GPU do not; or, when
    it would, that it could go in. costs: (model, worker-hours, entry, epochs)."""
    from ..report.names import model_name
    from .long_runs import SESSION_HOURS
    if not costs:
        return (f". No cost is measured for it, and the {profile} profile has no machine-time "
                "budget to weigh it against.")
    long = [m for m, h, _, _ in costs if h > SESSION_HOURS]
    short = [m for m, h, _, _ in costs if h <= SESSION_HOURS]
    out = ""
    if long:
        out += (f": longer than a {SESSION_HOURS:g}-hour working session even there, so it is "
                "left out as the runs left to a GPU are")
    if short:
        out += ("; " if long else ": ") + (
            f"{listing(model_name(m) for m in short)} would fit in a {SESSION_HOURS:g}-hour "
            "session: add it to `gaussian_models` to train it")
    return out + "."


def gaussian_left_out(s: dict, results_dir: Path, table: dict | None = None) -> str:
    """Which networks of Fig. 1b the Gaussian extension leaves out (settings `s`: not in
    `gaussian_models`), what the cost table predicts each would cost, and whether the
    profile's budget had room for it, given the worker-hours its stored runs already took."""
    from ..costs import evidence_from_store, expected_epochs, load_table, predict_seconds
    from ..report.names import model_name
    left = [m for m in s["capacity_models"] if m not in s["gaussian_models"]]
    if not left:
        return "Every network of Fig. 1b has a Gaussian run here."
    entries = (table or load_table()).get("machines", {})
    evidence = evidence_from_store(results_dir)
    costs = []  # (model, worker-hours, cost-table entry, epochs), by the cheapest entry
    for m in left:
        configs = list(get_experiment("gaussian_large")({**s, "gaussian_models": [m]}).values())
        known = {k: [predict_seconds(c, e, evidence) for c in configs] for k, e in entries.items()}
        known = {k: sum(v) / 3600 for k, v in known.items() if None not in v}
        if known:
            key = min(known, key=known.get)
            costs.append((m, known[key], key, expected_epochs(configs[0], evidence)))
    names = listing(model_name(m) for m in left)
    head = (f"{names} {'is' if len(left) == 1 else 'are'} left out of this extension in the "
            f"{s['profile']} profile (`gaussian_models`)")
    if costs:
        head += ": by the cost table, " + listing(
            f"{model_name(m)}'s run would take {_duration(h)} of one worker on {k} (at "
            f"{e:.0f} epoch{'' if round(e) == 1 else 's'}, the cost table's guess for a run "
            "that stops once fitted)"
            for m, h, k, e in costs)
    if s["profile"] not in BUDGETS:
        return head + _session_reason(s["profile"], costs)
    budget, workers = BUDGETS[s["profile"]]
    spent, _, _ = stored_time(s["profile"], walls_from_store(results_dir))
    left_h = budget * workers - spent
    need = sum(c[1] for c in costs)
    if left_h <= 0:
        why = (f"the stored runs already took {_hours(spent)} of workers, over the budget of "
               f"{_hours(budget * workers)} ({_hours(budget)} of a {workers}-core machine)")
    elif not costs or need > left_h:
        why = (f"the budget has {_hours(left_h)} of workers left "
               f"({_hours(budget * workers)} in all), " + ("not enough for it" if costs
                                                           else "and no cost is known for it"))
    else:
        return head + (f". The budget still has {_hours(left_h)} of workers left, enough for it: "
                       "add it to `gaussian_models` to run it.")
    return head + f"; not run, since {why}."


SUPERSEDED = Path("docs") / "superseded"  # runs that left the profile (relative to the repo)


def superseded_sentence(folder: Path) -> str:
    """The worker-hours spent on runs that left the profile when its settings changed (kept
    in `folder`, the store's format), which the profile's measured time does not count."""
    walls = walls_from_store(folder)
    if not walls:
        return "No stored run has left the profile, so the measured time is all there was."
    return (f"Not counted above: {len(walls):,} run{'s' if len(walls) != 1 else ''} that left "
            f"the profile when its settings changed (`{SUPERSEDED.as_posix()}/`, with the reason) "
            f"took a further {_hours(sum(walls.values()) / 3600)} of workers.")


def table_caveats(table: dict | None = None) -> str:
    """The cost table's own caveats on its predictions: every model row that carries a
    `note` (e.g. measured before a speed-up, so it overstates), by entry, in words."""
    from ..costs import load_table
    from ..report.names import model_name
    notes = [f"{model_name(model)} on {entry}: {row['note']}"
             for entry, e in sorted((table or load_table()).get("machines", {}).items())
             for model, row in sorted(e.get("models", {}).items()) if row.get("note")]
    if not notes:
        return "The cost table marks none of its rows as out of date."
    return "Caveats the cost table records: " + "; ".join(notes) + "."
