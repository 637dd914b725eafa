"""rethink_lib.report.tables and .figures on fabricated results (no training): Table I/II,
differences from the published numbers, Fig. 1b/1c levels with seeds, Fig. 3 curves, and
figures that still draw from a partial store. Experiment keys end with the seed."""
import math
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from rethink_lib.config import RunConfig  # noqa: E402
from rethink_lib.experiments import REGULARIZERS, resolve, table1, table2  # noqa: E402
from rethink_lib.reference import PAPER_TABLE1, REPORT_TABLE1, REPORT_TABLE2  # noqa: E402
from rethink_lib.report import figures, findings, tables  # noqa: E402


def fake(train, test, epochs=10, curve=None, model="mlp_1x512", losses=None, **summary):
    """A RunResult stand-in: accuracies as fractions; curve: [(train, test), ...] per epoch;
    losses: the per-epoch training loss (default 1.0)."""
    curve = curve or [(train, test)] * epochs
    losses = losses or [1.0] * len(curve)
    metrics = [{"epoch": i + 1, "step": 40 * (i + 1), "train_acc": a, "test_acc": b,
                "clean_acc": a, "corrupted_acc": a, "train_loss": loss}
               for i, ((a, b), loss) in enumerate(zip(curve, losses))]
    s = {"final_train_acc": train, "final_test_acc": test, "final_train_acc_running": train,
         "epochs": len(metrics), "n_test": 10_000, "n_curve_test": 2_000, "n_train": 5_000,
         "fitted": train >= 1.0, "steps_to_loss": None, "steps_to_99": None, "steps_to_fit": None,
         "precision": "fp32"}
    s.update(summary)
    return SimpleNamespace(summary=s, metrics=metrics, config=RunConfig(model=model),
                           step_losses=[2.3 / (i + 1) for i in range(40 * len(metrics))],
                           metrics_frame=lambda: pd.DataFrame(metrics))


@pytest.fixture
def t1():
    return {
        ("inception_small", "crop+wd", 0): fake(1.0, 0.90),     # paper 89.05 -> +0.95
        ("inception_small", "neither", 0): fake(1.0, 0.80),     # paper 85.75 -> -5.75
        ("mlp_1x512", "wd", 0): fake(0.97, 0.5039),             # paper 99.80/50.39 -> -2.80/0
        ("mlp_1x512", "wd", 1): fake(0.99, 0.5039),             # second seed: mean train 98
        ("mlp_1x512", "neither", 0): fake(1.0, 0.48),           # paper 50.51 -> -2.51
        ("mlp_1x512", "random labels", 0): fake(0.5, 0.10, 40),  # paper 99.34 -> -49.34
    }


def test_reference_keys_match_experiment_labels():
    keys = {k[:2] for k in table1(resolve("paper"))}
    # every cell the paper's Table 1 prints has an experiment, and vice versa
    assert keys == set(PAPER_TABLE1) == set(REPORT_TABLE1)
    assert set(REPORT_TABLE2) == {k[0] for k in table2(resolve("paper"))}
    assert set(REGULARIZERS) | {"random labels"} == {k[1] for k in PAPER_TABLE1}


def test_table1_values_seeds_and_differences(t1):
    f = tables.table1_frame(t1)
    assert list(f.index) == list(dict.fromkeys(k[:2] for k in t1))  # order kept, seeds pooled
    row = f.loc[("inception_small", "neither")]
    assert row[("ours", "test")] == pytest.approx(80.0)
    assert row[("paper", "test")] == 85.75 and row[("report", "test")] == 85.27
    assert row[("ours - paper", "test")] == pytest.approx(-5.75)
    wd = f.loc[("mlp_1x512", "wd")]
    assert wd[("ours", "train")] == pytest.approx(98.0) and wd[("ours", "seeds")] == 2
    assert wd[("ours", "test range")] == "50.39-50.39" and f.loc[("mlp_1x512", "neither"), ("ours", "test range")] == ""
    assert wd[("ours - paper", "train")] == pytest.approx(98.0 - 99.80)
    assert f.loc[("mlp_1x512", "random labels"), ("ours", "epochs")] == 40
    missing = tables.table1_frame({("mlp_1x512", "crop", 0): fake(1.0, 0.5)})  # no such paper cell
    assert math.isnan(missing.iloc[0][("ours - paper", "test")])


def test_linear_rows(t1):
    lin = [{"n_train": 5000, "n_test": 10_000, "level": 0.0, "train_acc": 0.9, "test_acc": 0.8},
           {"n_train": 5000, "n_test": 10_000, "level": 1.0, "train_acc": 0.44, "test_acc": 0.1}]
    f = tables.table1_frame(t1, linear=lin)
    assert f.loc[("linear", "neither"), ("ours", "test")] == pytest.approx(80.0)
    assert math.isnan(f.loc[("linear", "neither"), ("paper", "test")])
    html = tables.format_table(f).to_html()
    assert "linear classifier, true labels" in html and "linear classifier, random labels" in html
    assert "linear" not in tables.regularizer_effect(f).index


def test_difference_frame(t1):
    f = tables.table1_frame(t1)
    # with the noise: 2.51 points on 10,000 test images each is more than 2 SE (~1.4)
    noisy = findings.difference_frame(f, "paper")
    assert noisy["row"].tolist() == ["MLP 1x512, random labels, no regularizer",
                                     "Inception, no regularizer", "MLP 1x512, no regularizer"]
    assert (noisy["bar"] >= 2.0).all()
    v = findings.differences(f, "paper", "t")
    assert v.outcome == "differs" and v.text.startswith("3 of the 10 numbers")
    assert "-49.34 points" in v.text


def test_regularizer_effect_and_effects_frame(t1):
    f = tables.table1_frame(t1)
    ours = tables.regularizer_effect(f, "ours")
    assert ours.loc["inception_small", "effect"] == pytest.approx(10.0)   # 90 - 80
    assert ours.loc["inception_small", "best"] == "crop+wd"
    assert ours.loc["mlp_1x512", "effect"] == pytest.approx(50.39 - 48.0)
    e = tables.effects_frame(f)
    assert e.loc["Inception", "paper"] == pytest.approx(89.05 - 85.75)
    assert e.loc["Inception", "+/- 2 SE"] == pytest.approx(
        200 * math.sqrt(0.9 * 0.1 / 1e4 + 0.8 * 0.2 / 1e4))


def test_effects_skip_a_model_with_no_regularized_run_stored(t1):
    """A model whose only stored Table I run is 'neither' has no effect yet: no row, no 'p = nan'."""
    only_neither = {**t1, ("alexnet_small", "neither", 0): fake(1.0, 0.88)}
    f = tables.table1_frame(only_neither)
    assert pd.isna(tables.regularizer_effect(f).loc["alexnet_small", "best"])
    e = tables.effects_frame(f)
    assert "AlexNet" not in e.index and "Inception" in e.index


def test_table2(t1):
    t2 = {("inception_small", 0): fake(1.0, 0.1), ("mlp_1x512", 0): fake(0.9, 0.11)}
    f = tables.table2_frame(t2, without_wd={("mlp_1x512", 0): t1[("mlp_1x512", "random labels", 0)]})
    assert f.loc["mlp_1x512", ("ours - report", "train")] == pytest.approx(90.0 - 99.85)
    assert f.loc["mlp_1x512", ("ours, no wd", "train")] == pytest.approx(50.0)
    assert math.isnan(f.loc["inception_small", ("ours, no wd", "train")])
    assert "ours, no wd" not in tables.table2_frame(t2).columns.get_level_values(0)


def test_format_table_renders(t1):
    html = tables.format_table(tables.table1_frame(t1)).to_html()
    assert "MLP 1x512, weight decay" in html and "-5.75" in html and "+0.95" in html
    assert "font-weight: bold" in html


def _accs(*accs, test=0.5):
    return [(a, test) for a in accs]


def test_level_frame_pools_seeds_and_relative_time():
    """The relative time is the paper's: 100% training accuracy, held to the end; a curve that
    touches 100% and falls back (seed 0 at p = 1, epoch 2) has not fitted then."""
    runs = {("mlp_1x512", 0.0, 0): fake(1.0, 0.85, curve=_accs(0.5, 1.0, 1.0)),
            ("mlp_1x512", 0.0, 1): fake(1.0, 0.83, curve=_accs(0.5, 0.9, 1.0)),
            ("mlp_1x512", 1.0, 0): fake(1.0, 0.10, curve=_accs(0.3, 1.0, 0.9, 0.95, 0.99, 1.0)),
            ("mlp_1x512", 1.0, 1): fake(0.98, 0.10, curve=_accs(0.3, 0.98)),
            ("alexnet_small", 0.0, 0): fake(1.0, 0.8, curve=_accs(1.0))}
    f = tables.level_frame(runs)
    assert f["model"].tolist() == ["mlp_1x512", "mlp_1x512", "alexnet_small"]  # input order
    rand = f[(f.model == "mlp_1x512") & (f.level == 1.0)].iloc[0]
    assert rand["relative"] == pytest.approx(3.0) and rand["relative_n"] == 1  # seed 1 not reached
    assert rand["fitted"] == 1 and rand["seeds"] == 2
    clean = f[(f.model == "mlp_1x512") & (f.level == 0.0)].iloc[0]
    assert clean["test_error"] == pytest.approx(16.0)
    assert (clean["test_error_lo"], clean["test_error_hi"]) == pytest.approx((15.0, 17.0))
    html = tables.format_levels(f).to_html()
    assert "[1 not reached]" in html and "16.0 (15.0-17.0)" in html
    fig = figures.fig1bc(f)
    assert len(fig.axes) == 2
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["MLP 1x512 (mean, range of seeds)", "AlexNet (so far only p = 0)"]
    assert "no run" in tables.format_levels(tables.level_frame({})).to_html()


def test_curve_table_and_accuracy_curves():
    curve = [(0.5, 0.40), (0.9, 0.60), (0.99, 0.55), (1.0, 0.58)]
    t = tables.curve_table({"a": fake(1.0, 0.58, curve=curve), "b": fake(0.9, 0.6, curve=curve[:2])})
    a = t.loc["a"]
    assert a["epochs"] == 4 and a["best epoch"] == 2
    assert a["early-stopping gain"] == pytest.approx(2.0)
    assert a["epoch train >= 99%"] == 3 and a["step train >= 99%"] == 120
    assert a["test fluctuation"] == pytest.approx((20 + 5 + 3) / 3)
    assert t.loc["b", "epoch train >= 99%"] is pd.NA
    results = {f"v{i}": fake(1.0, 0.55, curve=curve) for i in range(4)}
    fig = figures.accuracy_curves(results, title="t")
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "inset_axes"
              and not ax.get_title().startswith("gain at end")]
    assert len(panels) == 4 and len(panels[0].collections) == 1  # the shaded gain
    insets = [child for ax in panels for child in ax.child_axes]
    assert len(insets) == 4  # the gain zoomed: best so far minus test, 0 to 5 points here
    assert insets[0].get_ylim()[1] == pytest.approx(1.15 * 5.0)
    # the gain at the end, as the curve table counts it (not the largest, 5), marked by a dot
    # and said in the title at the book's 9 pt (tick labels would not fit at 9 pt)
    assert insets[0].get_title() == "gain at end 2.0 pts"
    assert insets[0].lines[0].get_ydata()[0] == pytest.approx(t.loc["a", "early-stopping gain"])
    assert insets[0].title.get_fontsize() >= 9 and not insets[0].get_yticks().size
    assert figures.accuracy_curves(dict(list(results.items())[:3]), x="step").axes[0].get_xlabel() == "SGD steps"
    with pytest.raises(ValueError, match="x must be"):
        figures.accuracy_curves(results, x="time")


def test_figures_draw_from_partial_and_empty_stores():
    assert "no run" in figures.accuracy_curves({}, title="Fig. 3a").texts[0].get_text()
    assert "no run" in figures.fig2({}).texts[0].get_text()
    assert "no" in figures.fig1a({}).texts[0].get_text()
    only = {("inception_small", "labels0", 0): fake(1.0, 0.9, model="inception_small")}
    ax = figures.fig1a(only).axes[0]
    assert [line.get_label() for line in ax.get_lines()][0] == "true labels"
    fig = figures.fig1a(only, planned=["labels0", "labels1", "random_pixels"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "true labels", "random labels (not stored yet)", "random pixels (not stored yet)"]


def test_recipe_and_runs_frames():
    a = RunConfig(model="mlp_1x512", n_train=5000, lr_decay=0.995, max_epochs=400)
    b = RunConfig(model="inception_small", n_train=5000, max_epochs=80)
    r = tables.recipe_frame([a, b])
    assert r.loc["MLP 1x512", "lr factor per epoch"] == 0.995
    assert r.loc["MLP 1x512", "steps per epoch"] == 40 and r.loc["Inception", "initial lr"] == 0.1
    assert r.loc["Inception", "BatchNorm"] == "yes" and r.loc["MLP 1x512", "BatchNorm"] == "no"
    # a run not stored yet with n_test None tests on the whole split, as its stored partner
    # says: one value, not "10000 / -"
    c = RunConfig(model="mlp_1x512", dataset="fashion_mnist", n_train=5000, n_test=None,
                  curve_n_test=2000)
    stored = SimpleNamespace(config=RunConfig(**{**c.to_dict(), "seed": 1}),
                             summary={"n_test": 10000, "n_train": 5000, "n_curve_test": 2000})
    r2 = tables.recipe_frame([c, stored.config], [stored])
    assert r2.loc["MLP 1x512", "test images"] == 10000
    assert r2.loc["MLP 1x512", "curve test images"] == 2000
    assert tables.steps_per_epoch(129, 128) == 1 and tables.steps_per_epoch(130, 128) == 2
    rows = tables.runs_frame({("mlp_1x512", 0): fake(1.0, 0.1, losses=[1.0] * 9 + [0.005],
                                                     steps_to_loss=999)})
    assert rows.loc[0, "run"] == "MLP 1x512"
    assert rows.loc[0, "steps to loss"] == 400  # held from epoch 10 (40 steps an epoch), not 999


def test_fit_ratios_by_each_metric_pair_seeds():
    """Each time to fit is the first epoch after which its mark holds (40 steps an epoch)."""
    runs = {("mlp_1x512", 0.0, 0): fake(1.0, 0.85, curve=_accs(0.5, 0.99, 1.0, 1.0),
                                        losses=[1, 1, 0.5, 0.005]),       # 99: 80, 100: 120, loss: 160
            ("mlp_1x512", 0.0, 1): fake(1.0, 0.83, curve=_accs(0.99, 0.99, 1.0, 1.0),
                                        losses=[1, 1, 1, 0.005]),         # 40, 120, 160
            ("mlp_1x512", 1.0, 0): fake(1.0, 0.10, curve=_accs(0.2, 0.5, 0.99, 0.99, 0.99, 1.0,
                                                                1.0, 1.0),
                                        losses=[1] * 7 + [0.005]),        # 120, 240, 320
            ("mlp_1x512", 1.0, 1): fake(0.99, 0.10, curve=_accs(0.2, 0.99, 0.99, 1.0, 0.99),
                                        losses=[1, 1, 1, 1, 0.005]),      # 80, never, 200
            ("alexnet_small", 0.0, 0): fake(1.0, 0.8, curve=_accs(1.0))}  # no random-label run
    f = tables.fit_ratios(runs)
    assert list(f.index) == ["MLP 1x512"] and f.loc["MLP 1x512", "seeds"] == 2
    row = f.loc["MLP 1x512"]
    assert row["loss ≤ 0.01"] == pytest.approx((2.0 + 1.25) / 2)   # each seed against its own
    assert row["99% train acc"] == pytest.approx((1.5 + 2.0) / 2)
    assert row["100% train acc"] == pytest.approx(2.0)              # seed 1 never held 100%


@pytest.mark.parametrize("v, text", [(0.005, "0.005"), (0.98969, "0.98969"), (1030.0, "1,030"),
                                     (5e-05, "0.00005"), (2784.0, "2,784"), (1e-9, "1e-09")])
def test_plain_number_has_no_scientific_notation(v, text):
    assert tables.plain_number(v) == text


def test_format_frame_counts_are_whole_numbers_with_separators():
    f = pd.DataFrame({"steps to 100%": [2784.0, None], "test acc %": [44.6812, 9.5],
                      "lr": [0.03, 0.1], "epochs": [48, 300]})
    html = tables.format_frame(f).to_html()
    assert "2,784<" in html and "2,784.00" not in html and "44.68" in html and "300" in html
    html = tables.format_frame(f, digits=None).to_html()
    assert ">0.03<" in html and "0.030000" not in html
    # counts held as objects (ints beside None, rows built one by one) get separators too;
    # a column of truth values reads yes / no, text is left as it is
    f = pd.DataFrame({"steps to loss": pd.Series([19550, None], dtype=object),
                      "fitted": pd.Series([True, False], dtype=object), "run": ["a", "b"]})
    html = tables.format_frame(f).to_html()
    assert "19,550<" in html and ">-<" in html and ">yes<" in html and ">a<" in html
    # a column of text and numbers (a recipe's joined values above a lone one): the numbers
    # formatted as in a numeric column, the text left as it is
    f = pd.DataFrame({"initial lr": ["0.1 / 0.03", 0.03], "factor": ["a", 0.9897]})
    html = tables.format_frame(f, digits=None).to_html()
    assert ">0.1 / 0.03<" in html and ">0.03<" in html and "0.030000" not in html
    assert ">0.9897<" in html and "0.989700" not in html
    assert ">0.99<" in tables.format_frame(f).to_html()


def test_runs_table_keeps_runs_whose_keys_collide_across_experiments():
    """Gaussian noise and random labels on MNIST are both keyed ModelKey(model, seed): merged
    into one dict, one experiment's runs hid the other's (issue 25). Each appears here."""
    from rethink_lib.builders import ModelKey
    gauss = {ModelKey("mlp_1x512", s): fake(1.0, 0.1) for s in (0, 1, 2)}
    mnist = {ModelKey("mlp_1x512", s): fake(0.99, 0.11) for s in (0, 1, 2)}
    for r in mnist.values():
        r.config = RunConfig(model="mlp_1x512", dataset="mnist")
    assert len({**gauss, **mnist}) == 3  # the old merge: three runs lost
    t = tables.runs_table({"Gaussian noise": gauss, "random labels, MNIST": mnist})
    assert len(t) == 6 and list(t.columns[:2]) == ["experiment", "data"]
    assert t.groupby("experiment").size().to_dict() == {"Gaussian noise": 3, "random labels, MNIST": 3}
    assert set(t["data"]) == {"Fashion-MNIST", "MNIST"}


@pytest.mark.parametrize("ours_n, times, why", [
    (10_000, "5.0 times", "fewer training images than the paper's"),
    (100_000, "0.5 times", "more training images than the paper's"),
    (50_000, "1.0 times", "the paper's networks and sizes")])
def test_per_image_sentence_says_how_many_times_the_papers(ours_n, times, why):
    frame = pd.DataFrame({"parameters": [1_000_000.0, 2_000_000.0],
                          f"per image, ours (n = {ours_n:,})": [1e6 / ours_n, 2e6 / ours_n],
                          "per image, paper (n = 50,000)": [20.0, 40.0]}, index=["a", "b"])
    text = tables.per_image_sentence(frame)
    assert text.endswith(f": {times} as many for each network ({why}).")
    assert text.startswith(f"Parameters per training image: ours {1e6 / ours_n:,.0f} to ")


def test_format_frame_reads_yes_no_and_puts_the_index_name_in_the_header_row():
    from rethink_lib.report.tables.display import format_frame
    frame = pd.DataFrame({"fitted": [True, False, None], "acc (%)": [99.5, 12.25, None]},
                         index=pd.Index(["AlexNet", "MLP 1x512", "Inception"], name="model"))
    html = format_frame(frame).to_html()
    assert html.count("<tr>") == 4  # one header row, three body rows: no row for "model"
    assert ">yes</td>" in html and ">no</td>" in html and "True" not in html
    assert 'class="index_name level0" >model</th>' in html and ">12.25</td>" in html
