"""The execution report's compact status: one row per experiment of each profile (planned,
stored, damaged, missing runs; measured and predicted machine time in hours and minutes), and
runs named by what they are (model, data, corruption, regularizers), not by their hash.

    from rethink_lib.ops import status
    status.experiments_frame(report.results_dir, ["cifar", "cpu"])
    status.runs_named(report)            # the runs table, folded in the page
"""
from __future__ import annotations

import pandas as pd

# What the queue's order means (rethink_lib.experiments.QUEUE): the groups.
GROUPS = {"fig1a": 1, "fig1bc": 1, "table1": 1, "table1_full": 1, "fig2": 2, "table2": 2,
          "fig3a": 2, "fig3b": 2, "fig3c": 2, "report_bn": 3, "gaussian_large": 3,
          "other_dataset_random": 3, "table1_full_late": 3}


def hm(hours) -> str:
    """Hours as '2 h 05 min' ('-' when unknown, '0 min' for none)."""
    if hours is None or hours != hours:
        return "-"
    minutes = int(round(float(hours) * 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def run_name(config) -> str:
    """'Inception, CIFAR-10, random labels, weight decay (seed 1)' for a RunConfig."""
    from ..report.names import corruption_name, dataset_name, model_name
    parts = [model_name(config.model), dataset_name(config.dataset),
             corruption_name(config.corruption, config.level)]
    if config.n_train is None:
        parts.append("all images")
    if config.batchnorm:
        parts.append("BatchNorm")
    if config.augment != "none":
        parts.append({"crop": "random crop"}.get(config.augment, "augmentation"))
    if config.weight_decay:
        parts.append("weight decay")
    if config.dropout:
        parts.append("dropout")
    if config.batch_size != 128:
        parts.append(f"batch {config.batch_size}")
    if config.target_train_acc is None and config.target_train_loss is None:
        parts.append(f"{config.max_epochs} epochs")
    return ", ".join(parts) + (f" (seed {config.seed})" if config.seed else "")


def _predictor():
    """config -> predicted seconds on this machine (the planner's one cost prediction)."""
    from ..planner import cost_predictor
    from ..results import BOOK_RESULTS_DIR
    predict = cost_predictor("cpu", [BOOK_RESULTS_DIR])

    def seconds(config):
        minutes = predict(config)[0]
        return None if minutes is None else 60 * minutes
    return seconds


def experiments_frame(results_dir, profiles=("cifar", "cpu"), predict=None) -> pd.DataFrame:
    """One row per (profile, experiment), in queue order, each run counted once (under the
    first experiment that needs it): runs planned, stored, damaged, missing; the worker time
    of the stored runs and the cost table's prediction for the missing ones."""
    from ..experiments import QUEUE, planned_runs, resolve
    from ..registry import get_experiment
    from ..store_scan import scan_store
    entries = {e.run_id: e for e in scan_store(results_dir)}
    predict = predict or _predictor()
    rows = []
    for profile in profiles:
        plan = planned_runs(resolve(profile), QUEUE)
        by_exp: dict[str, list] = {}
        for run_id, (exp, config) in plan.items():
            by_exp.setdefault(exp, []).append((run_id, config))
        for exp in QUEUE:
            if exp not in by_exp:
                continue
            done = damaged = 0
            spent = left = 0.0
            unknown = 0
            for run_id, config in by_exp[exp]:
                e = entries.get(run_id)
                if e is not None and e.result is not None:
                    done += 1
                    spent += float(e.result.summary.get("wall_seconds") or 0) / 3600
                    continue
                damaged += e is not None and e.problem is not None and e.problem.startswith("damaged")
                secs = predict(config)
                if secs is None:
                    unknown += 1
                else:
                    left += secs / 3600
            n = len(by_exp[exp])
            rows.append({"profile": profile, "group": GROUPS.get(exp),
                         "experiment": get_experiment(exp).label, "runs": n, "stored": done,
                         "damaged": damaged, "missing": n - done,
                         "worker time": hm(spent),
                         "predicted for the missing": (hm(left) if n - done else "-")
                         + (f" (+{unknown} without a cost)" if unknown else "")})
    return pd.DataFrame(rows)


def runs_named(results_dir) -> pd.DataFrame:
    """Every run folder, named by what it is; its device, precision and time in h/min; or its
    problem ('damaged: <reason>'), never counted as complete."""
    from ..store_scan import scan_store
    rows = []
    for e in scan_store(results_dir):
        if e.result is None:
            rows.append({"run": e.run_id, "device": "-", "precision": "-", "threads": None,
                         "time": "-", "status": e.problem})
            continue
        s = e.result.summary
        rows.append({"run": run_name(e.result.config), "device": s.get("device_name") or "?",
                     "precision": s.get("precision") or "?", "threads": s.get("threads"),
                     "time": hm(float(s.get("wall_seconds") or 0) / 3600), "status": "complete"})
    return pd.DataFrame(rows, columns=["run", "device", "precision", "threads", "time", "status"])


def _models(configs) -> str:
    """The display names of `configs`' models, each once, in first-seen order."""
    from ..report.names import model_name
    return ", ".join(dict.fromkeys(model_name(c.model) for c in configs))


def hardware_sentence(results_dir, profile: str = "cifar", isa: str | None = None,
                      pack_n_train: int = 10_000) -> str:
    """Where the profile's missing runs can train, in one sentence: how many are in bf16 and
    whether this machine's CPU (`isa`: metrics.cpu_isa) has it natively, and how many of those
    read only the 10,000-image subset that a carried pack takes to a lent GPU
    (scripts/gpu_queue.py)."""
    from ..carry import covers
    from ..corruptions import loaded_n_train
    from ..experiments import QUEUE, planned_runs, resolve
    from ..metrics import NATIVE_BF16, cpu_isa
    from ..store_scan import scan_store
    isa = cpu_isa() if isa is None else isa
    stored = {e.run_id for e in scan_store(results_dir) if e.result is not None}
    missing = [c for run_id, (_, c) in planned_runs(resolve(profile), QUEUE).items()
               if run_id not in stored]  # as Table E.1 counts them (damaged: not stored)
    if not missing:
        return f"Every run of the {profile} profile is stored."
    bf16 = [c for c in missing if c.precision == "bf16"]
    gpu = [c for c in bf16 if c.dataset == "cifar10"
           and covers(pack_n_train, 0, c, loaded_n_train(c))]
    native = isa in NATIVE_BF16
    where = (f"this machine's CPU ({isa}) has it natively" if native else
             f"this machine's CPU ({isa or 'without AVX2'}) only emulates it, many times "
             "slower, so they wait for a CPU with AMX or AVX-512 BF16, or a GPU")
    head = f"{len(missing)} runs of the {profile} profile are not stored yet; "
    fp32 = len(missing) - len(bf16)
    rest = (f"The other {fp32} train in fp32 ({_models([c for c in missing if c not in bf16])}), "
            "on any CPU." if fp32 else "")
    if not bf16:
        return head + f"all of them train in fp32 ({_models(missing)}), on any CPU."
    return " ".join(filter(None, [
        head + f"{len(bf16)} of them train in bf16 ({_models(bf16)}), and {where}.",
        f"{len(gpu)} of those read only the {pack_n_train:,}-image subset that a carried pack "
        "takes to a lent GPU (`scripts/gpu_queue.py`).", rest]))
