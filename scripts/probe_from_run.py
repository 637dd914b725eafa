"""Turn a finished run folder into a recipe-probe record (docs/probes/), for a run whose recipe
was then replaced: the curve that made us change it stays on record, in the probe format that
rethink_lib.ops.probes reads (scripts/probe_recipe.py writes the same fields).

    python scripts/probe_from_run.py results/<run_id> --command "python -m rethink_lib.make_runs ..."
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from rethink_lib.ops.probes import PROBES_DIR, probe_record, write_probe


def record_from_run(run_dir: Path, command: str) -> dict:
    from rethink_lib.results import load_folder
    if load_folder(run_dir) is None:  # verified as every reader of the store verifies it
        raise SystemExit(f"{run_dir}: not a complete run (no summary.json)")
    s = json.loads((Path(run_dir) / "summary.json").read_text())
    with open(Path(run_dir) / "metrics.csv") as f:
        return probe_record(s["config"], s, csv.DictReader(f), command)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--command", required=True, help="the command that made the run")
    p.add_argument("--out", type=Path, default=PROBES_DIR)
    a = p.parse_args(argv)
    print(f"wrote {write_probe(record_from_run(a.run_dir, a.command), a.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
