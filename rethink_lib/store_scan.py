"""Every run folder of a store, each verified by the store's one loader (results.load_folder).

The readers that look at a whole store rather than one config (the execution report, the
budget, the cost table's evidence of epochs to fit) go through `scan_store`: a complete run
that passes every check is a RunResult; anything else is listed with its problem ("no
summary.json yet", or "damaged: <reason>") and never counted. A folder's verdict is kept
while none of its files changes, so the several scans of one build verify each run once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .results import STORED_FILES, ResultMismatchError, RunResult, load_folder


@dataclass(frozen=True)
class StoreEntry:
    """One entry of a store's folder: a verified run, or why it is not one."""
    run_id: str
    result: RunResult | None    # set only for a complete run that passed every check
    problem: str | None = None  # "no summary.json yet" or "damaged: <reason>"


# scan_store's verdicts by folder, reused while none of the folder's files changed (the
# report, the budget and each plan scan the same store several times per build)
_SCANNED: dict[str, tuple[tuple, StoreEntry]] = {}


def _signature(folder: Path) -> tuple:
    """What changes whenever a run folder or one of its files is written or replaced."""
    out = []
    for p in (folder, *(folder / n for n in ("summary.json", *STORED_FILES))):
        try:
            st = os.lstat(p)
            out.append((st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def scan_store(results_dir) -> list[StoreEntry]:
    """Every run folder of a store (entries starting with '.' are not runs), sorted, each
    verified as load_result does; an absent store has none. Never raises for a run. A
    folder whose files are unchanged since its last scan keeps that scan's verdict."""
    root = Path(results_dir)
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_dir() and not path.is_symlink():
            continue  # a stray file (README, ...) is not a run
        key, sig = os.path.abspath(path), _signature(path)
        if key in _SCANNED and _SCANNED[key][0] == sig:
            out.append(_SCANNED[key][1])
            continue
        try:
            result = load_folder(path)
            entry = StoreEntry(path.name, result,
                               None if result is not None else "no summary.json yet")
        except ResultMismatchError as err:
            entry = StoreEntry(path.name, None, f"damaged: {err.reason}")
        if entry.problem != "no summary.json yet":  # a run in progress changes at any time
            _SCANNED[key] = (sig, entry)
        out.append(entry)
    return out


def verified_results(results_dir) -> list[RunResult]:
    """The complete, verified runs of a store (damaged and incomplete ones left out)."""
    return [e.result for e in scan_store(results_dir) if e.result is not None]
