"""Which runs a profile needs: the registry's experiments in queue order, and resolve().

The experiments themselves (one registry entry per figure or table, with its run builder)
are in rethink_lib/chapters/; the settings and profiles in rethink_lib/profiles.py, parsed
and checked by rethink_lib/settings.py. The chapters fetch their runs through the results
store, so building the book never retrains a stored run, and `python -m rethink_lib.make_runs`
fills the store in QUEUE order.
"""
from __future__ import annotations

from .builders import corruption_of, epoch_decay, seeds_for  # noqa: F401  (re-exported)
from .chapters import CHAPTER_EXPERIMENTS  # noqa: F401
from .chapters.capacity import (fig1a, fig1bc, fig2, gaussian_large,  # noqa: F401
                                other_dataset_random, report_bn)
from .chapters.explicit import (REGULARIZERS, WITH_CROP, table1, table1_full,  # noqa: F401
                                table1_full_late, table2)
from .chapters.implicit import IMPLICIT_VARIANTS, fig3a, fig3b, fig3c  # noqa: F401
from .config import RunConfig
from .profiles import (BUDGETS, CIFAR_EPOCH_STEPS, COMMON, PROFILES,  # noqa: F401
                       Settings, by_family, describe)
from .registry import EXPERIMENTS as REGISTRY
from .registry import Experiment, get_experiment  # noqa: F401
from .settings import parse_settings


def _ordered(names: list[str]) -> list[str]:
    """`names`, then any registered experiment they leave out (a new one goes last)."""
    return names + [n for n in REGISTRY if n not in names]


# The order in which a run two experiments share is claimed (the first claims it: the
# execution report's costs per experiment follow it).
EXPERIMENTS: dict[str, Experiment] = {n: REGISTRY[n] for n in _ordered([
    "fig1bc", "fig1a", "fig2", "table1", "table2", "fig3b", "fig3a", "fig3c", "report_bn",
    "other_dataset_random", "gaussian_large", "table1_full", "table1_full_late"])}
# The run queue's order of importance (issue 23): (1) Fig. 1 and Table I, the MLP rows at the
# paper's scale; (2) report Fig. 2, Table II, Fig. 3; (3) the report's extensions.
QUEUE = _ordered(["fig1a", "fig1bc", "table1", "table1_full", "fig2", "table2", "fig3a",
                  "fig3b", "fig3c", "report_bn", "gaussian_large", "other_dataset_random",
                  "table1_full_late"])


def resolve(profile: str, **overrides) -> Settings:
    """The profile's settings with overrides applied and checked (rethink_lib.settings), and
    every run they describe a valid RunConfig; None overrides mean "keep the profile's"."""
    settings = parse_settings(profile, **overrides)
    all_configs(settings)  # ... and every run it describes is a valid RunConfig
    return settings


def planned_runs(settings, experiments=None) -> dict[str, tuple[str, RunConfig]]:
    """{run id: (the first of the named experiments that needs it, its RunConfig)}, in queue
    order: a run two experiments share is planned once, under the first."""
    seen: dict[str, tuple[str, RunConfig]] = {}
    for name in experiments or EXPERIMENTS:
        for config in get_experiment(name)(settings).values():
            seen.setdefault(config.run_id, (name, config))
    return seen


def all_configs(settings, experiments=None) -> list[RunConfig]:
    """Every distinct RunConfig the named experiments need (shared runs counted once)."""
    return [config for _, config in planned_runs(settings, experiments).values()]
