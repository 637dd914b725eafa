"""Every chapter executes under the smoke profile; the book builds from the stored runs."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import needs_fashion_mnist
from rethink_lib.chapters import CHAPTERS as CHAPTERS_REGISTERED

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.name for p in (ROOT / "book").glob("*.ipynb"))
BIN = Path(sys.executable).parent


@pytest.mark.book
@pytest.mark.slow
@needs_fashion_mnist
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_under_smoke_profile(chapter, tmp_path):
    import nbformat
    env = {**os.environ, "RETHINK_RESULTS_DIR": str(tmp_path / "results"),
           "RETHINK_USER_RESULTS": str(tmp_path / "user")}
    out = tmp_path / chapter
    cmd = [str(BIN / "papermill"), str(ROOT / "book" / chapter), str(out), "-p", "profile",
           "smoke", "--cwd", str(ROOT / "book"), "--no-progress-bar"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata.papermill.parameters["profile"] == "smoke"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    glued = [o for o in outputs if "scrapbook" in o.get("metadata", {})]
    assert glued, "a chapter glues its numbers into the prose"


def _papermill(notebook, out, env, *params):
    cmd = [str(BIN / "papermill"), str(ROOT / "book" / notebook), str(out), "--cwd",
           str(ROOT / "book"), "--no-progress-bar"]
    for name, value in params:
        cmd += ["-p", name, value]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return out.read_text()


def _glued(text: str, key: str) -> str:
    """The text glued under `key` in an executed notebook's JSON."""
    import json
    for cell in json.loads(text)["cells"]:
        for o in cell.get("outputs", []):
            if o.get("metadata", {}).get("scrapbook", {}).get("name") == key:
                return " ".join(str(v) for v in o.get("data", {}).values())
    raise KeyError(key)


TRAINING_CHAPTERS = [f"{c}.ipynb" for c in CHAPTERS_REGISTERED]  # a view of the registry


@pytest.mark.book
@pytest.mark.slow
@needs_fashion_mnist
@pytest.mark.parametrize("chapter", TRAINING_CHAPTERS + ["06_conclusion.ipynb"])
def test_chapter_builds_from_an_empty_store_and_lists_what_is_missing(chapter, tmp_path):
    """A book build (RETHINK_BOOK_BUILD=1) trains nothing; a chapter whose runs are missing
    still executes, says so at the top and lists them."""
    env = {**os.environ, "RETHINK_RESULTS_DIR": str(tmp_path / "empty"), "RETHINK_BOOK_BUILD": "1",
           "RETHINK_USER_RESULTS": str(tmp_path / "user")}
    text = _papermill(chapter, tmp_path / chapter, env, ("profile", "smoke"))
    assert not (tmp_path / "empty").exists() and not (tmp_path / "user").exists()  # trained nothing
    if chapter in TRAINING_CHAPTERS:
        assert "runs this page needs is in the results store yet" in _glued(text, "store")
        assert "**None of the" in _glued(text, "store")
        assert "not stored" in text  # the table of missing runs
    else:
        assert "wait for runs not stored yet" in _glued(text, "counts")


@pytest.mark.book
@pytest.mark.slow
@needs_fashion_mnist
def test_toy_model_registered_in_one_place_shows_in_a_chapter_and_the_appendix(tmp_path):
    from .test_models import toy_env
    env = {**toy_env(tmp_path), "RETHINK_RESULTS_DIR": str(tmp_path / "committed"),
           "RETHINK_USER_RESULTS": str(tmp_path / "user")}
    toy = "['toy_mlp']"
    text = _papermill("02_capacity.ipynb", tmp_path / "02.ipynb", env, ("profile", "smoke"),
                      ("results_dir", str(tmp_path / "results")), ("fig1a_models", toy),
                      ("capacity_models", toy), ("report_bn_models", "[]"),
                      ("gaussian_models", toy), ("extension_models", toy))
    assert "Toy MLP 1x16" in _glued(text, "fig1b_ratio") and "Toy MLP 1x16" in _glued(text, "fig2")
    assert len(list((tmp_path / "results").iterdir())) >= 5  # its runs trained into results_dir
    text = _papermill("appendix.ipynb", tmp_path / "appendix.ipynb", env)
    assert "Toy MLP 1x16" in text and "37,818" in text
    assert _glued(text, "params_toy_mlp").count("37818") >= 1


@pytest.mark.book
@pytest.mark.slow
@needs_fashion_mnist
@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if c[:2].isdigit()])
def test_unknown_profile_fails_in_first_cells(chapter, tmp_path):
    cmd = [str(BIN / "papermill"), str(ROOT / "book" / chapter), str(tmp_path / "o.ipynb"),
           "-p", "profile", "laptop", "--cwd", str(ROOT / "book"), "--no-progress-bar"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "laptop" in done.stderr and "valid" in done.stderr


@pytest.mark.book
@pytest.mark.slow
@needs_fashion_mnist
def test_book_builds_from_stored_cpu_runs():
    """The book builds from the committed cpu-profile store, complete or partial (the store
    is filled over several sessions; a chapter lists the runs it lacks)."""
    check = subprocess.run([sys.executable, "-m", "rethink_lib.make_runs", "--profile", "cpu",
                            "--dry-run", "--results-dir", str(ROOT / "results")],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0 and "profile cpu:" in check.stdout, check.stdout + check.stderr
    partial = "0 to train" not in check.stdout
    before = sorted(p.name for p in (ROOT / "results").iterdir())
    # as `make book` does: RETHINK_BOOK_BUILD=1 reads the committed store and trains nothing
    env = {**os.environ, "RETHINK_BOOK_BUILD": "1"}
    shutil.rmtree(ROOT / "_build" / ".jupyter_cache", ignore_errors=True)  # outputs of this store
    env.pop("RETHINK_RESULTS_DIR", None)
    # --all: else Sphinx re-reads (and executes) only the sources it thinks changed
    build = subprocess.run([str(BIN / "jupyter-book"), "build", str(ROOT), "--all", "-W", "-n",
                            "--keep-going"], env=env, capture_output=True, text=True,
                           timeout=1500)
    assert "Executing notebook" in build.stdout + build.stderr, "no chapter was executed"
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    assert sorted(p.name for p in (ROOT / "results").iterdir()) == before  # trained nothing
    assert "s/ep" not in build.stderr  # no per-epoch progress line: nothing trained
    html = ROOT / "_build" / "html" / "book"
    for page in ["02_capacity", "03_explicit", "04_implicit", "05_theory", "appendix"]:
        text = (html / f"{page}.html").read_text()
        assert "<img" in text or "<table" in text, page
    if partial:  # the capacity chapter says how incomplete its store is
        assert "not in the results store yet" in (html / "02_capacity.html").read_text()
