import subprocess
import sys

import pytest


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "rethink_lib", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_models_lists_counts():
    out = run_cli("models")
    assert out.returncode == 0
    assert "inception_small" in out.stdout and "1,649,402" in out.stdout


@pytest.mark.parametrize("args,message", [
    (["--corruption", "partial_labels", "--level", "1.5"], "must be in [0, 1]"),
    (["--level", "-0.1"], "must be in [0, 1]"),
    (["--model", "resnet"], "invalid choice"),
    (["--corruption", "flip"], "invalid choice"),
    (["--epochs", "0"], "must be positive"),
    (["--batch-size", "-3"], "must be positive"),
    (["--n-train", "10000000"], "cannot take a subset"),
    (["--corruption", "partial_labels"], "needs a level"),
])
def test_bad_arguments_refused_without_touching_results(tmp_path, args, message):
    results = tmp_path / "results"
    results.mkdir()
    (results / "keep.txt").write_text("stored")
    out = run_cli("train", "--results-dir", str(results), *args)
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert [p.name for p in results.iterdir()] == ["keep.txt"]
    assert (results / "keep.txt").read_text() == "stored"
