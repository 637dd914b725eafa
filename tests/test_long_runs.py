"""rethink_lib.ops.long_runs: the runs the CPU queue leaves to a GPU, on fabricated cost tables."""
import pytest

from rethink_lib.config import RunConfig
from rethink_lib.experiments import QUEUE, planned_runs, resolve
from rethink_lib.ops import long_runs as L


def entry(**per_model):
    """A cost-table entry: {model: seconds per 1,000 training images}, evaluation free."""
    return {"models": {m: {"train_s_per_1k": s, "eval_s_per_1k": 0.0} for m, s in per_model.items()}}


def test_cheapest_cpu_only_reads_entries_of_the_runs_precision():
    c = RunConfig(model="alexnet_small", dataset="cifar10", n_train=10_000, precision="fp32",
                  max_epochs=10, target_train_loss=None)
    entries = {"Slow / fp32": entry(alexnet_small=3.0), "Fast / fp32": entry(alexnet_small=1.0),
               "Fastest / bf16": entry(alexnet_small=0.1), "Other / fp32": entry(mlp_1x512=0.1)}
    key, secs = L.cheapest_cpu(c, entries)
    assert key == "Fast / fp32"
    from rethink_lib.costs import expected_epochs
    assert secs == pytest.approx(expected_epochs(c) * 10)  # 10,000 images at 1 s per 1,000
    assert L.cheapest_cpu(c, {"Fastest / bf16": entry(alexnet_small=0.1)}) is None
    auto = RunConfig(model="alexnet_small", dataset="cifar10", n_train=10_000, precision="auto",
                     max_epochs=10, target_train_loss=None)
    assert L.cheapest_cpu(auto, entries)[0] == "Fastest / bf16"  # auto: any precision


def test_long_runs_cuts_what_no_cpu_finishes_in_a_session(tmp_path):
    s = resolve("cifar")
    table = {"machines": {"X / fp32": entry(inception_small=1e4),  # hours per epoch
                          "Y / fp32": entry(alexnet_small=1e-3)}}  # seconds per run
    frame = L.long_runs("cifar", tmp_path, table)  # an empty store: every run missing
    plan = planned_runs(s, QUEUE)
    incep = {r for r, (_, c) in plan.items() if c.model == "inception_small"}
    assert set(frame["run"]) == incep and len(incep) > 5
    assert set(frame["fastest CPU measured"]) == {"X / fp32"}
    assert (frame["predicted hours"] > L.SESSION_HOURS).all()
    # a longer session cuts nothing the cost table puts under it
    assert L.long_runs("cifar", tmp_path, table, hours=1e9).empty
    text = L.long_runs_sentence(frame, "cifar")
    assert text.startswith(f"{len(incep)} missing runs of the cifar profile are cut")
    assert f"{frame['predicted hours'].sum():,.1f} hours" in text
    assert "cuts none" in L.long_runs_sentence(frame.iloc[:0], "cifar")


def test_make_runs_leaves_long_runs_to_a_gpu_unless_asked(tmp_path, monkeypatch, capsys):
    from rethink_lib import costs, make_runs
    table = {"machines": {"X / fp32": entry(mlp_1x512=1e6, mlp_3x512=1e-3)}}
    monkeypatch.setattr(costs, "load_table", lambda *a, **k: table)
    args = ["--profile", "smoke", "--device", "cpu", "--results-dir", str(tmp_path), "--dry-run",
            "--models", "mlp_1x512", "mlp_3x512"]
    assert make_runs.main(args) == 0
    out = capsys.readouterr().out
    long = [line for line in out.splitlines() if line.strip().startswith("long ")]
    assert long and all("mlp_1x512" in line for line in long)
    assert "left to a GPU" in out.splitlines()[0]
    assert make_runs.main(args + ["--include-long"]) == 0
    out = capsys.readouterr().out
    assert "left to a GPU" not in out and not any(
        line.strip().startswith("long ") for line in out.splitlines())


def test_a_chapter_names_its_missing_runs_left_to_a_gpu(tmp_path, monkeypatch):
    from rethink_lib import costs
    from rethink_lib.report.glue import LONG, PREDICTED, ChapterRuns
    table = {"machines": {"X / fp32": entry(inception_small=1e4), "Y / fp32": entry(mlp_1x512=1e-3)}}
    monkeypatch.setattr(costs, "load_table", lambda *a, **k: table)
    runs = ChapterRuns(resolve("cifar"), ["other_dataset_random"], tmp_path)  # nothing stored
    why = {c.model: w for _, _, c, w in runs.missing}
    assert why["inception_small"].startswith(f"{LONG}: ") and "(X / fp32)" in why["inception_small"]
    assert why["mlp_1x512"] == "not stored"
    assert why["alexnet_small"] == "not stored"  # no entry measured it: no prediction, no cut
    frame = runs.missing_frame()
    assert frame.loc[frame["run id"].str.startswith("inception"), "why"].str.startswith(LONG).all()
    # every missing run's cost on the fastest CPU measured, where one measured its model
    cost = dict(zip(frame["run id"].str.split("-").str[0], frame[PREDICTED]))
    hours = runs.predicted[next(r for r in runs.predicted if r.startswith("inception"))][1]
    assert hours > L.SESSION_HOURS and cost["inception_small"] == f"{hours:.1f} h on X / fp32"
    assert cost["mlp_1x512"] == "0.0 h on Y / fp32" and cost["alexnet_small"] == "-"


def test_short_entry_keeps_the_instruction_set_and_precision():
    assert L.short_entry("Intel(R) Xeon(R) Processor (AMX) / bf16") == "AMX, bf16"
    assert L.short_entry("AMD EPYC (AVX-512 BF16) / fp32") == "AVX-512 BF16, fp32"
    assert L.short_entry("NVIDIA H100 80GB HBM3 / bf16") == "NVIDIA H100 80GB HBM3 / bf16"


def test_missing_frame_of_one_experiment_lists_only_its_runs(tmp_path):
    """Under a figure with nothing stored, the table lists that figure's runs, not the page's."""
    from rethink_lib.report.glue import ChapterRuns
    runs = ChapterRuns(resolve("cifar"), ["fig3a", "fig3b", "fig3c"], tmp_path)  # nothing stored
    every = runs.missing_frame()
    only = runs.missing_frame("fig3b")
    assert len(only) == 2 and set(only["run"]) == {"with BN", "without BN"}
    assert len(every) > len(only) and set(only["run id"]) < set(every["run id"])
    assert len(runs.missing_frame("fig3a", "fig3c")) == len(every) - len(only)


def test_a_page_with_nothing_stored_says_so_and_its_caveats_name_the_gaps(tmp_path):
    from rethink_lib.report.glue import ChapterRuns
    runs = ChapterRuns(resolve("cifar"), ["fig3b"], tmp_path)  # nothing stored
    assert runs.missing_sentence().startswith("**None of the 2 runs this page needs is in the")
    assert "use the 0" not in runs.missing_sentence()
    assert runs.caveats_text("").endswith("besides the runs not stored yet (listed at the end of the page).")
    assert runs.caveats_text("- Not like-for-like.") == "- Not like-for-like."
    runs.missing = []
    assert runs.caveats_text("") == "None beyond those each result names."
    assert runs.missing_sentence() == "All 2 runs this page needs are in the results store."
