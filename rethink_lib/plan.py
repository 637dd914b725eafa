"""A chapter's plan: which runs it needs, where each is stored, what will train and for how long.

The first cell after a training chapter's `parameters` cell does

    plan = chapter_plan("02_capacity", globals())   # checks the parameters, trains nothing
    plan.start()                                    # prints and glues the plan

and the chapter then gets its runs through `plan.fetch(configs)`, never elsewhere, so what
the plan lists is what trains: fetching a run outside the plan is refused.

Stores (read-through, nothing is ever copied between them):
- results_dir None, ad-hoc rerun: the committed store (results.BOOK_RESULTS_DIR: <repo>/results
  or $RETHINK_RESULTS_DIR) is read first, then the user store (results.user_results_dir():
  $RETHINK_USER_RESULTS or ~/.cache/rethink/results), which receives every run that trains.
  A rerun never writes into the repository.
- results_dir None under `make book` ($RETHINK_BOOK_BUILD=1): the committed store only; the
  build trains nothing: the plan lists the runs the store lacks as missing, and the chapter
  shows what is stored (rethink_lib.report.glue.ChapterRuns lists the rest).
- results_dir a folder: the committed store is read first, then that folder, which receives
  every run that trains (results_dir = the committed store fills it, like make_runs).

Progress: each run's start, per-epoch tqdm line (run id, epoch, loss and accuracies, time
left at the epoch cap) and end go to the terminal behind the kernel (`terminal()`): under
papermill that is papermill's own stderr, with no flag needed.

plan_only: `start()` prints the plan and turns every later cell into a no-op (an IPython input
transformer that passes only cells mentioning plan_only), so papermill finishes with exit 0
having trained nothing; rerunning the plan cell with plan_only False lifts it.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .chapter_params import ParameterError, model_parameters, read_parameters
from . import registry
from .chapters import CHAPTER_EXPERIMENTS
from .planner import by_run, cost_predictor, experiment_configs
from . import results as store
from .results import ResultMismatchError, find_result, load_result, user_results_dir
from .runner import get_or_run

# experiment -> (what the reader calls it, the setting naming its models; None: fixed):
# a view of the registry (rethink_lib/chapters/)
FIGURES = {e.name: (e.label, e.models) for e in registry.EXPERIMENTS.values()}
TO_TRAIN, MISSING, DAMAGED = "to train", "missing", "damaged"


def _mins(minutes: float | None) -> str:
    if minutes is None:
        return "?"
    if minutes == 0:
        return "0"
    return f"{minutes:.1f}" if minutes >= 0.05 else "<0.1"


class PlanError(RuntimeError):
    """The chapter asked for a run its plan does not allow; one line in Jupyter."""

    def _render_traceback_(self):
        return [f"PlanError: {self}"]


def book_build() -> bool:
    """True under `make book` (it sets RETHINK_BOOK_BUILD=1): read the committed store only."""
    return os.environ.get("RETHINK_BOOK_BUILD", "") not in ("", "0")


def terminal():
    """A text stream to the terminal that runs this process, not into the notebook.

    In an ipykernel (which papermill and Jupyter start) sys.stderr goes to the notebook and
    fd 2 is captured too; ipykernel keeps a copy of the original fd 2, which is papermill's
    stderr (or the Jupyter server's terminal). An ipykernel that does not capture fd 2
    (under pytest it does not) leaves it the terminal: sys.__stderr__. Elsewhere: sys.stderr."""
    fd = getattr(sys.stderr, "_original_stdstream_copy", None)
    if isinstance(fd, int):
        return open(fd, "w", buffering=1, closefd=False)
    if sys.stderr is not sys.__stderr__ and getattr(sys.stderr, "name", "") == "stderr" \
            and sys.__stderr__ is not None:  # ipykernel's OutStream is named "stderr"
        return sys.__stderr__
    return sys.stderr


def _skip_later_cells(lines: list[str]) -> list[str]:
    """IPython cleanup transformer installed by plan_only: cells not mentioning it do nothing."""
    return lines if "plan_only" in "".join(lines) else ["pass\n"]


@dataclass
class ChapterPlan:
    chapter: str
    settings: dict
    stores: list[Path]           # read in this order
    write_dir: Path | None       # receives the runs that train; None: train nothing
    rows: dict[str, dict]        # run_id -> figures, model, where, minutes, config
    notes: list[str]
    plan_only: bool = False
    second_profile: str = ""     # a second data set's profile the page reads beside (store only)
    trained: list[str] = field(default_factory=list)
    configs: dict[str, dict] = field(default_factory=dict)  # experiment -> {key: RunConfig}

    # ------------------------------------------------------------------ what it says
    @property
    def to_train(self) -> list[dict]:
        return [r for r in self.rows.values() if r["where"] == TO_TRAIN]

    @property
    def missing(self) -> list[dict]:
        """Runs a book build lacks (it trains nothing)."""
        return [r for r in self.rows.values() if r["where"] == MISSING]

    @property
    def minutes(self) -> float:
        return sum(r["minutes"] or 0.0 for r in self.to_train)

    def store_name(self, path: Path) -> str:
        if Path(path).resolve() == Path(store.BOOK_RESULTS_DIR).resolve():
            return "committed"
        return "user" if self.write_dir and Path(path) == self.write_dir else str(path)

    def frame(self):
        import pandas as pd
        return pd.DataFrame([{"figures": ", ".join(r["figures"]), "model": r["model"],
                              "where": r["where"], "minutes": r["minutes"], "run": r["run_id"]}
                             for r in self.rows.values()])

    def summary(self) -> str:
        counts = {}
        for r in self.rows.values():
            counts[r["where"]] = counts.get(r["where"], 0) + 1
        stored = "; ".join(f"{n} in the {w} store" for w, n in counts.items()
                           if w not in (TO_TRAIN, MISSING, DAMAGED))
        unknown = sum(r["minutes"] is None for r in self.to_train)
        text = (f"{len(self.rows)} runs: {stored or 'none stored'}; {len(self.to_train)} to "
                f"train, predicted {_mins(self.minutes)} min")
        if unknown:
            text += f" plus {unknown} runs with no cost-table entry"
        if counts.get(MISSING):
            text = (f"{len(self.rows)} runs: {stored or 'none stored'}; {counts[MISSING]} missing "
                    "from the committed store (a book build trains nothing: `make runs` fills it)")
        if counts.get(DAMAGED):
            text += f"; {counts[DAMAGED]} damaged (listed below: delete them to retrain)"
        return text

    def text(self) -> str:
        s = self.settings
        from .train import resolve_device
        lines = [f"Plan for {self.chapter} (profile {s['profile']}, on {resolve_device(s['device'])}): "
                 f"{self.summary()}."]
        for p in self.stores:
            lines.append(f"  reads  {self.store_name(p):9s} {p}")
        lines.append(f"  trains into {self.write_dir}" if self.write_dir else
                     "  trains nothing (book build: the committed store only)")
        if self.to_train and self.to_train[0].get("cost_table"):
            lines.append(f"  minutes from rethink_lib/cost_table.json: {self.to_train[0]['cost_table']}")
        width = max((len(", ".join(r["figures"])) for r in self.rows.values()), default=0)
        for r in self.rows.values():
            mins = _mins(r["minutes"]) if r["where"] == TO_TRAIN else ""
            lines.append(f"  {', '.join(r['figures']):{width}s}  {r['where']:9s} {mins:>6s}  {r['run_id']}")
            if r["where"] == DAMAGED:
                lines.append(f"      {r['problem']}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    # ------------------------------------------------------------------ the plan cell
    def start(self) -> None:
        """Print the plan (notebook and terminal) and glue it; plan_only: every later cell
        becomes a no-op."""
        from IPython import get_ipython
        text = self.text()
        print(text)
        term = terminal()
        if term is not sys.stderr:
            print("\n" + text, file=term, flush=True)  # after papermill's own progress bar
        try:
            from myst_nb import glue
            glue("plan_summary", self.summary(), display=False)
            glue("plan_to_train", len(self.to_train), display=False)
            glue("plan_minutes", f"{self.minutes:.1f}", display=False)
            glue("plan_table", self.frame(), display=False)
        except ImportError:
            pass
        ip = get_ipython()
        if ip is not None:
            cleanup = ip.input_transformers_cleanup
            cleanup[:] = [t for t in cleanup if getattr(t, "__name__", "") != _skip_later_cells.__name__]
            if self.plan_only:
                cleanup.append(_skip_later_cells)
        if self.plan_only:
            done = "plan_only = True: stopped after the plan, trained nothing; the later cells do nothing."
            print(done)
            if term is not sys.stderr:
                print(done, file=term, flush=True)
            return

    # ------------------------------------------------------------------ the runs
    def fetch(self, configs: dict) -> dict:
        """{label: RunResult} for an experiment's {label: RunConfig}: read through the stores,
        train what the plan lists as to train (progress in the terminal)."""
        return {label: self._get(c) for label, c in configs.items()}

    def _get(self, config):
        found = find_result(config, self.stores)
        if found is not None:
            return found
        row = self.rows.get(config.run_id)
        if row is None or row["where"] != TO_TRAIN or self.write_dir is None:
            raise PlanError(f"run {config.run_id} is not in this chapter's plan as one to train "
                            f"({'absent' if row is None else row['where']}); the plan cell and "
                            "the figure cells disagree about the runs")
        from .store_lock import RunLock
        store.check_writable(self.write_dir)  # before the lock creates anything
        lock = RunLock(config, self.write_dir)
        # a second rerun training the same run: wait (saying who holds it), then reuse it
        lock.acquire(block=True, say=lambda line: print(line, file=terminal(), flush=True))
        try:
            found = load_result(config, self.write_dir)
            if found is None:
                found = self._train(config, row)
        finally:
            lock.release()
        return found

    def _train(self, config, row):
        term = terminal()
        i, n = len(self.trained) + 1, len(self.to_train)
        print(f"\n[{i}/{n}] training {config.run_id} (predicted {_mins(row['minutes'])} min) into {self.write_dir}",
              file=term, flush=True)
        t = time.perf_counter()
        result = get_or_run(config, self.write_dir, device=self.settings["device"], progress=term)
        s = result.summary
        print(f"[{i}/{n}] stored {config.run_id}: {s['epochs']} epochs, train acc "
              f"{s['final_train_acc']:.4f}, test acc {s['final_test_acc']:.4f}, "
              f"{time.perf_counter() - t:.0f} s", file=term, flush=True)
        self.trained.append(config.run_id)
        return result


def _stores(results_dir) -> tuple[list[Path], Path | None]:
    committed = Path(store.BOOK_RESULTS_DIR)
    if results_dir is None:
        write = None if book_build() else user_results_dir()
    else:
        write = Path(results_dir).expanduser()
    stores = [committed]
    if write is not None and write.resolve() != committed.resolve():
        stores.append(write)
    return stores, write


def _where(config, stores, names, can_train: bool) -> tuple[str, str | None]:
    for d in stores:
        try:
            if load_result(config, d) is not None:
                return names(d), None
        except ResultMismatchError as err:
            return DAMAGED, str(err)
    return (TO_TRAIN if can_train else MISSING), None


def _model_notes(chapter: str, namespace: dict, settings: dict, experiments) -> list[str]:
    """Figures that still train models outside the ones the user restricted others to."""
    params = model_parameters(chapter)
    chosen_params = [p.name for p in params if namespace.get(p.name) is not None]
    if not chosen_params:
        return []
    chosen = {m for name in chosen_params for m in settings[name]}
    notes = []
    for exp in experiments:
        label, param = FIGURES.get(exp, (exp, None))
        if param is None or param in chosen_params or param not in {p.name for p in params}:
            continue  # fixed models, chosen, or not a parameter of this chapter
        extra = [m for m in settings[param] if m not in chosen]
        if extra:
            notes.append(f"{label} still trains {', '.join(extra)}: its models come from "
                         f"{param} (the {settings['profile']} profile's default), not from "
                         f"{', '.join(chosen_params)}; -p {param} \"[...]\" restricts it too")
    return notes


def _predictor(settings: dict, stores):
    """config -> (predicted minutes or None, cost-table entry name): the planner's."""
    return cost_predictor(settings["device"], stores)


def _check_inputs(chapter: str, settings: dict, options: dict) -> None:
    """The inputs a plan needs before it can list runs, each a one-line ParameterError."""
    from .preflight import check_device, empty_model_lists
    results_dir = options["results_dir"]
    if results_dir is not None and not str(results_dir).strip():
        raise ParameterError("results_dir: '' would be the current folder; name a folder, or "
                             "None for the user store")
    try:
        check_device(settings["device"])
    except ValueError as err:
        raise ParameterError(str(err)) from None
    why = empty_model_lists(chapter, settings)
    if why:
        raise ParameterError(why)


def _check_training(plan: ChapterPlan) -> None:
    """Every input of the runs the plan trains, checked before the first one trains (the
    data sets, sizes, seeds, a writable store and free run paths; nothing is created)."""
    from .preflight import check_runs
    todo = [r["config"] for r in plan.to_train]
    if not todo:
        return
    try:
        check_runs(todo, plan.settings["device"], plan.write_dir)
    except (ValueError, store.StoreError) as err:
        raise ParameterError((str(err).splitlines() or [type(err).__name__])[0]) from None


def chapter_plan(chapter: str, namespace: dict) -> ChapterPlan:
    """The plan of `chapter` for the parameters in `namespace` (the notebook's globals())."""
    settings, options = read_parameters(chapter, namespace)
    _check_inputs(chapter, settings, options)  # device, results_dir, model lists: before all
    stores, write = _stores(options["results_dir"])
    experiments = CHAPTER_EXPERIMENTS[chapter]
    plan = ChapterPlan(chapter, settings, stores, write, {},
                       _model_notes(chapter, namespace, settings, experiments),
                       options["plan_only"], second_profile=options["second_profile"])
    predict = _predictor(settings, stores)
    plan.configs = experiment_configs(settings, experiments)  # each run config built once
    for run_id, (names, config) in by_run(plan.configs).items():
        where, problem = _where(config, stores, plan.store_name, write is not None)
        minutes, table = predict(config) if where == TO_TRAIN else (None, None)
        figures = list(dict.fromkeys(FIGURES.get(n, (n,))[0] for n in names))
        plan.rows[run_id] = {"run_id": run_id, "figures": figures, "model": config.model,
                             "where": where, "problem": problem, "minutes": minutes,
                             "cost_table": table, "config": config}
    _check_training(plan)  # data, sizes, seeds, the store: before the first run trains
    return plan


__all__ = ["ChapterPlan", "ParameterError", "PlanError", "chapter_plan", "terminal"]
