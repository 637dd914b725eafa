"""The run queue's machine-spanning options: --cpu-precision, --first, and data staging that
two workers may start at once."""
import json
import subprocess
import sys

import pytest
import torch

from rethink_lib import data as data_mod
from rethink_lib import make_runs
from rethink_lib.config import CPU_PRECISION_ENV
from rethink_lib.train import resolve_precision

from .conftest import needs_fashion_mnist

CPU = torch.device("cpu")


@pytest.mark.parametrize("forced,expected", [("fp32", "fp32"), ("bf16", "bf16")])
def test_cpu_precision_env_decides_auto_only(monkeypatch, forced, expected):
    monkeypatch.setenv(CPU_PRECISION_ENV, forced)
    assert resolve_precision("auto", CPU) == expected
    other = {"fp32": "bf16", "bf16": "fp32"}[forced]
    assert resolve_precision(other, CPU) == other  # an explicit precision is never overridden


def test_cpu_precision_env_rejects_nonsense(monkeypatch):
    monkeypatch.setenv(CPU_PRECISION_ENV, "fp16")
    with pytest.raises(ValueError, match="must be fp32, bf16 or auto"):
        resolve_precision("auto", CPU)


def _plan(capsys, tmp_path, *args):
    assert make_runs.main(["--profile", "smoke", "--dry-run", "--json", "--results-dir",
                           str(tmp_path), *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_first_moves_named_runs_to_the_front_in_order(capsys, tmp_path):
    queue = [r["run_id"] for r in _plan(capsys, tmp_path)]
    a, b = queue[-1], queue[len(queue) // 2]
    reordered = [r["run_id"] for r in _plan(capsys, tmp_path, "--first", a, b[:-4])]
    assert reordered[:2] == [a, b]
    assert sorted(reordered) == sorted(queue) and len(reordered) == len(queue)
    assert [r for r in reordered[2:]] == [r for r in queue if r not in (a, b)]


def test_first_refuses_a_prefix_that_matches_nothing(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        make_runs.main(["--profile", "smoke", "--dry-run", "--results-dir", str(tmp_path),
                        "--first", "no_such_model"])
    assert exit_.value.code == 2
    assert "--first no_such_model: no run of the plan starts with it" in capsys.readouterr().err


@pytest.mark.parametrize("forced", ["fp32", "bf16"])
def test_cpu_precision_flag_prices_the_plan_in_that_precision(capsys, tmp_path, monkeypatch,
                                                              forced):
    monkeypatch.setenv(CPU_PRECISION_ENV, "auto")  # restored after the test
    assert make_runs.main(["--profile", "cpu", "--dry-run", "--device", "cpu", "--results-dir",
                           str(tmp_path), "--cpu-precision", forced]) == 0
    out = capsys.readouterr().out
    assert f"/ {forced})" in out.splitlines()[1]  # "(cost table: <machine> / <precision>)"


@needs_fashion_mnist
def test_staging_survives_a_second_worker_finishing_first(tmp_path, monkeypatch):
    """Two workers on a fresh machine stage the same files: the one that finishes first must
    not pull the other's half-written file away (it did: FileNotFoundError on the rename)."""
    real_copy, calls = data_mod.shutil.copyfileobj, []

    def copy_then_other_worker(src, dst, *a):
        real_copy(src, dst, *a)
        if not calls:  # while this worker has copied but not yet renamed its first file
            calls.append(1)
            subprocess.run([sys.executable, "-c", "from pathlib import Path; "
                            "from rethink_lib.data import _stage_debian_fashion_mnist as s; "
                            f"s(Path({str(tmp_path)!r}))"], check=True, timeout=120)

    monkeypatch.setattr(data_mod.shutil, "copyfileobj", copy_then_other_worker)
    data_mod._stage_debian_fashion_mnist(tmp_path)
    raw = tmp_path / "FashionMNIST" / "raw"
    names = sorted(p.name for p in raw.iterdir())
    assert names == sorted(g.name[:-3] for g in data_mod.DEBIAN_FASHION_MNIST.glob("*-ubyte.gz"))
    assert (raw / "t10k-labels-idx1-ubyte").stat().st_size == 10_008  # 8-byte header + labels


def test_cost_entry_falls_back_per_model_to_another_machine():
    from rethink_lib.costs import machine_entry
    table = {"machines": {"AMD / fp32": {"models": {"mlp_1x512": {}, "alexnet_small": {}}},
                          "Xeon / fp32": {"models": {"alexnet_small": {}}},
                          "Xeon / bf16": {"models": {"mlp_1x512": {}}}}}
    assert machine_entry(table, "Xeon", "fp32")[0] == "Xeon / fp32"
    assert machine_entry(table, "Xeon", "fp32", "alexnet_small")[0] == "Xeon / fp32"
    assert machine_entry(table, "Xeon", "fp32", "mlp_1x512")[0] == "AMD / fp32"
    assert machine_entry(table, "Xeon", "fp32", "inception_small") is None
    assert machine_entry(table, "EPYC", "bf16", "mlp_1x512")[0] == "Xeon / bf16"


def test_expected_epochs_uses_the_level_or_interpolates_between_stored_levels():
    from rethink_lib.config import RunConfig
    from rethink_lib.costs import EPOCH_GUESS, expected_epochs
    ev = {("inception_small", "labels", 0.0, False): 43,
          ("inception_small", "labels", 0.2, False): 50,
          ("inception_small", "labels", 1.0, False): 90,
          ("inception_small", "labels", 0.6, True): 10}  # augmented runs are another series
    run = lambda level, **kw: RunConfig(**{"model": "inception_small", "corruption": "labels",
                                           "level": level, "max_epochs": 150,
                                           "target_train_acc": 0.99, **kw})
    assert expected_epochs(run(0.2), ev) == 50  # stored: its own level
    assert expected_epochs(run(0.6), ev) == pytest.approx(70)  # halfway between 0.2 and 1.0
    assert expected_epochs(run(0.6, max_epochs=60), ev) == 60  # never past the cap
    assert expected_epochs(run(0.6), {k: v for k, v in ev.items() if k[2] < 0.5}) == \
        EPOCH_GUESS * 150  # nothing stored above it: the guess
    assert expected_epochs(run(0.6, target_train_acc=None, max_epochs=40), ev) == 40


@pytest.mark.parametrize("targets, counted", [
    ({"target_train_acc": 1.0, "target_train_loss": 0.01}, True),   # stops once fitted
    ({"target_train_acc": None, "target_train_loss": 0.01}, True),
    ({"target_train_acc": None, "target_train_loss": None}, False),  # a fixed-length curve
])
def test_evidence_counts_only_runs_that_stop_once_fitted(tmp_path, monkeypatch, targets,
                                                          counted):
    import rethink_lib.store_scan as store_scan
    from rethink_lib.config import RunConfig
    from rethink_lib.costs import evidence_from_store
    from rethink_lib.results import RunResult
    config = RunConfig(model="inception_small", corruption="labels", level=0.0, **targets)
    stored = RunResult(config, [], [], {"epochs": 100}, tmp_path / config.run_id)
    # the store's verified loader is the only source of evidence (a damaged run is none)
    monkeypatch.setattr(store_scan, "verified_results",
                        lambda d: [stored] if d == tmp_path else [])
    expected = {("inception_small", "labels", 0.0, False): 100} if counted else {}
    assert evidence_from_store(tmp_path) == expected


@pytest.mark.parametrize("flags,isa", [
    ({"avx2", "avx512f", "avx512_bf16", "amx_bf16"}, "AMX"),
    ({"avx2", "avx512f", "avx512_bf16"}, "AVX-512 BF16"),
    ({"avx2", "avx512f"}, "AVX-512"),
    ({"avx2", "fma"}, "AVX2"),
    ({"sse2"}, ""),
])
def test_cpu_isa_names_the_widest_instruction_set(flags, isa):
    from rethink_lib.metrics import cpu_isa
    assert cpu_isa(flags) == isa


@pytest.mark.parametrize("native,expected", [(True, None), (False, "alexnet_small")])
def test_emulated_bf16_note_only_where_bf16_is_emulated(monkeypatch, native, expected):
    from rethink_lib import train
    from rethink_lib.config import RunConfig
    from rethink_lib.planner import emulated_bf16_note
    monkeypatch.setattr(train, "cpu_has_bf16", lambda: native)
    runs = [RunConfig(model="alexnet_small", precision="bf16"),
            RunConfig(model="mlp_1x512", precision="fp32")]
    note = emulated_bf16_note(runs, "cpu")
    if expected is None:
        assert note is None
    else:
        assert note.startswith("note: 1 of these runs train in bf16 (alexnet_small)")
        assert "mlp_1x512" not in note
    assert emulated_bf16_note(runs[1:], "cpu") is None  # fp32 runs: nothing to say


def test_machine_name_carries_the_instruction_set(monkeypatch):
    from rethink_lib import costs, metrics
    monkeypatch.setattr(metrics, "cpu_name", lambda: "AMD EPYC")
    monkeypatch.setattr(metrics, "cpu_flags", lambda: {"avx2"})
    assert costs.machine_name("cpu") == "AMD EPYC (AVX2)"
    monkeypatch.setattr(metrics, "cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})
    assert costs.machine_name("cpu") == "AMD EPYC (AVX-512 BF16)"


def test_dry_run_shows_how_far_a_checkpointed_run_got(capsys, tmp_path):
    from rethink_lib.checkpoint import save_checkpoint
    from rethink_lib.ops.progress import checkpoint_progress, progress_phrase
    from rethink_lib.results import checkpoint_path, ensure_checkpoint_dir
    rows = make_runs.plan("smoke", results_dir=tmp_path)
    started, other = rows[0]["_config"], rows[1]["_config"]
    ensure_checkpoint_dir(tmp_path)
    save_checkpoint(checkpoint_path(started, tmp_path),
                    {"config": started.to_dict(), "epoch": 1, "wall_seconds": 5400.0, "threads": 2})
    checkpoint_path(other, tmp_path).write_bytes(b"not a checkpoint")
    got = checkpoint_progress(started, tmp_path)
    assert got == {"epoch": 1, "max_epochs": started.max_epochs, "threads": 2, "hours": 1.5}
    assert progress_phrase(got) == (f"checkpoint: epoch 1 of at most {started.max_epochs}, "
                                    "1.5 h so far; resume with --threads 2")
    assert checkpoint_progress(other, tmp_path)["problem"].startswith("unreadable checkpoint")
    assert checkpoint_progress(rows[2]["_config"], tmp_path) is None and progress_phrase(None) == ""
    plan = {r["run_id"]: r["checkpoint"] for r in _plan(capsys, tmp_path)}
    assert plan[started.run_id]["epoch"] == 1 and plan[rows[2]["run_id"]] is None
    # another config's checkpoint under this run's name is said, not trusted
    save_checkpoint(checkpoint_path(other, tmp_path),
                    {"config": started.to_dict(), "epoch": 1, "wall_seconds": 1.0, "threads": 1})
    assert checkpoint_progress(other, tmp_path) == {"problem": "checkpoint of another config"}
    assert make_runs.main(["--profile", "smoke", "--dry-run", "--results-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert f"{started.run_id}  (checkpoint: epoch 1 of at most" in text
    assert f"{other.run_id}  (checkpoint of another config)" in text


def test_dry_run_says_which_code_a_checkpoint_resumes_under(tmp_path, monkeypatch):
    """A checkpoint written by other training code: the dry run says so, with the commit it
    recorded, instead of a bare 'resume with' that the queue would then refuse."""
    import torch

    from rethink_lib import checkpoint as ck
    from rethink_lib.ops.progress import checkpoint_progress, progress_phrase
    from rethink_lib.results import checkpoint_path, ensure_checkpoint_dir
    config = make_runs.plan("smoke", results_dir=tmp_path)[0]["_config"]
    ensure_checkpoint_dir(tmp_path)
    path = checkpoint_path(config, tmp_path)
    ck.save_checkpoint(path, {"config": config.to_dict(), "epoch": 3, "wall_seconds": 36.0,
                              "threads": 1})
    assert "other_code" not in checkpoint_progress(config, tmp_path)  # this code wrote it
    for recorded, at in (("fc58402abcde", " at commit fc58402abcde"), ("$(boom)", "")):
        state = torch.load(path, weights_only=True)
        state.update(code_fingerprint="0123456789abcdef", git_commit=recorded)
        torch.save(state, path)
        got = checkpoint_progress(config, tmp_path)
        assert got["other_code"] == at.removeprefix(" at commit ")
        assert progress_phrase(got).endswith(
            f"resume with --threads 1, under the training code that wrote it{at} (this "
            "checkout's differs and would refuse it)")


@pytest.mark.parametrize("native", [True, False])
def test_make_runs_skips_emulated_bf16_runs_unless_asked(tmp_path, monkeypatch, capsys, native):
    """On a CPU without native bf16 a run fixed at bf16 is skipped (listed, not trained, not
    counted as missing); --include-emulated puts it back in the queue with the warning."""
    import dataclasses

    from rethink_lib import make_runs, train
    monkeypatch.setattr(train, "cpu_has_bf16", lambda: native)
    real = make_runs.plan

    def plan(*a, **k):  # the smoke profile's runs are fp32: make the first MLP run bf16
        rows = real(*a, **k)
        first = next(r for r in rows if r["_config"].model == "mlp_1x512")
        c = dataclasses.replace(first["_config"], precision="bf16")
        first.update(run_id=c.run_id, _config=c, config=c.to_dict())
        return rows
    monkeypatch.setattr(make_runs, "plan", plan)
    args = ["--profile", "smoke", "--device", "cpu", "--results-dir", str(tmp_path), "--dry-run",
            "--models", "mlp_1x512", "--experiments", "fig1bc"]
    assert make_runs.main(args) == 0
    out = capsys.readouterr().out
    head, rows = out.splitlines()[0], out.splitlines()[1:]
    skipped = [line for line in rows if line.strip().startswith("skipped")]
    if native:
        assert not skipped and "skipped" not in head
    else:
        assert len(skipped) == 1, out
        assert "1 skipped (bf16, which this CPU only emulates; --include-emulated" in head
    assert make_runs.main(args + ["--include-emulated"]) == 0
    out = capsys.readouterr().out
    assert "skipped" not in out
    assert ("train in bf16 (mlp_1x512)" in out) is (not native)  # the warning instead
