"""Glue helpers and a chapter's runs: what every chapter notebook uses to put numbers, verdicts

and figures into its prose, and to read its runs from a store that may be partial.

    runs = ChapterRuns.from_plan(plan)  # or ChapterRuns(settings, ["fig1bc"], stores)
    runs["fig1bc"]          # {experiment key: RunResult} of the stored runs only
    runs.missing            # [(experiment, key, RunConfig, why)] not stored (or unreadable)
    say("fig1a_order", verdict)                                      # a sentence, as Markdown
    text("n_train", 5000); figure("fig1a", fig)
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..planner import experiment_configs
from ..results import ResultMismatchError, find_result
from .names import key_name


def _glue(key, value):
    from myst_nb import glue  # imported late: the library works without myst_nb
    glue(key, value, display=False)


def text(key: str, value) -> None:
    """Glue a number or short text for {glue:text}`key` (display off)."""
    _glue(key, value)


def say(key: str, sentence) -> None:
    """Glue a sentence (a str or a verdicts.Verdict) as Markdown for {glue:md}`key`."""
    from IPython.display import Markdown
    _glue(key, Markdown(str(sentence)))


def say_verdicts(found: dict) -> None:
    """Glue each of a page's verdicts under its key. One with none of its runs stored names
    its topic ("*Fig. 3a: early stopping*: the runs for this are not stored yet."), so that
    several under one figure read as the list of what is still to be judged, not as one
    sentence repeated."""
    from .verdicts import NOTHING_STORED
    for key, v in found.items():
        missing = getattr(v, "outcome", None) == "missing" and str(v) == NOTHING_STORED
        say(key, f"*{v.topic}*: the runs for this are not stored yet." if missing else v)


def table(key: str, frame) -> None:
    """Glue a table (a DataFrame or Styler) for a numbered ```{glue:figure} key``` caption."""
    _glue(key, frame)


def figure(key: str, fig) -> None:
    """Glue a matplotlib figure as SVG for {glue:figure}`key` (rendered here, so it does not
    depend on the kernel's matplotlib backend; sharp at any zoom, see report.style) and
    close it."""
    import matplotlib.pyplot as plt
    from IPython.display import SVG

    from .style import svg_bytes
    data = svg_bytes(fig)
    plt.close(fig)
    _glue(key, SVG(data=data))


def _test_images(config) -> int:
    """A config's test images: its n_test, or its data set's whole test split (None)."""
    from ..data import get_spec
    return config.n_test or get_spec(config.dataset).sizes[1]


PREDICTED = "predicted, fastest CPU measured"  # the missing-runs table's cost column
LONG = "left to a GPU"  # a missing run's `why` when no CPU measured finishes it in a session


class ChapterRuns:
    """The runs a chapter's experiments need, read through `stores` (in order).

    fetch: None (the book's build, the conclusion) reads what is stored and lists the rest
    as missing; a callable {label: RunConfig} -> {label: RunResult} (a chapter plan's
    `plan.fetch`, which trains what the plan lists) is asked for each run not stored."""

    def __init__(self, settings: dict, experiments: Iterable[str], stores, fetch=None,
                 configs: dict | None = None):
        self.settings = settings
        self.stores = [Path(stores)] if isinstance(stores, (str, Path)) else [Path(p) for p in stores]
        # {experiment: {key: RunConfig}}: the plan's, where it built them already
        self.configs = configs if configs is not None else experiment_configs(settings, experiments)
        self.results: dict[str, dict] = {}
        self.missing: list[tuple] = []
        for name, configs in self.configs.items():
            found = {}
            for key, config in configs.items():
                try:
                    r = find_result(config, self.stores)
                    if r is None and fetch is not None:
                        r = fetch({key: config})[key]
                except ResultMismatchError as err:
                    self.missing.append((name, key, config, f"unreadable: {err}"))
                    continue
                if r is None:
                    self.missing.append((name, key, config, "not stored"))
                else:
                    found[key] = r
            self.results[name] = found
        self._mark_long()

    def _mark_long(self) -> None:
        """Predict each missing run's cost on the fastest CPU measured (`self.predicted`:
        {run id: (cost-table entry, hours)}), and say of one that no CPU measured finishes
        in a session that it is left to a GPU, with that cost (rethink_lib/ops/long_runs.py)."""
        self.predicted: dict[str, tuple[str, float]] = {}
        if not any(why == "not stored" for *_, why in self.missing):
            return
        from ..ops.long_runs import SESSION_HOURS, fastest_cpu
        predict = fastest_cpu(self.stores[0])
        for i, (name, key, config, why) in enumerate(self.missing):
            best = predict(config) if why == "not stored" else None
            if best is not None:
                self.predicted[config.run_id] = best
            long = best if best is not None and best[1] > SESSION_HOURS else None
            if long is not None:
                self.missing[i] = (name, key, config, f"{LONG}: {long[1]:.1f} h on the "
                                   f"fastest CPU measured ({long[0]}), longer than a "
                                   f"{SESSION_HOURS:g}-hour session")

    @classmethod
    def from_plan(cls, plan) -> "ChapterRuns":
        """A chapter's runs as its plan cell planned them (`rethink_lib.plan.chapter_plan`):
        the plan's stores, and training only where the plan has a store to train into."""
        from ..chapters import CHAPTER_EXPERIMENTS
        return cls(plan.settings, CHAPTER_EXPERIMENTS[plan.chapter], plan.stores,
                   plan.fetch if plan.write_dir is not None else None,
                   configs=getattr(plan, "configs", None) or None)

    def __getitem__(self, experiment: str) -> dict:
        return self.results[experiment]

    @property
    def total(self) -> int:
        return len({c.run_id for configs in self.configs.values() for c in configs.values()})

    @property
    def missing_ids(self) -> list[str]:
        return list(dict.fromkeys(c.run_id for _, _, c, _ in self.missing))

    def stored(self, experiments: Iterable[str] | None = None) -> list:
        """The stored RunResults (each run once) of the named experiments (default: all)."""
        seen = {}
        for name in experiments or self.results:
            for r in self.results[name].values():
                seen.setdefault(r.config.run_id, r)
        return list(seen.values())

    def all_configs(self, experiments: Iterable[str] | None = None) -> list:
        """Every RunConfig (each run once) the named experiments need (default: all)."""
        seen = {}
        for name in experiments or self.configs:
            for c in self.configs[name].values():
                seen.setdefault(c.run_id, c)
        return list(seen.values())

    def facts(self, experiments: Iterable[str] | None = None) -> dict:
        """Sizes, precision, device and SGD settings of the runs, for the set-up paragraph:
        from the stored summaries where there are any, else from the configs; several values
        are joined with ' / ', none is 'n/a'."""
        stored = self.stored(experiments)
        configs = self.all_configs(experiments)

        def values(key, from_config=None):
            vals = [r.summary.get(key) for r in stored] or \
                   ([from_config(c) for c in configs] if from_config else [])
            vals = list(dict.fromkeys(v for v in vals if v is not None))
            return " / ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in vals) or "n/a"
        return {"n_train": values("n_train", lambda c: c.n_train),
                "n_test": values("n_test", _test_images),
                "n_curve_test": values("n_curve_test", lambda c: c.curve_n_test),
                "precision": values("precision", lambda c: c.precision),
                "device": values("device_name"),
                "momentum": " / ".join(dict.fromkeys(f"{c.momentum:g}" for c in configs)) or "n/a",
                "batch_size": " / ".join(dict.fromkeys(str(c.batch_size) for c in configs)) or "n/a"}

    def n_train(self, experiments: Iterable[str] | None = None) -> int | None:
        """Training images per run: the settings' n_train, else a stored run's (whole split)."""
        if self.settings.get("n_train"):
            return self.settings["n_train"]
        return next((r.summary["n_train"] for r in self.stored(experiments)), None)

    def missing_sentence(self) -> str:
        """One sentence for the top of the chapter on how complete its store is."""
        n, total = len(self.missing_ids), self.total
        if n == 0:
            return f"All {total} runs this page needs are in the results store."
        if n == total:
            return (f"**None of the {total} runs this page needs is in the results store yet** "
                    "(listed below): its figures and tables stay empty until "
                    "they are, and its verdicts wait for them.")
        return (f"**{n} of the {total} runs this page needs are not in the results store yet** "
                f"(listed at the end of the page); figures, tables and sentences use the "
                f"{total - n} that are, and say where a comparison lacks its runs.")

    def caveats_text(self, caveats: str) -> str:
        """The page's common caveats (`synthesis.page_caveats`), or what stands in for none:
        that each result names its own, and, while runs are missing, that those are apart."""
        if caveats:
            return caveats
        if self.missing_ids:
            return ("None beyond those each result names, besides the runs not stored yet "
                    "(listed at the end of the page).")
        return "None beyond those each result names."

    def missing_frame(self, *experiments: str) -> pd.DataFrame:
        """One row per run not stored: experiment, what it is, run id, why, and its predicted
        cost on the fastest CPU the cost table measured ("2.3 h on AMX, bf16"; "-" where none
        measured its model); only those of `experiments` when any are named (a figure's own
        gaps under the figure)."""
        from ..ops.long_runs import short_entry
        rows = {}
        for name, key, config, why in self.missing:
            if experiments and name not in experiments:
                continue
            best = self.predicted.get(config.run_id)
            row = rows.setdefault(config.run_id, {
                "experiments": [], "run": key_name(key), "seed": config.seed, "why": why,
                PREDICTED: f"{best[1]:.1f} h on {short_entry(best[0])}" if best else "-"})
            row["experiments"].append(name)
        frame = pd.DataFrame([{"run id": rid, **r, "experiments": ", ".join(r["experiments"])}
                              for rid, r in rows.items()],
                             columns=["experiments", "run", "seed", "run id", "why", PREDICTED])
        return frame
