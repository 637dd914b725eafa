"""Checkpoints: data only (tensors, numbers, strings), loaded weights-only, written atomically.

A checkpoint holds model and optimiser state dicts, generator/RNG states (uint8 tensors),
the metrics so far, the config, the torch thread count, and the code that trained it: the
fingerprint of the training code (rethink_lib.code_version) and the torch version. A run
resumes only under the same code and torch, so one stored run never mixes two versions.
`torch.load(weights_only=True)` refuses any pickled object beyond plain data, so a planted
checkpoint cannot run code; a checkpoint whose tensors do not fit the model is refused by
name. Writes go to a fresh exclusive temporary file (rethink_lib.safe_io), never through a
planted symlink.
"""
from __future__ import annotations

import errno
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import torch

from . import safe_io
from .code_version import code_fingerprint

# What train() reads back from a checkpoint, with the type each entry must have.
_FIELDS = {"model": dict, "optimizer": dict, "shuffle_gen": torch.Tensor,
           "aug_gen": torch.Tensor, "cpu_rng": torch.Tensor, "metrics": list,
           "step_losses": list, "epoch": int, "wall_seconds": float, "config": dict,
           "threads": int}
_RESTART = "delete it to restart the run from scratch"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used or written; the message is one line and says what to do."""


def code_stamp() -> dict:
    """What a checkpoint records of the code that wrote it (and a resume must match)."""
    return {"code_fingerprint": code_fingerprint(), "torch_version": str(torch.__version__)}


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit checked out where this package runs from (None outside a git checkout).
    A checkpoint records it beside its stamp, not as part of it: commits that leave the
    training code alone resume each other's checkpoints; it only tells a refused resume where
    the code that wrote the checkpoint is."""
    try:
        out = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent), "rev-parse",
                              "--short=12", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and _is_commit(commit) else None


def _is_commit(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{7,40}", value) is not None


def recorded_commit(state: dict) -> str | None:
    """The commit a checkpoint's state says wrote it; None where it records none, or
    something that is not a commit id (a hint read from a file: never shown unchecked)."""
    commit = state.get("git_commit")
    return commit if _is_commit(commit) else None


def save_checkpoint(path: Path, state: dict) -> None:
    """Write atomically (fresh temp file + rename), stamped with the code that wrote it; on
    failure no partial file is left."""
    path = Path(path)
    state = {**state, **code_stamp(), "git_commit": git_commit() or ""}
    try:
        safe_io.write_atomic(path, b"", writer=lambda f: torch.save(state, f))
    except (OSError, RuntimeError) as err:  # torch reports a full disk as RuntimeError
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        hint = {errno.ENOSPC: "disk full", errno.EROFS: "read-only file system",
                errno.EACCES: "no write permission"}.get(getattr(err, "errno", None),
                                                         "disk full or read-only?")
        raise CheckpointError(f"cannot write checkpoint {path}: "
                              f"{(reason.splitlines() or [''])[0]} ({hint})") from None


def _load(path: Path):
    try:
        data = safe_io.read_bytes(path, 1 << 34)
    except safe_io.FileRefused as err:
        raise CheckpointError(f"checkpoint {path} {err}; {_RESTART}") from None
    import io
    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


def load_checkpoint(path: Path, config, threads: int, precision: str | None = None) -> dict:
    """A resumable state for exactly `config` at `threads` torch threads (and the same
    resolved precision, training code and torch version); else a one-line CheckpointError."""
    try:
        state = _load(path)
    except CheckpointError:
        raise
    except Exception as err:
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise CheckpointError(f"checkpoint {path} is unreadable or not plain data "
                              f"({type(err).__name__}: {first}); {_RESTART}") from None
    if not isinstance(state, dict) or state.get("config") != config.to_dict():
        raise CheckpointError(f"checkpoint {path} belongs to another config than "
                              f"{config.run_id}; {_RESTART}")
    bad = [k for k, kind in _FIELDS.items() if not isinstance(state.get(k), kind)]
    if bad:
        raise CheckpointError(f"checkpoint {path} lacks usable {', '.join(bad)}; {_RESTART}")
    here = code_stamp()
    if {k: state.get(k) for k in here} != here:
        theirs = (f"training code {state.get('code_fingerprint') or 'unrecorded'}, torch "
                  f"{state.get('torch_version') or 'unrecorded'}")
        commit = recorded_commit(state)
        where = (f" (written at commit {commit}: `git worktree add --detach DIR {commit}` "
                 "and the same command there resumes it)" if commit else "")
        raise CheckpointError(
            f"checkpoint {path} was written by other code ({theirs}; this process: training "
            f"code {here['code_fingerprint']}, torch {here['torch_version']}): resuming would "
            f"mix two versions in one run; {_RESTART}, or resume under the code that wrote "
            f"it{where}")
    if state.get("threads") != threads:
        raise CheckpointError(
            f"checkpoint {path} was written with {state.get('threads')} torch threads, this "
            f"process has {threads}: results depend on the thread count, so resume with "
            f"--threads {state.get('threads')} or delete the checkpoint")
    if precision is not None and state.get("precision", precision) != precision:
        raise CheckpointError(
            f"checkpoint {path} was trained in {state.get('precision')}, this machine resolves "
            f"the run's precision to {precision}; delete the checkpoint to restart the run here")
    return state


def restore(path: Path, state: dict, model, optimizer, generators: dict) -> None:
    """Load a checked state into the model, optimiser and {name: generator}; a tensor that
    does not fit (another model's shapes) is a CheckpointError naming the file."""
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        for name, gen in generators.items():
            gen.set_state(state[name])
        torch.set_rng_state(state["cpu_rng"])
    except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as err:
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise CheckpointError(f"checkpoint {path} does not fit this run's model or optimiser "
                              f"({type(err).__name__}: {first}); {_RESTART}") from None
