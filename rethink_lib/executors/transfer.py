"""A stored run as plain texts, for executors whose workers cannot see the results store.

A worker without the shared filesystem trains into a scratch store of its own, reads the
run's four small files back as texts (`read_run_files`) and returns them; the driver
checks them (checksums, config) before anything touches its store and writes them with
the store's own protocol (`write_run_files`): each file written to a temporary name and
renamed, summary.json last, so a driver killed midway leaves the run "missing", never
half-stored. The bytes are the worker's own: no parse-and-rewrite step can change them.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..config import RunConfig
from .. import safe_io
from ..results import (STORED_FILES, ResultMismatchError, RunResult, check_run_path, load_result,
                       run_dir)

RUN_FILES = STORED_FILES + ("summary.json",)  # summary.json last: it marks completion


def read_run_files(config: RunConfig, results_dir) -> dict[str, str]:
    """{file name: text} of a stored, verified run (raises if it is absent or corrupt)."""
    if load_result(config, results_dir) is None:
        raise FileNotFoundError(f"no stored result for {config.run_id} under {results_dir}")
    d = run_dir(config, results_dir)
    return {name: safe_io.read_bytes(d / name, safe_io.CSV_LIMIT).decode() for name in RUN_FILES}


def check_run_files(config: RunConfig, files: dict[str, str]) -> None:
    """Refuse texts that are not one complete run of exactly `config`, naming the fault."""
    missing = [n for n in RUN_FILES if not isinstance(files.get(n), str)]
    if missing:
        raise ResultMismatchError(f"run {config.run_id}: returned files lack {missing}")
    try:
        summary = safe_io.parse_json(files["summary.json"])
        stored = RunConfig.from_dict(safe_io.parse_json(files["config.json"]))
    except (ValueError, TypeError, AttributeError) as err:
        first = (str(err).splitlines() or [""])[0][:160]
        raise ResultMismatchError(f"run {config.run_id}: returned files unreadable "
                                  f"({type(err).__name__}: {first})") from None
    if stored != config:
        raise ResultMismatchError(f"run {config.run_id}: returned config.json holds another config")
    sums = summary.get("files") if isinstance(summary, dict) else None
    for name in STORED_FILES:
        if not isinstance(sums, dict) or \
                sums.get(name) != hashlib.sha256(files[name].encode()).hexdigest():
            raise ResultMismatchError(f"run {config.run_id}: returned {name} differs from its "
                                      "checksum in summary.json")


def _atomic_write(path: Path, text: str) -> None:
    """A fresh exclusive temporary file (never a planted name or link), synced, renamed."""
    def write(f):
        f.write(text.encode())
        f.flush()
        os.fsync(f.fileno())
    safe_io.write_atomic(path, b"", writer=write)


def write_run_files(config: RunConfig, files: dict[str, str], results_dir) -> RunResult:
    """Store a run from its texts (checked first); returns it as load_result reads it back.

    A run already stored (by another driver) is left as it is."""
    check_run_files(config, files)
    found = load_result(config, results_dir)
    if found is not None:
        return found
    check_run_path(config, results_dir)  # no file or symlink where the run folder belongs
    d = run_dir(config, results_dir)
    d.mkdir(parents=True, exist_ok=True)
    for name in RUN_FILES:
        _atomic_write(d / name, files[name])
    result = load_result(config, results_dir)
    if result is None:  # pragma: no cover - summary.json was just written
        raise ResultMismatchError(f"run {config.run_id}: not readable after writing it")
    return result
