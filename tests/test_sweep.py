"""A vectorised sweep equals separate train() runs up to floating-point rounding (fp32)."""

import pytest
import torch

from rethink_lib.config import RunConfig
from rethink_lib.data import Dataset, Split
from rethink_lib.sweep import StackedMLP, check_sweep, train_sweep
from rethink_lib.train import train


def synthetic_dataset(n=48, m=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Dataset("fashion_mnist",
                   Split(torch.rand(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g)),
                   Split(torch.rand(m, 3, 32, 32, generator=g), torch.randint(0, 10, (m,), generator=g)),
                   10)


def assert_same_run(vec, sep, n_train):
    """Same rows and summary keys as train(), same epochs (so the same early stop), same
    losses and accuracies up to rounding."""
    assert len(vec.metrics) == len(sep.metrics)
    assert len(vec.step_losses) == len(sep.step_losses)
    assert set(vec.summary) == set(sep.summary) | {"sweep_copies", "sweep_groups"}
    torch.testing.assert_close(torch.tensor(vec.step_losses), torch.tensor(sep.step_losses),
                               rtol=1e-4, atol=1e-5)
    for a, b in zip(vec.metrics, sep.metrics):
        assert list(a) == list(b)  # the same columns in the same order
        assert (a["epoch"], a["step"], a["lr"]) == (b["epoch"], b["step"], b["lr"])
        for key in ("train_loss", "test_loss"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-5), key
        for key in ("train_acc", "clean_acc", "corrupted_acc", "test_acc"):
            assert (a[key] is None and b[key] is None) or abs(a[key] - b[key]) <= 1 / n_train, key
    for key in ("epochs", "steps", "fitted", "steps_to_fit", "steps_to_99", "steps_to_loss",
                "n_train", "n_test", "n_curve_test", "fraction_corrupted", "run_id",
                "precision", "threads", "device", "train_acc_method", "last_lr"):
        assert vec.summary[key] == sep.summary[key], key
    for key in ("final_train_acc", "final_test_acc", "final_clean_acc", "final_corrupted_acc",
                "final_train_acc_running"):
        a, b = vec.summary[key], sep.summary[key]
        assert (a is None and b is None) or abs(a - b) <= 1 / n_train, key
    for key in ("final_train_loss", "final_test_loss"):
        assert vec.summary[key] == pytest.approx(sep.summary[key], rel=1e-4, abs=1e-5), key


@pytest.mark.parametrize("group_bytes", [None, 6e6])  # one group of 3; groups of 1
def test_label_sweep_equals_separate_runs_with_per_copy_early_stop(group_bytes):
    """K corruption levels, one seed: shared batches, one GEMM for the first layer.

    Their own targets make the copies stop at different epochs (about 3, 6 and 7)."""
    ds = synthetic_dataset()
    configs = [RunConfig(model="mlp_1x512", n_train=48, n_test=24, curve_n_test=12,
                         corruption="labels", level=p, target_train_acc=target, batch_size=16,
                         lr=0.001, max_epochs=40, precision="fp32")
               for p, target in ((0.0, 0.5), (0.5, 0.9), (1.0, 1.0))]
    vec = train_sweep(configs, device="cpu", progress=False, dataset=ds, group_bytes=group_bytes)
    assert vec[0].summary["sweep_groups"] == (1 if group_bytes is None else 3)
    seps = [train(c, device="cpu", progress=False, dataset=ds) for c in configs]
    for v, s in zip(vec, seps):
        assert_same_run(v, s, 48)
    epochs = [len(s.metrics) for s in seps]
    assert min(epochs) < max(epochs), f"copies should stop at different epochs, got {epochs}"
    assert any(s.summary["steps_to_fit"] for s in seps)
    assert {s.summary["n_curve_test"] for s in seps} == {12}


def test_seed_sweep_with_batchnorm_and_per_copy_lr_equals_separate_runs():
    """Different seeds (own init, own shuffle order), BatchNorm running stats, own lr and
    decay with a warm-up, weight decay, one copy with corrupted test labels (so its own
    curve subset: balanced on those labels), a last single example folded into the batch
    before (n = 1 mod 8).

    (With a last batch of 2, BatchNorm's gradient amplifies rounding differences chaotically:
    1e-7 grows to 1e-1 within two epochs, in separate runs just as much.)"""
    ds = synthetic_dataset(n=33)
    configs = [RunConfig(model="mlp_3x512", n_train=33, n_test=24, curve_n_test=12,
                         corruption="labels", level=1.0, seed=s, corrupt_test_labels=ct,
                         batchnorm=True, batch_size=8, lr=lr, lr_decay=d, weight_decay=5e-4,
                         warmup_epochs=2, max_epochs=4, target_train_acc=None, precision="fp32")
               for s, lr, d, ct in ((0, 0.01, 0.9, False), (1, 0.02, 0.95, True),
                                    (2, 0.01, 0.9, False))]
    vec = train_sweep(configs, device="cpu", progress=False, dataset=ds)
    for c, v in zip(configs, vec):
        assert_same_run(v, train(c, device="cpu", progress=False, dataset=ds), 33)


def test_sweep_refuses_what_it_cannot_vectorise():
    base = dict(model="mlp_1x512", precision="fp32")
    with pytest.raises(ValueError, match="must agree on 'batch_size'"):
        check_sweep([RunConfig(**base), RunConfig(batch_size=64, **base)])
    with pytest.raises(ValueError, match="MLPs only"):
        check_sweep([RunConfig(model="alexnet_small")])
    with pytest.raises(ValueError, match="dropout"):
        check_sweep([RunConfig(dropout=0.5, **base)])
    with pytest.raises(ValueError, match="augment"):
        check_sweep([RunConfig(augment="crop", **base)])
    with pytest.raises(ValueError, match="MLP instances"):
        StackedMLP([torch.nn.Linear(3, 3)])


@pytest.mark.parametrize("model", ["mlp_1x512", "alexnet_small"])
def test_fused_sgd_equals_the_for_loop_bit_for_bit(model):
    """train.make_optimizer uses fused SGD; the sweep's exactness relies on it too."""
    from rethink_lib.models import create_model

    def run(fused):
        torch.manual_seed(0)
        m = create_model(model).to(memory_format=torch.channels_last if "alex" in model
                                   else torch.contiguous_format)
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4,
                              fused=fused)
        g = torch.Generator().manual_seed(1)
        for _ in range(4):
            x, y = torch.randn(16, 3, 28, 28, generator=g), torch.randint(0, 10, (16,), generator=g)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = torch.nn.functional.cross_entropy(m(x).float(), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return list(m.parameters())

    for a, b in zip(run(None), run(True)):
        assert torch.equal(a, b)
