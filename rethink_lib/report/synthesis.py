"""The book's synthesis: every verdict sorted into findings, context and checks, counted once,
and the claim-by-claim table of the conclusion (claim | paper | report | ours, per data set).

A *finding* tests a claim of the paper or the report and can come out either way; *context*
sets our numbers beside numbers measured on other data or at another scale, or cannot come
out "differs"; a *check* tests our own set-up (chance level, the linear baseline, the
learning-rate floor, curve length). Only findings are counted as reproduced or not.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from . import verdicts as V
from ..chapters import CHAPTER_TITLES
from ..reference import PAPER_TABLE1
from .names import by_count, dataset_name, listing

# Verdict keys that are not findings (every other key is one).
CHECKS = ("linear", "decay_rule", "fig1c_chance", "t1_random", "t1_linear", "fig3a_long_enough")
CONTEXT = ("report_bn",)  # the report's variant beside ours: no expected outcome
# Comparisons with published absolute numbers: findings only on the paper's data at its scale.
ABSOLUTE = ("t1_vs_paper", "t1_vs_report", "t2_vs_report", "t1_full_vs_paper",
            "t1_full_vs_report")
# Verdicts judged at the paper's scale whatever the page's profile (all training images).
PAPER_SCALE = ("t1_full_fit", "t1_full_vs_paper", "t1_full_vs_report")
# Findings only on the data set the report used ({key: (settings field, that data set)}):
# random labels on scikit-learn's 8x8 digits test the report's MNIST claim only as context.
REPORT_DATA = {"other_dataset_random": ("extension_dataset", "mnist")}
# Findings where the paper and the report disagree and "agrees" means the paper's side: the
# report's claim (CLAIMS' report column) is then contradicted, which the conclusion says.
AGAINST_REPORT = ("report_bn_fit",)



def _paper_train_range(models: tuple[str, ...] | None = None) -> str:
    """The paper's Table 1 training accuracies (rows of `models`, default all) as a range."""
    accs = [train for (model, _), (train, _test) in PAPER_TABLE1.items()
            if models is None or model in models]
    lo, hi = min(accs), max(accs)
    return f"{lo:g}% to {hi:g}% training accuracy" if lo < hi else f"{hi:g}% training accuracy"


# What the paper and the report say, per claim (verdict key): (claim, paper, report).
CLAIMS = {
    "fig1a_fit": ("Networks fit random labels and random pixels",
                  "Inception reaches zero training loss on every corruption",
                  "reproduced on CIFAR-10"),
    "fig1a_order": ("Order of the times to fit the corruptions",
                    "true labels first, random labels last", "-"),
    "fig1a_pixels": ("Pixel corruptions are fitted before random labels", "-",
                     "random pixels and Gaussian converge faster than random labels"),
    "fig1b_fit": ("Every network fits every corruption level", "100% training accuracy",
                  "reproduced (with BatchNorm in AlexNet and the MLPs)"),
    "fig1b_ratio": ("Random labels take a small constant factor longer",
                    "a small constant factor, growing with the level", "reproduced"),
    "fig1c_rise": ("Test error rises with the corruption level", "rising to chance at p = 1",
                   "reproduced"),
    "fig2": ("Clean labels are learned before corrupted ones", "-",
             "the clean half is fitted first"),
    "report_bn_fit": ("The paper's networks fit random labels without BatchNorm",
                      "none mentioned for AlexNet and the MLPs", "needed BatchNorm to reach zero "
                      "error"),
    "gaussian_large": ("Gaussian noise at ten times the data is fitted", "-",
                       "fitted at 500,000 images"),
    "other_dataset_random": ("Random labels are fitted on another real data set", "-",
                             "MNIST fitted at over 99%"),
    "t1_fit": ("Every Table I network fits its training set", _paper_train_range(),
               "reproduced"),
    "t1_effects": ("Explicit regularizers move test accuracy as much as in the paper",
                   "a few points at most", "reproduced"),
    "t1_generalize": ("Networks generalize without regularizers", "well above chance",
                      "reproduced"),
    "t1_vs_paper": ("Table I numbers", "the paper's Table 1", "-"),
    "t1_vs_report": ("Table I numbers", "-", "the report's Table I"),
    "t1_full_fit": ("The MLPs fit CIFAR-10 at the paper's scale",
                    _paper_train_range(("mlp_1x512", "mlp_3x512")), "reproduced"),
    "t1_full_vs_paper": ("Table I at the paper's scale, number by number", "the paper's Table 1",
                         "-"),
    "t1_full_vs_report": ("Table I at the paper's scale, number by number", "-",
                          "the report's Table I"),
    "t2_fit": ("Random labels are fitted with weight decay on", "-", "reproduced"),
    "t2_vs_report": ("Table II numbers", "-", "the report's Table II"),
    "fig3a_es": ("Early stopping could improve test accuracy", "can help, not necessary",
                 "no benefit seen (CIFAR-100)"),
    "fig3a_regularizers": ("Explicit regularizers raise test accuracy", "a few points",
                           "reproduced"),
    "fig3b_test": ("BatchNorm improves test accuracy", "a few points", "reproduced"),
    "fig3b_speed": ("BatchNorm speeds up fitting", "-", "faster convergence"),
    "fig3b_steady": ("BatchNorm steadies training", "almost no fluctuation", "not held"),
    "fig3c_speed": ("A larger batch converges faster per epoch", "-", "batch 128 faster"),
    "fig3c_steady": ("A larger batch gives steadier curves", "-", "batch 128 steadier"),
}


def paper_scale(settings: dict) -> bool:
    """The paper's data at its scale: CIFAR-10, every training image."""
    return settings.get("dataset") == "cifar10" and settings.get("n_train") is None


def kind_of(key: str, settings: dict) -> str:
    if key in CHECKS:
        return "check"
    at_scale = key in PAPER_SCALE and settings.get("dataset") == "cifar10"
    if key in CONTEXT or (key in ABSOLUTE and not (paper_scale(settings) or at_scale)):
        return "context"
    if key in REPORT_DATA and settings.get(REPORT_DATA[key][0]) != REPORT_DATA[key][1]:
        return "context"
    return "finding"


def classify(found: dict, settings: dict) -> dict:
    """{chapter: {key: Verdict}} with each verdict (and its parts) given its kind."""
    def kinded(key, v):
        k = kind_of(key, settings)
        return replace(v, kind=k, parts=tuple(replace(p, kind=k) for p in v.parts))
    return {ch: {key: kinded(key, v) for key, v in vs.items()} for ch, vs in found.items()}


def _items(found: dict, kind: str) -> list[V.Verdict]:
    """Each verdict of this kind once (a combined verdict counts once, by its outcome)."""
    return [v for vs in found.values() for v in vs.values() if v.kind == kind]


def counts(found: dict) -> dict:
    """{kind: {outcome: n}} over the classified verdicts, each counted once."""
    return {kind: {o: sum(v.outcome == o for v in _items(found, kind)) for o in V.OUTCOMES}
            for kind in V.KINDS}


def counts_sentence(found: dict) -> str:
    """Two sentences: how the findings came out, and the checks and context apart."""
    c = counts(found)
    f, ch, cx = c["finding"], c["check"], c["context"]
    n = sum(f.values())
    first = V._sentence(
        f"Of the {n} findings the chapters test, {f['agrees']} "
        f"{by_count(f['agrees'], 'reproduces', 'reproduce')} the paper (or the "
        f"report, where it is the one compared with), {f['differs']} "
        f"{by_count(f['differs'], 'does', 'do')} not, "
        f"{f['inconclusive']} cannot be decided by the runs as they came out, and "
        f"{f['missing']} {by_count(f['missing'], 'waits', 'wait')} for runs not stored yet"
        + _so_far_phrase(_items(found, "finding")))
    n_ch = sum(ch.values())
    second = V._sentence(
        f"Apart from these, {ch['agrees']} of {n_ch} checks of our own set-up pass"
        + (f" ({ch['differs']} fail, {ch['missing'] + ch['inconclusive']} cannot be made yet)"
           if ch["differs"] or ch["missing"] or ch["inconclusive"] else "")
        + f", and {sum(cx.values())} comparisons are context only (other data or scale, or no "
          "expected outcome)")
    return first + " " + second


_MARK = {"agrees": "reproduces", "differs": "does not", "inconclusive": "undecided",
         "missing": "not stored yet"}
SO_FAR = " so far"  # a mark's suffix where the verdict rests on part of its runs (`Verdict.so_far`)


def mark(v: V.Verdict) -> str:
    """A verdict's cell in the claims table: 'reproduces', or 'reproduces so far' where some of
    its planned runs are not stored yet."""
    return _MARK[v.outcome] + (SO_FAR if v.so_far else "")


def _so_far_phrase(verdicts) -> str:
    """'; 2 of these rest on part of their runs (Fig. 1a; Table I), more of which are to come'."""
    partial = [v.topic for v in verdicts if v.so_far and v.outcome in ("agrees", "differs")]
    if not partial:
        return ""
    return (f"; {len(partial)} of the decided ones {by_count(len(partial), 'rests', 'rest')} on the "
            f"runs stored so far, with more of their runs to come ({'; '.join(partial)})")



def claims_frame(found_by_data: dict, only=None) -> pd.DataFrame:
    """One row per claim of CLAIMS: claim | paper | report | ours on each data set (the
    verdict's outcome) | kind. found_by_data: {data set name: classified findings}; only: the
    verdict keys to list (None: every claim)."""
    rows = []
    for key, (claim, paper, report) in CLAIMS.items():
        if only is not None and key not in only:
            continue
        row = {"claim": claim, "paper": paper, "report": report}
        kind = None
        for data, found in found_by_data.items():
            v = next((vs[key] for vs in found.values() if key in vs), None)
            kind = kind or (v.kind if v is not None else None)
            # a cell that is only context where the row is a finding (other data) says so
            row[f"ours: {dataset_name(data)}"] = ("-" if v is None else mark(v) + (
                " (context only)" if v.kind == "context" and kind == "finding" else ""))
        row["kind"] = kind or "-"
        rows.append(row)
    return pd.DataFrame(rows)


def agreement_sentence(frame: pd.DataFrame) -> str:
    """Where two data sets' columns exist: how many claims came out the same way on both
    (decided on both: 'reproduces' or 'does not', not 'so far' on either)."""
    cols = [c for c in frame.columns if c.startswith("ours: ")]
    if len(cols) < 2:
        return ""
    a, b = cols[:2]
    both = frame[(frame[a].isin(["reproduces", "does not"])) &
                 (frame[b].isin(["reproduces", "does not"])) & (frame["kind"] == "finding")]
    same = int((both[a] == both[b]).sum())
    differ = [r["claim"] for _, r in both.iterrows() if r[a] != r[b]]
    if both.empty:
        text = (f"No finding is decided yet on both {a[6:]} and {b[6:]} with all its runs "
                "stored (runs left to a GPU aside)")
    else:
        text = (f"Of the {len(both)} {by_count(len(both), 'finding', 'findings')} decided on "
                "both data sets with all their runs stored (runs left to a GPU aside), "
                f"{same} came out the same way on {a[6:]} and on {b[6:]}")
    if differ:
        text += f"; {_quoted_claims(differ)} came out differently on each"
    decided = ("reproduces", "does not")
    partial = [r["claim"] for _, r in frame[frame["kind"] == "finding"].iterrows()
               if SO_FAR in r[a] + r[b] and r[a].removesuffix(SO_FAR) != r[b].removesuffix(SO_FAR)
               and all(r[c].removesuffix(SO_FAR) in decided for c in (a, b))]
    if partial:
        text += ("; on the runs stored so far, with more to come, the two data sets disagree "
                 f"on {_quoted_claims(partial)}")
    return V._sentence(text)


def _quoted_claims(claims: list[str]) -> str:
    """'the claim "a"' or 'the claims "a" and "b"'."""
    return f"{by_count(len(claims), 'the claim', 'the claims')} " + listing(f'"{c}"' for c in claims)


def against_report(found: dict) -> str:
    """The findings that came out on the paper's side where the report disagreed with it
    (AGAINST_REPORT, outcome "agrees"): one sentence naming each with the report's claim;
    '' where none did."""
    sided = [key for vs in found.values() for key, v in vs.items()
             if key in AGAINST_REPORT and v.kind == "finding" and v.outcome == "agrees"]
    if not sided:
        return ""
    listed = "; ".join(f"{_lower(CLAIMS[k][0])} (the report: {CLAIMS[k][2]})" for k in sided)
    return V._sentence(
        f"Where the paper and the report disagree, {len(sided)} "
        f"{by_count(len(sided), 'finding sides', 'findings side')} with the paper and so "
        f"against the report: {listed}")


def _lower(claim: str) -> str:
    return claim[0].lower() + claim[1:]


def _without_gaps(text: str) -> str:
    """A verdict's text without its '(Not stored yet, ...)' and '(Not part of this verdict:
    ..., left to a GPU ...)' notes (the lists count those runs apart)."""
    for note in V._PARENTHETICAL.findall(text):
        if note.startswith(("(Not stored yet", "(Not part of this verdict")):
            text = text.replace(" " + note, "").replace(note, "")
    return text.strip()


def outcome_list(found: dict, outcome, kind: str = "finding") -> str:
    """A Markdown bullet list of every classified verdict of `kind` whose outcome is `outcome`
    (one or a tuple of outcomes), each once: '- **topic** (chapter): text', without its
    not-stored-yet notes; 'None.' when there is none."""
    wanted = (outcome,) if isinstance(outcome, str) else tuple(outcome)
    items = [(ch, v) for ch, vs in found.items() for v in vs.values()
             if v.kind == kind and v.outcome in wanted]
    if not items:
        return "None."
    return "\n".join(f"- **{v.topic}** ({CHAPTER_TITLES.get(ch, ch)}): {_without_gaps(v.text)}"
                     + (f" (So far: {v.pending} of its planned runs "
                        f"{by_count(v.pending, 'is', 'are')} not stored yet.)"
                        if v.so_far else "") for ch, v in items)


def chapter_summary(found_chapter: dict, data: str) -> str:
    """A chapter's closing paragraph from its classified verdicts: how many findings
    reproduce on `data` and which do not or cannot be decided yet, by topic."""
    f = [v for v in found_chapter.values() if v.kind == "finding"]
    if not f:
        return ""
    by = {o: [v.topic for v in f if v.outcome == o] for o in V.OUTCOMES}
    if len(by["missing"]) == len(f):
        text = (f"On {dataset_name(data)}, none of this chapter's {len(f)} findings can be judged "
                "yet: their runs are not stored")
    elif len(by["agrees"]) == len(f) > 1:
        text = f"On {dataset_name(data)}, all {len(f)} of this chapter's findings reproduce"
    else:
        text = (f"On {dataset_name(data)}, {len(by['agrees'])} of this chapter's {len(f)} "
                f"findings {by_count(len(by['agrees']), 'reproduces', 'reproduce')}")
    if by["differs"]:
        text += "; these do not: " + "; ".join(by["differs"])
    if by["inconclusive"]:
        text += "; the runs cannot decide: " + "; ".join(by["inconclusive"])
    if by["missing"] and len(by["missing"]) < len(f):
        text += (f"; {len(by['missing'])} {by_count(len(by['missing']), 'waits', 'wait')} for runs "
                 "not stored yet")
    text += _so_far_phrase(f)
    checks = [v for v in found_chapter.values() if v.kind == "check"]
    if len(checks) == 1:
        v = checks[0]
        text += (f". Its one check of the set-up ({v.topic}) "
                 + {"agrees": "passes", "differs": "fails"}.get(v.outcome, "cannot be made yet"))
    elif checks:
        failed = [v.topic for v in checks if v.outcome == "differs"]
        passed = sum(v.outcome == "agrees" for v in checks)
        waiting = len(checks) - passed - len(failed)
        if passed == len(checks):
            text += (". Both of its checks of the set-up pass" if passed == 2 else
                     f". All {len(checks)} of its checks of the set-up pass")
        else:
            text += (f". Of its {len(checks)} checks of the set-up, {passed} pass, "
                     + (f"{len(failed)} fail ({'; '.join(failed)})" if failed else "none fails")
                     + (f" and {waiting} cannot be made yet" if waiting else ""))
    return V._sentence(text)


def by_chapter(found: dict, data: str, second: dict | None = None,
               second_data: str | None = None) -> str:
    """The conclusion's synthesis by theme: a Markdown bullet per chapter, its title linked,
    then its closing paragraph (`chapter_summary`) as the chapter's own page states it. A
    chapter none of whose findings on `data` has its runs yet, where the second data set
    (`second`: its classified findings) decides some, says that its page shows those instead,
    with their summary."""
    items = []
    for ch, vs in found.items():
        text = chapter_summary(vs, data) or "No finding of this chapter is decided yet."
        mine = [v for v in vs.values() if v.kind == "finding"]
        theirs = [v for v in (second or {}).get(ch, {}).values() if v.kind == "finding"]
        if (second_data and mine and all(v.outcome == "missing" for v in mine)
                and any(v.outcome != "missing" for v in theirs)):
            text += (f" Until its {dataset_name(data)} runs are stored, its page shows the same "
                     f"experiments on {dataset_name(second_data)}, labelled as such and not "
                     "counted here. "
                     + chapter_summary(second[ch], second_data))
        items.append(f"- {{doc}}`{CHAPTER_TITLES.get(ch, ch)} <{ch}>`: {text}")
    return "\n".join(items) or "None."


def page_caveats(found: dict, min_count: int = 2) -> tuple[dict, str]:
    """Say a page's common caveats once: every whole-sentence parenthetical note ("(Not
    like-for-like: ...)") found in at least `min_count` of the page's verdicts is removed from
    them and returned as one Markdown bullet list (without its brackets), in first-seen order.
    found: {key: Verdict}. Returns (found without those notes, the list or '')."""
    seen: dict[str, int] = {}
    for v in found.values():
        for note in dict.fromkeys(V._PARENTHETICAL.findall(v.text)):
            seen[note] = seen.get(note, 0) + 1
    common = [n for n, k in seen.items() if k >= min_count]
    if not common:
        return dict(found), ""

    def strip(text: str) -> str:
        for note in common:
            text = text.replace(" " + note, "").replace(note, "")
        return text.strip()
    out = {k: replace(v, text=strip(v.text), parts=tuple(replace(p, text=strip(p.text))
                                                         for p in v.parts))
           for k, v in found.items()}
    gaps = [n for n in common if n.startswith(_GAP)]
    if len(gaps) < 2:
        return out, "\n".join(f"- {_page_wide(n[1:-1])}" for n in common)
    # several experiments' missing runs: one bullet, a line per experiment (named by the
    # topic of the first verdict that carries its note: "Table II", not a bare "Inception")
    def owner(note):
        topic = next(v.topic for v in found.values() if note in v.text)
        return topic.split(":")[0]
    lines = [f"- {_page_wide(n[1:-1])}" for n in common if n not in gaps]
    merged = "\n".join(f"  - {owner(n)}: {n[len(_GAP):-2]}" for n in gaps)
    first = common.index(gaps[0])
    lines.insert(min(first, len(lines)), f"- {_page_wide(_GAP[1:])}\n{merged}")
    return out, "\n".join(lines)


_GAP = "(Not stored yet, so not part of this verdict: "


def _page_wide(note: str) -> str:
    """A verdict's note said once for its page: 'this verdict' becomes 'the verdicts below'."""
    return note.replace("part of this verdict", "part of the verdicts below").rstrip()


def precision_phrase(settings, models) -> str:
    """The arithmetic the settings give these models: 'bfloat16', or 'bfloat16 (Inception)
    and fp32 (MLP 1x512)' when they differ; 'auto' says it is chosen per CPU."""
    from ..experiments import by_family
    from .names import listing, model_name
    words = {"bf16": "bfloat16", "fp32": "float32", "auto": "the CPU's fastest exact-enough "
             "arithmetic (bfloat16 where native, else float32)"}
    got = {m: words.get(by_family(settings["precision"], m), by_family(settings["precision"], m))
           for m in models}
    if len(set(got.values())) == 1:
        return next(iter(got.values()))
    return listing(f"{p} ({model_name(m)})" for m, p in got.items())
