"""What else differs between two compared runs: named beside every comparison of two runs."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .core import _sentence
from ..names import listing

# ---------------------------------------------------------------------- confounds
# RunConfig fields (or properties) compared by `confounds`, with their printed names.
CONFOUND_FIELDS = {"model": "model", "dataset": "data set", "n_train": "training images",
                   "lr0": "learning rate", "decay": "learning-rate decay per epoch",
                   "warmup_epochs": "warm-up epochs", "max_epochs": "epoch cap",
                   "batch_size": "batch size", "weight_decay": "weight decay",
                   "augment": "augmentation", "dropout": "dropout", "bn": "BatchNorm",
                   "precision": "precision", "seed": "seed"}


def run_precision(run) -> str | None:
    """The precision a stored run recorded (its config's "auto" resolved on its machine),
    None for a RunConfig or a run that recorded none."""
    return getattr(run, "summary", {}).get("precision")


def _field(run, name):
    """A field of a RunConfig, or of a stored run (its config; the precision it recorded,
    since a config's "auto" resolves per machine)."""
    config = getattr(run, "config", run)
    if name == "bn":
        from ...models import model_spec
        return model_spec(config.model).uses_batchnorm(config.batchnorm)
    if name == "precision":
        return run_precision(run) or config.precision
    return getattr(config, name)


def mixed_precision(precisions: Mapping[str, str | None]) -> str:
    """'' when the compared runs ({label: recorded precision}) share one precision, else a
    sentence naming which runs used which (a confound of any comparison among them)."""
    groups: dict[str, list[str]] = {}
    for label, p in precisions.items():
        groups.setdefault(p or "unrecorded", []).append(label)
    if len(groups) <= 1:
        return ""
    return _sentence("Confounded: these runs differ in precision ("
                     + "; ".join(f"{p} for {listing(labels)}" for p, labels in sorted(groups.items()))
                     + ")")


def confounds(a, b, studied: Sequence[str], names: tuple[str, str] = ("the first", "the second"),
              fitted_ab: tuple[bool, bool] | None = None, missed: str | None = None) -> str:
    """What else differs between two runs (RunConfigs, or stored runs: then the precision
    each recorded) compared for the factor(s) `studied` (keys of CONFOUND_FIELDS): '' when
    nothing, else a sentence naming each difference with both values, and which run did not
    fit its training set (fitted_ab False), or, with `missed` (e.g. "the stopping target"),
    which run did not reach that, so the two did not stop by the same rule."""
    diffs = []
    for key, label in CONFOUND_FIELDS.items():
        if key in studied:
            continue
        va, vb = _field(a, key), _field(b, key)
        if va != vb:
            diffs.append(f"{label} ({va:g} against {vb:g})" if isinstance(va, float) and
                         isinstance(vb, float) else f"{label} ({va} against {vb})")
    unfit = [n for n, ok in zip(names, fitted_ab or (True, True)) if not ok]
    parts = []
    if diffs:
        parts.append(f"besides {listing(CONFOUND_FIELDS.get(s, s) for s in studied)}, {names[0]} "
                     f"and {names[1]} also differ in {listing(diffs)}")
    if unfit and missed:
        parts.append(f"{listing(unfit)} did not reach {missed}, so the two did not stop by the "
                     f"same rule")
    elif unfit:
        parts.append(f"{listing(unfit)} did not fit {'its' if len(unfit) == 1 else 'their'} "
                     f"training set{'s' if len(unfit) > 1 else ''}")
    return _sentence("Confounded: " + "; ".join(parts)) if parts else ""
