import json

import pytest
import torch

from rethink_lib.config import RunConfig
from rethink_lib.data import Dataset, Split
from rethink_lib.results import ResultMismatchError, load_result
from rethink_lib.runner import get_or_run
from rethink_lib.train import TrainingDivergedError, cpu_has_bf16, train

from .conftest import needs_fashion_mnist


def synthetic_dataset(n=64, seed=0, n_test=32):
    """Random images and labels in the stored layout (train() takes it instead of loading)."""
    g = torch.Generator().manual_seed(seed)
    return Dataset("fashion_mnist",
                   Split(torch.rand(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)),
                   Split(torch.rand(n_test, 3, 32, 32, generator=g),
                         torch.randint(0, 10, (n_test,), generator=g)),
                   10)


@pytest.mark.slow
@needs_fashion_mnist
@pytest.mark.parametrize("precision", [
    "fp32", pytest.param("bf16", marks=pytest.mark.skipif(
        not cpu_has_bf16(), reason="bf16 is emulated on this CPU (~18x slower than fp32)"))])
def test_mlp_memorises_random_labels_on_real_images(tmp_path, precision):
    """The paper's headline: an MLP fits random labels of real images exactly."""
    config = RunConfig(model="mlp_1x512", corruption="labels", level=1.0, n_train=300,
                       n_test=200, max_epochs=300, precision=precision)
    r = get_or_run(config, tmp_path / "results", device="cpu", progress=False)
    assert r.summary["fitted"] and r.metrics[-1]["train_acc"] == 1.0  # running, train mode
    assert r.summary["steps_to_fit"] == r.metrics[-1]["step"] == len(r.step_losses)
    assert r.summary["final_train_acc"] >= 0.99  # the final weights, eval mode
    assert r.summary["final_test_acc"] < 0.2  # chance is 0.1: nothing generalises
    assert r.metrics[-1]["corrupted_acc"] == 1.0
    assert 0.85 < r.summary["fraction_corrupted"] < 0.95


def test_metrics_rows_and_lr_schedule():
    config = RunConfig(model="mlp_1x512", max_epochs=3, target_train_acc=None,
                       lr=0.05, lr_decay=0.5, batch_size=16, corruption="labels", level=0.5)
    out = train(config, device="cpu", progress=False, dataset=synthetic_dataset())
    assert [r["epoch"] for r in out.metrics] == [1, 2, 3]
    assert [r["lr"] for r in out.metrics] == pytest.approx([0.05, 0.025, 0.0125])
    assert [r["step"] for r in out.metrics] == [4, 8, 12]  # 64 images / 16 per batch
    assert len(out.step_losses) == 12
    # no target: all 3 epochs run; the time to fit is still the first epoch at 100% running
    assert out.summary["fitted"] is False
    assert out.summary["steps_to_fit"] == next(
        (r["step"] for r in out.metrics if r["train_acc"] == 1.0), None)
    row = out.metrics[-1]
    frac = out.summary["fraction_corrupted"]
    # whole-set accuracy is the mask-weighted mix of the clean and corrupted accuracies
    assert row["train_acc"] == pytest.approx(frac * row["corrupted_acc"] + (1 - frac) * row["clean_acc"])


def test_nan_loss_stops_with_clear_error():
    config = RunConfig(model="mlp_1x512", lr=1e12, max_epochs=5, batch_size=16)
    with pytest.raises(TrainingDivergedError, match="lower the learning rate") as err:
        train(config, device="cpu", progress=False, dataset=synthetic_dataset())
    # what the run had done before it diverged travels with the error (for probe records)
    assert "in epoch 1 (lr 1e+12)" in str(err.value) and err.value.lr == 1e12
    assert err.value.metrics == [] and err.value.precision in ("fp32", "bf16")
    assert err.value.wall_seconds >= 0


def test_global_rng_untouched():
    torch.manual_seed(42)
    expected = torch.rand(3)
    torch.manual_seed(42)
    train(RunConfig(max_epochs=1, batch_size=32, dropout=0.3), device="cpu",
          progress=False, dataset=synthetic_dataset())
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("model,augment", [("mlp_1x512", "none"), ("alexnet_small", "crop"),
                                           ("mlp_3x512", "crop_pad4_jitter")])
def test_kill_and_resume_equals_uninterrupted(tmp_path, model, augment):
    config = RunConfig(model=model, augment=augment, max_epochs=4,
                       target_train_acc=None, batch_size=16, dropout=0.2, batchnorm=True)
    data = synthetic_dataset(48)
    full = train(config, device="cpu", progress=False, dataset=data)
    ckpt = tmp_path / "ck.pt"
    part = train(config, device="cpu", progress=False, dataset=data, checkpoint=ckpt,
                 stop_after_epochs=2)
    assert part.summary.get("interrupted") and len(part.metrics) == 2 and ckpt.exists()
    other = RunConfig(model=model, augment=augment, max_epochs=5, target_train_acc=None,
                      batch_size=16, dropout=0.2, batchnorm=True)
    with pytest.raises(RuntimeError, match="another config"):
        train(other, device="cpu", progress=False, dataset=data, checkpoint=ckpt)
    resumed = train(config, device="cpu", progress=False, dataset=data, checkpoint=ckpt)
    timing = ("wall_seconds", "eval_seconds")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in timing} for r in rows]  # noqa: E731
    assert json.dumps(strip(resumed.metrics)) == json.dumps(strip(full.metrics))  # NaN-safe
    assert resumed.step_losses == full.step_losses


def test_corrupt_checkpoint_is_reported(tmp_path):
    ckpt = tmp_path / "ck.pt"
    ckpt.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="unreadable"):
        train(RunConfig(max_epochs=1), device="cpu", progress=False,
              dataset=synthetic_dataset(), checkpoint=ckpt)


def test_store_reuses_and_refuses_bad_files(tmp_path, monkeypatch):
    config = RunConfig(n_train=40, n_test=32, max_epochs=2, target_train_acc=None,
                       batch_size=16)
    import rethink_lib.runner as runner
    monkeypatch.setattr(runner, "train", lambda c, **kw: train(c, dataset=synthetic_dataset(40), **kw))
    store = tmp_path / "results"
    first = get_or_run(config, store, device="cpu", progress=False)
    assert (first.path / "config.json").exists() and (first.path / "steps.csv").exists()
    summary = json.loads((first.path / "summary.json").read_text())
    for key in ("wall_seconds", "final_train_acc", "final_test_acc", "steps_to_fit", "config"):
        assert key in summary
    assert (store / ".checkpoints").is_dir()  # inside the store it belongs to
    assert not list((store / ".checkpoints").glob("*.pt"))  # removed after the run

    monkeypatch.setattr(runner, "train", lambda *a, **k: pytest.fail("retrained a stored run"))
    again = get_or_run(config, store, device="cpu", progress=False)
    assert json.dumps(again.metrics) == json.dumps(first.metrics)  # NaN-safe equality
    assert again.step_losses == first.step_losses

    (first.path / "metrics.csv").write_text("epoch,step\n1,2\n")  # truncated
    with pytest.raises(ResultMismatchError, match="metrics.csv differs from the checksum.*to rerun it"):
        load_result(config, store)
    # every other kind of damage: tests/test_store_faults.py


def test_run_id_is_readable_and_hash_sensitive():
    a = RunConfig(model="alexnet_small", corruption="labels", level=0.4)
    b = RunConfig(model="alexnet_small", corruption="labels", level=0.6)
    assert a.run_id.startswith("alexnet_small-fashion_mnist-labels0.4-")
    assert a.run_id != b.run_id and len(a.config_hash()) == 8
    assert RunConfig.from_dict(a.to_dict()) == a


@pytest.mark.parametrize("kwargs,match", [
    ({"corruption": "labels", "level": 1.2}, r"\[0, 1\]"),
    ({"corruption": "gaussian", "level": 0.5}, "takes no level"),
    ({"n_train": 5.5}, "n_train must be an integer"),
    ({"seed": "1"}, "seed must be an integer"),
    ({"model": "vgg"}, "valid names"),
    ({"max_epochs": 0}, "max_epochs"),
    ({"batch_size": -1}, "batch_size"),
    ({"augment": "mixup"}, "augment"),
    ({"n_train": 0}, "n_train"),
])
def test_bad_configs_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RunConfig(**kwargs)


# ---------------------------------------------------------- time to fit, held to the end
def _curve(accs, losses=None):
    losses = losses or [1.0] * len(accs)
    return [{"epoch": i + 1, "step": 10 * (i + 1), "train_acc": a, "train_loss": l}
            for i, (a, l) in enumerate(zip(accs, losses))]


@pytest.mark.parametrize("accs, expected", [
    ([0.5, 1.0, 1.0], 20),             # reached and held
    ([0.5, 1.0, 0.99, 1.0], 40),       # touched at epoch 2, left, held from epoch 4
    ([0.5, 1.0, 0.99], None),          # touched and left: not fitted
    ([0.2, 0.5], None),                # never reached
    ([1.0, float("nan"), 1.0], 10),    # a missing value is no evidence either way
])
def test_time_to_fit_is_the_first_epoch_after_which_the_mark_holds(accs, expected):
    from rethink_lib.metrics import first_step, time_to_fit
    assert time_to_fit(_curve(accs)) == expected
    if expected is not None:
        assert time_to_fit(_curve(accs), unit="epoch") == expected // 10
    if accs == [0.5, 1.0, 0.99, 1.0]:
        assert first_step(_curve(accs), "train_acc", 1.0) == 20  # the first crossing differs


def test_time_to_fit_by_loss_bouncing_back():
    """A loss curve that touches 0.01 and rises again (random pixels) fits only later."""
    from rethink_lib.metrics import time_to_fit
    c = _curve([1.0] * 5, [0.5, 0.009, 0.03, 0.008, 0.005])
    assert time_to_fit(c, "steps_to_loss") == 40
    with pytest.raises(ValueError, match="valid marks"):
        time_to_fit(c, "steps_to_90")
