"""Runs made elsewhere come back as one tarball; only verified runs enter the store."""
import io
import tarfile

import pytest

from rethink_lib.config import RunConfig
from rethink_lib.ops.collect import collect_runs, finished_runs, pack_runs
from rethink_lib.results import StoreError, load_result, save_result

CONFIG = RunConfig(dataset="digits", model="mlp_1x512", n_train=50, n_test=50, max_epochs=2)


@pytest.fixture
def made(tmp_path, monkeypatch):
    """Two runs stored 'on the other machine'."""
    monkeypatch.setattr("rethink_lib.results.summary_problem", lambda *a: None)
    metrics = [{"epoch": e, "train_loss": 1.0 / e} for e in (1, 2)]
    configs = [CONFIG, CONFIG.__class__(**{**CONFIG.to_dict(), "seed": 1})]
    for c in configs:
        save_result(c, metrics, [0.5] * 4, {"final_test_acc": 0.5, "epochs": 2},
                    tmp_path / "there")
    return tmp_path, configs


def test_packed_runs_are_verified_and_stored(made):
    tmp_path, configs = made
    runs = finished_runs(tmp_path / "there")
    assert [r.name for r in runs] == sorted(c.run_id for c in configs)
    tarball = pack_runs(runs, tmp_path / "runs.tar.gz")
    stored, present, refused = collect_runs(tarball, tmp_path / "here")
    assert sorted(stored) == sorted(c.run_id for c in configs) and not present and not refused
    assert all(load_result(c, tmp_path / "here") is not None for c in configs)
    assert collect_runs(tarball, tmp_path / "here")[1] == sorted(stored)  # kept, not replaced
    assert finished_runs(tmp_path / "there", since=2e9) == []


def test_damaged_or_foreign_runs_are_refused(made):
    tmp_path, configs = made
    first = tmp_path / "there" / configs[0].run_id
    (first / "metrics.csv").write_text("epoch,train_loss\n1,0.0\n")
    other = tmp_path / "there" / "alexnet_small-x-1234"
    other.mkdir()
    (other / "config.json").write_text((tmp_path / "there" / configs[1].run_id /
                                        "config.json").read_text())
    (other / "summary.json").write_text("{}")
    tarball = pack_runs(finished_runs(tmp_path / "there"), tmp_path / "runs.tar.gz")
    stored, _, refused = collect_runs(tarball, tmp_path / "here")
    assert stored == [configs[1].run_id]
    reasons = "\n".join(refused)
    assert configs[0].run_id in reasons and "alexnet_small-x-1234: its config is run" in reasons


def test_hostile_tarball_is_refused(tmp_path):
    tarball = tmp_path / "evil.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        data = b"owned"
        info = tarfile.TarInfo("../outside.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(StoreError, match="not a readable run tarball"):
        collect_runs(tarball, tmp_path / "store" / "results")
    assert not (tmp_path / "store" / "outside.txt").exists()
    (tmp_path / "junk.tar.gz").write_bytes(b"junk")
    with pytest.raises(StoreError):
        collect_runs(tmp_path / "junk.tar.gz", tmp_path / "store" / "results")
