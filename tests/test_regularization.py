"""rethink_lib.regularization: Table I/II builders, difference finder, Fig. 3 helpers,
on fabricated results (no training)."""
import math
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from rethink_lib import regularization as reg  # noqa: E402
from rethink_lib.experiments import REGULARIZERS, resolve, table1, table2  # noqa: E402
from rethink_lib.reference import PAPER_TABLE1, REPORT_TABLE1, REPORT_TABLE2  # noqa: E402


def fake(train, test, epochs=10, curve=None):
    """A RunResult stand-in: train/test as fractions; curve: [(train, test), ...] per epoch."""
    curve = curve or [(train, test)] * epochs
    metrics = [{"epoch": i + 1, "step": 4 * (i + 1), "train_acc": a, "test_acc": b}
               for i, (a, b) in enumerate(curve)]
    return SimpleNamespace(summary={"final_train_acc": train, "final_test_acc": test,
                                    "epochs": len(metrics)}, metrics=metrics)


@pytest.fixture
def t1():
    return {
        ("inception_small", "crop+wd"): fake(1.0, 0.90),     # paper 89.05 -> +0.95
        ("inception_small", "neither"): fake(1.0, 0.80),     # paper 85.75 -> -5.75
        ("mlp_1x512", "wd"): fake(0.97, 0.5039),             # paper 99.80/50.39 -> -2.80/0
        ("mlp_1x512", "neither"): fake(1.0, 0.48),           # paper 50.51 -> -2.51
        ("mlp_1x512", "random labels"): fake(0.5, 0.10, 40), # paper 99.34 -> -49.34
    }


def test_reference_keys_match_experiment_labels():
    keys = set(table1(resolve("paper")))
    assert set(PAPER_TABLE1) <= keys and set(REPORT_TABLE1) <= keys
    # every cell the paper's Table 1 prints has an experiment, and vice versa
    assert keys == set(PAPER_TABLE1) == set(REPORT_TABLE1)
    assert set(REPORT_TABLE2) == set(table2(resolve("paper")))
    assert set(REGULARIZERS) | {"random labels"} == {k[1] for k in PAPER_TABLE1}


def test_table1_values_and_differences(t1):
    f = reg.table1_frame(t1)
    assert list(f.index) == list(t1)  # order kept
    row = f.loc[("inception_small", "neither")]
    assert row[("ours", "test")] == pytest.approx(80.0)
    assert row[("paper", "test")] == 85.75 and row[("report", "test")] == 85.27
    assert row[("ours - paper", "test")] == pytest.approx(-5.75)
    assert row[("ours - report", "test")] == pytest.approx(80.0 - 85.27)
    assert row[("ours - paper", "train")] == pytest.approx(0.0)
    assert f.loc[("mlp_1x512", "random labels"), ("ours", "epochs")] == 40
    assert f.loc[("mlp_1x512", "wd"), ("ours - paper", "train")] == pytest.approx(97.0 - 99.80)


def test_table1_missing_reference_is_nan():
    f = reg.table1_frame({("mlp_1x512", "crop"): fake(1.0, 0.5)})  # the paper has no such cell
    assert math.isnan(f.iloc[0][("paper", "test")])
    assert math.isnan(f.iloc[0][("ours - paper", "test")])
    assert reg.compared_cells(f) == 0


def test_large_differences(t1):
    f = reg.table1_frame(t1)
    d = reg.large_differences(f, "paper", threshold=2.0)
    # |diff| > 2: random-labels train (-49.34), neither test (-5.75), wd train (-2.80),
    # mlp neither test (-2.51); not crop+wd (+0.95) or wd test (0.00), and not random
    # labels test (10.0 vs 10.61)
    assert list(zip(d["model"], d["regularizer"], d["metric"])) == [
        ("mlp_1x512", "random labels", "train"), ("inception_small", "neither", "test"),
        ("mlp_1x512", "wd", "train"), ("mlp_1x512", "neither", "test")]
    assert d["difference"].tolist() == pytest.approx([-49.34, -5.75, -2.80, -2.51])
    assert d["paper"].tolist() == [99.34, 85.75, 99.80, 50.51]
    assert reg.large_differences(f, "paper", threshold=10).shape[0] == 1
    assert reg.large_differences(f, "paper", threshold=100).empty
    assert reg.compared_cells(f) == 10
    with pytest.raises(ValueError, match="ours - nobody"):
        reg.large_differences(f, "nobody")


def test_sentences(t1):
    f = reg.table1_frame(t1)
    s = reg.differences_sentence(f, "paper")
    assert s.startswith("4 of the 10 numbers the paper also has differ")
    assert "MLP 1x512, random labels" in s and "-49.34 points" in s
    assert reg.differences_sentence(f, "paper", threshold=60).startswith("all 10 of our numbers")
    assert reg.fit_sentence(f) == ("2 of 5 runs did not reach 100% train accuracy "
                                   "(lowest: 50.00%, MLP 1x512, random labels)")
    none = reg.table1_frame({("mlp_1x512", "wd"): fake(0.9, 0.5), ("mlp_1x512", "neither"): fake(0.8, 0.5)})
    assert reg.fit_sentence(none) == ("none of the 2 runs reached 100% train accuracy (highest: "
                                      "90.00%, MLP 1x512, wd; lowest: 80.00%, MLP 1x512, neither)")
    done = reg.table1_frame({k: fake(1.0, 0.5) for k in t1})
    assert reg.fit_sentence(done) == "all 5 runs reached 100% train accuracy"


def test_regularizer_effect(t1):
    f = reg.table1_frame(t1)
    ours = reg.regularizer_effect(f, "ours")
    assert ours["inception_small"] == pytest.approx(10.0)   # 90 - 80
    assert ours["mlp_1x512"] == pytest.approx(50.39 - 48.0)
    assert "+10.00" in reg.format_points(pd.DataFrame({"ours": ours})).to_html()
    paper = reg.regularizer_effect(f, "paper")
    assert paper["inception_small"] == pytest.approx(89.05 - 85.75)


def test_table2(t1):
    t2 = {"inception_small": fake(1.0, 0.1), "mlp_1x512": fake(0.9, 0.11)}
    f = reg.table2_frame(t2, without_wd={"mlp_1x512": t1[("mlp_1x512", "random labels")]})
    assert f.loc["mlp_1x512", ("ours - report", "train")] == pytest.approx(90.0 - 99.85)
    assert f.loc["inception_small", ("ours - report", "train")] == pytest.approx(0.0)
    assert f.loc["mlp_1x512", ("ours, no wd", "train")] == pytest.approx(50.0)
    assert math.isnan(f.loc["inception_small", ("ours, no wd", "train")])
    d = reg.large_differences(f, "report")
    assert d[["model", "metric"]].values.tolist() == [["mlp_1x512", "train"]]
    assert reg.fit_sentence(f) == "1 of 2 runs did not reach 100% train accuracy (lowest: 90.00%, MLP 1x512)"
    assert "ours, no wd" not in reg.table2_frame(t2).columns.get_level_values(0)


def test_format_table_renders(t1):
    html = reg.format_table(reg.table1_frame(t1)).to_html()
    assert "MLP 1x512" in html and "-5.75" in html and "+0.95" in html
    assert "font-weight: bold" in html
    narrow = reg.format_table(reg.table1_frame(t1), differences=("test",)).data
    assert ("ours - paper", "test") in narrow.columns and ("ours - paper", "train") not in narrow.columns
    assert ("paper", "train") in narrow.columns


def test_curve_table():
    curve = [(0.5, 0.40), (0.9, 0.60), (0.99, 0.55), (1.0, 0.58)]
    t = reg.curve_table({"a": fake(1.0, 0.58, curve=curve), "b": fake(0.9, 0.6, curve=curve[:2])})
    a = t.loc["a"]
    assert a["epochs"] == 4 and a["best epoch"] == 2
    assert a["best test"] == pytest.approx(60.0) and a["final test"] == pytest.approx(58.0)
    assert a["early-stopping gain"] == pytest.approx(2.0)
    assert a["epoch train >= 99%"] == 3
    assert a["test fluctuation"] == pytest.approx((20 + 5 + 3) / 3)
    assert t.loc["b", "epoch train >= 99%"] is pd.NA


def test_accuracy_curves_figure():
    curve = [(0.5, 0.40), (0.9, 0.60), (1.0, 0.55)]
    results = {f"v{i}": fake(1.0, 0.55, curve=curve) for i in range(4)}
    fig = reg.accuracy_curves(results, title="t")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    assert tuple(fig.get_size_inches()) == pytest.approx((5.0, 4.6))  # 2x2 small panels
    ax = visible[0]
    assert [line.get_label() for line in ax.get_lines()] == ["train", "test"]
    assert len(ax.collections) == 1  # the shaded early-stopping gain
    fig3 = reg.accuracy_curves(dict(list(results.items())[:3]), x="step")
    assert sum(ax.get_visible() for ax in fig3.axes) == 3
    assert fig3.axes[0].get_xlabel() == "SGD steps"
    with pytest.raises(ValueError, match="x must be"):
        reg.accuracy_curves(results, x="time")


def test_reach_and_faster():
    slow = [(0.5, 0.4), (0.8, 0.5), (0.995, 0.5)]
    fast = [(0.5, 0.4), (0.99, 0.5), (1.0, 0.5)]
    never = [(0.5, 0.4), (0.6, 0.5), (0.7, 0.5)]
    t = reg.curve_table({k: fake(1, 0.5, curve=c) for k, c in
                         dict(slow=slow, fast=fast, never=never, fast2=fast).items()})
    assert reg.reach_epoch(t, "slow") == 3 and reg.reach_epoch(t, "never") is None
    assert reg.reach_phrase(t, "fast") == "epoch 2"
    assert reg.reach_phrase(t, "never") == "never (in 3 epochs)"
    assert reg.faster(t, "slow", "fast") == "fast"
    assert reg.faster(t, "fast", "never") == "fast" and reg.faster(t, "never", "slow") == "slow"
    assert reg.faster(t, "fast", "fast2") == "tie"
    assert reg.faster(t, "never", "never") is None
    html = reg.format_curves(t).to_html()
    assert "-" in html and "50.00" in html
