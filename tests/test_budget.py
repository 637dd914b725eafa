"""rethink_lib.ops.budget: the profile's machine time against its budget, in words."""
import json

import pytest

from rethink_lib.experiments import BUDGETS, all_configs, resolve
from rethink_lib.ops import budget as B

BUDGET, WORKERS = BUDGETS["cpu"]
IDS = [c.run_id for c in all_configs(resolve("cpu"))]


def pred(key, hours_of_machine, unknown=0):
    return B.Prediction(key, hours_of_machine * WORKERS * 60, len(IDS), unknown)


def test_within_budget_when_every_run_is_stored():
    text = B.budget_sentence("cpu", (BUDGET - 1) * WORKERS, len(IDS), len(IDS), [])
    assert f"{BUDGET - 1:.1f} h of the machine: within the budget" in text
    assert f"all {len(IDS)} runs" in text and "over" not in text


def test_over_budget_names_the_excess():
    text = B.budget_sentence("cpu", (BUDGET + 4.2) * WORKERS, len(IDS), len(IDS), [])
    assert "over the budget by 4.2 h." in text and "still to train" not in text


def test_partial_store_under_and_over():
    under = B.budget_sentence("cpu", (BUDGET - 3) * WORKERS, 10, len(IDS), [])
    assert "3.0 h under the budget so far" in under
    assert f"with {len(IDS) - 10} runs still to train" in under
    over = B.budget_sentence("cpu", (BUDGET + 1) * WORKERS, 10, len(IDS), [])
    assert "over the budget by 1.0 h, with runs still to train" in over


def test_predictions_sorted_and_judged_each():
    text = B.budget_sentence("cpu", 0.0, 0, len(IDS),
                             [pred("slow / fp32", BUDGET * 3), pred("fast / bf16", BUDGET / 2),
                              pred("partial / fp32", 1.0, unknown=3)])
    assert (f"predicts {BUDGET / 2:.1f} h on fast / bf16 (within the budget) and "
            f"{BUDGET * 3:.1f} h on slow / fp32 (over the budget).") in text
    assert "partial" not in text  # an entry that misses a model predicts no whole profile


def test_unknown_profile_has_no_budget():
    assert "has no machine-time budget" in B.budget_sentence("smoke", 1.0, 1, 1, [])


def test_stored_time_counts_only_the_profiles_runs():
    walls = {IDS[0]: 3600.0, IDS[1]: 1800.0, "someone-elses-run": 7200.0}
    assert B.stored_time("cpu", walls) == (1.5, 2, len(IDS))


def test_predictions_use_each_cost_table_entry(tmp_path):
    per_1k = {"train_s_per_1k": 1.0, "eval_s_per_1k": 0.0, "final_eval_s_per_1k": 0.0}
    models = {c.model for c in all_configs(resolve("cpu"))}
    table = {"machines": {"m / fp32": {"models": {m: per_1k for m in models}},
                          "m / bf16": {"models": {m: {**per_1k, "train_s_per_1k": 0.5}
                                                  for m in models}},
                          "n / fp32": {"models": {}}}}
    got = {p.cost_table: p for p in B.predictions(B.run_costs("cpu", tmp_path, table))}
    assert got["m / bf16"].minutes == pytest.approx(got["m / fp32"].minutes / 2)
    assert got["m / fp32"].minutes > 0 and got["m / fp32"].unknown == 0
    assert got["n / fp32"].unknown == len(IDS) and got["n / fp32"].minutes == 0


def test_breakdown_counts_each_run_once_and_sums(tmp_path):
    import pandas as pd
    per_1k = {"train_s_per_1k": 1.0, "eval_s_per_1k": 0.0, "final_eval_s_per_1k": 0.0}
    models = {c.model for c in all_configs(resolve("cpu"))}
    table = {"machines": {"m / fp32": {"models": {m: per_1k for m in models}},
                          "n / fp32": {"models": {"mlp_1x512": per_1k}}}}
    walls = {IDS[0]: 7200.0, IDS[-1]: 3600.0, "another-profile": 99.0}
    costs = B.run_costs("cpu", tmp_path, table)
    frame = B.breakdown(costs, walls).set_index("experiment")
    body, total = frame.drop(index="all"), frame.loc["all"]
    assert "Table I" in body.index and "table1" not in body.index  # labels, not registry names
    assert total["runs"] == len(IDS) == body["runs"].sum()
    assert total["stored"] == 2 and total["stored h"] == pytest.approx(3.0)
    assert total["predicted h, m / fp32"] == pytest.approx(body["predicted h, m / fp32"].sum())
    assert total["predicted h, m / fp32"] * 60 == pytest.approx(
        B.predictions(costs)[0].minutes)
    # an entry that has not measured every model of an experiment predicts nothing for it
    assert body["predicted h, n / fp32"].isna().any() and pd.isna(total["predicted h, n / fp32"])
    assert set(B.hour_formats(frame.reset_index())) == {
        "stored h", "predicted h, m / fp32", "predicted h, n / fp32"}


def test_store_walls_keeps_complete_runs():
    import pandas as pd
    runs = pd.DataFrame({"run": ["a", "b"], "wall_seconds": [10.0, None],
                         "status": ["complete", "no summary.json"]})
    assert B.store_walls(runs) == {"a": 10.0}
    assert B.store_walls(pd.DataFrame()) == {}


def _runs(walls, evals):
    import pandas as pd
    return pd.DataFrame({"run": [f"r{i}" for i in range(len(walls))], "wall_seconds": walls,
                         "eval_seconds": evals, "status": "complete"})


def test_eval_share_within_and_over():
    within = B.eval_sentence(_runs([100.0, 300.0], [10.0, 30.0]))
    assert "took 10.0% of the stored runs' wall time, at most 10.0% in one run" in within
    assert "within the limit of 25%" in within
    over = B.eval_sentence(_runs([100.0, 100.0, 100.0], [30.0, 40.0, 5.0]))
    assert "at most 40.0% in one run (`r1`): over in 2 runs, against the limit" in over
    partial = B.eval_sentence(_runs([100.0, 100.0], [10.0, None]))
    assert "1 runs do not record it" in partial


def test_eval_share_without_runs():
    import pandas as pd
    assert "No complete run" in B.eval_sentence(pd.DataFrame())
    assert "do not record" in B.eval_sentence(_runs([100.0], [None]))


def _gaussian_store(tmp_path, hours, monkeypatch):
    """A store whose one run (of the cpu profile) took `hours` of one worker. (Training a
    cpu-profile run is too slow for a unit test, so the store's verified reader is stood in
    for; test_superseded_runs_... and tests/test_execution_report.py read real stores.)"""
    monkeypatch.setattr(B, "walls_from_store",
                        lambda d: {IDS[0]: hours * 3600} if d == tmp_path else {})
    return tmp_path


@pytest.mark.parametrize("spent, per_1k, expected", [
    (BUDGET * WORKERS + 1, 1.0, "not run, since the stored runs already took"),  # over already
    (BUDGET * WORKERS - 0.5, 1.0, "not enough for it"),                          # too little left
    (1.0, 0.001, "enough for it: add it to `gaussian_models`"),                 # room left
])
def test_gaussian_left_out_judges_the_budget(tmp_path, monkeypatch, spent, per_1k, expected):
    s = resolve("cpu", gaussian_models=["mlp_1x512"])
    cost = {"train_s_per_1k": per_1k, "eval_s_per_1k": 0.0, "final_eval_s_per_1k": 0.0}
    table = {"machines": {"m / bf16": {"models": {m: cost for m in s["capacity_models"]}}}}
    text = B.gaussian_left_out(s, _gaussian_store(tmp_path, spent, monkeypatch), table)
    assert text.startswith("Inception and AlexNet are left out of this extension")
    assert expected in text and "on m / bf16" in text


def test_gaussian_left_out_when_none_is_left_out_or_no_budget(tmp_path):
    s = resolve("cpu", gaussian_models=["inception_small", "alexnet_small", "mlp_1x512"])
    assert B.gaussian_left_out(s, tmp_path, {"machines": {}}) == (
        "Every network of Fig. 1b has a Gaussian run here.")
    smoke = resolve("smoke")
    text = B.gaussian_left_out(smoke, tmp_path, {"machines": {}})
    assert "has no machine-time budget" in text and "cost table" not in text


@pytest.mark.parametrize("per_1k, expected", [
    (10.0, "longer than a 3-hour working session even there, so it is left out"),
    (0.001, "would fit in a 3-hour session: add it to `gaussian_models`"),
])
def test_gaussian_left_out_without_a_budget_weighs_the_session(tmp_path, per_1k, expected):
    """The cifar profile has no budget: a left-out run is weighed against a session."""
    s = resolve("cifar", gaussian_models=["alexnet_small", "mlp_1x512"])
    cost = {"train_s_per_1k": per_1k, "eval_s_per_1k": 0.0, "final_eval_s_per_1k": 0.0}
    table = {"machines": {"m / bf16": {"models": {"inception_small": cost}}}}
    text = B.gaussian_left_out(s, tmp_path, table)
    assert text.startswith("Inception is left out of this extension in the cifar profile")
    assert expected in text and "no machine-time budget" not in text


def test_superseded_runs_are_reported_beside_the_profiles_time(tmp_path):
    assert "No stored run has left the profile" in B.superseded_sentence(tmp_path / "absent")
    from rethink_lib.results import save_result

    from .test_store_faults import config_for, fake_train
    for level, hours in ((0.0, 1.0), (1.0, 0.5)):  # real runs, as the store holds them
        c = config_for(level=level)
        out = fake_train(c, device="cpu", progress=False)
        save_result(c, out.metrics, out.step_losses, {**out.summary, "wall_seconds": hours * 3600},
                    tmp_path)
    (tmp_path / "README.md").write_text("why")  # not a run
    (tmp_path / "fake-0000").mkdir()  # a summary with no run behind it: never counted
    (tmp_path / "fake-0000" / "summary.json").write_text(json.dumps({"wall_seconds": 36000}))
    text = B.superseded_sentence(tmp_path)
    assert "2 runs that left the profile" in text and "a further 1.5 h of workers" in text


def test_cost_table_caveats_are_stated():
    row = {"train_s_per_1k": 1.0, "eval_s_per_1k": 0.1}
    clean = {"machines": {"M / fp32": {"models": {"alexnet_small": dict(row)}}}}
    assert B.table_caveats(clean) == "The cost table marks none of its rows as out of date."
    stale = {"machines": {"M / fp32": {"models": {"alexnet_small": {**row, "note": "old LRN"},
                                                  "mlp_1x512": dict(row)}},
                          "N / bf16": {"models": {"mlp_3x512": {**row, "note": "busy"}}}}}
    text = B.table_caveats(stale)
    assert text == ("Caveats the cost table records: AlexNet on M / fp32: old LRN; "
                    "MLP 3x512 on N / bf16: busy.")
