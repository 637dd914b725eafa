"""Inputs checked before anything trains, and the queue's behaviour around it (issue 26: F4, F8).

Each test reproduces one probe of the issue that failed before the fix (a run trained, then
a traceback; a traceback for a bad device; a lock folder created beside a file; an empty
--models meaning every model; a silent wait; a Ctrl-C traceback). The chapter probes build
a plan only (nothing trains); the CLI probes run `python -m rethink_lib` in a subprocess
and stop before training; the Ctrl-C probes train scikit-learn's digits for a few seconds.
"""
import errno
import os
import signal
import subprocess
import sys
import threading
import time
import types

import pytest
import torch

import rethink_lib.results as results
import rethink_lib.runner as runner
from rethink_lib import make_runs, store_lock
from rethink_lib.chapter_params import ParameterError
from rethink_lib.config import RunConfig
from rethink_lib.plan import chapter_plan
from rethink_lib.results import checkpoint_path, load_result
from rethink_lib.store_lock import RunLock

from .test_cli import TINY, error_line, run_cli
from .test_rerun import namespace, stores  # noqa: F401
from .test_store_faults import config_for, fake_train

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")


def _read_only(*a, **k):
    raise OSError(errno.EROFS, "Read-only file system")


# ------------------------------------------------------------- F4: the plan cell
PLAN_PROBES = [  # (id, parameters, what the one line says)
    pytest.param({"n_train": "70000"}, r"n_train [\d,]+ is more than the 60,000 training "
                 r"images of fashion_mnist, so it cannot take a subset", id="n_train 70000"),
    pytest.param({"device": "bogus"}, "device must be a device name .*'bogus'",
                 id="device bogus"),  # (the settings check had this one already)
    pytest.param({"device": "cuda"}, "device 'cuda': this machine has no CUDA device",
                 marks=NO_CUDA, id="device cuda"),
    pytest.param({"capacity_models": "[]"}, "capacity_models: an empty list leaves its figures "
                 "without runs; name at least one model", id="capacity_models []"),
    pytest.param({"results_dir": ""}, "results_dir: '' would be the current folder",
                 id="results_dir ''"),
    pytest.param({"results_dir": "FILE"}, "is a file, not a directory; nothing was trained",
                 id="results_dir a file"),
    pytest.param({"results_dir": "FILE/sub"}, "Not a directory", id="results_dir below a file"),
    pytest.param({"results_dir": "RO"}, "is not writable: Read-only file system",
                 id="results_dir read-only"),
]


@pytest.mark.parametrize("params,message", PLAN_PROBES)
def test_the_plan_cell_checks_every_input_before_training(stores, tmp_path, monkeypatch,  # noqa: F811
                                                          params, message):
    import re
    afile = tmp_path / "passwd"
    afile.write_text("root:x:0:0")
    before = sorted(p.name for p in tmp_path.iterdir())
    if params.get("results_dir") == "RO":
        monkeypatch.setattr(results.tempfile, "TemporaryFile", _read_only)
        params = {**params, "results_dir": str(tmp_path / "ro")}
    elif "FILE" in str(params.get("results_dir")):
        params = {**params, "results_dir": params["results_dir"].replace("FILE", str(afile))}
    monkeypatch.setattr(runner, "train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(ParameterError) as info:
        chapter_plan("02_capacity", namespace("02_capacity", profile="smoke", **params))
    text = str(info.value)
    assert "\n" not in text and re.search(message, text), text
    # nothing created: no lock or checkpoint folder beside a file, no store
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert afile.read_text() == "root:x:0:0"


def test_a_plan_with_good_inputs_still_builds(stores):  # noqa: F811
    plan = chapter_plan("02_capacity", namespace("02_capacity", profile="smoke",
                                                 report_bn_models="[]"))  # allowed: paper's
    assert plan.to_train and not any(r["model"] == "alexnet_small" and "BatchNorm" in
                                     ", ".join(r["figures"]) for r in plan.rows.values())


# ------------------------------------------------------------- F4 / F8: the CLI
CLI_PROBES = [  # (id, arguments, what stderr says)
    pytest.param(["--device", "bogus"], "device 'bogus' is not a device name",
                 id="--device bogus"),
    pytest.param(["--device", "cuda"], "device 'cuda': this machine has no CUDA device",
                 marks=NO_CUDA, id="--device cuda"),
    pytest.param(["--n-train", "5000"], "n_train 5,000 is more than the 1,497 training images "
                 "of digits", id="--n-train 5000 of digits"),
    pytest.param(["--results-dir", ""], "the results folder is ''", id="--results-dir ''"),
    pytest.param(["--seed", str(2 ** 64)], "argument --seed: the seed must be in [0, ",
                 id="--seed 2**64"),
]


@pytest.mark.parametrize("args,message", CLI_PROBES)
def test_cli_refuses_bad_inputs_before_training(tmp_path, args, message):
    tiny = [a for a in TINY if a not in ("--device", "cpu")]
    out = run_cli("train", "--results-dir", str(tmp_path / "results"), *tiny, *args,
                  cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert message in out.stderr.strip().splitlines()[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created, cwd included


# ------------------------------------------------------------- F8: the queue's options
@pytest.mark.parametrize("args,message", [
    (["--models"], "--models: name at least one model"),
    (["--results-dir", ""], "--results-dir: empty (it would be the current folder)"),
])
def test_make_runs_refuses_empty_options(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as info:
        make_runs.main(["--profile", "smoke", "--experiments", "fig2", "--dry-run",
                        "--results-dir", str(tmp_path / "results"), *args])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_make_runs_refuses_a_bogus_device_in_one_line(tmp_path, capsys):
    assert make_runs.main(["--profile", "smoke", "--experiments", "fig2", "--dry-run",
                           "--device", "bogus", "--results-dir", str(tmp_path)]) == 2
    assert error_line(capsys.readouterr().err).startswith("error: device 'bogus' is not a")


def test_sibling_stores_keep_their_own_checkpoints(tmp_path):
    c = RunConfig()
    a, b = tmp_path / "a", tmp_path / "b"
    assert checkpoint_path(c, a) != checkpoint_path(c, b)
    assert checkpoint_path(c, a).is_relative_to(a) and RunLock(c, b).path.is_relative_to(b)


# ------------------------------------------------------------- F8: waiting on a held run
HOLDER = ("import sys, time\nfrom rethink_lib.store_lock import RunLock\n"
          "from rethink_lib.config import RunConfig\n"
          "from tests.test_store_faults import config_for\n"
          "assert RunLock(config_for(), sys.argv[1]).acquire()\n"
          "print('held', flush=True)\ntime.sleep(600)\n")


@pytest.fixture
def stopped_holder(tmp_path):
    """A process that holds config_for()'s run lock in tmp_path/results and is stopped."""
    rdir = tmp_path / "results"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(rdir)], stdout=subprocess.PIPE,
                            text=True, cwd=root)
    try:
        assert proc.stdout.readline().strip() == "held"
        proc.send_signal(signal.SIGSTOP)
        yield proc, rdir
    finally:
        proc.kill()
        proc.wait()


def test_a_waiting_worker_names_the_stopped_holder_and_takes_over_when_it_is_gone(
        stopped_holder, monkeypatch, capsys):
    proc, rdir = stopped_holder
    monkeypatch.setattr(store_lock, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(runner, "train", fake_train)
    c = config_for()
    killer = threading.Timer(2.0, proc.kill)  # the stopped worker is ended meanwhile
    killer.start()
    args = types.SimpleNamespace(results_dir=rdir, device="cpu", stop_by=None)
    failed = make_runs.run_here([{"_config": c, "minutes": None}], args)
    killer.join()
    out = capsys.readouterr().out
    assert failed == []
    assert f"[1/1] {c.run_id}: another worker has it" in out
    assert (f"[1/1] {c.run_id}: waiting for PID {proc.pid} (stopped, resume it with "
            f"`kill -CONT {proc.pid}` or end it), which holds its lock") in out
    assert f"[1/1] {c.run_id}: train " in out and load_result(c, rdir) is not None


# ------------------------------------------------------------- F8: Ctrl-C and SIGTERM
@pytest.mark.parametrize("sig,code,why", [(signal.SIGINT, 130, "Ctrl-C"),
                                          (signal.SIGTERM, 143, "SIGTERM")])
def test_interrupt_is_one_line_and_keeps_the_checkpoint(tmp_path, sig, code, why):
    rdir = tmp_path / "results"
    args = ["train", "--results-dir", str(rdir), "--dataset", "digits", "--n-train", "1000",
            "--n-test", "100", "--epochs", "400", "--precision", "fp32", "--device", "cpu"]
    config = RunConfig(dataset="digits", n_train=1000, n_test=100, max_epochs=400,
                       precision="fp32")
    proc = subprocess.Popen([sys.executable, "-m", "rethink_lib", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        ckpt = checkpoint_path(config, rdir)
        deadline = time.time() + 240
        while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert ckpt.exists(), "no epoch was checkpointed"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        f"stopped ({why}): finished runs are stored; the run in progress resumes from its last "
        "checkpointed epoch when the same command is rerun"]
    state = torch.load(ckpt, weights_only=True)  # kept, whole
    assert state["epoch"] >= 1 and state["config"] == config.to_dict()
    assert RunLock(config, rdir).acquire()  # the lock went with the process


@pytest.fixture
def ctrl_c_as_in_a_terminal():
    """SIGINT handled as Python does in a terminal (KeyboardInterrupt), even where pytest was
    started in the background by a shell that set it to be ignored (`cmd &`)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_as_in_a_terminal")
@pytest.mark.parametrize("sig,code,why", [(signal.SIGINT, 130, "Ctrl-C"),
                                          (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_during_a_checkpoint_write_stops_after_the_write(tmp_path, monkeypatch, sig,
                                                                  code, why):
    # CI once sent SIGTERM while torch.save was writing: torch turned it into "unexpected
    # pos ... (disk full or read-only?)" and the run exited 2. The signal must wait for the write.
    from rethink_lib import checkpoint, interrupts
    real_save = torch.save

    def save_and_signal(obj, f):
        f.write(b"")
        os.kill(os.getpid(), sig)  # arrives mid-write
        time.sleep(0.05)
        real_save(obj, f)
    monkeypatch.setattr(checkpoint.torch, "save", save_and_signal)
    path = tmp_path / "run.pt"
    assert interrupts.stoppable(checkpoint.save_checkpoint, path, {"epoch": 3}) == code
    assert torch.load(path, weights_only=True)["epoch"] == 3  # written whole before stopping
    assert not list(tmp_path.glob(".*.part"))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_held_signals_are_delivered_to_the_handler_in_place_after_the_block():
    from rethink_lib import interrupts
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with interrupts.held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            assert seen == []  # held inside
        assert seen == [signal.SIGTERM]  # delivered once, after
        with interrupts.held():
            pass
        assert seen == [signal.SIGTERM]  # nothing invented
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("ctrl_c_as_in_a_terminal")
def test_a_second_signal_during_a_held_write_goes_through_at_once():
    from rethink_lib import interrupts
    reached_end = False
    with pytest.raises(KeyboardInterrupt):
        with interrupts.held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # held
            os.kill(os.getpid(), signal.SIGINT)  # insists: a hung write stays interruptible
            time.sleep(0.05)
            reached_end = True
    assert not reached_end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("stop,code,why", [(KeyboardInterrupt, 130, "Ctrl-C"),
                                           ("Terminated", 143, "SIGTERM")])
def test_the_queue_stops_in_one_line(monkeypatch, capsys, stop, code, why):
    from rethink_lib import interrupts
    stop = getattr(interrupts, stop) if isinstance(stop, str) else stop

    def interrupted(argv):
        raise stop()
    monkeypatch.setattr(make_runs, "_main", interrupted)
    assert make_runs.main([]) == code
    assert capsys.readouterr().err.splitlines() == [interrupts.LINE.format(why=why)]

