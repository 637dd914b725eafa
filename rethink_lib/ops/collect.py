"""Runs made on another machine: packed there as one tarball, checked and stored here.

A lent GPU machine returns at most 8 files, so its finished runs travel as one .tar.gz. Here
every run in it is read through the store's own checks (config hash, checksums, summary)
before it enters the store; a damaged, foreign or unexpected member is refused and named,
never followed (links, absolute paths and `..` are refused by tarfile's "data" filter).

    python -m rethink_lib.ops.collect runs.tar.gz [--results-dir results]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

from ..config import RunConfig
from ..results import DEFAULT_RESULTS_DIR, StoreError, load_result

MAX_MEMBERS = 10_000        # members of one tarball
MAX_BYTES = 512 * 2 ** 20   # bytes it may unpack to


def finished_runs(results_dir: Path, since: float = 0.0) -> list[Path]:
    """Run folders of a store (not dot-folders) holding a summary.json written after `since`
    (a time.time() value)."""
    out = []
    for d in sorted(Path(results_dir).iterdir()):
        s = d / "summary.json"
        if d.is_dir() and not d.name.startswith(".") and s.is_file() and s.stat().st_mtime > since:
            out.append(d)
    return out


def pack_runs(folders: list[Path], out: Path) -> Path:
    """One .tar.gz of the run folders (each as <run id>/...)."""
    with tarfile.open(out, "w:gz") as tar:
        for d in folders:
            tar.add(d, arcname=d.name)
    return out


def collect_runs(tarball: Path, results_dir: Path = DEFAULT_RESULTS_DIR
                 ) -> tuple[list[str], list[str], list[str]]:
    """(stored, already there, refused with reasons) after moving every verified run of
    `tarball` into `results_dir`."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    stored, present, refused = [], [], []
    with tempfile.TemporaryDirectory(dir=results_dir.parent, prefix=".collect-") as tmp:
        try:
            with tarfile.open(tarball, "r:gz") as tar:
                members = tar.getmembers()
                if len(members) > MAX_MEMBERS or sum(m.size for m in members) > MAX_BYTES:
                    raise StoreError(f"{tarball}: more than {MAX_MEMBERS} members or "
                                     f"{MAX_BYTES // 2**20} MiB unpacked; refused")
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError) as err:
            raise StoreError(f"{tarball} is not a readable run tarball: {err}") from None
        for d in sorted(Path(tmp).iterdir()):
            name = d.name
            try:
                if not d.is_dir() or d.is_symlink():
                    raise StoreError("not a run folder")
                config = RunConfig.from_dict(json.loads((d / "config.json").read_text()))
                if config.run_id != name:
                    raise StoreError(f"its config is run {config.run_id}")
                if load_result(config, tmp) is None:
                    raise StoreError("no complete run in it")
            except (StoreError, OSError, ValueError, TypeError, KeyError) as err:
                refused.append(f"{name}: {err}")
                continue
            if (results_dir / name).exists():
                present.append(name)
                continue
            shutil.move(str(d), str(results_dir / name))
            stored.append(name)
    return stored, present, refused


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rethink_lib.ops.collect",
                                description="Check the runs of a tarball made on another "
                                            "machine and move them into the store.")
    p.add_argument("tarball", type=Path)
    p.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS_DIR)
    args = p.parse_args(argv)
    try:
        stored, present, refused = collect_runs(args.tarball, args.results_dir)
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name in stored:
        print(f"stored  {name}")
    for name in present:
        print(f"present {name} (kept the stored one)")
    for line in refused:
        print(f"REFUSED {line}")
    print(f"{len(stored)} stored, {len(present)} already there, {len(refused)} refused")
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
