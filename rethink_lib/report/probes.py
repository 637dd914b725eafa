"""Recipe probes (scripts/probe_recipe.py): the short runs a model's recipe was chosen from.

Each probe is a JSON record in docs/probes/ with its command, CPU, recipe (lr, decay, warm-up)
and per-epoch curve. The chapter shows them as a table, a figure and a verdict sentence, all
from the records.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from .names import model_name

PROBES_DIR = Path(__file__).resolve().parents[2] / "docs" / "probes"
LEARNS_ABOVE = 2.0  # x chance: a probe "learns" when its last running train accuracy is above


CURVE_KEYS = ("epoch", "lr", "train_loss", "train_acc", "test_acc")
RUN_KEYS = ("run_id", "fitted", "steps_to_99", "steps_to_loss", "final_train_loss_running")


def probe_record(config: dict, summary: dict, metrics, command: str) -> dict:
    """The probe record (the fields load_probes and the chapter read) of a finished training:
    its config as a dict, its summary (rethink_lib.train's run_summary, or a stored
    summary.json), its per-epoch metric rows, and the command that made it."""
    curve = [{k: (int(m[k]) if k == "epoch" else float(m[k])) for k in CURVE_KEYS}
             for m in metrics]
    return {"command": command, "cpu": summary.get("device_name"),
            "threads": summary.get("threads"), "model": config["model"],
            "level": config["level"], "lr": config["lr"], "lr_decay": config["lr_decay"],
            "warmup_epochs": config["warmup_epochs"], "epochs": summary["epochs"],
            "n_train": summary["n_train"], "precision": summary.get("precision"),
            "wall_seconds": round(summary["wall_seconds"], 1), "curve": curve,
            "final_train_acc": summary["final_train_acc"],
            "final_test_acc": summary["final_test_acc"],
            **{k: summary.get(k) for k in RUN_KEYS}}


def write_probe(record: dict, out: Path = PROBES_DIR) -> Path:
    """Write `record` to out/<model>-p<level>-lr<lr>-x<decay>-w<warm-up>.json; its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / (f"{record['model']}-p{record['level']:g}-lr{record['lr']:g}"
                  f"-x{record['lr_decay']:g}-w{record['warmup_epochs']}.json")
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def load_probes(model: str, probes_dir: Path = PROBES_DIR) -> list[dict]:
    """The probe records of `model`, ordered by (lr, decay, warm-up)."""
    if not Path(probes_dir).is_dir():
        return []
    records = [json.loads(p.read_text()) for p in sorted(Path(probes_dir).glob("*.json"))]
    records = [r for r in records if r.get("model") == model]
    return sorted(records, key=lambda r: (r["lr"], r["lr_decay"], r["warmup_epochs"]))


def recipe_label(r: dict) -> str:
    warm = f", warm-up {r['warmup_epochs']}" if r["warmup_epochs"] else ""
    return f"lr {r['lr']:g} x{r['lr_decay']:g}{warm}"


def learns(r: dict, num_classes: int = 10) -> bool:
    return r["curve"][-1]["train_acc"] > LEARNS_ABOVE / num_classes


def probes_frame(records: list[dict], num_classes: int = 10) -> pd.DataFrame:
    return pd.DataFrame([{
        "recipe": recipe_label(r), "level p": r["level"], "epochs": len(r["curve"]),
        "last running train acc (%)": 100 * r["curve"][-1]["train_acc"],
        "last loss": r["curve"][-1]["train_loss"],
        "best curve test acc (%)": 100 * max(c["test_acc"] for c in r["curve"]),
        f"above {LEARNS_ABOVE:g}x chance": learns(r, num_classes), "cpu": r["cpu"], "minutes": r["wall_seconds"] / 60}
        for r in records])


def profile_recipe(settings: dict, model: str) -> dict:
    """The recipe a resolved profile gives `model`: {"lr", "lr_decay", "warmup_epochs"}."""
    from ..experiments import by_family
    from ..config import default_lr_decay
    decay = by_family(settings["lr_decay"], model)
    return {"lr": by_family(settings["lr"], model),
            "lr_decay": decay if decay is not None else default_lr_decay(model),
            "warmup_epochs": by_family(settings.get("warmup_epochs", 0), model) or 0}


def probes_figure(records: list[dict], num_classes: int = 10) -> Figure:
    """Running train accuracy per epoch of each probe, with chance (a note if none)."""
    fig = Figure(figsize=(5.6, 2.6))
    ax = fig.add_subplot()
    for r in records:
        ax.plot([c["epoch"] for c in r["curve"]], [c["train_acc"] for c in r["curve"]], "o-",
                ms=3, label=recipe_label(r))
    ax.axhline(1 / num_classes, color="gray", ls=":", lw=1, label="chance")
    ax.set(xlabel="epoch", ylabel="running train accuracy", ylim=(0, 1.02))
    if not records:
        ax.text(0.5, 0.5, "no recipe probe recorded yet", ha="center", transform=ax.transAxes)
    else:
        ax.set_title(f"{model_name(records[0]['model'])}: recipe probes", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def probes_verdict(records: list[dict], chosen: dict, num_classes: int = 10) -> str:
    """The probes compared at the same epoch (the shortest probe's last), and whether the
    recipe the profile uses is the best of them.

    chosen: the profile's recipe for the model, {"lr", "lr_decay", "warmup_epochs"}."""
    if not records:
        return "No recipe probe of this model is recorded yet (scripts/probe_recipe.py)."
    name = model_name(records[0]["model"])
    epoch = min(len(r["curve"]) for r in records)
    at = {recipe_label(r): r["curve"][epoch - 1]["train_acc"] for r in records}
    near = LEARNS_ABOVE / num_classes

    def one(label, acc):
        return f"{label}: {100 * acc:.1f}%" + (" (near chance)" if acc <= near else "")
    ranked = sorted(at.items(), key=lambda kv: -kv[1])
    text = (f"After {epoch} epochs, the running training accuracy of {name} was "
            + "; ".join(one(k, v) for k, v in ranked) + f" (chance: {100 / num_classes:g}%).")
    label = recipe_label({"lr": chosen["lr"], "lr_decay": chosen["lr_decay"],
                          "warmup_epochs": chosen.get("warmup_epochs") or 0})
    if label not in at:
        return text + f" The profile uses {label}, which was not probed."
    if len(at) == 1:
        return text + f" The profile uses {label}, the only recipe probed."
    if at[label] >= ranked[0][1]:
        return text + f" The profile uses {label}, the best of the probes at that epoch."
    return text + (f" The profile uses {label}, NOT the best of the probes at that epoch "
                   f"({ranked[0][0]} is).")
