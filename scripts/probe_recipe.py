"""Short recipe probes: train one cpu-profile run with a changed lr / decay / warm-up for a few
epochs and record its per-epoch curve, so a recipe is chosen from data and the chapter can show
the probes that chose it.

    python scripts/probe_recipe.py --model inception_small_nobn --level 0 --lr 0.1 \
        --warmup 5 --epochs 8 --threads 1

The run is the profile's (--profile, default cpu) Table I run of the model (same data, batch,
precision, seeds), or its run in --experiment (e.g. other_dataset_random, the random labels
on MNIST), with the given lr, decay and warm-up. --decay is per epoch, or per the profile's
lr_decay_steps SGD steps where it sets them (the cifar profile: per 391 steps, as its own
lr_decay is). The probe is not stored in the results store and has no checkpoint. The record
goes to docs/probes/<model>-p<level>-lr<lr>-x<decay>-w<warmup>.json:
the command, the CPU, each epoch's lr, loss and running training accuracy, and the final
precise-BN train / full test accuracy.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from rethink_lib.builders import epoch_decay
from rethink_lib.cli import _positive as positive_int
from rethink_lib.experiments import get_experiment, resolve
from rethink_lib.metrics import cpu_name
from rethink_lib.ops.probes import PROBES_DIR as OUT, probe_record, write_probe
from rethink_lib.train import TrainingDivergedError, train


def probe_config(model: str, level: float, lr: float, decay: float, warmup: int, epochs: int,
                 profile: str = "cpu", experiment: str | None = None, batchnorm: bool = False):
    """The profile's Table I / Fig. 1b run of `model` at `level` (or its run in `experiment`),
    with the probe's recipe; `decay` is per the profile's lr_decay_steps where it has them;
    `batchnorm`: the report's BatchNorm variant (models whose BatchNorm is a flag)."""
    from rethink_lib.models import model_spec
    if batchnorm and model_spec(model).batchnorm != "flag":
        raise SystemExit(f"probe_recipe: --batchnorm is for models whose BatchNorm is a switch "
                         f"(AlexNet, the MLPs); {model} has batchnorm={model_spec(model).batchnorm!r}")
    s = resolve(profile)
    for name in (experiment,) if experiment else ("table1", "table2", "fig1bc"):
        for cfg in get_experiment(name)(s).values():
            if cfg.model == model and cfg.corruption == "labels" and cfg.level == level \
                    and not cfg.weight_decay and cfg.augment == "none" and cfg.seed == s["seed"]:
                per_epoch = epoch_decay(decay, s.get("lr_decay_steps"), cfg.dataset,
                                        cfg.n_train, cfg.batch_size)
                return dataclasses.replace(cfg, lr=lr, lr_decay=per_epoch, warmup_epochs=warmup,
                                           max_epochs=epochs,
                                           **({"batchnorm": True} if batchnorm else {}))
    where = f"experiment {experiment}" if experiment else "Table I / Fig. 1b"
    raise SystemExit(f"probe_recipe: the {profile} profile's {where} has no run of {model} "
                     f"at level {level}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--level", type=float, default=0.0, help="label corruption level")
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--decay", type=float, default=0.95,
                   help="lr factor per epoch (per the profile's lr_decay_steps where it sets them)")
    p.add_argument("--warmup", type=int, default=0, help="linear warm-up epochs")
    p.add_argument("--epochs", type=positive_int, default=8)
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--profile", default="cpu", help="the profile whose run is probed")
    p.add_argument("--experiment", default=None,
                   help="the experiment whose run is probed (default: Table I / Fig. 1b)")
    p.add_argument("--batchnorm", action="store_true",
                   help="the report's BatchNorm variant (AlexNet, the MLPs)")
    p.add_argument("--out", type=Path, default=OUT)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = probe_config(a.model, a.level, a.lr, a.decay, a.warmup, a.epochs, a.profile,
                       a.experiment, a.batchnorm)
    command = "python scripts/probe_recipe.py " + " ".join(argv or sys.argv[1:])
    try:
        res = train(cfg, device="cpu", progress=sys.stderr)
        record = probe_record(cfg.to_dict(), res.summary, res.metrics, command)
    except TrainingDivergedError as err:  # a recipe that diverges is a probe outcome too
        summary = {"device_name": cpu_name(), "threads": a.threads, "epochs": len(err.metrics),
                   "n_train": cfg.n_train, "precision": err.precision,
                   "wall_seconds": err.wall_seconds, "final_train_acc": None,
                   "final_test_acc": None}
        record = probe_record(cfg.to_dict(), summary, err.metrics, command, diverged=str(err))
        print(f"diverged: {err}")
    path = write_probe(record, a.out)
    rows = record["curve"]
    for r in rows:
        print(f"epoch {r['epoch']:3d} lr {r['lr']:.4f} loss {r['train_loss']:.3f} "
              f"train {r['train_acc']:.3f} test {r['test_acc']:.3f}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
