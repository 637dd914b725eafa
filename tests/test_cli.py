import errno
import os
import shutil
import subprocess
import sys

import pytest
import torch

from rethink_lib import cli
from rethink_lib.config import RunConfig
from rethink_lib.results import checkpoint_path


def run_cli(*args, cwd=None, module="rethink_lib", prefix=()):
    return subprocess.run([*prefix, sys.executable, "-m", module, *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def one_line_error(out, *parts):
    """A failed command: non-zero exit, one line on stderr holding every part, no traceback."""
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    for part in parts:
        assert part in lines[0]
    return lines[0]


def error_line(stderr: str) -> str:
    """stderr of a failed run that is not a terminal: one error line and nothing else."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def test_models_lists_counts():
    out = run_cli("models")
    assert out.returncode == 0
    assert "inception_small" in out.stdout and "1,649,402" in out.stdout


@pytest.mark.parametrize("args,message", [
    (["--level", "1.5"], "must be in [0, 1]"),
    (["--level", "-0.1"], "must be in [0, 1]"),
    (["--model", "resnet"], "invalid choice"),
    (["--corruption", "flip"], "invalid choice"),
    (["--corruption", "random_labels"], "invalid choice"),
    (["--epochs", "0"], "must be positive"),
    (["--batch-size", "-3"], "must be positive"),
    (["--n-train", "10000000"], "cannot take a subset"),
    (["--corruption", "gaussian", "--level", "0.5"], "takes no level"),
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


# ------------------------------------------------------- store and OS errors: one line
TINY = ["--dataset", "digits", "--n-train", "50", "--n-test", "50", "--epochs", "1",
        "--precision", "fp32", "--device", "cpu"]


def tiny_config():
    """The RunConfig `train *TINY` builds."""
    return RunConfig(dataset="digits", n_train=50, n_test=50, max_epochs=1, precision="fp32")


def test_results_path_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "results").write_text("a file")
    out = run_cli("train", "--results-dir", str(tmp_path / "results"), *TINY)
    one_line_error(out, "is a file, not a directory", "nothing was trained")
    out = run_cli("train", "--results-dir", str(tmp_path / "results" / "sub"), *TINY)
    one_line_error(out, "Not a directory")
    out = run_cli("--profile", "smoke", "--experiments", "fig2", "--results-dir",
                  str(tmp_path / "results"), module="rethink_lib.make_runs")
    one_line_error(out, "is a file, not a directory", "nothing was trained")
    assert (tmp_path / "results").read_text() == "a file"


def _can_mount_read_only(folder) -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {folder} {folder} && "
                            f"mount -o remount,bind,ro {folder}"], capture_output=True)
    return probe.returncode == 0


def test_read_only_results_dir_is_one_line_before_training(tmp_path):
    """A real read-only file system (a private read-only bind mount), which even root
    cannot write."""
    ro = tmp_path / "ro"
    (ro / "results").mkdir(parents=True)
    if not shutil.which("unshare") or not _can_mount_read_only(ro):
        pytest.skip("cannot make a read-only bind mount here (needs unshare -m and root)")
    mount = ["unshare", "-m", "sh", "-c", f'mount --bind {ro} {ro} && '
             f'mount -o remount,bind,ro {ro} && exec "$@"', "sh"]
    out = run_cli("train", "--results-dir", str(ro / "results"), *TINY, prefix=mount)
    one_line_error(out, "is not writable: Read-only file system", "nothing was trained")
    out = run_cli("--profile", "smoke", "--experiments", "fig2", "--results-dir",
                  str(ro / "results"), module="rethink_lib.make_runs", prefix=mount)
    one_line_error(out, "Read-only file system", "nothing was trained")
    assert list((ro / "results").iterdir()) == []


def test_full_disk_while_checkpointing_is_one_line(tmp_path, monkeypatch, capsys):
    import rethink_lib.checkpoint as checkpoint_mod

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(checkpoint_mod.torch, "save", full)
    assert cli.main(["train", "--results-dir", str(tmp_path / "results"), *TINY]) == 2
    err = error_line(capsys.readouterr().err)
    assert err.startswith("error: cannot write checkpoint")
    assert "No space left on device (disk full)" in err
    ckpts = checkpoint_path(tiny_config(), tmp_path / "results").parent  # inside the store
    assert not [p.name for p in ckpts.iterdir() if not p.name.endswith((".lock", ".gitignore"))]


def test_full_disk_while_storing_is_one_line(tmp_path, monkeypatch, capsys):
    real_replace = os.replace

    def full(src, dst):
        if str(dst).endswith("summary.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)
    monkeypatch.setattr(os, "replace", full)
    assert cli.main(["train", "--results-dir", str(tmp_path / "results"), *TINY]) == 2
    err = error_line(capsys.readouterr().err)
    assert err.startswith(f"error: cannot store run {tiny_config().run_id}")
    assert "No space left on device (disk full)" in err
    run = tmp_path / "results" / tiny_config().run_id
    assert not list(run.glob("*.part")) and not (run / "summary.json").exists()


def test_planted_pickle_checkpoint_is_one_line_and_never_runs(tmp_path, capsys):
    class Planted:
        def __reduce__(self):
            return os.system, (f"touch {tmp_path / 'pwned'}",)
    ckpt = checkpoint_path(tiny_config(), tmp_path / "results")
    ckpt.parent.mkdir(parents=True)
    torch.save({"config": tiny_config().to_dict(), "x": Planted()}, ckpt)
    assert cli.main(["train", "--results-dir", str(tmp_path / "results"), *TINY]) == 2
    err = error_line(capsys.readouterr().err)
    assert "is unreadable or not plain data" in err
    assert not (tmp_path / "pwned").exists()


def test_damaged_stored_run_is_one_line(tmp_path, capsys):
    rdir = str(tmp_path / "results")
    assert cli.main(["train", "--results-dir", rdir, *TINY]) == 0
    capsys.readouterr()
    run = tmp_path / "results" / tiny_config().run_id
    (run / "summary.json").write_text("")
    assert cli.main(["train", "--results-dir", rdir, *TINY]) == 2
    err = error_line(capsys.readouterr().err)
    assert err == (f"error: stored run {run.name}: summary.json is unreadable (ValueError: is "
                   f"empty); delete {run} to rerun it")
