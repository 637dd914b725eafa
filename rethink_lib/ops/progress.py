"""How far a run that is not stored yet has trained: its checkpoint's last epoch.

Read-only and outside the training path (rethink_lib.code_version), so planning never changes
what a checkpoint must match. The checkpoint is read as `checkpoint.load_checkpoint` reads it
(weights-only, size-capped: a planted file cannot run code); anything odd about it is said in
one line, never raised, since the queue itself decides whether it can resume from it.
"""
from __future__ import annotations

from pathlib import Path

from ..results import checkpoint_path


def checkpoint_progress(config, results_dir) -> dict | None:
    """None without a checkpoint; else {"epoch": last epoch written, "max_epochs": the run's
    cap, "threads": torch threads it was written with, "hours": training time so far, and
    "other_code": the commit it recorded ("" if none) where its training code is not this
    checkout's} or {"problem": one line} where it is unreadable or belongs to another config."""
    path = checkpoint_path(config, results_dir)
    if not Path(path).is_file():
        return None
    from ..checkpoint import _load
    try:
        state = _load(path)
    except Exception as err:  # noqa: BLE001 - any damage is reported, not raised
        first = (str(err).strip().splitlines() or [""])[0][:120]
        return {"problem": f"unreadable checkpoint ({type(err).__name__}: {first})"}
    if not isinstance(state, dict) or state.get("config") != config.to_dict():
        return {"problem": "checkpoint of another config"}
    epoch, wall, threads = state.get("epoch"), state.get("wall_seconds"), state.get("threads")
    if not isinstance(epoch, int) or not isinstance(wall, float) or not isinstance(threads, int):
        return {"problem": "checkpoint without a usable epoch, time or thread count"}
    out = {"epoch": epoch, "max_epochs": config.max_epochs, "threads": threads,
           "hours": wall / 3600}
    from ..checkpoint import code_stamp, recorded_commit
    here = code_stamp()
    if {k: state.get(k) for k in here} != here:  # the queue will refuse to resume it here
        out["other_code"] = recorded_commit(state) or ""
    return out


def progress_phrase(progress: dict | None) -> str:
    """'checkpoint: epoch 33 of at most 200, 1.4 h so far; resume with --threads 2' (and
    the commit to resume it under, where this checkout's training code differs), or the
    problem; '' without a checkpoint."""
    if progress is None:
        return ""
    if "problem" in progress:
        return progress["problem"]
    text = (f"checkpoint: epoch {progress['epoch']} of at most {progress['max_epochs']}, "
            f"{progress['hours']:.1f} h so far; resume with --threads {progress['threads']}")
    if "other_code" in progress:
        at = f" at commit {progress['other_code']}" if progress["other_code"] else ""
        text += (f", under the training code that wrote it{at} (this checkout's differs and "
                 "would refuse it)")
    return text
