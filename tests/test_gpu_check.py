"""scripts/gpu_check.sh: its CPU smoke version runs and reports what it measured.

The CUDA version cannot run here (no GPU); this runs the same code on the CPU with small
sizes and checks every section's values, in the JSON and in the Markdown report.
"""
import importlib.util
import json
import math
import subprocess
from pathlib import Path

import pytest
import torch

from rethink_lib.train import resolve_precision

from .conftest import needs_fashion_mnist

ROOT = Path(__file__).resolve().parent.parent


def load_helper():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_max_overlap_counts_runs_at_the_same_time():
    overlap = load_helper().max_overlap
    assert overlap([]) == 0
    assert overlap([(0, 1), (1, 2)]) == 1  # one ends as the next starts
    assert overlap([(0, 3), (1, 2), (1.5, 4), (3.5, 5)]) == 3


def test_refuses_cuda_without_a_gpu(tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    out = subprocess.run(["bash", "scripts/gpu_check.sh", "--out", str(tmp_path / "x.md")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "--device cpu --quick" in out.stderr
    assert not (tmp_path / "x.md").exists()


@pytest.mark.slow
@needs_fashion_mnist
def test_quick_cpu_run_writes_every_section(tmp_path):
    out_md = tmp_path / "gpu.md"
    done = subprocess.run(["bash", "scripts/gpu_check.sh", "--device", "cpu", "--quick",
                           "--out", str(out_md)], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(out_md.with_suffix(".json").read_text())
    text = out_md.read_text()
    assert r["device"] == "cpu" and r["quick"] is True
    assert text.startswith(f"# GPU check: {r['device_name']}")

    b = r["bench"]["mlp_1x512"]
    assert b["ours_img_s"] > 0 and b["reference_img_s"] > 0
    assert b["ratio"] == pytest.approx(b["ours_img_s"] / b["reference_img_s"])
    assert f"| {b['reference_img_s']:,.0f} | {b['ours_img_s']:,.0f} |" in text

    assert [e["model"] for e in r["epochs"]] == ["mlp_1x512", "alexnet_small"]
    for e in r["epochs"]:
        assert e["extrapolated"] and e["steps_timed"] == 3
        # scaled: 391 steps of 128 images at the timed rate
        assert e["epoch_s"] == pytest.approx(e["seconds_timed"] * 391 / 3)
        # auto precision: fp32 on an AVX2 CPU, bf16 on a Xeon with AMX
        assert e["precision"] == resolve_precision("auto", torch.device("cpu"))
        assert f"| {e['model']} | {e['precision']} | False | {e['epoch_s']:.2f} (scaled) |" in text
    assert r["goal"]["best_epoch_s"] is None and r["goal"]["met"] is False
    assert "Small Inception was not timed here." in text

    s = r["sharing"]
    assert s["all_stored"] is True and s["runs"] == 2
    assert 1 <= s["max_concurrent"] <= 2
    assert s["speedup"] == pytest.approx(2 * s["alone_s"] / s["wall_s"])
    assert f"a speed-up of {s['speedup']:.2f}x" in text
    assert s["effective_epoch_s"] == pytest.approx(s["wall_s"] * 50_000 / (2 * 1 * 200))

    f = r["fit"]
    assert f["fitted"] is True and f["steps_to_fit"] is not None and f["n_train"] == 100
    assert math.isfinite(f["final_train_acc"]) and f["final_train_acc"] >= 0.9
    assert f"fitted True after {f['epochs']} epochs" in text


def test_gpu_queue_measures_each_model_in_the_precision_its_runs_use():
    """scripts/gpu_queue.py times each model at the precision of its cifar runs, so the
    workers' --stop-by reads a cost entry of the right precision."""
    from rethink_lib.experiments import QUEUE, all_configs, resolve
    spec = importlib.util.spec_from_file_location("gpu_queue", ROOT / "scripts" / "gpu_queue.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    groups = mod.precisions(mod.MODELS)
    assert sorted(m for ms in groups.values() for m in ms) == sorted(mod.MODELS)
    used = {(c.model, c.precision) for c in all_configs(resolve("cifar"), QUEUE)
            if c.model in mod.MODELS}
    assert used == {(m, p) for p, ms in groups.items() for m in ms}
    assert len(groups) == len({p for _, p in used})  # one timed group per precision used
