"""The precision check pairs an archived run with the stored run of the same config."""

import pytest

from rethink_lib.config import RunConfig
from rethink_lib.ops import precision as P
from rethink_lib.results import ResultMismatchError, save_result

CONFIG = RunConfig(dataset="digits", model="mlp_1x512", n_train=50, n_test=50, max_epochs=2)


def _store(folder, precision, test_acc, steps_to_loss=40, device="AMD EPYC"):
    metrics = [{"epoch": e, "train_loss": 1.0 / e} for e in (1, 2)]
    summary = {"precision": precision, "device_name": device, "final_test_acc": test_acc,
               "final_train_acc": 1.0, "n_test": 10_000, "steps_to_loss": steps_to_loss,
               "steps_to_99": 30, "steps_to_fit": 40, "epochs": 2, "wall_seconds": 7200.0,
               "fit_loss": 0.01}
    return save_result(CONFIG, metrics, [0.5] * 4, summary, folder)


@pytest.fixture
def archive(tmp_path, monkeypatch):
    monkeypatch.setattr("rethink_lib.results.summary_problem", lambda *a: None)
    _store(tmp_path / "archive" / "amd-epyc-fp32", "fp32", 0.890)
    return tmp_path / "archive"


def test_pair_within_noise_agrees_and_table_has_both_runs(archive, tmp_path):
    _store(tmp_path / "results", "bf16", 0.893, steps_to_loss=44, device="Xeon")
    pairs = P.load_pairs(archive, tmp_path / "results")
    (v,) = P.precision_verdicts(pairs)
    assert v.outcome == "agrees"
    assert "bf16 instead of fp32 moves test accuracy by +0.30 points" in v.text
    assert "after 40 steps in fp32 and 44 in bf16 (bf16/fp32 = 1.10x)" in v.text
    assert "also differ in machine (AMD EPYC against Xeon)" in v.text
    frame = P.pairs_frame(pairs)
    assert frame["precision"].tolist() == ["fp32", "bf16"]
    assert frame["test %"].round(1).tolist() == [89.0, 89.3]
    assert frame["hours"].tolist() == [2.0, 2.0]


def test_pair_beyond_noise_differs(archive, tmp_path):
    _store(tmp_path / "results", "bf16", 0.860)
    (v,) = P.precision_verdicts(P.load_pairs(archive, tmp_path / "results"))
    assert v.outcome == "differs" and "above the noise" in v.text
    assert "(bf16/fp32 = 1.00x): the same time to fit." in v.text  # 40 steps both


def test_a_different_time_to_fit_names_both_explanations(archive, tmp_path):
    _store(tmp_path / "results", "bf16", 0.890, steps_to_loss=50)
    (v,) = P.precision_verdicts(P.load_pairs(archive, tmp_path / "results"))
    assert ("(bf16/fp32 = 1.25x): a difference in time to fit of this size can come from the "
            "arithmetic alone, or from anything else the two runs differ in.") in v.text


def test_partner_missing_or_same_precision(archive, tmp_path):
    (v,) = P.precision_verdicts(P.load_pairs(archive, tmp_path / "results"))
    assert v.outcome == "missing"
    _store(tmp_path / "results", "fp32", 0.890)
    (v,) = P.precision_verdicts(P.load_pairs(archive, tmp_path / "results"))
    assert v.outcome == "inconclusive" and "both runs used fp32" in v.text


def test_damaged_archive_is_refused(archive, tmp_path):
    run = next(archive.glob("*/*/metrics.csv"))
    run.write_text(run.read_text() + "3,0.1\n")
    with pytest.raises(ResultMismatchError):
        P.load_pairs(archive, tmp_path / "results")


def test_find_archive_walks_up_from_the_book(tmp_path):
    (tmp_path / "docs" / "precision_check").mkdir(parents=True)
    (tmp_path / "book").mkdir()
    assert P.find_archive(tmp_path / "book") == (tmp_path / "docs" / "precision_check").resolve()


def test_model_precision_sentence_names_mixed_models():
    import pandas as pd
    frame = pd.DataFrame({"run": ["mlp_1x512-f-labels0-1", "mlp_1x512-f-labels1-2",
                                  "alexnet_small-f-labels0-3", "alexnet_small-f-labels1-4",
                                  "alexnet_small-f-labels0.5-5"],
                          "status": ["complete"] * 4 + ["no summary.json yet"],
                          "precision": ["fp32", "fp32", "fp32", "bf16", None]})
    text = P.model_precision_sentence(frame)
    assert "MLP 1x512: 2 in fp32; AlexNet: 1 in bf16, 1 in fp32." in text
    assert "The runs of AlexNet mix precisions" in text
    assert P.model_precision_sentence(frame.iloc[:2]).endswith("Each model's runs share one precision.")


def test_both_runs_archived_pair_with_each_other(archive, tmp_path):
    _store(archive / "xeon-bf16", "bf16", 0.893, device="Xeon")
    _store(tmp_path / "results", "fp32", 0.5)  # the store's run is not used: both are archived
    (v,) = P.precision_verdicts(P.load_pairs(archive, tmp_path / "results"))
    assert v.outcome == "agrees" and "+0.30 points" in v.text


def test_pairs_across_a_fixed_precision_field(tmp_path, monkeypatch):
    """The cifar profile fixes a model's precision in its config, so the partner run has
    the same config up to `precision` (and another run id)."""
    monkeypatch.setattr("rethink_lib.results.summary_problem", lambda *a: None)
    from dataclasses import replace
    bf16 = replace(CONFIG, precision="bf16")
    metrics = [{"epoch": e, "train_loss": 1.0 / e} for e in (1, 2)]
    base = {"device_name": "AMD EPYC", "final_train_acc": 1.0, "n_test": 10_000,
            "steps_to_loss": 40, "steps_to_99": 30, "steps_to_fit": 40, "epochs": 2,
            "wall_seconds": 60.0, "fit_loss": 0.01}
    save_result(replace(bf16, precision="fp32"), metrics, [0.5] * 4,
                {**base, "precision": "fp32", "final_test_acc": 0.70}, tmp_path / "archive" / "x")
    (v,) = P.precision_verdicts(P.load_pairs(tmp_path / "archive", tmp_path / "results"))
    assert v.outcome == "missing"
    save_result(bf16, metrics, [0.5] * 4, {**base, "precision": "bf16", "final_test_acc": 0.66},
                tmp_path / "results")
    (v,) = P.precision_verdicts(P.load_pairs(tmp_path / "archive", tmp_path / "results"))
    assert v.outcome == "differs" and "bf16 instead of fp32 moves test accuracy by -4.00" in v.text


def test_train_partner_checks_its_input_and_trains_the_other_precision(tmp_path):
    pytest.importorskip("sklearn")
    from dataclasses import replace
    from rethink_lib.runner import get_or_run
    tiny = replace(CONFIG, max_epochs=1, precision="fp32", n_train=40, n_test=40)
    stored = get_or_run(tiny, tmp_path / "results", device="cpu", progress=False)
    with pytest.raises(FileNotFoundError, match="no stored run 'nope'"):
        P.train_partner("nope", "bf16", tmp_path / "archive" / "b", tmp_path / "results")
    with pytest.raises(ValueError, match="already uses fp32"):
        P.train_partner(tiny.run_id, "fp32", tmp_path / "archive" / "b", tmp_path / "results")
    with pytest.raises(ValueError, match="fp32 or bf16"):
        P.train_partner(tiny.run_id, "auto", tmp_path / "archive" / "b", tmp_path / "results")
    partner = P.train_partner(tiny.run_id, "bf16", tmp_path / "archive" / "b",
                              tmp_path / "results", progress=False)
    assert partner.config == replace(tiny, precision="bf16")
    assert partner.summary["precision"] == "bf16"
    ((old, new),) = P.load_pairs(tmp_path / "archive", tmp_path / "results")
    assert old.config.run_id == partner.config.run_id and new.config.run_id == stored.config.run_id
    (tmp_path / "results" / tiny.run_id / "metrics.csv").write_text("damaged\n")
    with pytest.raises(ResultMismatchError):
        P.train_partner(tiny.run_id, "bf16", tmp_path / "archive" / "c", tmp_path / "results")
