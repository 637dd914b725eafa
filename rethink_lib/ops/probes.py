"""Recipe probes (scripts/probe_recipe.py): the short runs a model's recipe was chosen from.

Each probe is a JSON record in docs/probes/ with its command, CPU, recipe (lr, decay, warm-up)
and per-epoch curve. The chapter shows them as a table, a figure and a verdict sentence, all
from the records.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..report.names import corruption_name, listing, model_name
from ..report.style import FULL_WIDTH, book_style

PROBES_DIR = Path(__file__).resolve().parents[2] / "docs" / "probes"
LEARNS_ABOVE = 2.0  # x chance: a probe "learns" when its last running train accuracy is above


CURVE_KEYS = ("epoch", "lr", "train_loss", "train_acc", "test_acc")
RUN_KEYS = ("run_id", "fitted", "steps_to_99", "steps_to_loss", "final_train_loss_running")


def probe_record(config: dict, summary: dict, metrics, command: str,
                 diverged: str | None = None) -> dict:
    """The probe record (the fields load_probes and the chapter read) of a training: its
    config as a dict, its summary (rethink_lib.train's run_summary, or a stored
    summary.json), its per-epoch metric rows, the command that made it, and where the loss
    became NaN or infinite (`diverged`: the error's message; the rows are those before)."""
    curve = [{k: (int(m[k]) if k == "epoch" else float(m[k])) for k in CURVE_KEYS}
             for m in metrics]
    return {"command": command, "cpu": summary.get("device_name"),
            "threads": summary.get("threads"), "model": config["model"],
            "dataset": config["dataset"], "batchnorm": bool(config.get("batchnorm", False)),
            "level": config["level"], "lr": config["lr"], "lr_decay": config["lr_decay"],
            "warmup_epochs": config["warmup_epochs"], "epochs": summary["epochs"],
            "n_train": summary["n_train"], "precision": summary.get("precision"),
            "wall_seconds": round(summary["wall_seconds"], 1), "curve": curve,
            "final_train_acc": summary["final_train_acc"],
            "final_test_acc": summary["final_test_acc"], "diverged": diverged,
            **{k: summary.get(k) for k in RUN_KEYS}}


def write_probe(record: dict, out: Path = PROBES_DIR) -> Path:
    """Write `record` to out/<model>-p<level>-lr<lr>-x<decay>-w<warm-up>.json; its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / (f"{record['model']}-p{record['level']:g}-lr{record['lr']:g}"
                  f"-x{record['lr_decay']:g}-w{record['warmup_epochs']}"
                  f"{'-bn' if record.get('batchnorm') else ''}.json")
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def load_probes(model: str, probes_dir: Path = PROBES_DIR) -> list[dict]:
    """The probe records of `model`, ordered by (lr, decay, warm-up)."""
    if not Path(probes_dir).is_dir():
        return []
    records = [json.loads(p.read_text()) for p in sorted(Path(probes_dir).glob("*.json"))]
    records = [r for r in records if r.get("model") == model]
    return sorted(records, key=lambda r: (r["lr"], r["lr_decay"], r["warmup_epochs"]))


def probes_of(model: str, dataset: str, level: float) -> list[dict]:
    """The probe records of `model` on `dataset` at label level `level` (`load_probes` order)."""
    return [r for r in load_probes(model) if probe_dataset(r) == dataset and r["level"] == level]


def probe_dataset(r: dict) -> str:
    """The data set a probe ran on; records before the field existed ran on the cpu
    profile's Fashion-MNIST."""
    return r.get("dataset", "fashion_mnist")


def recipe_label(r: dict) -> str:
    warm = f", warm-up {r['warmup_epochs']}" if r["warmup_epochs"] else ""
    bn = ", BatchNorm" if r.get("batchnorm") else ""
    return f"lr {r['lr']:g} x{r['lr_decay']:g}{warm}{bn}"


def learns(r: dict, num_classes: int = 10) -> bool:
    return not r.get("diverged") and bool(r["curve"]) and \
        r["curve"][-1]["train_acc"] > LEARNS_ABOVE / num_classes


def diverged_at(r: dict) -> str:
    """'diverged in epoch 3 (lr 0.0288)' for a probe whose loss became NaN or infinite, else ''."""
    if not r.get("diverged"):
        return ""
    where = re.search(r"in epoch (\d+) \(lr ([\d.e+-]+)\)", r["diverged"])
    return f"diverged in epoch {where[1]} (lr {float(where[2]):.3g})" if where else "diverged"


def probes_frame(records: list[dict], num_classes: int = 10) -> pd.DataFrame:
    def last(r, key, scale=1.0):
        return scale * r["curve"][-1][key] if r["curve"] else float("nan")
    return pd.DataFrame([{
        "recipe": recipe_label(r) + (", the stored run" if r.get("stored") else ""),
        "level p": r["level"], "precision": r.get("precision"),
        "epochs": len(r["curve"]), "outcome": diverged_at(r) or "trained",
        "last running train acc (%)": last(r, "train_acc", 100),
        "final train acc (%)": (100 * r["final_train_acc"] if r.get("final_train_acc")
                                is not None else float("nan")),
        "last loss": last(r, "train_loss"),
        # the last epoch's, not the best: on random labels the curve swings around chance
        # (predictions follow the images' classes in clumps) and its best is no sign of learning
        "last curve test acc (%)": last(r, "test_acc", 100),
        f"train acc above {LEARNS_ABOVE:g}x chance": "yes" if learns(r, num_classes) else "no",
        "cpu": r["cpu"],
        "minutes": (r["wall_seconds"] or 0) / 60}
        for r in records])


def profile_recipe(settings: dict, model: str) -> dict:
    """The recipe a resolved profile gives `model`: {"lr", "lr_decay", "warmup_epochs"}."""
    from ..experiments import by_family
    from ..config import default_lr_decay
    decay = by_family(settings["lr_decay"], model)
    return {"lr": by_family(settings["lr"], model),
            "lr_decay": decay if decay is not None else default_lr_decay(model),
            "warmup_epochs": by_family(settings.get("warmup_epochs", 0), model) or 0}


@book_style
def probes_figure(records: list[dict], num_classes: int = 10) -> Figure:
    """Running train accuracy per epoch of each probe, true and random labels one above the
    other (the text column's width, legends beside), with chance; a diverged probe ends in
    an x (a note where none is recorded)."""
    levels = sorted({r["level"] for r in records}) or [0.0]
    fig = Figure(figsize=(FULL_WIDTH, 2.5 * len(levels)), layout="constrained")
    for i, level in enumerate(levels):
        ax = fig.add_subplot(len(levels), 1, i + 1)
        for r in (r for r in records if r["level"] == level):
            x = [c["epoch"] for c in r["curve"]]
            y = [c["train_acc"] for c in r["curve"]]
            line, = ax.plot(x, y, "o-", ms=3, label=_named(r))
            if r.get("diverged"):
                ax.plot([len(x) + 1], [y[-1] if y else 1 / num_classes], "x", ms=8, mew=2,
                        color=line.get_color())
        ax.axhline(1 / num_classes, color="gray", ls=":", lw=1, label="chance")
        ax.set(xlabel="epoch", ylabel="running train accuracy", ylim=(0, 1.02))
        if not records:
            ax.text(0.5, 0.5, "no recipe probe recorded yet", ha="center", transform=ax.transAxes)
            continue
        blew = any(r.get("diverged") for r in records if r["level"] == level)
        ax.set_title(f"{model_name(records[0]['model'])}: {corruption_name('labels', level)}"
                     + (" (x: diverged)" if blew else ""))
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    return fig


def _named(r: dict) -> str:
    """A probe's recipe with its precision: 'lr 0.03 x0.98, warm-up 5 (bf16)'; a stored run
    set beside the probes says so."""
    return (recipe_label(r) + (f" ({r['precision']})" if r.get("precision") else "")
            + (", the stored run" if r.get("stored") else ""))


def extension_records(settings, stores, model: str = "mlp_1x512") -> tuple[list[dict], dict]:
    """The recipe probes of `model` on the profile's second data set (its random labels:
    experiment other_dataset_random), its stored run of the profile's seed set beside them as
    one more record (marked "stored"), and the recipe that run uses ({"lr", "lr_decay"
    per epoch, "warmup_epochs"}, for `probes_verdict`)."""
    from ..experiments import get_experiment
    from ..results import find_result
    configs = [c for c in get_experiment("other_dataset_random")(settings).values()
               if c.model == model and c.seed == settings["seed"]]
    if not configs:
        raise ValueError(f"the {settings['profile']} profile's extension has no run of {model}; "
                         f"its extension_models: {', '.join(settings['extension_models'])}")
    c = configs[0]
    records = probes_of(model, c.dataset, c.level)
    run = find_result(c, stores)
    if run is not None:
        records.append({**probe_record(c.to_dict(), run.summary, run.metrics,
                                       f"stored run {c.run_id}"), "stored": True})
    records.sort(key=lambda r: (r["lr"], r["lr_decay"], r["warmup_epochs"],
                                bool(r.get("batchnorm")), bool(r.get("stored"))))
    return records, {"lr": c.lr0, "lr_decay": c.decay, "warmup_epochs": c.warmup_epochs}


def probes_verdict(records: list[dict], chosen: dict, num_classes: int = 10) -> str:
    """Per label level: the probes that trained compared at the same epoch (the shortest
    one's last), the ones that diverged and where, and whether the recipe the profile uses
    is the best of those at that epoch, diverged in a probe, or was not probed.

    chosen: the profile's recipe for the model, {"lr", "lr_decay", "warmup_epochs"}."""
    if not records:
        return "No recipe probe of this model is recorded yet (scripts/probe_recipe.py)."
    name = model_name(records[0]["model"])
    label = recipe_label({"lr": chosen["lr"], "lr_decay": chosen["lr_decay"],
                          "warmup_epochs": chosen.get("warmup_epochs") or 0})
    near = LEARNS_ABOVE / num_classes
    texts = []
    for level in sorted({r["level"] for r in records}):
        group = [r for r in records if r["level"] == level]
        ran = [r for r in group if not r.get("diverged") and r["curve"]]
        failed = [r for r in group if r not in ran]
        where = f"on {corruption_name('labels', level)}"
        parts = []
        if ran:
            epoch = min(len(r["curve"]) for r in ran)
            ranked = sorted(ran, key=lambda r: -r["curve"][epoch - 1]["train_acc"])
            parts.append(f"{where}, after {epoch} epochs, the running training accuracy of "
                         f"{name} was " + "; ".join(
                             f"{_named(r)}: {100 * r['curve'][epoch - 1]['train_acc']:.1f}%"
                             + (" (near chance)" if r["curve"][epoch - 1]["train_acc"] <= near else "")
                             for r in ranked))
        if failed:
            parts.append(("; " if ran else f"{where}, ") + listing(
                f"{_named(r)} {diverged_at(r) or 'recorded no epoch'}" for r in failed))
        text = "".join(parts)
        texts.append(text[0].upper() + text[1:] + f" (chance: {100 / num_classes:g}%).")
        mine = [r for r in group if recipe_label(r) == label]
        if any(r in failed for r in mine):
            texts.append(f"The profile's recipe, {label}, diverged in a probe {where}.")
        elif not mine:
            texts.append(f"The profile uses {label}, which was not probed {where}.")
        elif len(ran) == 1:
            texts.append(f"The profile uses {label}, the only recipe probed {where} that did not "
                         "diverge.")
        elif max(r["curve"][epoch - 1]["train_acc"] for r in mine) >= \
                ranked[0]["curve"][epoch - 1]["train_acc"]:
            texts.append(f"The profile uses {label}, the best of these probes at that epoch.")
        else:
            texts.append(f"The profile uses {label}, NOT the best of these probes at that epoch "
                         f"({_named(ranked[0])} is).")
    return " ".join(texts)
