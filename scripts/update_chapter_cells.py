"""Write the `parameters` cell and the plan cell of the training chapters (issue 12).

    .venv/bin/python scripts/update_chapter_cells.py           # rewrite them
    .venv/bin/python scripts/update_chapter_cells.py --check   # exit 1 if any differs

The parameters cell is rendered from rethink_lib/chapter_params.py (its comments list each
profile's defaults); the plan cell is the first code cell after it (inserted if missing).
Only these two cells are touched, and each notebook is re-read right before it is written,
so edits others make to the other cells meanwhile are kept.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rethink_lib.chapter_params import CHAPTER_PARAMETERS, parameters_cell  # noqa: E402

PLAN_MARK = "chapter_plan("


def plan_cell(chapter: str) -> str:
    return "\n".join([
        "from rethink_lib.plan import chapter_plan",
        "",
        "# Which runs these parameters need, where each is stored, which will train and their",
        "# predicted minutes (rethink_lib/plan.py). Every parameter is checked here, before",
        "# anything trains; with plan_only = True the chapter stops after this cell.",
        f'plan = chapter_plan("{chapter}", globals())',
        "plan.start()",
    ])


def updated(nb, chapter: str) -> bool:
    """Set both cells in `nb`; True if anything changed."""
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    changed = False
    if nb.cells[i].source != parameters_cell(chapter):
        nb.cells[i].source = parameters_cell(chapter)
        changed = True
    nxt = next((j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code"), None)
    if nxt is None or PLAN_MARK not in nb.cells[nxt].source:
        cell = nbformat.v4.new_code_cell(plan_cell(chapter))
        cell.metadata["tags"] = ["remove-cell"]
        nb.cells.insert(i + 1, cell)
        return True
    if nb.cells[nxt].source != plan_cell(chapter):
        nb.cells[nxt].source = plan_cell(chapter)
        changed = True
    return changed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="report, write nothing")
    args = p.parse_args(argv)
    stale = []
    for chapter in CHAPTER_PARAMETERS:
        path = ROOT / "book" / f"{chapter}.ipynb"
        nb = nbformat.read(path, as_version=4)  # re-read right before writing
        if updated(nb, chapter):
            stale.append(chapter)
            if not args.check:
                nbformat.write(nb, path)
    print(("out of date: " if args.check else "updated: ") + (", ".join(stale) or "none"))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
