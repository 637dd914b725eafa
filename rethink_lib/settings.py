"""Settings are parsed and checked here, in one place: a profile plus papermill overrides.

`parse_settings(profile, **overrides)` parses each override (papermill passes lists and dicts
as strings), checks every setting and returns the typed `profiles.Settings`, before any run
is built or trained (`experiments.resolve` then checks that every run it describes is a valid
RunConfig). Each error is one ValueError line that names the setting, says what it must be
and what it got, e.g. "n_train must be a positive integer or None, got 5.5".
"""
from __future__ import annotations

import ast
from typing import Callable

from .config import PRECISIONS
from .corruptions import CORRUPTIONS, LABEL_CORRUPTIONS
from .data import DATASETS
from .models import list_models
from .profiles import NAMES, PROFILES, Settings, by_family, per_model

# Settings whose values are plain strings: never parsed as Python literals.
_STRING_SETTINGS = ("profile", "dataset", "implicit_dataset", "extension_dataset", "device")


def parse_override(key: str, value):
    """A papermill value as the Python object it spells ("[0, 0.5]" -> [0, 0.5]).

    Strings of string-valued settings are kept; other strings are parsed as Python literals
    when they are one (a bare word or "" stays a string and fails its setting's check)."""
    if not isinstance(value, str) or key in _STRING_SETTINGS or not value.strip():
        return value
    try:
        return ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError) as err:
        if value.strip()[:1] in "[({0123456789.-+":
            first = (str(err).splitlines() or [""])[0]
            raise ValueError(f"{key}: cannot read {value!r} as a Python value "
                             f"({type(err).__name__}: {first})") from None
        return value


# ------------------------------------------------------------------ value checks
# Each takes a value and returns None if it is fine, else what the value must be.
def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
            and abs(v) != float("inf"))


def _pos_int(v):
    return None if _is_int(v) and v > 0 else "a positive integer"


def _nonneg_int(v):
    return None if _is_int(v) and v >= 0 else "an integer >= 0"


def _opt(check):
    def f(v):
        return None if v is None or check(v) is None else f"{check(v)} or None"
    return f


def _pos_num(v):
    return None if _is_num(v) and v > 0 else "a positive number"


def _nonneg_num(v):
    return None if _is_num(v) and v >= 0 else "a number >= 0"


def _decay(v):
    return None if _is_num(v) and 0 < v <= 1 else "a number in (0, 1]"


def _level(v):
    return None if _is_num(v) and 0 <= v <= 1 else "a number in [0, 1]"


def _bool(v):
    return None if isinstance(v, bool) else "True or False"


def _choice(options) -> Callable:
    def f(v):
        return None if isinstance(v, str) and v in options else f"one of {', '.join(options)}"
    return f


def _device(v):
    if v == "auto":
        return None
    import torch
    try:
        torch.device(v)
    except (RuntimeError, ValueError, TypeError):
        return "a device name (auto, cpu, cuda, cuda:1)"
    return None


def _levels(v):
    ok = isinstance(v, (list, tuple)) and len(v) > 0 and all(_level(p) is None for p in v)
    return None if ok else "a non-empty list of numbers in [0, 1], e.g. \"[0, 0.5, 1]\""


def _models(v):
    names = list_models()
    if isinstance(v, (list, tuple)) and all(isinstance(m, str) for m in v):
        unknown = [m for m in v if m not in names]
        if not unknown:
            return None
        return f"a list of model names; unknown {unknown}; valid names: {', '.join(names)}"
    return f"a list of model names, e.g. \"['mlp_1x512']\"; valid names: {', '.join(names)}"


def _fig1a_corruption(name) -> bool:
    if not isinstance(name, str):
        return False
    if name in CORRUPTIONS and name not in LABEL_CORRUPTIONS:
        return True
    label = next((c for c in LABEL_CORRUPTIONS if name.startswith(c)), None)
    if label is None:
        return False
    try:
        return _level(float(name[len(label):])) is None
    except ValueError:
        return False


def _fig1a_corruptions(v):
    if isinstance(v, (list, tuple)) and v and all(_fig1a_corruption(c) for c in v):
        return None
    pixels = [c for c in CORRUPTIONS if c not in LABEL_CORRUPTIONS]
    return f"a non-empty list of labels<p> (p in [0, 1], e.g. labels0.5) or {', '.join(pixels)}"


def _per_model(check) -> Callable:
    """One value, or {model name or family: value} with every value passing `check`."""
    def f(v):
        if not isinstance(v, dict):
            why = check(v)
            return None if why is None else f"{why} or {{model or family: value}}"
        for key, value in v.items():
            if not any(isinstance(key, str) and by_family({key: 0}, m) == 0 for m in list_models()):
                families = sorted({m.split("_")[0] for m in list_models()})
                return (f"{{model or family: value}} with keys among {', '.join(families)} or "
                        f"the model names; unknown key {key!r}")
            why = check(value)
            if why is not None:
                return f"{{model or family: value}} whose values are each {why}; {key!r} has {value!r}"
        return None
    return f


CHECKS: dict[str, Callable] = {
    "profile": _choice(tuple(PROFILES)),
    "dataset": _choice(sorted(DATASETS)), "implicit_dataset": _choice(sorted(DATASETS)),
    "extension_dataset": _choice(sorted(DATASETS)),
    "n_train": _opt(_pos_int), "n_test": _opt(_pos_int), "curve_n_test": _opt(_pos_int),
    "extension_n_train": _opt(_pos_int),
    "max_epochs": _per_model(_pos_int), "extension_max_epochs": _pos_int,
    "implicit_epochs": _pos_int, "fig3a_epochs": _pos_int, "gaussian_factor": _pos_int,
    "precision": _per_model(_choice(PRECISIONS)),
    "lr_decay_steps": _opt(_pos_int), "paper_scale_max_epochs": _pos_int,
    "paper_scale_models": _models, "late_paper_scale_models": _models, "device": _device,
    "corruption_levels": _levels, "fig2_level": _level,
    "fig1a_corruptions": _fig1a_corruptions,
    "lr": _per_model(_opt(_pos_num)), "lr_decay": _per_model(_opt(_decay)),
    "extension_lr_decay": _per_model(_opt(_decay)),
    "warmup_epochs": _per_model(_nonneg_int), "batchnorm": _per_model(_bool),
    "target_train_loss": _opt(_pos_num), "seeds": _per_model(_pos_int),
    "seed": _nonneg_int,
    "weight_decay": _nonneg_num, "implicit_weight_decay": _nonneg_num,
    "capacity_models": _models, "fig1a_models": _models, "report_bn_models": _models,
    "gaussian_models": _models, "extension_models": _models,
    "regularization_models": _models,
}
MODEL_LISTS = [k for k, check in CHECKS.items() if check is _models]


def check_settings(settings: dict) -> None:
    """Raise ValueError naming the first setting whose value is invalid."""
    for key, value in settings.items():
        check = CHECKS.get(key)
        why = check(value) if check else None
        if why is not None:
            raise ValueError(f"{key} must be {why}, got {value!r}")
    max_epochs = settings.get("max_epochs")
    if isinstance(max_epochs, dict):
        for key in MODEL_LISTS:
            for m in settings.get(key, []):
                if by_family(max_epochs, m) is None:
                    raise ValueError(f"max_epochs has no value for {m} (in {key}): give one "
                                     f"number or add {m} or its family, got {max_epochs!r}")


def parse_settings(profile: str, **overrides) -> Settings:
    """The profile's settings with overrides applied; None overrides mean "keep the profile's".

    Strings that spell Python values (papermill -p corruption_levels "[0, 0.5]") are parsed.
    Unknown profiles or keys fail with the valid choices listed; every setting is checked,
    with its name in the one-line ValueError."""
    if not isinstance(profile, str) or profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    values = {**PROFILES[profile], "profile": profile}
    for key, value in overrides.items():
        if key not in NAMES:
            raise ValueError(f"unknown setting {key!r}; valid settings: {', '.join(sorted(NAMES))}")
        if value is not None:
            values[key] = parse_override(key, value)
    check_settings(values)  # every setting, named in the error, before anything trains
    return Settings(**{k: per_model(v) for k, v in values.items()})
