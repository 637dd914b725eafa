"""Turn a finished run folder into a recipe-probe record (docs/probes/), for a run whose recipe
was then replaced: the curve that made us change it stays on record, in the probe format that
rethink_lib.report.probes reads (scripts/probe_recipe.py writes the same fields).

    python scripts/probe_from_run.py results/<run_id> --command "python -m rethink_lib.make_runs ..."
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "probes"


def record_from_run(run_dir: Path, command: str) -> dict:
    s = json.loads((run_dir / "summary.json").read_text())
    c = s["config"]
    with open(run_dir / "metrics.csv") as f:
        rows = [{k: (int(r[k]) if k == "epoch" else float(r[k]))
                 for k in ("epoch", "lr", "train_loss", "train_acc", "test_acc")}
                for r in csv.DictReader(f)]
    return {"command": command, "cpu": s.get("device_name"), "threads": s.get("threads"),
            "model": c["model"], "level": c["level"], "lr": c["lr"], "lr_decay": c["lr_decay"],
            "warmup_epochs": c["warmup_epochs"], "epochs": s["epochs"], "n_train": s["n_train"],
            "precision": s.get("precision"), "wall_seconds": round(s["wall_seconds"], 1),
            "curve": rows, "final_train_acc": s["final_train_acc"],
            "final_test_acc": s["final_test_acc"], "run_id": s["run_id"],
            "fitted": s["fitted"], "steps_to_99": s.get("steps_to_99"),
            "steps_to_loss": s.get("steps_to_loss"),
            "final_train_loss_running": s.get("final_train_loss_running")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--command", required=True, help="the command that made the run")
    p.add_argument("--out", type=Path, default=OUT)
    a = p.parse_args(argv)
    r = record_from_run(a.run_dir, a.command)
    path = a.out / f"{r['model']}-p{r['level']:g}-lr{r['lr']:g}-x{r['lr_decay']:g}-w{r['warmup_epochs']}.json"
    path.write_text(json.dumps(r, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
