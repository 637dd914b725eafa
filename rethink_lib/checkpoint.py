"""Checkpoints: data only (tensors, numbers, strings), loaded weights-only, written atomically.

A checkpoint holds model and optimiser state dicts, generator/RNG states (uint8 tensors),
the metrics so far, the config and the torch thread count. `torch.load(weights_only=True)`
refuses any pickled object beyond those, so a planted checkpoint cannot run code.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import torch

# What train() reads back from a checkpoint, with the type each entry must have.
_FIELDS = {"model": dict, "optimizer": dict, "shuffle_gen": torch.Tensor,
           "aug_gen": torch.Tensor, "cpu_rng": torch.Tensor, "metrics": list,
           "step_losses": list, "epoch": int, "wall_seconds": float, "config": dict,
           "threads": int}


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used or written; the message is one line and says what to do."""


def save_checkpoint(path: Path, state: dict) -> None:
    """Write atomically (temp file + rename); on failure remove the partial file."""
    tmp = path.with_name(path.name + ".part")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # torch reports a full disk as RuntimeError
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        hint = {errno.ENOSPC: "disk full", errno.EROFS: "read-only file system",
                errno.EACCES: "no write permission"}.get(getattr(err, "errno", None),
                                                         "disk full or read-only?")
        raise CheckpointError(f"cannot write checkpoint {path}: "
                              f"{(reason.splitlines() or [''])[0]} ({hint})") from None


def load_checkpoint(path: Path, config, threads: int, precision: str | None = None) -> dict:
    """A resumable state for exactly `config` at `threads` torch threads (and the same
    resolved precision); else an error."""
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as err:
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise CheckpointError(f"checkpoint {path} is unreadable or not plain data "
                              f"({type(err).__name__}: {first}); delete it to restart the "
                              "run from scratch") from None
    if not isinstance(state, dict) or state.get("config") != config.to_dict():
        raise CheckpointError(f"checkpoint {path} belongs to another config than "
                              f"{config.run_id}; delete it to restart the run from scratch")
    bad = [k for k, kind in _FIELDS.items() if not isinstance(state.get(k), kind)]
    if bad:
        raise CheckpointError(f"checkpoint {path} lacks usable {', '.join(bad)}; delete it to "
                              "restart the run from scratch")
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
