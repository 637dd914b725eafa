"""rethink_lib.ops.execution: the execution report reads chapters, the store and versions."""
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from rethink_lib.ops import execution as ex

REPO = Path(__file__).resolve().parents[1]
PARAMS = 'profile = "cpu"   # smoke | cpu | paper\ndevice = "auto"\nseed = 0\n'


def chapter(code="x = 1", params=PARAMS, title="A chapter"):
    nb = new_notebook(cells=[new_markdown_cell(f"# {title}\n\ntext"),
                             new_code_cell(params, metadata={"tags": ["parameters"]}),
                             new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def glue_output(name, value):
    """What myst_nb.glue(name, value, display=False) leaves in a notebook."""
    prefix = "application/papermill.record/"
    return new_output("display_data", data={prefix + "text/plain": repr(value)},
                      metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})


@pytest.fixture
def book(tmp_path):
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: P\n    chapters:\n"
        "      - file: book/ch1\n      - file: book/ch2\n        sections:\n"
        "          - file: book/notes\n  - caption: Q\n    chapters:\n"
        "      - file: book/execution_report\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book/intro.md").write_text("# Intro\n")
    (tmp_path / "book/notes.md").write_text("# Notes\n")
    nbformat.write(chapter(title="One"), tmp_path / "book/ch1.ipynb")
    nbformat.write(chapter(title="Two"), tmp_path / "book/ch2.ipynb")
    nbformat.write(chapter(title="Report"), tmp_path / "book/execution_report.ipynb")
    return tmp_path


def test_toc_documents_in_order_and_root_found_from_below(book):
    assert ex.toc_documents(book) == ["book/intro", "book/ch1", "book/ch2", "book/notes",
                                      "book/execution_report"]
    assert ex.find_root(book / "book") == book
    assert [p.name for p in ex.chapter_notebooks(book, skip=("execution_report",))] == \
        ["ch1.ipynb", "ch2.ipynb"]
    with pytest.raises(FileNotFoundError, match="_toc.yml"):
        ex.find_root(Path("/"))


def test_chapter_read_from_jupyter_cache(book):
    """The executed copy Jupyter Book stored: its time, and the profile and device it glued."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    path = book / "book/ch1.ipynb"
    executed = nbformat.read(path, as_version=4)
    executed.cells[2].outputs = [glue_output("profile", "smoke"), glue_output("k_device", "cuda")]
    cache = get_cache(str(book / "_build/.jupyter_cache"))
    cache.cache_notebook_bundle(CacheBundleIn(executed, str(path),
                                              data={"execution_seconds": 12.5}),
                                check_validity=False)
    got = ex.chapter_execution(path, book)
    assert (got.file, got.title, got.source) == ("book/ch1.ipynb", "One", "jupyter-cache")
    assert (got.seconds, got.profile, got.device) == (12.5, "smoke", "cuda")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", got.executed_at)

    nb = nbformat.read(path, as_version=4)  # code changed since: the cached copy is stale
    nb.cells[2].source = "x = 2"
    nbformat.write(nb, path)
    stale = ex.chapter_execution(path, book)
    assert (stale.source, stale.seconds, stale.executed_at) == ("not executed", None, None)
    assert (stale.profile, stale.device) == ("cpu", "auto")  # from the parameters cell


def test_chapter_executed_by_papermill(book):
    path = book / "book/ch2.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.metadata["papermill"] = {"parameters": {"profile": "paper"}, "duration": 61.25,
                                "end_time": "2026-01-02T03:04:05.678901"}
    nbformat.write(nb, path)
    got = ex.chapter_execution(path, book, cache=book / "nowhere")
    assert (got.source, got.seconds, got.profile, got.device) == \
        ("papermill", 61.25, "paper", "auto")
    assert got.executed_at == "2026-01-02 03:04 UTC"


def test_chapters_display_reads_missing_values_as_a_dash(book):
    """A chapter that trained nothing glues device "n/a", one never executed has no time: the
    page shows '-', never "nan"."""
    done = ex.ChapterExecution(file="book/a.ipynb", title="A", source="papermill",
                               executed_at="2026-01-02 03:04 UTC", seconds=90.0,
                               profile="cifar", device="n/a")
    never = ex.ChapterExecution(file="book/b.ipynb", title="B", source="not executed",
                                executed_at=None, seconds=None, profile=None, device=None)
    report = ex.ExecutionReport(book, book / "results", [done, never], [], {})
    html = ex.chapters_display(report).to_html()
    assert "nan" not in html and "n/a" not in html and "None" not in html
    rows = ex.chapters_display(report).data
    assert list(rows.device) == ["-", "-"] and list(rows.profile) == ["cifar", "-"]
    assert rows.time[1] == "-" and rows.time[0] != "-"


def stored_run(store, level):
    """A real run stored by the real code (synthetic 40 images: seconds), as the store holds it."""
    from rethink_lib.results import save_result

    from .test_store_faults import config_for, fake_train
    c = config_for(level=level)
    out = fake_train(c, device="cpu", progress=False)
    return save_result(c, out.metrics, out.step_losses, out.summary, store)


def test_store_empty_missing_partial_or_damaged(tmp_path):
    """Only runs the store's verified loader accepts count as complete (issue 26, F1): a
    summary.json holding a list, a summary with no runs behind it, unreadable JSON and another
    run's folder are each "damaged: <reason>", and none counts in the hours."""
    assert ex.stored_runs(tmp_path / "absent") == []
    store = tmp_path / "results"
    store.mkdir()
    assert ex.stored_runs(store) == []
    good = [stored_run(store, level) for level in (0.0, 1.0)]
    (store / "c_running-0000").mkdir()  # training: no summary yet
    (store / "d_broken-ffff").mkdir()
    (store / "d_broken-ffff" / "summary.json").write_text("{not json")
    (store / "e_list-0000").mkdir()
    (store / "e_list-0000" / "summary.json").write_text("[]")  # crashed the book before
    (store / "f_fake-0000").mkdir()  # a plausible summary with nothing behind it
    (store / "f_fake-0000" / "summary.json").write_text(json.dumps(
        {**good[0].summary, "wall_seconds": 3600.0}))
    other = store / "g_other-0000"  # a complete run under another run's name
    other.mkdir()
    for f in good[0].path.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    (store / "README").write_text("not a run")
    (store / ".checkpoints").mkdir(exist_ok=True)  # the store's own checkpoint folder
    runs = ex.stored_runs(store)
    ids = sorted(r.path.name for r in good)
    assert [r.run_id for r in runs] == sorted(ids + ["c_running-0000", "d_broken-ffff",
                                                     "e_list-0000", "f_fake-0000",
                                                     "g_other-0000"])
    by_id = {r.run_id: r for r in runs}
    for r in good:
        assert by_id[r.path.name].summary == {k: r.summary.get(k) for k in ex.RUN_FIELDS}
    problems = {r.run_id: r.problem for r in runs}
    assert problems["c_running-0000"] == "no summary.json yet"
    assert problems["d_broken-ffff"].startswith("damaged: summary.json is unreadable "
                                                "(JSONDecodeError")
    assert problems["e_list-0000"] == "damaged: summary.json holds a list, not an object"
    assert problems["f_fake-0000"] == ("damaged: config.json is missing")
    assert problems["g_other-0000"] == f"damaged: config.json holds run {good[0].path.name}, " \
                                       "not g_other-0000"
    assert all(problems[i] is None for i in ids)
    report = ex.ExecutionReport(tmp_path, store, [], runs, {})
    frame = ex.runs_frame(report)
    assert list(frame.status) == [problems[r.run_id] or "complete" for r in runs]
    assert (frame.status == "complete").sum() == 2
    by_device = ex.runs_by_device(report)
    assert by_device.runs.sum() == 2
    hours = sum(r.summary["wall_seconds"] for r in good) / 3600
    assert by_device.hours.sum() == pytest.approx(hours)  # the fake run's hour is not counted
    device = good[0].summary["device_name"]
    assert ex.store_sentence(report) == (
        f"The results store `results` holds 7 run folders, 2 of them complete, made on 1 kind "
        f"of device ({device}).")
    from rethink_lib.ops.budget import walls_from_store
    assert walls_from_store(store) == {r.path.name: r.summary["wall_seconds"] for r in good}
    empty = ex.ExecutionReport(tmp_path, store, [], [], {})
    assert ex.runs_frame(empty).empty and ex.runs_by_device(empty).empty
    assert ex.store_sentence(empty) == "The results store `results` holds no runs at build time."
    on = ex.ExecutionReport(tmp_path, store, [], [], {}, {"cpu": "AMD EPYC", "cores": "2"})
    assert ex.machine_sentence(on) == "Built on: cpu AMD EPYC; cores 2."


def test_report_of_this_book(monkeypatch, tmp_path):
    """Every chapter notebook of the real _toc.yml, the versions the issue names."""
    monkeypatch.setenv("RETHINK_RESULTS_DIR", str(tmp_path / "store"))
    report = ex.execution_report(REPO / "book", cache=tmp_path / "no_cache")
    files = {c.file for c in report.chapters}
    toc_notebooks = {f"{d}.ipynb" for d in ex.toc_documents(REPO)
                     if (REPO / f"{d}.ipynb").exists() and not d.endswith("execution_report")}
    assert files == toc_notebooks and "book/05_theory.ipynb" in files
    assert all(c.source == "not executed" for c in report.chapters)
    theory = next(c for c in report.chapters if c.file == "book/05_theory.ipynb")
    assert (theory.profile, theory.device) == ("cpu", "auto")  # its parameters cell
    assert report.runs == [] and report.results_dir == (tmp_path / "store").resolve()
    for name in ("torch", "torchvision", "jupyter-book", "papermill"):
        assert report.versions[name], name
    assert ex.versions_frame(report).shape[0] == len(report.versions)


def test_default_results_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("RETHINK_RESULTS_DIR", raising=False)
    assert ex.default_results_dir(REPO) == REPO / "results"
    monkeypatch.setenv("RETHINK_RESULTS_DIR", str(tmp_path))
    assert ex.default_results_dir(REPO) == tmp_path.resolve()
    assert os.environ["RETHINK_RESULTS_DIR"] == str(tmp_path)


def test_machine_names_the_cpus_instruction_set(monkeypatch):
    """'AMD EPYC' covers CPUs with and without native bf16: the page says which built it."""
    from rethink_lib import metrics
    monkeypatch.setattr(metrics, "cpu_isa", lambda flags=None: "AVX-512 BF16")
    assert ex.machine()["cpu"].endswith(" (AVX-512 BF16)")
    monkeypatch.setattr(metrics, "cpu_isa", lambda flags=None: "")
    assert not ex.machine()["cpu"].endswith(" (AVX-512 BF16)")
    assert " (" not in ex.machine()["cpu"].replace(metrics.cpu_name(), "")
