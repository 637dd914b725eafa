"""The whole book's findings: every chapter's verdicts from one store, their counts and
lists by outcome, and every published number we differ from."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ...builders import ModelKey
from ...chapters import CHAPTERS as _CHAPTERS, CHAPTER_TITLES
from .. import verdicts as V
from ..tables import table1_frame, table2_frame
from .capacity import baseline_sizes, capacity
from .central import central_of
from .common import linear_baselines
from .differences import difference_frame
from .explicit import PAPER_SCALE, explicit, paper_scale_phrase
from .implicit import implicit

# The functions a chapter's registry entry names (`chapter(..., findings=...)`).
JUDGES = {"capacity": capacity, "explicit": explicit, "implicit": implicit}


def chapter_verdicts(chapter: str, settings: dict, stores, runs=None) -> dict[str, V.Verdict]:
    """{key: Verdict} of one of chapters 02-04 under `settings`, from the stores (trains
    nothing); runs: its ChapterRuns where the caller read them already."""
    from ...chapters import CHAPTER_EXPERIMENTS
    from ..glue import ChapterRuns
    if chapter not in _CHAPTERS:
        raise KeyError(f"unknown chapter {chapter!r}; valid: {', '.join(_CHAPTERS)}")
    entry = _CHAPTERS[chapter]  # entry.findings: the JUDGES entry that judges it
    if entry.findings not in JUDGES:
        raise KeyError(f"chapter {chapter}: unknown findings function {entry.findings!r}; "
                       f"valid: {', '.join(JUDGES)}")
    judge = JUDGES[entry.findings]
    if runs is None:
        runs = ChapterRuns(settings, CHAPTER_EXPERIMENTS[chapter], stores)
    if entry.baselines:
        found = judge(runs, linear_baselines(settings["dataset"], baseline_sizes(settings),
                                             settings["seed"]))
    else:
        found = judge(runs)
    return untested_dropped(found, runs.configs)


def untested_dropped(found: dict, configs: dict) -> dict:
    """`found` without the verdicts on experiments these settings plan no run for (the cpu
    profile trains nothing at the paper's scale): a claim not tested on this data set is
    left out of its counts and tables, not counted as waiting for runs. configs: {experiment:
    {key: RunConfig}} planned."""
    from ...chapters import JUDGED
    return {k: v for k, v in found.items()
            if k not in JUDGED or any(configs.get(e) for e in JUDGED[k])}


def book_central(settings: dict, stores, chapter: str = "02_capacity") -> V.Verdict:
    """The paper's central claim in numbers (`central.central_claim`) from the capacity
    chapter's stored runs under `settings` and its linear baselines (trains nothing)."""
    from ...chapters import CHAPTER_EXPERIMENTS
    from ..glue import ChapterRuns
    return central_of(ChapterRuns(settings, CHAPTER_EXPERIMENTS[chapter], stores))


def chapter_findings(settings_by_chapter: dict, stores) -> dict[str, dict[str, V.Verdict]]:
    """{chapter: {key: Verdict}} for chapters 02-04, from the stores (trains nothing)."""
    return {chapter: chapter_verdicts(chapter, settings_by_chapter[chapter], stores)
            for chapter in _CHAPTERS}


def _items(found: dict, outcome: str) -> list[tuple[str, V.Verdict]]:
    """(chapter, verdict) pairs with this outcome; a combined verdict is opened into its parts,
    so one model that differs is listed as such even where the others agree."""
    out = []
    for chapter, verdicts in found.items():
        for v in verdicts.values():
            for part in (v.parts or (v,)):  # a part holds "so far" where its verdict does
                if part.outcome == outcome:
                    out.append((chapter, replace(part, pending=v.pending)))
    return out


def outcome_list(found: dict, outcome: str) -> str:
    """A Markdown bullet list of every verdict with `outcome`: '- **topic** (chapter): text'."""
    items = _items(found, outcome)
    if not items:
        return "None."
    return "\n".join(f"- **{v.topic}** ({CHAPTER_TITLES.get(ch, ch)}): {v.text}" for ch, v in items)


def outcome_counts(found: dict) -> str:
    """One sentence: how many verdicts of the book came out each way."""
    items = {o: _items(found, o) for o in V.OUTCOMES}
    n = {o: len(v) for o, v in items.items()}
    so_far = sum(v.so_far for got in items.values() for _, v in got)
    total = sum(n.values())
    return V._sentence(
        f"Of the {total} findings the chapters state, {n['agrees']} reproduce the paper (or the "
        f"report, where it is the one compared with), {n['differs']} do not, {n['inconclusive']} "
        f"cannot be decided by the runs as they came out, and {n['missing']} wait for runs that "
        "are not stored yet"
        + (f"; {so_far} of the decided ones rest on the runs stored so far" if so_far else ""))


def book_differences(settings: dict, stores) -> "pd.DataFrame":
    """Every Table I and Table II number that differs from the paper's or the report's by more
    than THRESHOLD points and the noise: table, source, row, metric, ours, theirs, difference."""
    from ...experiments import CHAPTER_EXPERIMENTS
    from ..glue import ChapterRuns
    runs = ChapterRuns(settings, CHAPTER_EXPERIMENTS["03_explicit"], stores)
    no_wd = {ModelKey(k.model, k.seed): r for k, r in runs["table1"].items()
             if k.label == "random labels"}
    full = {k: r for name in PAPER_SCALE for k, r in runs[name].items()}
    def images(results):  # training images of a table's runs, as stored
        return next((r.summary["n_train"] for r in results.values()), None)
    frames = {"Table I": (table1_frame(runs["table1"]), images(runs["table1"])),
              "Table I, paper's scale": (table1_frame(full) if full else pd.DataFrame(),
                                         images(full)),
              "Table II": (table2_frame(runs["table2"], without_wd=no_wd), images(runs["table2"]))}
    rows = []
    for table, (frame, n) in frames.items():
        for against in ("paper", "report"):
            if frame.empty or (f"ours - {against}", "train") not in frame.columns:
                continue
            d = difference_frame(frame, against).rename(columns={against: "theirs"})
            rows += [{"table": table, "training images": n, "source": against, **r}
                     for r in d.to_dict("records")]
    return pd.DataFrame(rows, columns=["table", "training images", "source", "row", "metric",
                                       "ours", "theirs", "difference", "bar"])


def book_paper_scale(settings: dict, stores) -> str:
    """`explicit.paper_scale_phrase` for the whole book (the conclusion): which networks have
    Table I rows at the paper's scale stored, and how many of their planned rows."""
    from ...experiments import CHAPTER_EXPERIMENTS
    from ..glue import ChapterRuns
    return paper_scale_phrase(ChapterRuns(settings, CHAPTER_EXPERIMENTS["03_explicit"], stores))
