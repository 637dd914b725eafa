"""Every chapter executes under the smoke profile; the book builds from the stored runs."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import needs_fashion_mnist

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.name for p in (ROOT / "book").glob("*.ipynb"))
BIN = Path(sys.executable).parent


@pytest.mark.book
@pytest.mark.slow
@needs_fashion_mnist
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_under_smoke_profile(chapter, tmp_path):
    import nbformat
    env = {**os.environ, "RETHINK_RESULTS_DIR": str(tmp_path / "results")}
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
    """The committed cpu-profile results are complete, and the book builds from them."""
    check = subprocess.run([sys.executable, "-m", "rethink_lib.make_runs", "--profile", "cpu",
                            "--dry-run", "--results-dir", str(ROOT / "results")],
                           capture_output=True, text=True, timeout=300)
    assert "0 to train" in check.stdout, f"stored cpu-profile runs are missing:\n{check.stdout}"
    build = subprocess.run([str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n",
                            "--keep-going"], capture_output=True, text=True, timeout=3000)
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    html = ROOT / "_build" / "html" / "book"
    for page in ["02_capacity", "03_explicit", "04_implicit", "05_theory", "appendix"]:
        text = (html / f"{page}.html").read_text()
        assert "<img" in text or "<table" in text, page
