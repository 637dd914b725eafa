"""The store, its locks and checkpoints under hostile files (issue 26: F1-F3, F5-F7).

Each test reproduces one probe of the issue: it failed (crash, hang, silent reuse, a victim
file overwritten) on the code before the fix. Nothing here trains on real data except the
CLI probes (scikit-learn's digits, 50 images, 1 epoch); the rest use a synthetic 40-image
set (tests/test_store_faults.py). Loads that could hang run in a thread with a timeout, so a
regression fails instead of hanging the suite.
"""
import hashlib
import json
import os
import shutil
import threading
import types

import pytest
import torch

import rethink_lib.checkpoint as checkpoint_mod
import rethink_lib.runner as runner
from rethink_lib import code_version, make_runs, safe_io
from rethink_lib.checkpoint import CheckpointError
from rethink_lib.results import (ResultMismatchError, StoreError, checkpoint_path, load_result,
                                 save_result)
from rethink_lib.store_scan import scan_store
from rethink_lib.runner import get_or_run
from rethink_lib.store_lock import RunLock

from .test_cli import TINY, error_line, run_cli, tiny_config
from .test_store_faults import config_for, fake_train, store, stored_once  # noqa: F401


def within(seconds, fn, *args):
    """fn(*args) in a thread: its result, or its exception re-raised; fails if it hangs."""
    box = {}

    def call():
        try:
            box["value"] = fn(*args)
        except BaseException as err:  # noqa: BLE001 - handed to the test
            box["error"] = err
    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn.__name__} hung for {seconds} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def rechecksum(d, name):
    """Record `name`'s current sha256 in summary.json, as if the damage were made at store time."""
    s = json.loads((d / "summary.json").read_text())
    s["files"][name] = hashlib.sha256((d / name).read_bytes()).hexdigest()
    (d / "summary.json").write_text(json.dumps(s))


def refused(c, rdir) -> str:
    with pytest.raises(ResultMismatchError) as info:
        within(30, load_result, c, rdir)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"stored run {c.run_id}: ")
    assert text.endswith("to rerun it")
    return text


def queue(todo_configs, rdir):
    """make_runs' own loop over the configs (in this process), as a worker runs it."""
    args = types.SimpleNamespace(results_dir=rdir, device="cpu", stop_by=None)
    return make_runs.run_here([{"_config": c, "minutes": None} for c in todo_configs], args)


# ------------------------------------------------------------- F5: hostile files
def _deep_summary(d):
    (d / "summary.json").write_text("[" * 200_000 + "]" * 200_000)


def _deep_config(d):
    (d / "config.json").write_text("{\"a\": " * 200_000 + "1" + "}" * 200_000)
    rechecksum(d, "config.json")


def _fifo_summary(d):
    (d / "summary.json").unlink()
    os.mkfifo(d / "summary.json")


def _dev_zero_summary(d):
    (d / "summary.json").unlink()
    os.symlink("/dev/zero", d / "summary.json")


def _dev_zero_metrics(d):
    (d / "metrics.csv").unlink()
    os.symlink("/dev/zero", d / "metrics.csv")


def _long_csv_field(d):
    header = (d / "metrics.csv").read_text().splitlines()[0]
    (d / "metrics.csv").write_text(header + "\n" + "9" * 200_000 + "\n")
    rechecksum(d, "metrics.csv")


def _huge_summary(d):
    os.truncate(d / "summary.json", 64 << 20)  # sparse: 64 MB of zeros, no disk used


HOSTILE = [
    ("200,000-deep JSON summary", _deep_summary, "summary.json is JSON nested too deeply"),
    ("200,000-deep JSON config", _deep_config, "config.json is JSON nested too deeply"),
    ("FIFO as summary.json", _fifo_summary, "summary.json is a FIFO, not a regular file"),
    ("summary.json -> /dev/zero", _dev_zero_summary, "summary.json is a symbolic link"),
    ("metrics.csv -> /dev/zero", _dev_zero_metrics, "metrics.csv is a symbolic link"),
    ("200,000-character CSV field", _long_csv_field, "metrics.csv is not a CSV of a run "
                                                     "(field larger than field limit"),
    ("64 MB summary.json", _huge_summary, "summary.json is 67,108,864 bytes, over the"),
]


@pytest.mark.parametrize("damage,message", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_one_line_damage_report(store, damage, message):  # noqa: F811
    c, rdir, d = store
    damage(d)
    assert message in refused(c, rdir)
    entry, = within(30, scan_store, rdir)
    assert entry.result is None and entry.problem.startswith("damaged: ") and message in entry.problem


def test_the_queue_goes_on_past_a_hostile_run(store, monkeypatch, capsys):  # noqa: F811
    c, rdir, d = store
    _fifo_summary(d)  # hung the queue before
    other = config_for(level=1.0)
    monkeypatch.setattr(runner, "train", fake_train)
    failed = within(120, queue, [c, other], rdir)
    out = capsys.readouterr().out
    assert [f[0] for f in failed] == [c.run_id]
    assert "summary.json is a FIFO, not a regular file" in failed[0][1]
    assert f"{c.run_id}: NOT TRAINED, stored run {c.run_id}: summary.json is a FIFO" in out
    assert load_result(other, rdir) is not None  # the next run trained


# ------------------------------------------------------------- F6: writes and symlinks
def test_planted_lock_symlink_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    lock = RunLock(config_for(), tmp_path / "results")
    lock.path.parent.mkdir(parents=True)
    os.symlink(victim, lock.path)
    with pytest.raises(StoreError, match="is a symbolic link; remove it"):
        lock.acquire()
    assert victim.read_text() == "precious"


def test_the_queue_reports_a_planted_lock_symlink_and_goes_on(tmp_path, monkeypatch):
    rdir, victim = tmp_path / "results", tmp_path / "victim"
    victim.write_text("precious")
    planted, other = config_for(level=0.0), config_for(level=1.0)
    lock = RunLock(planted, rdir)
    lock.path.parent.mkdir(parents=True)
    os.symlink(victim, lock.path)
    monkeypatch.setattr(runner, "train", fake_train)
    failed = queue([planted, other], rdir)
    assert [f[0] for f in failed] == [planted.run_id] and "is a symbolic link" in failed[0][1]
    assert victim.read_text() == "precious" and load_result(other, rdir) is not None


def test_a_symlinked_checkpoint_folder_is_refused_before_training(tmp_path, monkeypatch):
    from rethink_lib.results import check_writable
    rdir, elsewhere = tmp_path / "results", tmp_path / "elsewhere"
    rdir.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, rdir / ".checkpoints")
    with pytest.raises(StoreError, match=r"\.checkpoints is a symbolic link; remove it"):
        check_writable(rdir)
    monkeypatch.setattr(runner, "train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(StoreError, match="symbolic link"):
        get_or_run(config_for(), rdir, device="cpu", progress=False)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("name", ["summary.json", "config.json", "metrics.csv"])
def test_planted_part_symlink_is_never_written_through(tmp_path, name):
    c, rdir = config_for(), tmp_path / "results"
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (rdir / c.run_id).mkdir(parents=True)
    os.symlink(victim, rdir / c.run_id / f"{name}.part")  # the old fixed temporary name
    out = fake_train(c, device="cpu", progress=False)
    r = save_result(c, out.metrics, out.step_losses, out.summary, rdir)
    assert victim.read_text() == "precious"
    assert r.summary["epochs"] == 2 and load_result(c, rdir) is not None


def test_temporary_names_are_unique_and_exclusive(tmp_path):
    target = tmp_path / "summary.json"
    names = {safe_io.temp_name(target) for _ in range(100)}
    assert len(names) == 100 and all(str(os.getpid()) in n.name for n in names)
    planted = safe_io.temp_name(target)
    os.symlink(tmp_path / "victim", planted)
    with pytest.raises(FileExistsError):  # O_EXCL|O_NOFOLLOW: never through a planted name
        safe_io.open_exclusive(planted)
    assert not (tmp_path / "victim").exists()


def test_symlinked_run_folder_is_refused(stored_once, tmp_path, monkeypatch):  # noqa: F811
    c, template = stored_once
    outside = tmp_path / "outside"
    shutil.copytree(template / c.run_id, outside)  # a complete, valid run, outside the store
    rdir = tmp_path / "results"
    rdir.mkdir()
    os.symlink(outside, rdir / c.run_id)
    assert "the run folder is a symbolic link" in refused(c, rdir)
    assert scan_store(rdir)[0].problem.startswith("damaged: the run folder is a symbolic link")
    (outside / "summary.json").unlink()  # incomplete: still refused, never trained into
    monkeypatch.setattr(runner, "train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(StoreError, match="symbolic link"):
        get_or_run(c, rdir, device="cpu", progress=False)


def test_symlinked_file_in_a_run_folder_is_refused(store, tmp_path):  # noqa: F811
    c, rdir, d = store
    copy = tmp_path / "config-copy.json"
    shutil.copy(d / "config.json", copy)
    (d / "config.json").unlink()
    os.symlink(copy, d / "config.json")  # same bytes, same checksum, but a link
    assert "config.json is a symbolic link" in refused(c, rdir)


# ------------------------------------------------------------- F7: a file for a folder
def test_a_file_where_the_run_folder_belongs_fails_before_training(tmp_path, monkeypatch):
    c, rdir = config_for(), tmp_path / "results"
    rdir.mkdir()
    (rdir / c.run_id).write_text("in the way")
    monkeypatch.setattr(runner, "train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(StoreError) as info:
        get_or_run(c, rdir, device="cpu", progress=False)
    assert str(info.value) == (f"stored run {c.run_id}: a file is where the run folder belongs, "
                               f"not a folder; delete {rdir / c.run_id} to rerun it")


def test_a_file_where_the_run_folder_belongs_is_one_line_in_the_cli(tmp_path):
    rdir = tmp_path / "results"
    rdir.mkdir()
    (rdir / tiny_config().run_id).write_text("in the way")
    out = run_cli("train", "--results-dir", str(rdir), *TINY)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "a file is where the run folder belongs" in error_line(out.stderr)
    assert not checkpoint_path(tiny_config(), rdir).exists()  # no epoch trained


def test_the_queue_reports_a_blocked_run_path_before_training_and_goes_on(tmp_path, monkeypatch,
                                                                         capsys):
    rdir = tmp_path / "results"
    blocked, other = config_for(level=0.0), config_for(level=1.0)
    rdir.mkdir()
    (rdir / blocked.run_id).write_text("in the way")

    def train_only_other(c, **kw):
        assert c == other, "trained the blocked run"
        return fake_train(c, **kw)
    monkeypatch.setattr(runner, "train", train_only_other)
    failed = queue([blocked, other], rdir)
    assert [f[0] for f in failed] == [blocked.run_id]
    assert "a file is where the run folder belongs" in failed[0][1]
    assert load_result(other, rdir) is not None


# ------------------------------------------------------------- F2: the CLI takes the lock
def test_cli_train_waits_for_the_run_lock_and_names_its_holder(tmp_path):
    import subprocess
    import sys
    rdir = tmp_path / "results"
    lock = RunLock(tiny_config(), rdir)
    assert lock.acquire()
    proc = subprocess.Popen([sys.executable, "-m", "rethink_lib", "train", "--results-dir",
                             str(rdir), *TINY], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stderr.readline()  # blocks until the CLI says why it waits
        assert f"{tiny_config().run_id}: waiting for PID {os.getpid()} (running)" in line
        assert load_result(tiny_config(), rdir) is None  # it did not train under our lock
        lock.release()
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert load_result(tiny_config(), rdir) is not None
    finally:
        lock.release()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_concurrent_stores_of_one_run_do_not_collide(tmp_path):
    c, rdir = config_for(), tmp_path / "results"
    out = fake_train(c, device="cpu", progress=False)
    barrier = threading.Barrier(4)

    def store_once():
        barrier.wait()
        return save_result(c, out.metrics, out.step_losses, out.summary, rdir)
    threads = [threading.Thread(target=lambda: results.append(store_once())) for _ in range(4)]
    results = []
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4 and load_result(c, rdir) is not None
    assert not list((rdir / c.run_id).glob("*.part")) and not list((rdir / c.run_id).glob(".*"))


# ------------------------------------------------------------- F3: checkpoints and code
@pytest.fixture
def half_trained(tmp_path):
    """A run killed after one of its two epochs: (config, checkpoint path)."""
    c = config_for(level=0.0)
    ckpt = tmp_path / "ck.pt"
    part = fake_train(c, device="cpu", progress=False, checkpoint=ckpt, stop_after_epochs=1)
    assert part.summary.get("interrupted") and ckpt.exists()
    return c, ckpt


@pytest.mark.parametrize("other", ["code", "torch"])
def test_resume_under_other_code_is_refused(half_trained, monkeypatch, other):
    c, ckpt = half_trained
    if other == "code":  # a model's code changed between the kill and the resume
        monkeypatch.setattr(checkpoint_mod, "code_fingerprint", lambda: "0123456789abcdef")
    else:
        monkeypatch.setattr(checkpoint_mod.torch, "__version__", "9.9.9")
    with pytest.raises(CheckpointError) as info:
        fake_train(c, device="cpu", progress=False, checkpoint=ckpt)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"checkpoint {ckpt} was written by other code")
    assert "delete it to restart the run from scratch" in text
    # where the code that wrote it is: the commit it recorded (this checkout's)
    commit = checkpoint_mod.git_commit()
    if commit:
        assert text.endswith(f"(written at commit {commit}: `git worktree add --detach DIR "
                             f"{commit}` and the same command there resumes it)")


@pytest.mark.parametrize("recorded, shown", [("fc58402a1b2c", True), ("; rm -rf /", False),
                                             ("", False), (None, False), (7, False)])
def test_a_refused_resume_names_the_recorded_commit_only_if_it_is_one(half_trained, monkeypatch,
                                                                     recorded, shown):
    c, ckpt = half_trained
    state = torch.load(ckpt, weights_only=True)
    state["git_commit"] = recorded
    torch.save(state, ckpt)
    monkeypatch.setattr(checkpoint_mod, "code_fingerprint", lambda: "0123456789abcdef")
    with pytest.raises(CheckpointError) as info:
        fake_train(c, device="cpu", progress=False, checkpoint=ckpt)
    text = str(info.value)
    assert ("written at commit fc58402a1b2c" in text) is shown
    assert "rm -rf" not in text and "\n" not in text


def test_checkpoint_without_a_code_fingerprint_is_refused(half_trained):
    c, ckpt = half_trained
    state = torch.load(ckpt, weights_only=True)
    assert state["code_fingerprint"] == code_version.code_fingerprint()
    assert state["torch_version"] == torch.__version__
    for key in ("code_fingerprint", "torch_version"):
        del state[key]
    torch.save(state, ckpt)  # as the code before the fix wrote it
    with pytest.raises(CheckpointError, match="training code unrecorded, torch unrecorded"):
        fake_train(c, device="cpu", progress=False, checkpoint=ckpt)


def _checkpoint_of_another_shape(rdir):
    """A checkpoint of tiny_config() whose model tensors are another model's."""
    from rethink_lib.models import create_model
    from rethink_lib.train import train
    c = tiny_config()
    ckpt = checkpoint_path(c, rdir)
    ckpt.parent.mkdir(parents=True)
    train(c, device="cpu", checkpoint=ckpt, progress=False)  # one epoch, checkpointed
    state = torch.load(ckpt, weights_only=True)
    state["model"] = create_model("mlp_3x512", num_classes=10).state_dict()
    torch.save(state, ckpt)
    return ckpt


def test_checkpoint_of_another_structure_names_the_file_in_the_cli(tmp_path, capsys):
    from rethink_lib import cli
    ckpt = _checkpoint_of_another_shape(tmp_path / "results")
    assert cli.main(["train", "--results-dir", str(tmp_path / "results"), *TINY]) == 2
    err = error_line(capsys.readouterr().err)
    assert err.startswith(f"error: checkpoint {ckpt} does not fit this run's model")
    assert err.endswith("delete it to restart the run from scratch")


def test_checkpoint_of_another_structure_names_the_file_in_the_queue(tmp_path, capsys):
    rdir = tmp_path / "results"
    ckpt = _checkpoint_of_another_shape(rdir)
    failed = queue([tiny_config()], rdir)
    assert failed[0][1].startswith(f"CheckpointError: checkpoint {ckpt} does not fit")
    assert f"FAILED CheckpointError: checkpoint {ckpt}" in capsys.readouterr().out


def test_the_fingerprint_covers_the_training_path_only(tmp_path, monkeypatch):
    names = {f.relative_to(code_version.PACKAGE).as_posix() for f in code_version.training_files()}
    assert {"train.py", "data.py", "corruptions.py", "checkpoint.py", "config.py",
            "models/mlp.py", "models/inception.py"} <= names
    assert not names & {"plan.py", "make_runs.py", "results.py", "report/findings/capacity.py",
                        "report/verdicts/core.py"}
    copy = tmp_path / "rethink_lib"
    shutil.copytree(code_version.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(code_version, "PACKAGE", copy)

    def fingerprint():
        code_version.code_fingerprint.cache_clear()
        return code_version.code_fingerprint()
    try:
        before = fingerprint()
        (copy / "plan.py").write_text((copy / "plan.py").read_text() + "\n# a comment\n")
        assert fingerprint() == before  # the book's plumbing is not training code
        mlp = copy / "models" / "mlp.py"
        code = mlp.read_text()
        # a comment, a blank line or a docstring changes no number: the checkpoint resumes
        mlp.write_text("# a comment\n\n" + code.replace('"""', '"""Edited. ', 1) + "\n#\n")
        assert fingerprint() == before
        mlp.write_text(code + "\nSCALE = 2\n")
        assert fingerprint() != before  # a model changed: old checkpoints are refused
        mlp.write_text(code.replace("nn.ReLU", "nn.GELU", 1))
        assert "nn.ReLU" in code and fingerprint() != before
    finally:
        monkeypatch.undo()
        code_version.code_fingerprint.cache_clear()
