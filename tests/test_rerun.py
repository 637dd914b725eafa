"""Issue 12: rerunning a chapter as a researcher would.

Fast tests: the parameters and plan cells are generated (defaults per profile read from the
profiles), the plan's stores (committed first, then the user store, which alone receives new
runs), its notes on model parameters, one-line parameter errors, the book build's refusal to
train, plan_only's no-op cells and the terminal stream.
Slow tests (papermill): a rerun of the capacity chapter trains exactly the runs its plan
lists, into the user store, leaves the committed store unchanged, shows each run's progress
on papermill's stderr and saves a working corruption-level explorer; plan_only of the full
cpu profile takes seconds and trains nothing.
"""
from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from rethink_lib import results, runner
from rethink_lib.chapter_params import (CHAPTER_PARAMETERS, NOTEBOOK_DEFAULTS, ParameterError,
                                        parameters_cell)
from rethink_lib.plan import PlanError, _skip_later_cells, chapter_plan, terminal

from .conftest import needs_fashion_mnist

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "scripts"))
from update_chapter_cells import PLAN_MARK, plan_cell  # noqa: E402

# The capacity chapter restricted to the MLP in every figure.
MLP_ONLY = {"profile": "smoke", "capacity_models": "['mlp_1x512']",
            "fig1a_models": "['mlp_1x512']", "report_bn_models": "['mlp_1x512']",
            "gaussian_models": "['mlp_1x512']", "extension_models": "['mlp_1x512']"}
ROW = re.compile(r"^  (?P<figures>\S.*?)  (?P<where>to train|committed|user|missing|damaged)\s+"
                 r"(?P<minutes>\S*)\s+(?P<run>\S+-[0-9a-f]{8})$")


def namespace(chapter: str, **params) -> dict:
    ns = {p.name: NOTEBOOK_DEFAULTS.get(p.name) for p in CHAPTER_PARAMETERS[chapter]}
    ns.update(params)
    return ns


@pytest.fixture
def stores(tmp_path, monkeypatch):
    """A temporary committed store and user store."""
    committed, user = tmp_path / "committed", tmp_path / "user" / "results"
    monkeypatch.setattr(results, "BOOK_RESULTS_DIR", committed)
    monkeypatch.setenv("RETHINK_USER_RESULTS", str(user))
    monkeypatch.delenv("RETHINK_BOOK_BUILD", raising=False)
    return committed, user


def tree_digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stored_runs(folder: Path) -> set[str]:
    return {p.parent.name for p in folder.glob("*/summary.json")}


def plan_rows(text: str) -> dict[str, str]:
    """{run_id: where} from a printed plan."""
    return {m["run"]: m["where"] for m in map(ROW.match, text.splitlines()) if m}


# --------------------------------------------------------------------------- cells
@pytest.mark.parametrize("chapter", list(CHAPTER_PARAMETERS))
def test_chapter_cells_are_the_generated_ones(chapter):
    nb = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    assert nb.cells[i].source == parameters_cell(chapter), \
        "run scripts/update_chapter_cells.py after changing rethink_lib/chapter_params.py"
    nxt = next(c for c in nb.cells[i + 1:] if c.cell_type == "code")
    assert PLAN_MARK in nxt.source and nxt.source == plan_cell(chapter)
    assigned = {t.id for node in ast.parse(nb.cells[i].source).body for t in node.targets}
    assert assigned == {p.name for p in CHAPTER_PARAMETERS[chapter]}
    # `papermill --help-notebook` lists every parameter with its comment (it skips lines
    # whose comment holds a quote or an "=")
    from papermill.translators import PythonTranslator
    shown = PythonTranslator.inspect(nb.cells[i])
    assert [p.name for p in shown] == [p.name for p in CHAPTER_PARAMETERS[chapter]]
    assert all(p.help for p in shown)


def test_parameter_comments_list_each_profiles_default(monkeypatch):
    from rethink_lib import experiments
    monkeypatch.setitem(experiments.PROFILES, "cpu",
                        {**experiments.PROFILES["cpu"], "capacity_models": ["mlp_1x512"]})
    line = next(x for x in parameters_cell("02_capacity").splitlines()
                if x.startswith("capacity_models = None"))
    assert "cpu: ['mlp_1x512']" in line
    assert "smoke: ['inception_small', 'alexnet_small', 'mlp_1x512']" in line
    line = next(x for x in parameters_cell("04_implicit").splitlines()
                if x.startswith("dataset = None"))  # 04's dataset sets implicit_dataset
    assert [f"{p}: {experiments.PROFILES[p]['implicit_dataset']}" in line
            for p in experiments.PROFILES] == [True] * len(experiments.PROFILES)


# --------------------------------------------------------------------------- the plan
def test_model_parameters_restrict_or_the_plan_says_why(stores):
    plan = chapter_plan("02_capacity", namespace("02_capacity", profile="smoke",
                                                 capacity_models="['mlp_1x512']"))
    notes = " ".join(plan.notes)
    assert "Fig. 1a still trains inception_small" in notes and "fig1a_models" in notes
    assert "report BatchNorm variants still trains alexnet_small" in notes
    assert {r["model"] for r in plan.to_train} == {"mlp_1x512", "inception_small", "alexnet_small"}
    plan = chapter_plan("02_capacity", namespace("02_capacity", **MLP_ONLY))
    assert plan.notes == []
    assert {r["model"] for r in plan.rows.values()} == {"mlp_1x512"}
    # every run is to train (empty stores), each with predicted minutes from the cost table
    assert all(r["where"] == "to train" and r["minutes"] is not None for r in plan.rows.values())
    assert plan_rows(plan.text()) == {r["run_id"]: "to train" for r in plan.rows.values()}


@pytest.mark.parametrize("name, value, shown", [
    ("capacity_models", "['nosuch']", "nosuch"), ("plan_only", "yes", "plan_only"),
    ("results_dir", 5, "results_dir"), ("profile", "laptop", "laptop"),
    ("second_profile", "laptop", "second_profile")])
def test_bad_parameters_fail_in_one_line(stores, name, value, shown):
    with pytest.raises(ParameterError) as err:
        chapter_plan("02_capacity", namespace("02_capacity", **{"profile": "smoke", name: value}))
    assert shown in str(err.value) and "\n" not in str(err.value)
    assert err.value._render_traceback_() == [f"ParameterError: {err.value}"]


def test_book_build_reads_the_committed_store_only_and_trains_nothing(stores, monkeypatch):
    committed, user = stores
    monkeypatch.setenv("RETHINK_BOOK_BUILD", "1")
    plan = chapter_plan("03_explicit", namespace("03_explicit", profile="smoke",
                                                 regularization_models="['mlp_1x512']"))
    assert plan.stores == [committed] and plan.write_dir is None
    plan.start()
    assert plan.to_train == [] and len(plan.missing) == 4
    assert set(plan_rows(plan.text()).values()) == {"missing"}
    assert "4 missing from the committed store" in plan.summary()
    assert "trains nothing" in plan.text()
    with pytest.raises(PlanError, match="not in this chapter's plan as one to train"):
        plan.fetch({"x": plan.missing[0]["config"]})
    assert not user.exists() and not committed.exists()


def test_results_dir_parameter_is_the_store_that_trains(stores, tmp_path):
    committed, _ = stores
    plan = chapter_plan("04_implicit", namespace("04_implicit", profile="smoke",
                                                 results_dir=str(tmp_path / "mine")))
    assert plan.stores == [committed, tmp_path / "mine"] and plan.write_dir == tmp_path / "mine"
    assert "trains into " + str(tmp_path / "mine") in plan.text()


@needs_fashion_mnist
def test_read_through_then_train_into_the_user_store(stores):
    from rethink_lib.experiments import table1, table2
    committed, user = stores
    ns = namespace("03_explicit", profile="smoke", regularization_models="['mlp_1x512']")
    first = chapter_plan("03_explicit", ns)
    configs = {r["run_id"]: r["config"] for r in first.rows.values()}
    ids = sorted(configs)
    runner.get_or_run(configs[ids[0]], committed, progress=False)
    runner.get_or_run(configs[ids[1]], user, progress=False)
    before = tree_digest(committed)

    plan = chapter_plan("03_explicit", ns)
    assert plan_rows(plan.text()) == {ids[0]: "committed", ids[1]: "user", ids[2]: "to train",
                                      ids[3]: "to train"}
    found = {**plan.fetch(table1(plan.settings)), **plan.fetch(table2(plan.settings))}
    assert {r.path.parent for r in found.values() if r.config.run_id == ids[0]} == {committed}
    assert sorted(plan.trained) == ids[2:]
    assert stored_runs(user) == set(ids[1:]) and stored_runs(committed) == {ids[0]}
    assert tree_digest(committed) == before
    other = dict(next(iter(table1(plan.settings).values())).to_dict(), seed=7)
    with pytest.raises(PlanError, match="not in this chapter's plan"):
        plan.fetch({"x": type(configs[ids[0]]).from_dict(other)})


def test_plan_only_turns_later_cells_into_no_ops(stores):
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    try:
        chapter_plan("04_implicit", namespace("04_implicit", profile="smoke",
                                              plan_only=True)).start()
        assert _skip_later_cells in shell.input_transformers_cleanup
        shell.run_cell("later = 1")
        assert "later" not in shell.user_ns
        shell.run_cell("plan_only = False")  # the parameters and plan cells still run
        assert shell.user_ns["plan_only"] is False
        chapter_plan("04_implicit", namespace("04_implicit", profile="smoke")).start()
        shell.run_cell("later = 1")
        assert shell.user_ns["later"] == 1
    finally:
        shell.input_transformers_cleanup[:] = [
            t for t in shell.input_transformers_cleanup if t is not _skip_later_cells]
        InteractiveShell.clear_instance()


def test_terminal_is_the_kernels_original_stderr(monkeypatch, tmp_path):
    out = open(tmp_path / "terminal", "w+")
    fake = io.StringIO()
    fake._original_stdstream_copy = out.fileno()  # what ipykernel keeps of the real fd 2
    monkeypatch.setattr(sys, "stderr", fake)
    print("epoch 3", file=terminal(), flush=True)
    assert (tmp_path / "terminal").read_text() == "epoch 3\n" and fake.getvalue() == ""
    uncaptured = io.StringIO()
    uncaptured.name = "stderr"  # an ipykernel that leaves fd 2 alone (as under pytest)
    monkeypatch.setattr(sys, "stderr", uncaptured)
    assert terminal() is sys.__stderr__
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert terminal() is sys.stderr  # outside a kernel: plain stderr


# --------------------------------------------------------------------------- papermill
def papermill(chapter: str, out: Path, env: dict, params: dict, timeout: int):
    """Run papermill as a user would: without pytest's marker, ipykernel captures fd 2."""
    env = {k: v for k, v in env.items() if k != "PYTEST_CURRENT_TEST"}
    cmd = [str(BIN / "papermill"), str(ROOT / "book" / f"{chapter}.ipynb"), str(out),
           "--cwd", str(ROOT / "book")]
    for k, v in params.items():
        cmd += ["-p", k, str(v)]
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    return done, time.perf_counter() - t


def plan_output(nb) -> str:
    cell = next(c for c in nb.cells if c.cell_type == "code" and PLAN_MARK in c.source)
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def widget_states(nb) -> dict:
    return nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


@pytest.mark.book
@pytest.mark.slow
@needs_fashion_mnist
def test_rerun_trains_exactly_the_plan_into_the_user_store(tmp_path, monkeypatch):
    committed, user = tmp_path / "committed", tmp_path / "user" / "results"
    monkeypatch.setattr(results, "BOOK_RESULTS_DIR", committed)
    monkeypatch.setenv("RETHINK_USER_RESULTS", str(user))
    plan = chapter_plan("02_capacity", namespace("02_capacity", **MLP_ONLY))
    keep = [r for r in plan.rows.values() if r["config"].corruption == "labels"
            and r["config"].level in (0.0, 1.0)]
    for r in keep:  # a committed store that holds some of the runs
        runner.get_or_run(r["config"], committed, progress=False)
    before = tree_digest(committed)

    env = {**os.environ, "RETHINK_RESULTS_DIR": str(committed), "RETHINK_USER_RESULTS": str(user)}
    env.pop("RETHINK_BOOK_BUILD", None)
    done, _ = papermill("02_capacity", tmp_path / "out.ipynb", env, MLP_ONLY, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)

    # the plan in the first cell after the parameters lists exactly what trained
    rows = plan_rows(plan_output(nb))
    planned = {run for run, where in rows.items() if where == "to train"}
    assert {run for run, where in rows.items() if where == "committed"} == {r["run_id"] for r in keep}
    assert planned and stored_runs(user) == planned
    assert tree_digest(committed) == before
    # each run's progress reached the terminal: its start, per-epoch lines, its end
    terminal_text = done.stderr.replace("\r", "\n")
    for i, run in enumerate(sorted(planned)):
        assert f"training {run} (predicted" in terminal_text
        assert re.search(rf"\[\d+/{len(planned)}\] stored {re.escape(run)}: \d+ epochs, train acc", terminal_text)
        assert re.search(re.escape(run[:48]) + r": +\d+%\|.*\d+/\d+ \[.*<.*train=\d\.\d+", terminal_text)

    # the corruption-level explorer: a network toggle over an outer stack (one level stack per
    # network: here the one MLP) and a level slider over the level stacks, all browser links
    states = widget_states(nb)
    by_name = {}
    for model_id, w in states.items():
        by_name.setdefault(w["model_name"], []).append((model_id, w["state"]))
    (slider_id, slider), = by_name["SelectionSliderModel"]
    (toggle_id, toggle), = by_name["ToggleButtonsModel"]
    stacks = dict(by_name["StackModel"])
    ref = "IPY_MODEL_{}".format
    (outer_id, outer), = [(i, st) for i, st in stacks.items()
                          if all(c.removeprefix("IPY_MODEL_") in stacks for c in st["children"])]
    assert list(slider["_options_labels"]) == ["0", "0.5", "1"] and slider["index"] == 0
    assert list(toggle["_options_labels"]) == ["MLP 1x512"] and toggle["index"] == 0
    (inner_ref,) = outer["children"]
    inner_id = inner_ref.removeprefix("IPY_MODEL_")
    inner = stacks[inner_id]
    assert len(inner["children"]) == 3 and inner["selected_index"] == 0
    assert all(states[c.removeprefix("IPY_MODEL_")]["model_name"] == "ImageModel"
               for c in inner["children"])
    links = sorted((lk["source"], lk["target"]) for _, lk in by_name["LinkModel"])
    assert links == sorted([([ref(toggle_id), "index"], [ref(outer_id), "selected_index"]),
                            ([ref(slider_id), "index"], [ref(inner_id), "selected_index"])])
    shown = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    box = [states[m]["state"] for m in shown if states[m]["model_name"] == "VBoxModel"]
    assert [b["children"] for b in box] == [[ref(toggle_id), ref(slider_id), ref(outer_id)]]


@pytest.mark.book
@pytest.mark.slow
def test_plan_only_shows_the_bill_in_seconds_and_trains_nothing(tmp_path):
    committed, user = tmp_path / "committed", tmp_path / "user" / "results"
    env = {**os.environ, "RETHINK_RESULTS_DIR": str(committed), "RETHINK_USER_RESULTS": str(user)}
    done, seconds = papermill("02_capacity", tmp_path / "out.ipynb", env,
                              {"profile": "cpu", "plan_only": True}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert seconds < 90, f"plan_only took {seconds:.0f} s"
    assert not user.exists() and not committed.exists()
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    text = plan_output(nb)
    rows = plan_rows(text)
    assert len(rows) > 20 and set(rows.values()) == {"to train"}
    assert re.search(r"to train, predicted [\d.]+ min", text)
    assert "plan_only = True: stopped after the plan" in done.stderr
    i = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and PLAN_MARK in c.source)
    assert all(not c.outputs for c in nb.cells[i + 1:] if c.cell_type == "code")
