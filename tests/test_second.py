"""rethink_lib.report.second: the second data set on a chapter's page, beside the first and in
place of an experiment none of whose runs is stored, on fabricated runs with real configs."""
from types import SimpleNamespace

import pytest

from rethink_lib.chapter_params import ParameterError, read_parameters
from rethink_lib.experiments import fig3a, fig3b, resolve
from rethink_lib.report import synthesis
from rethink_lib.report import verdicts as V
from rethink_lib.report.second import Second

CIFAR, FMNIST = resolve("cifar"), resolve("cpu")


def result(config, n_train):
    return SimpleNamespace(config=config, summary={"n_train": n_train, "n_test": 10_000,
                                                   "n_curve_test": 2000, "precision": "bf16",
                                                   "device_name": "a CPU"})


class Runs:
    """The ChapterRuns interface Second reads: {experiment: {key: config}} planned, and the
    stored subset {experiment: {key: result}}."""

    def __init__(self, settings, planned: dict, stored: dict):
        self.settings, self.configs = settings, planned
        self.results = {e: stored.get(e, {}) for e in planned}

    def __getitem__(self, experiment):
        return self.results[experiment]

    def stored(self, experiments=None):
        return [r for e in (experiments or self.results) for r in self.results[e].values()]

    def all_configs(self, experiments=None):
        return [c for e in (experiments or self.configs) for c in self.configs[e].values()]

    def n_train(self, experiments=None):
        return self.settings["n_train"]

    def facts(self, experiments=None):
        return {"n_train": f"{self.settings['n_train']:,}", "n_test": "10,000",
                "n_curve_test": "2,000", "precision": "bf16", "device": "a CPU"}


def page(stored_first: bool, with_second: bool = True) -> Second:
    """Fig. 3a with nothing stored on CIFAR-10 and every run on Fashion-MNIST; Fig. 3b stored on
    CIFAR-10 (`stored_first`) or nowhere."""
    a1, b1, a2, b2 = fig3a(CIFAR), fig3b(CIFAR), fig3a(FMNIST), fig3b(FMNIST)
    first = Runs(CIFAR, {"fig3a": a1, "fig3b": b1},
                 {"fig3b": {k: result(c, 10_000) for k, c in b1.items()}} if stored_first else {})
    found = {"fig3a_es": V.Verdict("Fig. 3a: early stopping", "missing", V.NOTHING_STORED),
             "fig3b_test": V.Verdict("Fig. 3b: BatchNorm improves test accuracy",
                                     "agrees" if stored_first else "missing",
                                     "CIFAR text." if stored_first else V.NOTHING_STORED)}
    if not with_second:
        return Second(first, found, "cifar10")
    second = Runs(FMNIST, {"fig3a": a2, "fig3b": b2},
                  {"fig3a": {k: result(c, 5000) for k, c in a2.items()}})
    other = {"fig3a_es": V.Verdict("Fig. 3a: early stopping", "agrees", "No benefit."),
             "fig3b_test": V.Verdict("Fig. 3b: BatchNorm improves test accuracy", "missing",
                                     V.NOTHING_STORED)}
    return Second(first, found, "cifar10", second, other, "fashion_mnist")


@pytest.mark.parametrize("stored_first", [True, False])
def test_only_an_experiment_with_nothing_stored_on_the_first_data_set_is_stood_in(stored_first):
    sec = page(stored_first)
    # Fig. 3a: nothing on CIFAR-10, all on Fashion-MNIST; Fig. 3b: stored on CIFAR-10, or on
    # neither (then there is nothing to stand in with)
    assert sec.stand_ins() == ["fig3a"]
    shown = sec.shown()
    assert shown["fig3a"] is sec.other_runs["fig3a"] and shown["fig3b"] is sec.runs["fig3b"]
    assert sec.dataset("fig3a") == "fashion_mnist" and sec.dataset("fig3b") == "cifar10"
    notes = sec.notes()
    assert notes["fig3b"] == ""
    assert notes["fig3a"].startswith("**Shown on Fashion-MNIST (5,000 training images), in place "
                                     "of CIFAR-10.** None of the 4 CIFAR-10 runs")
    assert "not counted as results on CIFAR-10" in notes["fig3a"]


def test_a_stand_in_verdict_is_the_second_data_sets_and_says_so():
    sec = page(stored_first=True)
    shown = sec.verdicts()
    assert shown["fig3a_es"].outcome == "agrees"
    assert shown["fig3a_es"].text == "*On Fashion-MNIST:* No benefit."
    assert shown["fig3b_test"] is sec.found["fig3b_test"]  # the first data set's own verdict
    # the page's own verdicts (its summary, the conclusion) are left as they were
    assert sec.found["fig3a_es"].outcome == "missing"


def test_without_a_second_data_set_the_page_is_its_own():
    sec = page(stored_first=False, with_second=False)
    assert sec.stand_ins() == [] and sec.summary() == "" and sec.setup_note() == ""
    assert sec.verdicts() == sec.found
    assert list(sec.claims().columns) == ["claim", "paper", "report", "ours: CIFAR-10", "kind"]
    assert all(n == "" for n in sec.notes().values())


def test_the_chapters_claims_side_by_side_and_its_second_summary():
    sec = page(stored_first=True)
    sec.found = synthesis.classify({"p": sec.found}, CIFAR)["p"]
    sec.other_found = synthesis.classify({"p": sec.other_found}, FMNIST)["p"]
    frame = sec.claims()
    assert list(frame["claim"]) == ["Early stopping could improve test accuracy",
                                    "BatchNorm improves test accuracy"]  # this chapter's only
    assert list(frame["ours: CIFAR-10"]) == ["not stored yet", "reproduces"]
    assert list(frame["ours: Fashion-MNIST"]) == ["reproduces", "not stored yet"]
    text = sec.summary()
    assert text.startswith("On Fashion-MNIST, 1 of this chapter's 2 findings reproduces")
    assert text.endswith("No finding is decided yet on both CIFAR-10 and Fashion-MNIST with all "
                         "its runs stored (runs left to a GPU aside).")


def test_the_set_up_names_the_stand_ins_runs_and_the_recipe_lists_both_data_sets():
    sec = page(stored_first=True)
    note = sec.setup_note()
    assert note.startswith("The section shown on Fashion-MNIST in place of CIFAR-10 (Fig. 3a) "
                           "draws the stored runs of the cpu profile: 5,000 training images per "
                           "run")
    recipe = sec.recipe(["fig3a", "fig3b"])
    assert list(recipe.index) == ["Inception (CIFAR-10)", "Inception w/o BatchNorm (CIFAR-10)",
                                  "Inception (Fashion-MNIST)"]
    fm = recipe.loc[[i for i in recipe.index if i.endswith("(Fashion-MNIST)")]]
    assert set(fm["training images"]) == {5000}


@pytest.mark.parametrize("value, ok", [("cpu", True), ("", True), (None, True),
                                       ("laptop", False), (3, False)])
def test_the_second_profile_parameter_is_checked(value, ok):
    from rethink_lib.chapter_params import CHAPTER_PARAMETERS, NOTEBOOK_DEFAULTS
    ns = {p.name: NOTEBOOK_DEFAULTS.get(p.name) for p in CHAPTER_PARAMETERS["04_implicit"]}
    ns.update(profile="smoke", second_profile=value)
    if ok:
        assert read_parameters("04_implicit", ns)[1]["second_profile"] == (value or "")
    else:
        with pytest.raises(ParameterError, match="second_profile: unknown profile"):
            read_parameters("04_implicit", ns)


def fig1a_page(stored_first: int, stored_second: int) -> Second:
    """Fig. 1a's five corruptions, `stored_first` of them stored on CIFAR-10 and
    `stored_second` on Fashion-MNIST."""
    from rethink_lib.experiments import fig1a
    a1, a2 = fig1a(CIFAR), fig1a(FMNIST)
    first = Runs(CIFAR, {"fig1a": a1},
                 {"fig1a": {k: result(c, 10_000) for k, c in list(a1.items())[:stored_first]}})
    second = Runs(FMNIST, {"fig1a": a2},
                  {"fig1a": {k: result(c, 5000) for k, c in list(a2.items())[:stored_second]}})
    other = {"fig1a_fit": V.Verdict("Fig. 1a: Inception fits every corruption", "agrees",
                                    "All 5 runs fitted."),
             "fig1a_order": V.Verdict("Fig. 1a: order", "agrees", "A check here.", kind="check"),
             "fig2": V.Verdict("report Fig. 2", "agrees", "Not this figure's.")}
    return Second(first, {}, "cifar10", second, other, "fashion_mnist")


@pytest.mark.parametrize("first, second, drawn", [(1, 5, True), (0, 5, False), (5, 5, False),
                                                  (2, 2, False), (2, 3, True)])
def test_a_partial_figure_gets_the_second_data_sets_panel_beside_it(first, second, drawn):
    sec = fig1a_page(first, second)
    # beside only where the first data set is partial (not empty: that is a stand-in) and the
    # second has more of the figure's runs
    assert bool(sec.beside("fig1a")) is drawn
    note = sec.beside_note("fig1a")
    if not drawn:
        assert note == ""
        return
    verb = "is" if first == 1 else "are"
    assert note.startswith(f"**Beside it, on Fashion-MNIST.** Only {first} of the 5 CIFAR-10 "
                           f"runs of this figure {verb} stored yet, so its right-hand panel")
    assert f"where {second} of its 5 runs are stored. Its findings there:" in note
    # the figure's own findings only (not another figure's, not a check), each named with its
    # data set
    assert note.endswith("\n\n- *Fig. 1a: Inception fits every corruption* on Fashion-MNIST: "
                         "All 5 runs fitted.")


def test_fig1a_draws_the_second_data_set_in_a_right_hand_panel():
    from rethink_lib.experiments import fig1a
    from rethink_lib.report import figures

    def loss_run(config, n):
        return SimpleNamespace(config=config, step_losses=list(1.0 / (1 + 0.01 * i) for i in range(n)))
    a1, a2 = fig1a(CIFAR), fig1a(FMNIST)
    first = {k: loss_run(c, 300) for k, c in list(a1.items())[:1]}
    second = {k: loss_run(c, 200) for k, c in a2.items()}
    planned = CIFAR["fig1a_corruptions"]
    fig = figures.fig1a(first, "inception_small", planned, beside=second,
                        names=["CIFAR-10", "Fashion-MNIST"])
    left, right = fig.axes
    assert left.get_title() == "CIFAR-10" and right.get_title() == "Fashion-MNIST (second data set)"
    assert len(left.lines) == 1 + 1 and len(right.lines) == 5 + 1  # the loss target dotted in each
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "true labels" and len(labels) == 5
    assert sum(label.endswith("(not stored yet on CIFAR-10)") for label in labels) == 4
    # one colour per corruption in both panels
    assert left.lines[0].get_color() == right.lines[0].get_color()
    # without a second data set: the one-panel figure
    assert len(figures.fig1a(first, "inception_small", planned).axes) == 1


@pytest.mark.parametrize("stored_first", [True, False])
def test_the_store_sentence_says_what_stands_in_for_the_missing_runs(stored_first):
    sec = page(stored_first)
    sec.runs.missing_ids = [c.run_id for e, cs in sec.runs.configs.items() for c in cs.values()
                            if not sec.runs[e]]
    sec.runs.total = sum(len(cs) for cs in sec.runs.configs.values())
    sec.runs.missing_sentence = lambda: "Some runs are missing."
    text = sec.missing_sentence()
    if stored_first:  # Fig. 3b stored, Fig. 3a stood in for
        assert text == ("Some runs are missing. Meanwhile Fig. 3a shows the same experiment on "
                        "Fashion-MNIST in place of CIFAR-10.")
    else:
        assert text == ("**None of the 6 runs this page needs is in the results store yet** "
                        "(listed below): until they are, Fig. 3a shows the same experiment on "
                        "Fashion-MNIST in their place, and the page's verdicts on CIFAR-10 wait "
                        "for them.")
    alone = page(stored_first, with_second=False)
    alone.runs.missing_sentence = lambda: "Some runs are missing."
    assert alone.missing_sentence() == "Some runs are missing."


def test_the_set_up_counts_a_whole_test_split_not_n_a(tmp_path):
    from rethink_lib.report.glue import ChapterRuns
    runs = ChapterRuns(CIFAR, ["fig3b"], [tmp_path])  # nothing stored: sizes from the configs
    facts = runs.facts(["fig3b"])
    assert CIFAR["n_test"] is None and facts["n_test"] == "10,000"
    assert facts["n_train"] == "10,000" and facts["device"] == "n/a"  # no run: no device yet


def test_a_stand_in_names_the_data_its_own_runs_would_have_used():
    """A page whose experiments use different data (Fig. 3a on CIFAR-100 as at the paper's
    scale, Fig. 3b on CIFAR-10): each note names its own."""
    paper = resolve("paper")
    a1, b1, a2, b2 = fig3a(paper), fig3b(CIFAR), fig3a(FMNIST), fig3b(FMNIST)
    first = Runs(paper, {"fig3a": a1, "fig3b": b1}, {})
    second = Runs(FMNIST, {"fig3a": a2, "fig3b": b2},
                  {"fig3a": {k: result(c, 5000) for k, c in a2.items()},
                   "fig3b": {k: result(c, 5000) for k, c in b2.items()}})
    sec = Second(first, {}, paper["dataset"], second, {}, "fashion_mnist")
    notes = sec.notes()
    assert "in place of CIFAR-100.** None of the 4 CIFAR-100 runs" in notes["fig3a"]
    assert "in place of CIFAR-10.** None of the 2 CIFAR-10 runs" in notes["fig3b"]
    assert "in place of CIFAR-100 and CIFAR-10 (Fig. 3a and Fig. 3b) draw " in sec.setup_note()


def test_a_claim_whose_experiment_plans_no_run_is_left_out_not_waiting():
    """The cpu profile plans nothing at the paper's scale: its verdicts on it are dropped from
    the counts and tables (a '-' there), not counted as waiting for runs."""
    from rethink_lib.report.findings.book import untested_dropped
    found = {"t1_full_fit": V.Verdict("x", "missing", V.NOTHING_STORED),
             "t1_fit": V.Verdict("y", "agrees", "Fitted."),
             "linear": V.Verdict("z", "agrees", "A chapter's own, judged on no experiment.")}
    planned = {"table1": {"a": object()}, "table1_full": {}, "table1_full_late": {}}
    assert list(untested_dropped(found, planned)) == ["t1_fit", "linear"]
    # planned in the `also` experiment only: still tested
    planned["table1_full_late"] = {"b": object()}
    assert list(untested_dropped(found, planned)) == ["t1_full_fit", "t1_fit", "linear"]


def test_fig1bc_draws_the_second_data_set_as_a_lower_row():
    import pandas as pd

    from rethink_lib.report import figures

    def levels(models, ps):
        rows = [{"model": m, "level": p, "seeds": 1, "relative": 1 + p, "relative_lo": 1 + p,
                 "relative_hi": 1 + p, "test_error": 10 + 80 * p, "test_error_lo": 10 + 80 * p,
                 "test_error_hi": 10 + 80 * p} for m in models for p in ps]
        return pd.DataFrame(rows)
    # the networks in another order than below: colours by the default cycle would differ
    ours = pd.concat([levels(["alexnet_small"], [0.0, 0.5, 1.0]), levels(["inception_small"], [0.0])])
    theirs = levels(["inception_small", "alexnet_small"], [0.0, 0.5, 1.0])
    fig = figures.fig1bc(ours, 10, beside=theirs, names=["CIFAR-10", "Fashion-MNIST"])
    top, bottom = fig.subfigs
    assert top._suptitle.get_text() == "CIFAR-10"
    assert bottom._suptitle.get_text() == "Fashion-MNIST (second data set)"
    a, b = top.axes
    c, d = bottom.axes
    assert a.get_title() == c.get_title() == "(b) time to overfit"
    # one legend entry per network, as the first row labels it (its gap said there)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["AlexNet", "Inception (so far only p = 0)"]
    # each network one colour in both rows
    def colours(ax):
        return {ct.get_label().split(" (")[0]: ct.lines[0].get_color() for ct in ax.containers}
    assert colours(a) == colours(c) and len(colours(c)) == 2
    assert len(figures.fig1bc(ours, 10).axes) == 2  # without beside: one row
