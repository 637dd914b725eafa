"""What every experiment's run builder uses: settings -> RunConfigs, and the keys of its runs.

An experiment (rethink_lib/chapters/) maps settings to {key: RunConfig}. Keys name their
fields, so a chapter reads `key.model`, `key.level`, `key.seed` rather than tuple positions;
they are NamedTuples, so they still equal (and hash as) the plain tuples of older callers.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping, NamedTuple

from .config import RunConfig
from .data import get_spec
from .models import model_spec
from .profiles import by_family


class ModelKey(NamedTuple):
    """A run of one model (Gaussian noise, 2nd data set, Table II)."""
    model: str
    seed: int


class LevelKey(NamedTuple):
    """A run at a label corruption level (Fig. 1b/1c, report Fig. 2, BatchNorm variants)."""
    model: str
    level: float   # fraction of labels replaced, in [0, 1]
    seed: int


class CorruptionKey(NamedTuple):
    """A run under a named corruption (Fig. 1a: labels0, shuffled_pixels, ..., labels1)."""
    model: str
    corruption: str  # labels<p> or a pixel corruption's name
    seed: int


class RowKey(NamedTuple):
    """A Table I row: a model with a regularizer label ('crop+wd', ..., 'random labels')."""
    model: str
    label: str
    seed: int


def without_seed(key):
    """The key's fields but its seed: the group that seeds are pooled over."""
    return tuple(key)[:-1]


def seeds_for(s: Mapping, model: str) -> list[int]:
    """Seeds of a model's runs: the chapter's seed, then as many more as the profile asks."""
    k = by_family(s.get("seeds", 1), model) or 1
    return [s["seed"] + i for i in range(k)]


def corruption_of(name: str) -> dict:
    """'labels0.4' -> corruption labels at level 0.4; pixel corruptions take no level."""
    if name.startswith("labels"):
        return dict(corruption="labels", level=float(name[len("labels"):]))
    return dict(corruption=name, level=None)


def epoch_decay(factor: float | None, per_steps: int | None, dataset: str,
                n_train: int | None, batch_size: int) -> float | None:
    """The lr factor per epoch that applies `factor` once per `per_steps` SGD steps (None:
    `factor` is per epoch already): x0.95 per 391 steps is x0.95^(79/391) per 79-step epoch."""
    if factor is None or per_steps is None:
        return factor
    n = n_train if n_train is not None else get_spec(dataset).sizes[0]
    steps = -(-n // batch_size)
    return float(factor ** (steps / per_steps))


def base(s: Mapping, seed: int | None = None, **kw) -> RunConfig:
    """One run of `kw["model"]` at the settings' recipe; `kw` overrides RunConfig fields."""
    m = kw["model"]
    bn = kw.pop("batchnorm", by_family(s.get("batchnorm"), m))
    fields = dict(dataset=s["dataset"], n_train=s["n_train"], n_test=s["n_test"],
                  curve_n_test=s["curve_n_test"], max_epochs=by_family(s["max_epochs"], m),
                  precision=by_family(s["precision"], m),
                  seed=s["seed"] if seed is None else seed,
                  lr=by_family(s["lr"], m), lr_decay=by_family(s["lr_decay"], m),
                  warmup_epochs=by_family(s["warmup_epochs"], m) or 0,
                  target_train_loss=s["target_train_loss"],
                  **({"batchnorm": bool(bn)} if model_spec(m).batchnorm == "flag" else {}))
    fields.update(kw)
    fields["lr_decay"] = epoch_decay(fields["lr_decay"], s.get("lr_decay_steps"),
                                     fields["dataset"], fields["n_train"],
                                     fields.get("batch_size", 128))
    return RunConfig(**fields)


def seeded(s: Mapping, key: type, *fields, **kw) -> dict:
    """{key(*fields, seed): RunConfig} over the model's seeds."""
    return {key(*fields, seed): base(s, seed=seed, **kw) for seed in seeds_for(s, kw["model"])}


def fixed(s: Mapping, epochs: int | None = None, **kw) -> RunConfig:
    """A run over a fixed number of epochs (learning curves; default `implicit_epochs`), not
    stopped at 100%."""
    return replace(base(s, **kw), dataset=s["implicit_dataset"],
                   max_epochs=epochs or s["implicit_epochs"], target_train_acc=None,
                   target_train_loss=None)
