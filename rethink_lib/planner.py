"""The one planner: which runs a set of experiments needs, each built once, and what each
is predicted to cost on this machine.

Both the chapters' plan cell (rethink_lib.plan.chapter_plan) and the run queue's plan
(`make_runs.plan`, `--dry-run`) list runs and predict their minutes here, from the measured
cost table (rethink_lib/cost_table.json) and the epochs to fit of runs already stored.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from .config import RunConfig
from .registry import get_experiment

Prediction = tuple[float | None, str | None]  # (minutes, or None; the cost-table entry)


def experiment_configs(settings: Mapping, experiments: Iterable[str]) -> dict[str, dict]:
    """{experiment: {key: RunConfig}}: each experiment's runs, built once."""
    return {name: get_experiment(name)(settings) for name in experiments}


def by_run(configs: dict[str, dict]) -> dict[str, tuple[list[str], RunConfig]]:
    """{run id: (the experiments that need it, in order; its RunConfig)}: a run two
    experiments share appears once."""
    out: dict[str, tuple[list[str], RunConfig]] = {}
    for name, runs in configs.items():
        for config in runs.values():
            names = out.setdefault(config.run_id, ([], config))[0]
            if name not in names:
                names.append(name)
    return out


def cost_predictor(device: str, stores: Iterable) -> Callable[[RunConfig], Prediction]:
    """config -> (predicted minutes or None, cost-table entry name) on `device`, with the
    epochs to fit learned from the runs in `stores` (the most any store has seen)."""
    from .costs import evidence_from_store, load_table, machine_entry, machine_name, predict_seconds
    from .train import resolve_device, resolve_precision
    dev = resolve_device(device)
    table, evidence = load_table(), {}
    for d in stores:
        for key, epochs in evidence_from_store(d).items():
            evidence[key] = max(evidence.get(key, 0), epochs)

    def predict(config: RunConfig) -> Prediction:
        found = machine_entry(table, machine_name(str(dev)),
                              resolve_precision(config.precision, dev), config.model)
        secs = predict_seconds(config, found[1], evidence) if found else None
        return (None if secs is None else secs / 60), (found[0] if found else None)
    return predict


def emulated_bf16(configs: Iterable[RunConfig], device: str = "cpu") -> list[RunConfig]:
    """The `configs` that would train in bf16 on a CPU that only emulates it (no AMX, no
    AVX-512 BF16: many times slower than fp32); none on a GPU or a CPU with native bf16."""
    from .train import cpu_has_bf16, resolve_device, resolve_precision
    dev = resolve_device(device)
    if dev.type != "cpu" or cpu_has_bf16():
        return []
    return [c for c in configs if resolve_precision(c.precision, dev) == "bf16"]


def _emulated_what(slow: list[RunConfig]) -> str:
    from .metrics import cpu_isa, cpu_name
    models = sorted({c.model for c in slow})
    return (f"{len(slow)} of these runs train in bf16 ({', '.join(models)}), which this CPU "
            f"({cpu_name()}, {cpu_isa() or 'no AVX2'}) only emulates, many times slower than fp32")


def emulated_bf16_note(configs: Iterable[RunConfig], device: str = "cpu") -> str | None:
    """A warning when some of `configs` would train in bf16 on a CPU that only emulates it
    (`emulated_bf16`), naming the models; else None."""
    slow = emulated_bf16(configs, device)
    if not slow:
        return None
    return (f"note: {_emulated_what(slow)}; leave them to a CPU with AMX or AVX-512 BF16 "
            "(--models picks the others)")


def emulated_skip_note(skipped: list[RunConfig]) -> str:
    """What make_runs says when it leaves the emulated-bf16 runs out of this CPU's queue."""
    return (f"skipping {_emulated_what(skipped)}: they wait for a CPU with AMX or AVX-512 "
            "BF16, or a GPU; --include-emulated trains them here")
