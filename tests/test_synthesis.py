"""The conclusion's synthesis: kinds, counts (each verdict once) and the claims table."""
import pytest

from rethink_lib.report import synthesis as S
from rethink_lib.report import verdicts as V

SMALL = {"dataset": "cifar10", "n_train": 10000}
FULL = {"dataset": "cifar10", "n_train": None}


@pytest.mark.parametrize("key, settings, kind", [
    ("linear", SMALL, "check"), ("fig1c_chance", SMALL, "check"), ("decay_rule", FULL, "check"),
    ("report_bn", FULL, "context"),
    ("t1_vs_paper", SMALL, "context"), ("t1_vs_paper", FULL, "finding"),
    ("t1_vs_paper", {"dataset": "fashion_mnist", "n_train": None}, "context"),
    ("fig1b_ratio", SMALL, "finding"),
])
def test_kind_of(key, settings, kind):
    assert S.kind_of(key, settings) == kind


def _found(**outcomes):
    return {"02_capacity": {k: V.Verdict(k, o, f"{k} {o}.") for k, o in outcomes.items()}}


def test_counts_each_verdict_once_by_kind():
    parts = (V.Verdict("t", "agrees", "a."), V.Verdict("t", "differs", "b."))
    found = _found(fig1a_fit="agrees", fig1b_ratio="differs", linear="agrees",
                   report_bn="agrees", t1_vs_paper="differs")
    found["02_capacity"]["fig1c_rise"] = V.combine("t", parts)  # two parts, one verdict
    c = S.counts(S.classify(found, SMALL))
    assert c["finding"] == {"agrees": 1, "differs": 2, "inconclusive": 0, "missing": 0}
    assert c["check"]["agrees"] == 1 and sum(c["context"].values()) == 2
    text = S.counts_sentence(S.classify(found, SMALL))
    assert text.startswith("Of the 3 findings the chapters test, 1 reproduce")
    assert "1 of 1 checks of our own set-up pass" in text and "2 comparisons are context" in text


def test_failing_check_is_said():
    text = S.counts_sentence(S.classify(_found(linear="differs", fig1a_fit="agrees"), SMALL))
    assert "0 of 1 checks of our own set-up pass (1 fail" in text


def test_claims_frame_and_agreement_across_data_sets():
    cifar = S.classify(_found(fig1a_fit="agrees", fig1b_ratio="agrees", fig1c_rise="differs"), SMALL)
    fashion = S.classify(_found(fig1a_fit="agrees", fig1b_ratio="differs", fig1c_rise="differs"),
                         SMALL)
    frame = S.claims_frame({"cifar10": cifar, "fashion_mnist": fashion})
    row = frame.set_index("claim").loc["Random labels take a small constant factor longer"]
    assert row["ours: CIFAR-10"] == "reproduces" and row["ours: Fashion-MNIST"] == "does not"
    assert row["kind"] == "finding"
    assert frame.set_index("claim").loc["Clean labels are learned before corrupted ones",
                                        "ours: CIFAR-10"] == "-"
    text = S.agreement_sentence(frame)
    assert text.startswith("Of the 3 findings decided on both data sets with all their runs "
                           "stored (runs left to a GPU aside), 2 came out the same way")
    assert text.endswith('; the claim "Random labels take a small constant factor longer" came out '
                         "differently on each.")


def test_outcome_list_each_verdict_once_as_markdown_bullets():
    found = S.classify(_found(fig1a_fit="agrees", fig1b_ratio="differs", linear="differs"), SMALL)
    text = S.outcome_list(found, "differs")
    assert text.splitlines() == ["- **fig1b_ratio** (Effective capacity): fig1b_ratio differs."]
    assert S.outcome_list(found, "differs", kind="check").startswith("- **linear**")
    assert S.outcome_list(found, "inconclusive") == "None."


def test_chapter_summary_names_what_did_not_reproduce():
    found = S.classify(_found(fig1a_fit="agrees", fig1b_ratio="differs", fig2="missing",
                              linear="agrees"), SMALL)["02_capacity"]
    text = S.chapter_summary(found, "cifar10")
    assert text == ("On CIFAR-10, 1 of this chapter's 3 findings reproduces; these do not: "
                    "fig1b_ratio; 1 waits for runs not stored yet. Its one check of the set-up "
                    "(linear) passes.")
    two = S.classify(_found(fig1a_fit="agrees", fig1b_ratio="agrees", linear="missing",
                            decay_rule="agrees"), SMALL)["02_capacity"]
    assert ("On CIFAR-10, all 2 of this chapter's findings reproduce. Of its 2 checks of the "
            "set-up, 1 pass, none fails and 1 cannot be made yet") in S.chapter_summary(two, "cifar10")
    passing = S.classify(_found(fig1a_fit="missing", fig1b_ratio="missing", linear="agrees",
                                decay_rule="agrees"), SMALL)["02_capacity"]
    assert S.chapter_summary(passing, "cifar10") == (
        "On CIFAR-10, none of this chapter's 2 findings can be judged yet: their runs are not "
        "stored. Both of its checks of the set-up pass.")
    failing = S.classify(_found(fig1a_fit="agrees", linear="differs"), SMALL)["02_capacity"]
    assert "Its one check of the set-up (linear) fails." in S.chapter_summary(failing, "cifar10")
    both = S.classify(_found(fig1a_fit="agrees", linear="differs", decay_rule="differs"),
                      SMALL)["02_capacity"]
    assert "2 fail (linear; decay_rule)" in S.chapter_summary(both, "cifar10")


def test_page_caveats_said_once():
    note = "(Not like-for-like: ours are CIFAR-10 at n = 10,000.)"
    found = {"a": V.Verdict("a", "agrees", f"A held. {note}"),
             "b": V.Verdict("b", "differs", f"B did not. {note} (Only here.)"),
             "c": V.Verdict("c", "agrees", "C held.")}
    stripped, caveats = S.page_caveats(found)
    assert caveats == "- Not like-for-like: ours are CIFAR-10 at n = 10,000."
    assert stripped["a"].text == "A held." and stripped["b"].text == "B did not. (Only here.)"
    assert stripped["b"].outcome == "differs" and stripped["c"].text == "C held."
    assert S.page_caveats({"c": found["c"]}) == ({"c": found["c"]}, "")


def test_paper_scale_rows_are_findings_on_cifar_only():
    assert S.kind_of("t1_full_vs_paper", SMALL) == "finding"
    assert S.kind_of("t1_full_vs_paper", {"dataset": "fashion_mnist", "n_train": 5000}) == "context"


def test_outcome_list_of_several_outcomes_drops_gap_notes():
    found = S.classify({"02_capacity": {
        "linear": V.Verdict("Linear", "agrees", "Fits 57%. (Not stored yet, so not part of this verdict: MLP.)"),
        "fig1c_chance": V.Verdict("Chance", "differs", "Above chance.")}}, SMALL)
    text = S.outcome_list(found, V.OUTCOMES, "check")
    assert text.splitlines() == ["- **Linear** (Effective capacity): Fits 57%.",
                                 "- **Chance** (Effective capacity): Above chance."]


def test_precision_phrase_from_the_profile():
    from rethink_lib.experiments import resolve
    from rethink_lib.profiles import PerModel
    assert S.precision_phrase(resolve("cifar"), ("inception_small", "alexnet_small")) == "float32"
    # a profile that fixes a precision per family (the cifar profile's Inception was bf16)
    s = resolve("cifar", precision=PerModel(inception="bf16", alexnet="fp32", mlp="fp32"))
    assert S.precision_phrase(s, ("inception_small", "inception_small_nobn")) == "bfloat16"
    assert S.precision_phrase(s, ("alexnet_small", "mlp_1x512")) == "float32"
    mixed = S.precision_phrase(s, ("inception_small", "alexnet_small"))
    assert "bfloat16 (Inception)" in mixed and "float32 (AlexNet)" in mixed


def test_verdicts_on_part_of_their_runs_say_so_far():
    found = {"02_capacity": {
        "fig1a_fit": V.Verdict("Fig. 1a fit", "agrees", "True labels fitted.", pending=4),
        "fig1b_ratio": V.Verdict("Fig. 1b ratio", "differs", "Too slow.", pending=2),
        "fig1c_rise": V.Verdict("Fig. 1c rise", "agrees", "Rises."),
        "fig2": V.Verdict("Fig. 2", "missing", "Not stored.", pending=3)}}
    main = S.classify(found, SMALL)
    assert [v.so_far for v in main["02_capacity"].values()] == [True, True, False, False]
    frame = S.claims_frame({"cifar10": main, "fashion_mnist": S.classify(_found(
        fig1a_fit="agrees", fig1b_ratio="differs", fig1c_rise="agrees"), SMALL)})
    rows = frame.set_index("claim")["ours: CIFAR-10"]
    assert rows["Random labels take a small constant factor longer"] == "does not so far"
    assert rows["Test error rises with the corruption level"] == "reproduces"
    assert rows["Clean labels are learned before corrupted ones"] == "not stored yet"
    # a claim decided so far on one data set is not counted as decided on both
    text = S.agreement_sentence(frame)
    assert text.startswith("Of the 1 finding decided on both data sets with all their runs "
                           "stored (runs left to a GPU aside), 1 came out")
    assert "so far" not in text  # "does not so far" and "does not" came out the same way
    # a claim that came out differently on the runs stored so far is named apart
    other = S.claims_frame({"cifar10": main, "fashion_mnist": S.classify(_found(
        fig1a_fit="differs", fig1b_ratio="differs", fig1c_rise="agrees"), SMALL)})
    assert S.agreement_sentence(other).endswith(
        "on the runs stored so far, with more to come, the two data sets disagree on the claim "
        '"Networks fit random labels and random pixels".')
    counts = S.counts_sentence(main)
    assert "2 reproduce" in counts and ("; 2 of the decided ones rest on the runs stored so far, "
                                        "with more of their runs to come (Fig. 1a fit; Fig. 1b "
                                        "ratio)") in counts
    assert S.outcome_list(main, "agrees").splitlines()[0] == (
        "- **Fig. 1a fit** (Effective capacity): True labels fitted. (So far: 4 of its planned "
        "runs are not stored yet.)")
    one = S.classify({"02_capacity": {"fig1a_fit": V.Verdict("Fig. 1a fit", "agrees", "Fitted.",
                                                             pending=1)}}, SMALL)
    assert S.outcome_list(one, "agrees").endswith("(So far: 1 of its planned runs is not stored "
                                                  "yet.)")
    summary = S.chapter_summary(main["02_capacity"], "cifar10")
    assert "rest on the runs stored so far" in summary
    assert "so far" not in S.chapter_summary(_found(fig1a_fit="agrees")["02_capacity"], "cifar10")


def test_a_gap_note_said_once_for_the_page_speaks_of_the_verdicts_below():
    note = "(Not stored yet, so not part of this verdict: Inception.)"
    found = {"a": V.Verdict("a", "agrees", f"A held. {note}"),
             "b": V.Verdict("b", "agrees", f"B held. {note}")}
    stripped, caveats = S.page_caveats(found)
    assert caveats == "- Not stored yet, so not part of the verdicts below: Inception."
    assert stripped["a"].text == "A held."


def test_say_verdicts_names_the_topic_of_a_verdict_with_no_runs(monkeypatch):
    """Three verdicts under one figure with nothing stored read as three topics still to be
    judged, not as one sentence said three times; a decided verdict is glued as it is."""
    from rethink_lib.report import glue
    NOTHING_STORED = V.NOTHING_STORED
    said = {}
    monkeypatch.setattr(glue, "say", lambda key, sentence: said.update({key: str(sentence)}))
    glue.say_verdicts({"a": V.Verdict("Fig. 3a: early stopping", "missing", NOTHING_STORED),
                       "b": V.Verdict("Fig. 3b: BatchNorm", "missing", "Inception: too few."),
                       "c": V.Verdict("Fig. 3c", "agrees", "Held.")})
    assert said == {"a": "*Fig. 3a: early stopping*: the runs for this are not stored yet.",
                    "b": "Inception: too few.", "c": "Held."}


def test_by_chapter_is_each_chapters_summary_as_a_linked_bullet():
    found = S.classify({"02_capacity": _found(fig1a_fit="agrees", fig1b_ratio="differs")["02_capacity"],
                        "03_explicit": {}}, SMALL)
    lines = S.by_chapter(found, "cifar10").splitlines()
    assert lines[0].startswith("- {doc}`Effective capacity <02_capacity>`: On CIFAR-10, 1 of this")
    assert "these do not: " in lines[0]
    assert lines[1] == ("- {doc}`Explicit regularization <03_explicit>`: No finding of this "
                        "chapter is decided yet.")


@pytest.mark.parametrize("first, second, said", [("missing", "agrees", True),
                                                 ("missing", "missing", False),
                                                 ("agrees", "agrees", False)])
def test_a_chapter_with_nothing_stored_names_the_second_data_set_its_page_shows(first, second,
                                                                                said):
    def one(outcome):
        return S.classify({"04_implicit": {"fig3b_test": V.Verdict(
            "Fig. 3b: BatchNorm improves test accuracy", outcome, "x.")}}, SMALL)
    text = S.by_chapter(one(first), "cifar10", one(second), "fashion_mnist")
    shown = ("Until its CIFAR-10 runs are stored, its page shows the same experiments on "
             "Fashion-MNIST, labelled as such and not counted here. On Fashion-MNIST, 1 of this "
             "chapter's 1 findings reproduces.")
    assert text.endswith(shown) is said
    assert text == S.by_chapter(one(first), "cifar10") + (" " + shown if said else "")


def test_random_labels_on_another_data_set_are_a_finding_only_on_the_reports_mnist():
    assert S.kind_of("other_dataset_random", {"extension_dataset": "mnist"}) == "finding"
    assert S.kind_of("other_dataset_random", {"extension_dataset": "digits"}) == "context"


def test_a_claim_tested_only_as_context_on_the_second_data_set_says_so():
    mnist = S.classify({"02_capacity": {"other_dataset_random": V.Verdict("x", "inconclusive", "a.")}},
                       {"extension_dataset": "mnist"})
    digits = S.classify({"02_capacity": {"other_dataset_random": V.Verdict("x", "agrees", "b.")}},
                        {"extension_dataset": "digits"})
    row = S.claims_frame({"cifar10": mnist, "fashion_mnist": digits}).set_index("claim").loc[
        "Random labels are fitted on another real data set"]
    assert row["ours: CIFAR-10"] == "undecided" and row["kind"] == "finding"
    assert row["ours: Fashion-MNIST"] == "reproduces (context only)"
    # and it is not counted as a finding decided on both
    assert S.agreement_sentence(S.claims_frame({"cifar10": mnist, "fashion_mnist": digits})) == (
        "No finding is decided yet on both CIFAR-10 and Fashion-MNIST with all its runs stored "
        "(runs left to a GPU aside).")


@pytest.mark.parametrize("table,models,expected", [
    ({("a", "x"): (99.5, 50.0), ("a", "y"): (100.0, 60.0), ("b", "x"): (98.0, 40.0)}, None,
     "98% to 100% training accuracy"),
    ({("a", "x"): (99.5, 50.0), ("a", "y"): (100.0, 60.0), ("b", "x"): (98.0, 40.0)}, ("a",),
     "99.5% to 100% training accuracy"),
    ({("a", "x"): (100.0, 50.0), ("b", "x"): (98.0, 40.0)}, ("a",), "100% training accuracy"),
])
def test_the_paper_column_quotes_the_published_table_range(monkeypatch, table, models,
                                                           expected):
    monkeypatch.setattr(S, "PAPER_TABLE1", table)
    assert S._paper_train_range(models) == expected


def test_the_claims_table_quotes_the_papers_table_1_not_a_typed_range():
    from rethink_lib.reference import PAPER_TABLE1
    low = min(train for train, _ in PAPER_TABLE1.values())
    assert S.CLAIMS["t1_fit"][1].startswith(f"{low:g}% to ")
    mlp_low = min(t for (m, _), (t, _) in PAPER_TABLE1.items() if m.startswith("mlp"))
    assert S.CLAIMS["t1_full_fit"][1].startswith(f"{mlp_low:g}% to ")


def test_several_experiments_gap_notes_are_one_bullet_a_line_per_experiment():
    table1 = "(Not stored yet, so not part of this verdict: Inception, random crop; AlexNet, crop.)"
    table2 = "(Not stored yet, so not part of this verdict: Inception.)"
    like = "(Not like-for-like: ours are CIFAR-10.)"
    found = {"a": V.Verdict("Table I: every run fits", "agrees", f"A. {table1} {like}"),
             "b": V.Verdict("Table I: effects", "agrees", f"B. {table1} {like}"),
             "c": V.Verdict("Table II: random labels", "agrees", f"C. {table2}"),
             "d": V.Verdict("Table II: numbers", "agrees", f"D. {table2}")}
    stripped, caveats = S.page_caveats(found)
    assert caveats.splitlines() == [
        "- Not stored yet, so not part of the verdicts below:",
        "  - Table I: Inception, random crop; AlexNet, crop",
        "  - Table II: Inception",
        "- Not like-for-like: ours are CIFAR-10."]
    assert [v.text for v in stripped.values()] == ["A.", "B.", "C.", "D."]


@pytest.mark.parametrize("outcome,said", [("agrees", True), ("differs", False), ("missing", False)])
def test_a_finding_on_the_papers_side_against_the_report_is_said(outcome, said):
    found = S.classify({"02_capacity": {"report_bn_fit": V.Verdict("t", outcome, "x")}}, SMALL)
    text = S.against_report(found)
    assert bool(text) == said
    if said:
        claim, _, report = S.CLAIMS["report_bn_fit"]
        assert text == (f"Where the paper and the report disagree, 1 finding sides with the paper "
                        f"and so against the report: {claim[0].lower() + claim[1:]} (the report: "
                        f"{report}).")
