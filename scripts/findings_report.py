"""Print every finding of the book (chapters 02-04) from the committed store, as text: the
verdict sentences the chapters glue, Fig. 1b's factor by each time-to-fit metric, Table I's
regularizer effects with their standard errors, the Table I / II cells that differ from the
paper or the report, and the machine time of the stored runs. Trains nothing.

    python scripts/findings_report.py [--profile cpu] [--results-dir results]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from rethink_lib.experiments import CHAPTER_EXPERIMENTS, resolve
from rethink_lib.ops import execution
from rethink_lib.report import findings, tables, verdicts
from rethink_lib.report.glue import ChapterRuns


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="cpu")
    p.add_argument("--results-dir", type=Path, default=Path("results"))
    a = p.parse_args(argv)
    s = resolve(a.profile)
    stores = [a.results_dir]
    found = findings.chapter_findings({c: s for c in findings.CHAPTERS}, stores)
    for chapter, vs in found.items():
        print(f"\n## {chapter}")
        for key, v in vs.items():
            print(f"- [{v.outcome}{', so far' if v.so_far else ''}] {key}: {v.text}")
    pd.set_option("display.width", 200)
    capacity = ChapterRuns(s, ["fig1bc"], stores)
    print("\n## Fig. 1b: random/true time-to-fit factor by each metric (mean over seeds)")
    print(tables.fit_ratios(capacity["fig1bc"]).round(2).to_string())
    runs = ChapterRuns(s, CHAPTER_EXPERIMENTS["03_explicit"], stores)
    table_1 = tables.table1_frame(runs["table1"])
    print("\n## Table I regularizer effects (points; se: standard error of the difference)")
    print(tables.effects_frame(table_1, verdicts.Z).to_string())
    print("\n## Differences from the paper / report larger than the threshold and the noise")
    print(findings.book_differences(s, stores).to_string())
    report = execution.execution_report(results_dir=a.results_dir)
    print("\n## Machine time of the complete runs in the store, by device and precision")
    print(execution.runs_by_device(report).round(2).to_string(index=False))
    print("\n" + findings.outcome_counts(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
