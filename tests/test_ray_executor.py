"""The Ray executor of the run queue (rethink_lib/executors).

Fast tests need no Ray: settings, the file transfer of a run and the worker function
itself. The slow ones start a local Ray with 2 CPUs and run the smoke profile's MLP runs
through `make_runs --executor ray`, with a worker that dies mid-run and a run that always
raises, and compare the store with the default executor's.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rethink_lib import make_runs
from rethink_lib.config import RunConfig
from rethink_lib.executors import run_with
from rethink_lib.executors.ray_exec import RaySettings, parse_gpus, task_options, train_task
from rethink_lib.executors.transfer import check_run_files, read_run_files, write_run_files
from rethink_lib.experiments import all_configs, resolve
from rethink_lib.results import ResultMismatchError, load_result
from .conftest import needs_fashion_mnist

ROOT = Path(__file__).resolve().parent.parent
TIME_KEYS = {"wall_seconds", "eval_seconds"}  # the only values that may differ between runs
# the smoke profile's MLP runs of Fig. 1b/c: corruption levels 0, 0.5 and 1
SMOKE = ["--profile", "smoke", "--experiments", "fig1bc", "--models", "mlp_1x512"]


def tiny_config(**kw):
    return RunConfig(**{**dict(dataset="digits", n_train=60, n_test=40, max_epochs=2,
                               precision="fp32", corruption="labels", level=1.0), **kw})


def assert_same_results(a, b):
    """Equal metrics, steps and summaries except wall-clock times (and the checksum of
    metrics.csv, which holds those times)."""
    assert a.config == b.config
    assert a.step_losses == b.step_losses
    assert len(a.metrics) == len(b.metrics)
    for ra, rb in zip(a.metrics, b.metrics):
        assert {k: v for k, v in ra.items() if k not in TIME_KEYS} == \
               {k: v for k, v in rb.items() if k not in TIME_KEYS}
    skip = TIME_KEYS | {"files"}
    assert {k: v for k, v in a.summary.items() if k not in skip} == \
           {k: v for k, v in b.summary.items() if k not in skip}
    assert a.summary["files"]["steps.csv"] == b.summary["files"]["steps.csv"]


# ------------------------------------------------------------------- no Ray needed
def test_settings_from_environment():
    s = RaySettings.from_env({})
    assert (s.address, s.cpus_per_run, s.max_retries, s.shared_fs) == (None, 1, 2, "auto")
    assert s.gpus_for("inception_small") == 0.5 and s.gpus_for("mlp_3x512") == 0.125
    s = RaySettings.from_env({"RAY_ADDRESS": "ray://head:10001", "RETHINK_RAY_GPUS": "0.25",
                              "RETHINK_RAY_RETRIES": "0", "RETHINK_RAY_SHARED_FS": "no"})
    assert (s.address, s.max_retries, s.shared_fs) == ("ray://head:10001", 0, "no")
    assert s.gpus_for("alexnet_small") == 0.25
    assert parse_gpus("inception=1, mlp=0.2") == {"inception": 1.0, "mlp": 0.2}
    for env, match in (({"RETHINK_RAY_GPUS": "0"}, "RETHINK_RAY_GPUS"),
                       ({"RETHINK_RAY_GPUS": "mlp=1.5"}, "RETHINK_RAY_GPUS"),
                       ({"RETHINK_RAY_SHARED_FS": "maybe"}, "RETHINK_RAY_SHARED_FS"),
                       ({"RETHINK_RAY_RETRIES": "-1"}, "RETHINK_RAY_RETRIES"),
                       ({"RETHINK_RAY_CPUS": "two"}, "RETHINK_RAY_CPUS")):
        with pytest.raises(ValueError, match=match):
            RaySettings.from_env(env)


@pytest.mark.parametrize("env,expected", [({}, None),
                                          ({"RETHINK_CPU_PRECISION": "fp32"}, "fp32")])
def test_task_options_carry_the_cpu_precision_to_other_nodes(env, expected):
    c = RunConfig(model="alexnet_small", dataset="digits", n_train=50)
    settings = RaySettings.from_env({"RETHINK_RAY_GPUS": "alexnet=0.5"})
    opts = task_options(c, settings, 2, use_gpu=True, env=env)
    assert opts["num_cpus"] == 2 and opts["num_gpus"] == 0.5
    assert opts["name"] == f"train {c.run_id}"
    got = opts.get("runtime_env", {}).get("env_vars", {}).get("RETHINK_CPU_PRECISION")
    assert got == expected


def test_worker_without_shared_store_returns_files_the_driver_writes(tmp_path):
    """train_task (called directly) trains into its scratch store, returns the four files
    and clears its copy; write_run_files stores them byte for byte; tampering is refused."""
    c = tiny_config()
    store = tmp_path / "store"
    out = train_task(c.to_dict(), str(store), "cpu", 1, None, "auto", str(tmp_path / "scratch"))
    assert (out["status"], out["shared"], out["error"]) == ("files", False, None)
    assert set(out["files"]) == {"config.json", "metrics.csv", "steps.csv", "summary.json"}
    assert not list((tmp_path / "scratch").glob("*/results/*/summary.json"))
    stored = write_run_files(c, out["files"], store)
    assert stored.summary["epochs"] == 2 and load_result(c, store) is not None
    assert read_run_files(c, store) == out["files"]
    bad = dict(out["files"], **{"steps.csv": out["files"]["steps.csv"] + "99,0.5\n"})
    with pytest.raises(ResultMismatchError, match="steps.csv differs from its checksum"):
        check_run_files(c, bad)
    with pytest.raises(ResultMismatchError, match="another config"):
        check_run_files(tiny_config(seed=1), out["files"])
    with pytest.raises(ResultMismatchError, match="lack"):
        check_run_files(c, {"config.json": "{}"})


def test_worker_sees_the_store_through_the_probe(tmp_path):
    """With the driver's probe file visible, the worker stores the run itself."""
    c = tiny_config(seed=3)
    store = tmp_path / "results"
    store.mkdir()
    probe = {"name": ".ray-probe-x", "token": "t0k"}
    (store / probe["name"]).write_text("t0k")
    out = train_task(c.to_dict(), str(store), "cpu", 1, probe, "auto", str(tmp_path / "s"))
    assert (out["status"], out["shared"], out["files"]) == ("stored", True, None)
    assert load_result(c, store).summary["threads"] == 1
    with pytest.raises(RuntimeError, match="RETHINK_RAY_SHARED_FS=no"):
        train_task(c.to_dict(), str(tmp_path / "elsewhere"), "cpu", 1, probe, "yes",
                   str(tmp_path / "s"))


def test_default_path_does_not_import_ray():
    code = ("import sys, rethink_lib.make_runs, rethink_lib.executors; "
            "sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_missing_ray_is_one_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert run_with("ray", [tiny_config()], "unused") == 2
    assert "pip install -e .[ray]" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown executor 'dask'"):
        run_with("dask", [], "unused")


# -------------------------------------------------------------------- a local Ray
@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install -e .[ray])")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def smoke_configs():
    return [c for c in all_configs(resolve("smoke"), ["fig1bc"]) if c.model == "mlp_1x512"]


@pytest.mark.slow
@needs_fashion_mnist
@pytest.mark.parametrize("shared_fs", ["auto", "no"])
def test_ray_fills_the_store_like_the_local_executor_through_faults(
        local_ray, tmp_path, monkeypatch, capsys, shared_fs):
    configs = smoke_configs()
    assert [c.level for c in configs] == [0.0, 0.5, 1.0]
    crash, fail = configs[1].run_id, configs[2].run_id
    faults = tmp_path / "faults"
    faults.mkdir()
    store = tmp_path / "ray" / "results"
    monkeypatch.setenv("RETHINK_RAY_SHARED_FS", shared_fs)
    monkeypatch.setenv("RETHINK_RAY_SCRATCH", str(tmp_path / "scratch"))
    monkeypatch.setenv("RETHINK_RAY_FAULT", json.dumps(
        {"dir": str(faults), "crash_once": [crash], "raise": [fail]}))
    argv = SMOKE + ["--results-dir", str(store), "--executor", "ray"]

    # 1. one worker dies after an epoch (os._exit), one run raises on every attempt
    assert make_runs.main(argv) == 1
    out = capsys.readouterr().out
    assert "3 to train" in out and "1 failed, 1 missing" in out
    assert f"FAILED {fail}: RuntimeError: injected failure (attempt 3)" in out
    assert (faults / f"{crash}.attempts").read_text().count("\n") == 2  # died, then resumed
    assert (faults / f"{fail}.attempts").read_text().count("\n") == 3   # 1 + 2 retries
    assert load_result(configs[2], store) is None
    kept = {c.run_id: (store / c.run_id / "summary.json").stat().st_mtime_ns
            for c in configs[:2]}
    way = "stored by the worker" if shared_fs == "auto" else "written by the driver"
    assert out.count(way) == 2

    # 2. the driver again, faults gone: only the missing run is trained
    monkeypatch.delenv("RETHINK_RAY_FAULT")
    assert make_runs.main(argv) == 0
    out = capsys.readouterr().out
    assert "1 to train" in out and "0 failed, 0 missing" in out
    assert {c.run_id: (store / c.run_id / "summary.json").stat().st_mtime_ns
            for c in configs[:2]} == kept
    assert not list(store.glob(".ray-probe-*"))
    # run folders only: a store keeps its checkpoints in .checkpoints/ (left empty once done)
    assert sorted(p.name for p in store.iterdir() if not p.name.startswith(".")) == \
        sorted(c.run_id for c in configs)

    # 3. the default executor (one thread, as each Ray task) gives the same numbers
    local = tmp_path / "local" / "results"
    done = subprocess.run([sys.executable, "-m", "rethink_lib.make_runs", *SMOKE,
                           "--results-dir", str(local), "--threads", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    for c in configs:
        assert_same_results(load_result(c, store), load_result(c, local))


@pytest.mark.slow
def test_ray_refuses_cuda_without_gpus(local_ray, tmp_path, capsys):
    c = tiny_config()
    assert run_with("ray", [c], tmp_path / "results", device="cuda") == 2
    assert "the Ray cluster has no GPU" in capsys.readouterr().err
    assert load_result(c, tmp_path / "results") is None


# ------------------------------------------------------------- the runbook's estimate
def test_estimate_per_image_costs_follow_the_stated_formula(tmp_path):
    from rethink_lib.executors import estimate as est
    entry = est.model_costs(["mlp_1x512"], 0.3)["models"]["mlp_1x512"]
    ops = est.ops_per_step("mlp_1x512")
    assert 30 < ops < 100  # forward, backward and fused SGD of 2 Linear layers
    flops = entry["train_gflop_per_image"] * 1e9
    assert entry["train_s_per_1k"] == max(1000 * flops / (est.H100_BF16_PEAK * 0.3),
                                          1000 / 128 * ops * est.OP_OVERHEAD_S)
    assert entry["source"] == "FLOPs" and entry["eval_s_per_1k"] < entry["train_s_per_1k"]
    # a measured full-epoch time from a CUDA gpu_check replaces the extrapolation
    report = {"device": "cuda", "quick": False, "epochs": [
        {"model": "mlp_1x512", "epoch_s": 0.5, "extrapolated": False},
        {"model": "mlp_1x512", "epoch_s": 0.4, "extrapolated": False},
        {"model": "alexnet_small", "epoch_s": 0.1, "extrapolated": True}]}
    (tmp_path / "b.json").write_text(json.dumps(report))
    measured = est.measured_epochs(tmp_path / "b.json")
    assert measured == {"mlp_1x512": 0.4}
    entry = est.model_costs(["mlp_1x512"], 0.3, measured)["models"]["mlp_1x512"]
    assert (entry["source"], entry["train_s_per_1k"]) == ("measured", 0.4 / 50)
    (tmp_path / "q.json").write_text(json.dumps(dict(report, quick=True)))
    assert est.measured_epochs(tmp_path / "q.json") == {}


@pytest.mark.slow
def test_runbook_estimate_is_the_current_one():
    """docs/runbook-ray.md's GPU-hours block is what the code computes now."""
    from rethink_lib.executors import estimate as est
    text = (ROOT / "docs" / "runbook-ray.md").read_text()
    block = text.split(est.BEGIN)[1].split(est.END)[0].strip()
    now = est.markdown(est.estimate("paper", est.measured_epochs()), 8)
    assert block == now, ("stale estimate: python -m rethink_lib.executors.estimate "
                          "--gpus 8 --write docs/runbook-ray.md")
    assert "not a measurement" in block
