"""Command line: `python -m rethink_lib {models,train,bench} ...`."""
from __future__ import annotations

import argparse
import sys

from .corruptions import CORRUPTIONS
from .data import DATASETS, DatasetMissingError
from .models import count_parameters, create_model, list_models, model_spec


def _models(_args) -> int:
    """The model registry: display name, family, parameter counts and default recipe."""
    print(f"{'model':22s} {'display name':34s} {'family':10s} {'parameters':>11s} "
          f"{'published':>20s} {'lr':>6s} {'decay':>6s} BatchNorm")
    for name in list_models():
        spec = model_spec(name)
        n = count_parameters(create_model(name))
        paper = "-" if spec.paper_parameters is None else f"{spec.paper_parameters:,d}"
        if spec.parameters_source != "paper" and spec.paper_parameters is not None:
            paper += f" ({spec.parameters_source})"
        print(f"{name:22s} {spec.display:34s} {spec.family:10s} {n:11,d} {paper:>20s} "
              f"{spec.lr:6g} {spec.lr_decay:6g} {spec.batchnorm}")
    return 0


def _train(args) -> int:
    from .config import RunConfig
    from .corruptions import load_run_dataset
    from .preflight import check_runs
    from .results import load_result
    from .runner import train_locked

    if args.corruption == "labels" and args.level is None:
        args.level = 0.0  # true labels
    config = RunConfig(dataset=args.dataset, n_train=args.n_train,
                       n_test=args.n_test, corruption=args.corruption, level=args.level,
                       model=args.model, batchnorm=args.batchnorm, batch_size=args.batch_size,
                       lr=args.lr, lr_decay=args.lr_decay, weight_decay=args.weight_decay,
                       augment=args.augment, max_epochs=args.epochs, precision=args.precision,
                       seed=args.seed)
    if load_result(config, args.results_dir) is None:  # fail early, before training:
        # device, data set, sizes, seed, a writable store, a free run path (creates nothing)
        check_runs([config], args.device, args.results_dir)
        load_run_dataset(config)

    def say(line):  # another process (queue, CLI) holds the run: say who, and any change
        print(line, file=sys.stderr, flush=True)
    # under the run lock the queue takes too: a second `train` of this config waits, then
    # reuses the stored run
    result = train_locked(config, args.results_dir, say=say, device=args.device,
                          compile=args.compile, progress=sys.stderr.isatty())  # no bar in logs
    s = result.summary
    fit = f"fitted in {s['steps_to_fit']} steps" if s["steps_to_fit"] else "did not reach the target"
    print(f"{config.run_id}: train acc {s['final_train_acc']:.4f}, test acc {s['final_test_acc']:.4f}, "
          f"{s['epochs']} epochs, {fit}, {s['wall_seconds']:.1f} s")
    print(f"results in {result.path}")
    return 0


def _fraction(text: str) -> float:
    try:
        p = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {p}")
    return p


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {n}")
    return n


def _seed(text: str) -> int:
    from .preflight import MAX_SEED
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= n <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"the seed must be in [0, {MAX_SEED}] (torch seeds "
                                         f"64-bit generators with it), got {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rethink_lib")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("models", help="list the models with their parameter counts")
    t = sub.add_parser("train", help="train one configuration through the results store")
    t.add_argument("--model", choices=list_models(), default="mlp_1x512")
    t.add_argument("--dataset", choices=sorted(DATASETS), default="fashion_mnist")
    t.add_argument("--corruption", choices=list(CORRUPTIONS), default="labels")
    t.add_argument("--level", type=_fraction, default=None,
                   help="labels: probability p a label is resampled (0 = true labels, the "
                        "default; 1 = random labels); the pixel corruptions take none")
    t.add_argument("--epochs", type=_positive, default=100, help="maximum epochs")
    t.add_argument("--n-train", type=_positive, default=None)
    t.add_argument("--n-test", type=_positive, default=None)
    t.add_argument("--batch-size", type=_positive, default=128)
    t.add_argument("--lr", type=float, default=None)
    t.add_argument("--lr-decay", type=float, default=None)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--augment", choices=["none", "crop", "crop_pad4_jitter"], default="none")
    t.add_argument("--batchnorm", action="store_true", help="BN in AlexNet/MLP (report)")
    t.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--device", default="auto")
    t.add_argument("--compile", action="store_true", help="torch.compile the model")
    t.add_argument("--results-dir", default="results")
    b = sub.add_parser("bench", help="training throughput benchmark (see rethink_lib.bench)",
                       add_help=False)
    b.add_argument("rest", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str] | None = None) -> int:
    """Exit status 0: done; 2: an input, the store or a checkpoint is unusable (one line);
    130 / 143: stopped by Ctrl-C / SIGTERM (one line; rerun to resume)."""
    from .interrupts import stoppable
    return stoppable(_main, argv)


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from .bench import main as bench_main
        return bench_main(argv[1:])
    args = build_parser().parse_args(argv)
    from .checkpoint import CheckpointError
    from .results import StoreError
    from .train import TrainingDivergedError
    try:
        return {"models": _models, "train": _train}[args.command](args)
    except (ValueError, DatasetMissingError, StoreError, CheckpointError, TrainingDivergedError,
            OSError) as err:  # one line, no traceback: each says what to do
        if sys.stderr.isatty():
            print("\r\033[K", end="", file=sys.stderr)  # clear a progress bar's line
        print(f"error: {(str(err).splitlines() or [type(err).__name__])[0]}", file=sys.stderr)
        return 2
