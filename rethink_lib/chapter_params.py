"""The training chapters' papermill parameters: what each one sets and its defaults per profile.

Each chapter's `parameters` cell is rendered from CHAPTER_PARAMETERS by `parameters_cell`
(scripts/update_chapter_cells.py writes it into the notebooks; tests/test_rerun.py checks
they match), so the per-profile defaults its comments list are read from
rethink_lib.profiles.PROFILES, never typed. CHAPTER_PARAMETERS is a view of the registry:
the run parameters, then the chapter's own (rethink_lib/chapters/), then its experiments'.
`read_parameters` turns a chapter's namespace into resolved settings; experiments.resolve
checks every setting before anything trains.
"""
from __future__ import annotations

import os

from . import registry
from .experiments import COMMON, PROFILES, describe, resolve
from .registry import Param


class ParameterError(ValueError):
    """A chapter parameter is invalid; shown as one line in Jupyter (no traceback wall)."""

    def _render_traceback_(self):  # IPython shows this instead of the traceback
        return [f"ParameterError: {self}"]


# Every training chapter starts with these (notebook defaults in NOTEBOOK_DEFAULTS).
RUN_PARAMS = [
    Param("profile", "smoke | cpu (Fashion-MNIST) | cifar (CIFAR-10, the book's) | paper: "
          "sizes, epochs and models of every figure"),
    Param("second_profile", "a second data set's profile read beside this one, from the "
          "store only (cpu: Fashion-MNIST); \"\" for none", key=""),
    Param("results_dir", "None: read results/, train what it lacks into $RETHINK_USER_RESULTS "
          "(default ~/.cache/rethink/results); a folder: read results/, train into it", key=""),
    Param("plan_only", "True: print the plan (runs, stores, minutes), run no later cell",
          key=""),
    Param("device", "auto | cpu | cuda (auto: cuda if present)"),
    Param("seed", "seeds corruption, initialisation, shuffling and augmentation"),
]
NOTEBOOK_DEFAULTS = {"profile": "cifar", "second_profile": "cpu", "results_dir": None,
                     "plan_only": False,
                     "device": COMMON["device"], "seed": COMMON["seed"]}


def _chapter_parameters(chapter: str) -> list[Param]:
    """RUN_PARAMS, the chapter's own, then each of its experiments' (each name once)."""
    out = {p.name: p for p in RUN_PARAMS + list(registry.get_chapter(chapter).params)}
    for e in registry.of_chapter(chapter):
        for p in e.params:
            out.setdefault(p.name, p)
    return list(out.values())


CHAPTER_PARAMETERS: dict[str, list[Param]] = {c: _chapter_parameters(c) for c in registry.CHAPTERS}


def _show(value) -> str:
    if isinstance(value, dict):
        return describe(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) if isinstance(v, str) else _show(v) for v in value) + "]"
    return str(value)


def profile_defaults(param: Param) -> str:
    """'  [every profile: X]' or '  [smoke: A | cpu: B | paper: C]' for a profile setting."""
    key = param.setting
    if key is None or key in ("profile", *COMMON) or any(key not in PROFILES[p] for p in PROFILES):
        return ""
    shown = [_show(PROFILES[p][key]) for p in PROFILES]
    if len(set(shown)) == 1:
        return f"  [every profile: {shown[0]}]"
    return "  [" + " | ".join(f"{p}: {v}" for p, v in zip(PROFILES, shown)) + "]"


def _literal(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def parameters_cell(chapter: str) -> str:
    """The source of a chapter's `parameters` cell."""
    params = CHAPTER_PARAMETERS[chapter]
    heads = [f"{p.name} = {_literal(NOTEBOOK_DEFAULTS.get(p.name))}" for p in params]
    width = max(map(len, heads))
    lines = [
        "# Parameters (papermill -p NAME VALUE; lists and dicts as Python literals, e.g.",
        "# -p capacity_models \"['mlp_1x512']\"). None: the profile's value, listed in [...].",
        "# Generated from rethink_lib/chapter_params.py by scripts/update_chapter_cells.py.",
    ]
    lines += [f"{h:<{width}}  # {p.help}{profile_defaults(p)}" for h, p in zip(heads, params)]
    return "\n".join(lines)


def read_parameters(chapter: str, namespace: dict) -> tuple[dict, dict]:
    """(settings, options) from a chapter's parameters in `namespace` (its globals()).

    settings: experiments.resolve(profile, ...) with the non-None parameters applied (it
    checks each one); options: results_dir, plan_only, second_profile. Errors are one-line
    ParameterErrors."""
    if chapter not in CHAPTER_PARAMETERS:
        raise ValueError(f"unknown chapter {chapter!r}; valid: {', '.join(CHAPTER_PARAMETERS)}")
    values = {}
    for p in CHAPTER_PARAMETERS[chapter]:
        if p.name not in namespace:
            raise ParameterError(f"{p.name}: not defined; run the parameters cell first")
        values[p.name] = namespace[p.name]
    results_dir, plan_only = values["results_dir"], values["plan_only"]
    if results_dir is not None and not isinstance(results_dir, (str, os.PathLike)):
        raise ParameterError(f"results_dir: must be a folder path or None, got {results_dir!r}")
    if not isinstance(plan_only, bool):
        raise ParameterError(f"plan_only: must be True or False, got {plan_only!r}")
    second = values["second_profile"]
    if second is None:
        second = ""
    if second != "" and (not isinstance(second, str) or second not in PROFILES):
        raise ParameterError(f"second_profile: unknown profile {second!r}; valid: "
                             f"{', '.join(PROFILES)}, or \"\" for none")
    overrides = {p.setting: values[p.name] for p in CHAPTER_PARAMETERS[chapter]
                 if p.setting and p.name != "profile"}
    try:
        settings = resolve(values["profile"], **overrides)
    except (ValueError, TypeError, SyntaxError) as err:
        raise ParameterError((str(err).splitlines() or [type(err).__name__])[0]) from None
    return settings, {"results_dir": results_dir, "plan_only": plan_only,
                      "second_profile": second}


def model_parameters(chapter: str) -> list[Param]:
    """The chapter's parameters that name models."""
    return [p for p in CHAPTER_PARAMETERS[chapter] if p.names_models]
