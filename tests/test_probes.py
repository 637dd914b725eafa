"""Recipe-probe records: table, figure and the verdict sentence, on synthetic records."""
import json

from rethink_lib.ops import probes


def record(lr, accs, warmup=0, decay=0.95, model="inception_small_nobn", precision="fp32"):
    return {"model": model, "lr": lr, "lr_decay": decay, "warmup_epochs": warmup, "level": 0.0,
            "precision": precision,
            "cpu": "AMD EPYC", "wall_seconds": 600.0,
            "curve": [{"epoch": i + 1, "lr": lr, "train_loss": 2.3 - a, "train_acc": a,
                       "test_acc": a} for i, a in enumerate(accs)]}


GOOD = record(0.1, [0.2, 0.5, 0.7], warmup=5)
BAD = record(0.1, [0.1, 0.11, 0.09])
CHOSEN = {"lr": 0.1, "lr_decay": 0.95, "warmup_epochs": 5}


def test_verdict_outcomes():
    slow = record(0.05, [0.1, 0.23, 0.4])
    text = probes.probes_verdict([slow, GOOD, BAD], CHOSEN)
    assert text == ("On true labels, after 3 epochs, the running training accuracy of Inception "
                    "w/o BatchNorm was lr 0.1 x0.95, warm-up 5 (fp32): 70.0%; lr 0.05 x0.95 (fp32): "
                    "40.0%; lr 0.1 x0.95 (fp32): 9.0% (near chance) (chance: 10%). The profile uses "
                    "lr 0.1 x0.95, warm-up 5, the best of these probes at that epoch.")
    worse = probes.probes_verdict([BAD, GOOD], {"lr": 0.1, "lr_decay": 0.95})
    assert worse.endswith("The profile uses lr 0.1 x0.95, NOT the best of these probes at that "
                          "epoch (lr 0.1 x0.95, warm-up 5 (fp32) is).")
    assert probes.probes_verdict([GOOD], {"lr": 0.01, "lr_decay": 0.95}).endswith(
        "The profile uses lr 0.01 x0.95, which was not probed on true labels.")
    assert probes.probes_verdict([GOOD], CHOSEN).endswith("the only recipe probed on true labels that did not diverge.")
    short = record(0.1, [0.1, 0.5], warmup=5)  # compared at the shortest probe's last epoch
    assert probes.probes_verdict([short, record(0.2, [0.3, 0.4, 0.9])], CHOSEN).startswith(
        "On true labels, after 2 epochs, the running training accuracy of Inception w/o BatchNorm "
        "was lr 0.1 x0.95, warm-up 5 (fp32): 50.0%; lr 0.2 x0.95 (fp32): 40.0%")
    assert probes.probes_verdict([], CHOSEN).startswith("No recipe probe")


def test_verdict_diverged_probes_and_levels_apart():
    blew = dict(record(0.05, [0.2, 0.25], warmup=5, precision="bf16"),
                diverged="x: loss became inf in epoch 3 (lr 0.028812); lower the learning rate")
    ok = record(0.03, [0.2, 0.4, 0.6, 0.7], warmup=5, precision="bf16")
    rand = dict(record(0.03, [0.1, 0.11, 0.12], warmup=5, precision="bf16"), level=1.0)
    chosen = {"lr": 0.03, "lr_decay": 0.95, "warmup_epochs": 5}
    text = probes.probes_verdict([blew, ok, rand], chosen)
    # the diverged probe does not shorten the comparison; each level is compared apart
    assert text.startswith("On true labels, after 4 epochs, the running training accuracy of "
                           "Inception w/o BatchNorm was lr 0.03 x0.95, warm-up 5 (bf16): 70.0%; "
                           "lr 0.05 x0.95, warm-up 5 (bf16) diverged in epoch 3 (lr 0.0288) "
                           "(chance: 10%). The profile uses lr 0.03 x0.95, warm-up 5, the only "
                           "recipe probed on true labels that did not diverge.")
    assert text.endswith("On random labels, after 3 epochs, the running training accuracy of "
                         "Inception w/o BatchNorm was lr 0.03 x0.95, warm-up 5 (bf16): 12.0% "
                         "(near chance) (chance: 10%). The profile uses lr 0.03 x0.95, warm-up 5, "
                         "the only recipe probed on random labels that did not diverge.")
    assert probes.probes_verdict([blew], {**chosen, "lr": 0.05}) == (
        "On true labels, lr 0.05 x0.95, warm-up 5 (bf16) diverged in epoch 3 (lr 0.0288) "
        "(chance: 10%). The profile's recipe, lr 0.05 x0.95, warm-up 5, diverged in a probe on "
        "true labels.")
    frame = probes.probes_frame([blew, dict(ok, final_train_acc=0.912)])
    assert list(frame["outcome"]) == ["diverged in epoch 3 (lr 0.0288)", "trained"]
    final = frame["final train acc (%)"]  # measured after training: none for a diverged probe
    assert final.isna().iloc[0] and round(final.iloc[1], 1) == 91.2
    assert list(frame["train acc above 2x chance"]) == ["no", "yes"]
    fig = probes.probes_figure([blew, ok, rand])
    assert len(fig.axes) == 2  # true and random labels side by side
    assert len(fig.axes[0].lines) == 4  # two probes, the diverged one's x, chance
    # the x is explained only on the panel that has one
    assert fig.axes[0].get_title().endswith("(x: diverged)")
    assert not fig.axes[1].get_title().endswith("(x: diverged)")


def test_frame_and_loading(tmp_path):
    for i, r in enumerate([GOOD, BAD, record(0.01, [0.3], model="mlp_1x512")]):
        (tmp_path / f"{i}.json").write_text(json.dumps(r))
    got = probes.load_probes("inception_small_nobn", tmp_path)
    assert [r["warmup_epochs"] for r in got] == [0, 5]  # sorted by recipe, other models left out
    frame = probes.probes_frame(got)
    assert list(frame["train acc above 2x chance"]) == ["no", "yes"]
    assert list(frame["last running train acc (%)"].round(1)) == [9.0, 70.0]
    assert probes.load_probes("x", tmp_path / "absent") == []
    fig = probes.probes_figure(got)
    assert len(fig.axes[0].lines) == 3  # two probes and the chance line


def test_profile_recipe_reads_the_models_own_values():
    from rethink_lib.experiments import resolve
    s = resolve("cpu")
    got = probes.profile_recipe(s, "inception_small_nobn")
    assert set(got) == {"lr", "lr_decay", "warmup_epochs"}
    assert got["lr"] == s["lr"].get("inception_small_nobn", s["lr"]["inception"])
    assert probes.profile_recipe({"lr": 0.5, "lr_decay": 0.9}, "mlp_1x512") == \
        {"lr": 0.5, "lr_decay": 0.9, "warmup_epochs": 0}
    assert probes.probes_figure([]).axes[0].texts[0].get_text() == "no recipe probe recorded yet"


def test_probe_record_from_a_stored_run(tmp_path):
    """scripts/probe_from_run.py's record: the stored run's own values, readable by load_probes."""
    import csv
    from pathlib import Path
    run = sorted(Path(__file__).resolve().parents[1].glob("results/inception_small-fashion_mnist-labels1-[0-9a-f]*"))[0]
    s = json.loads((run / "summary.json").read_text())
    with open(run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    rec = probes.probe_record(s["config"], s, rows, "cmd")
    assert (rec["lr_decay"], rec["epochs"], rec["run_id"]) == \
        (s["config"]["lr_decay"], s["epochs"], s["run_id"])
    assert rec["final_test_acc"] == s["final_test_acc"] and rec["cpu"] == s["device_name"]
    assert len(rec["curve"]) == len(rows) == s["epochs"]
    assert rec["curve"][-1]["epoch"] == s["epochs"] and isinstance(rec["curve"][0]["lr"], float)
    path = probes.write_probe(rec, tmp_path)
    assert path.name == f"inception_small-p1-lr0.1-x{rec['lr_decay']:g}-w0.json"
    assert probes.load_probes("inception_small", tmp_path) == [json.loads(path.read_text())]


def test_extension_records_set_the_stored_run_beside_its_probes(monkeypatch):
    """The MNIST probes of the MLP, with its stored run as one more record (named as such)
    and the recipe that run used; probes on other data or levels stay out."""
    from types import SimpleNamespace

    from rethink_lib import results
    from rethink_lib.experiments import resolve
    s = resolve("cifar")
    mnist = dict(record(0.01, [0.2, 0.4], decay=0.94, model="mlp_1x512"), dataset="mnist",
                 level=1.0)
    bn = dict(mnist, lr_decay=0.988, batchnorm=True)
    other = dict(mnist, dataset="fashion_mnist")
    monkeypatch.setattr(probes, "load_probes", lambda m: [mnist, bn, other])
    rows = [{"epoch": 1, "lr": 0.01, "train_loss": 2.0, "train_acc": 0.3, "test_acc": 0.1},
            {"epoch": 2, "lr": 0.0099, "train_loss": 1.5, "train_acc": 0.6, "test_acc": 0.1}]
    summary = {"device_name": "AMD EPYC", "threads": 1, "epochs": 2, "n_train": 60000,
               "precision": "fp32", "wall_seconds": 10.0, "final_train_acc": 0.61,
               "final_test_acc": 0.1}
    seen = []
    monkeypatch.setattr(results, "find_result",
                        lambda c, stores: seen.append(c) or SimpleNamespace(summary=summary,
                                                                            metrics=rows))
    records, chosen = probes.extension_records(s, ["store"])
    assert seen[0].dataset == "mnist" and seen[0].model == "mlp_1x512" and seen[0].seed == 0
    assert [r.get("stored", False) for r in records] == [False, False, True]  # by decay
    assert chosen["lr_decay"] == seen[0].lr_decay and chosen["lr"] == 0.01
    text = probes.probes_verdict(records, chosen)
    assert "lr 0.01 x0.988017 (fp32), the stored run: 60.0%" in text
    assert "lr 0.01 x0.988, BatchNorm (fp32): 40.0%" in text
    assert "The profile uses lr 0.01 x0.988017, the best of these probes at that epoch." in text
    assert list(probes.probes_frame(records).recipe) == [
        "lr 0.01 x0.94", "lr 0.01 x0.988, BatchNorm", "lr 0.01 x0.988017, the stored run"]
    monkeypatch.setattr(results, "find_result", lambda c, stores: None)
    assert len(probes.extension_records(s, ["store"])[0]) == 2
    import pytest
    with pytest.raises(ValueError, match="extension has no run of mlp_3x512"):
        probes.extension_records(s, ["store"], model="mlp_3x512")
