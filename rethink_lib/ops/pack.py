"""Make a carried pack (rethink_lib.carry) of an npm data set's training subset and test split.

    python -m rethink_lib.ops.pack cifar10 --n-train 10000 --out carry
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .. import npm_data
from ..carry import CarryError, write_pack
from ..data import balanced_subset, default_data_root, get_spec


def make_pack(name: str, n_train: int, out: Path, seed: int = 0,
              root: Path | None = None) -> list[Path]:
    """The n_train-image balanced training subset of data seed `seed` (as
    `data.load_dataset` draws it) with all training labels, and the whole test split, written
    by `carry.write_pack`. Returns the two parts' paths."""
    import torch
    if name not in npm_data.PACKAGES:
        raise CarryError(f"only the npm data sets can be packed: {', '.join(npm_data.PACKAGES)}")
    (xtr, ytr), (xte, yte) = npm_data.load_arrays(name, Path(root or default_data_root()))
    idx = balanced_subset(torch.from_numpy(ytr.astype(np.int64)), n_train,
                          get_spec(name).num_classes, seed).numpy()
    arrays = {"train_index": idx.astype(np.int64), "train_images": xtr[idx],
              "train_labels": ytr, "test_images": xte, "test_labels": yte}
    return write_pack(name, arrays, n_train, seed, out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m rethink_lib.ops.pack",
                                description="Pack a data set's training subset and test split "
                                            "to carry to a machine with no network.")
    p.add_argument("dataset")
    p.add_argument("--n-train", type=int, required=True, help="training images of the subset")
    p.add_argument("--seed", type=int, default=0, help="data seed of the subset")
    p.add_argument("--out", type=Path, default=Path("carry"))
    args = p.parse_args(argv)
    try:
        parts = make_pack(args.dataset, args.n_train, args.out, args.seed)
    except CarryError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in parts:
        print(f"{path}: {path.stat().st_size / 2**20:.1f} MiB")
    print(f"({args.n_train:,} training images of data seed {args.seed}, the whole test split; "
          f"manifest {args.out / (args.dataset + '.json')})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
