"""A data set's carried pack: the training images some runs need, for a machine with no network.

A lent GPU machine reaches nothing and takes at most 64 MiB per call (the working tree, about
31 MB, included), less than CIFAR-10's 180 MB. The cifar profile's runs at 10,000 images all
read one class-balanced subset (data seed 0) and the whole test split: 61 MB. A pack holds
exactly those images in two xz-compressed parts of about 23 MB each, `train` (with the whole
training label vector, so `data.balanced_subset` draws the same indices there as here) and
`test`, which can travel in two calls to one warm machine, and a manifest with each array's
and each file's SHA-256. On the other machine `$RETHINK_CARRY` names the pack folder; the
loader then serves the carried images and refuses a run that needs any other training image
(a 50,000-image run, Gaussian noise beyond the split, another data seed), so a zero never
stands in for an image.

    python -m rethink_lib.ops.pack cifar10 --n-train 10000 --out carry  # here: make the pack
    RETHINK_CARRY=carry python -m rethink_lib.make_runs ...             # there: use it
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import lzma
import os
import zipfile
from pathlib import Path

import numpy as np

CARRY_ENV = "RETHINK_CARRY"
FORMAT = 1
PARTS = {"train": ("train_index", "train_images", "train_labels"),
         "test": ("test_images", "test_labels")}


class CarryError(ValueError):
    """A pack that is missing, damaged, for another data set, or lacks the images asked."""


def _sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def write_pack(name: str, arrays: dict, n_train: int, seed: int, out: Path) -> list[Path]:
    """Write out/<name>-train.npz.xz, out/<name>-test.npz.xz and out/<name>.json from
    `arrays` (the keys of PARTS: the subset's indices and images, all training labels, the
    test split). Returns the two parts' paths (`ops.pack.make_pack` draws the arrays)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for part, keys in PARTS.items():
        buf = io.BytesIO()
        np.savez(buf, **{k: arrays[k] for k in keys})
        data = lzma.compress(buf.getvalue(), preset=6)
        path = out / f"{name}-{part}.npz.xz"
        path.write_bytes(data)
        files[path.name] = hashlib.sha256(data).hexdigest()
    manifest = {"format": FORMAT, "dataset": name, "n_train": n_train, "seed": seed,
                "train_size": int(len(arrays["train_labels"])), "files": files,
                "sha256": {k: _sha256(v) for k, v in arrays.items()},
                "shapes": {k: list(v.shape) for k, v in arrays.items()}}
    (out / f"{name}.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return [out / f for f in files]


def carried(name: str) -> Path | None:
    """The pack folder named by $RETHINK_CARRY when it holds a pack of `name`, else None."""
    folder = os.environ.get(CARRY_ENV)
    if not folder:
        return None
    return Path(folder) if (Path(folder) / f"{name}.json").is_file() else None


def load_pack(name: str, folder: Path):
    """((train images, labels, carried mask), (test images, labels)): the training arrays at
    the full split's size, zero where an image was not carried (the mask says which); every
    array checked against the manifest's shape and SHA-256 first. Read once per process
    while its files are unchanged (the loader asks once per split); treat as read-only."""
    folder = Path(folder).resolve()
    try:
        stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns)
                      for f in sorted(folder.glob(f"{name}[.-]*")))
    except OSError:
        stamp = ()
    return _load_pack(name, folder, stamp)


@functools.lru_cache(maxsize=2)
def _load_pack(name: str, folder: Path, stamp: tuple):
    try:
        manifest = json.loads((folder / f"{name}.json").read_text())
        if manifest.get("format") != FORMAT or manifest.get("dataset") != name:
            raise CarryError(f"{folder / (name + '.json')} is not a format-{FORMAT} pack of {name}")
        arrays = {}
        for part, keys in PARTS.items():
            fname = f"{name}-{part}.npz.xz"
            data = (folder / fname).read_bytes()
            if hashlib.sha256(data).hexdigest() != manifest["files"].get(fname):
                raise CarryError(f"the pack of {name} under {folder} is damaged: {fname} does "
                                 "not match its manifest")
            with np.load(io.BytesIO(lzma.decompress(data)), allow_pickle=False) as z:
                arrays.update({k: z[k] for k in keys})
    except (OSError, ValueError, KeyError, lzma.LZMAError, zipfile.BadZipFile) as err:
        if isinstance(err, CarryError):
            raise
        raise CarryError(f"the pack of {name} under {folder} is unreadable: "
                         f"{type(err).__name__}: {err}") from None
    for k, a in arrays.items():
        if list(a.shape) != manifest["shapes"][k] or _sha256(a) != manifest["sha256"][k]:
            raise CarryError(f"the pack of {name} under {folder} is damaged: {k} does not match "
                             "its manifest")
    idx, total = arrays["train_index"], int(manifest["train_size"])
    if len(arrays["train_labels"]) != total or idx.min() < 0 or idx.max() >= total:
        raise CarryError(f"the pack of {name} under {folder} has indices outside its split")
    x = np.zeros((total,) + arrays["train_images"].shape[1:], dtype=np.uint8)
    x[idx] = arrays["train_images"]
    mask = np.zeros(total, dtype=bool)
    mask[idx] = True
    return (x, arrays["train_labels"], mask), (arrays["test_images"], arrays["test_labels"])



def covers(pack_n_train: int | None, pack_seed: int | None, config, n_loaded: int | None) -> bool:
    """Whether a pack of the `pack_n_train`-image subset of data seed `pack_seed` holds every
    training image of a run that loads `n_loaded` images: only its own subset size and seed."""
    return n_loaded == pack_n_train and config.data_seed == pack_seed


def coverage_problem(config, n_loaded: int | None) -> str | None:
    """Why a run's training images are not all in the carried pack of its data set (None:
    they are, or nothing is carried). n_loaded: the training images the run loads
    (`corruptions.loaded_n_train`); a pack covers its own subset size and data seed only."""
    folder = carried(config.dataset)
    if folder is None:
        return None
    try:
        m = json.loads((folder / f"{config.dataset}.json").read_text())
    except (OSError, ValueError) as err:
        return f"the pack of {config.dataset} under {folder} is unreadable: {err}"
    if not covers(m.get("n_train"), m.get("seed"), config, n_loaded):
        return (f"run {config.run_id} needs training images not carried: the pack under "
                f"{folder} holds the {m.get('n_train'):,}-image subset of data seed "
                f"{m.get('seed')}, the run {'all' if n_loaded is None else f'{n_loaded:,}'} of "
                f"data seed {config.data_seed}")
    return None
