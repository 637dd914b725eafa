"""The results store and checkpoints under damaged, hostile and unwritable files (issue 13).

Every refusal is one line that names the run and what differs; nothing here trains on real
data (a synthetic 40-image set stands in), so the file runs in seconds.
"""
import errno
import json
import re
import shutil

import pytest
import torch

import rethink_lib.checkpoint as checkpoint_mod
import rethink_lib.results as results
from rethink_lib.checkpoint import CheckpointError
from rethink_lib.config import RunConfig
import rethink_lib.runner as runner
from rethink_lib.results import (ResultMismatchError, StoreError, check_writable,
                                 checkpoint_path, load_result, save_result)
from rethink_lib.runner import get_or_run
from rethink_lib.store_checks import count_of
from rethink_lib.train import train

from .test_train import synthetic_dataset

N_TRAIN, N_TEST = 40, 32


def f32(x: float) -> float:
    """x as torch computes an accuracy: rounded to float32."""
    return torch.tensor(x, dtype=torch.float32).item()


def config_for(level=0.5, **kw):
    return RunConfig(n_train=N_TRAIN, n_test=N_TEST, max_epochs=2, batch_size=16,
                     corruption="labels", level=level, **kw)


def fake_train(c, **kw):
    return train(c, dataset=synthetic_dataset(N_TRAIN, n_test=N_TEST), **kw)


@pytest.fixture(scope="module")
def stored_once(tmp_path_factory):
    """One run (labels at level 0.5) trained and stored by the real code, once per module."""
    c, rdir = config_for(), tmp_path_factory.mktemp("template") / "results"
    out = fake_train(c, device="cpu", progress=False)
    save_result(c, out.metrics, out.step_losses, out.summary, rdir)
    return c, rdir


@pytest.fixture
def store(stored_once, tmp_path):
    """A fresh copy of that stored run for a test to damage: (config, results dir, run dir)."""
    c, template = stored_once
    rdir = tmp_path / "results"
    shutil.copytree(template, rdir)
    return c, rdir, rdir / c.run_id


def refusal(c, results_dir) -> str:
    with pytest.raises(ResultMismatchError) as info:
        load_result(c, results_dir)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"stored run {c.run_id}: ")
    assert text.endswith("to rerun it")
    return text


def edit_summary(d, **changes):
    s = json.loads((d / "summary.json").read_text())
    s.update(changes)
    (d / "summary.json").write_text(json.dumps(s))


# ------------------------------------------------------------ damaged stored results
def test_a_stored_run_loads_and_passes_every_check(store):
    c, rdir, d = store
    r = load_result(c, rdir)
    assert r.summary["n_train"] == N_TRAIN and len(r.metrics) == r.summary["epochs"] == 2
    # the final accuracies are float32 counts out of the images they were measured on
    assert count_of(r.summary["final_test_acc"], N_TEST) is not None
    assert count_of(0.9, 100) is None and count_of(0.5, 100) == 50


def test_junk_metrics_rows_of_the_right_count_are_refused(store):
    c, rdir, d = store
    lines = (d / "metrics.csv").read_text().splitlines()
    junk = [lines[0]] + [",".join("0.5" for _ in lines[0].split(",")) for _ in lines[1:]]
    (d / "metrics.csv").write_text("\n".join(junk) + "\n")
    assert "metrics.csv differs from the checksum" in refusal(c, rdir)


def test_edited_steps_are_refused(store):
    c, rdir, d = store
    text = (d / "steps.csv").read_text()
    (d / "steps.csv").write_text(text.replace("\n1,", "\n1,9", 1))
    assert "steps.csv differs from the checksum" in refusal(c, rdir)


@pytest.mark.parametrize("key,edit,message", [
    ("final_test_acc", lambda v: v + 0.01, "final_test_acc=.* is not an accuracy over 32 images"),
    ("final_test_acc", lambda v: 0.9, "final_test_acc=0.9 is not an accuracy over 32 images"),
    ("final_train_acc", lambda v: f32((round(v * N_TRAIN) + 1) % N_TRAIN / N_TRAIN),
     "final_train_acc disagrees with final_clean_acc and final_corrupted_acc"),
    ("steps_to_99", lambda v: 1, "steps_to_99=1 but the stored rows give"),
    ("epochs", lambda v: v + 1, "epochs=3 but the stored rows give 2"),
    ("final_train_acc_running", lambda v: 1.0, "final_train_acc_running=1.0 but the stored rows"),
    ("n_train", lambda v: 50, "n_train=50 but the config asks for 40"),
    ("fraction_corrupted", lambda v: 0.3, "fraction_corrupted=0.3 is not a fraction of 40"),
    ("threads", lambda v: "2", "threads='2' is not a thread count"),
    ("summary_version", lambda v: 1, "summary_version 1, this code reads"),
])
def test_edited_summary_numbers_are_refused(store, key, edit, message):
    c, rdir, d = store
    s = json.loads((d / "summary.json").read_text())
    edit_summary(d, **{key: edit(s[key])})
    assert re.search(message, refusal(c, rdir))


@pytest.mark.parametrize("content,message", [
    ("", "summary.json is unreadable .*is empty"),
    ("{", "summary.json is unreadable .*JSONDecodeError"),
    ("[]", "summary.json holds a list, not an object"),
    ('"text"', "summary.json holds a str, not an object"),
])
def test_empty_or_malformed_summary_is_refused(store, content, message):
    c, rdir, d = store
    (d / "summary.json").write_text(content)
    assert re.search(message, refusal(c, rdir))


@pytest.mark.parametrize("changes,message", [
    ({"files": ["config.json", "metrics.csv", "steps.csv"]}, "summary.json has no checksums"),
    ({"files": {}}, "summary.json has no checksums"),
    ({"config": [1, 2]}, "summary.json describes another config"),
    ({"final_test_loss": [0.1]}, "final_test_loss=\\[0.1\\] is not a non-negative number"),
])
def test_a_list_where_a_dict_or_number_was_expected_is_refused(store, changes, message):
    c, rdir, d = store
    edit_summary(d, **changes)
    assert re.search(message, refusal(c, rdir))


def test_config_json_holding_a_list_is_refused(store):
    c, rdir, d = store
    (d / "config.json").write_text("[]")
    s = json.loads((d / "summary.json").read_text())  # even with a matching checksum
    s["files"]["config.json"] = results._sha256(d / "config.json")
    (d / "summary.json").write_text(json.dumps(s))
    assert "config.json holds a list, not an object" in refusal(c, rdir)


@pytest.mark.parametrize("name", ["config.json", "metrics.csv", "steps.csv"])
def test_missing_files_are_refused(store, name):
    c, rdir, d = store
    (d / name).unlink()
    assert f"{name} is missing" in refusal(c, rdir)


def test_a_run_without_summary_is_missing_not_stored(store):
    c, rdir, d = store
    (d / "summary.json").unlink()  # killed before completion: retrained, not refused
    assert load_result(c, rdir) is None


def test_nan_in_stored_json_is_refused(store):
    c, rdir, d = store
    text = (d / "summary.json").read_text()
    s = json.loads(text)
    (d / "summary.json").write_text(text.replace(f'"final_test_loss": {s["final_test_loss"]!r}',
                                                 '"final_test_loss": NaN'))
    assert "holds NaN, which strict JSON does not allow" in refusal(c, rdir)


def test_another_configs_run_under_this_name_is_refused(store):
    c, rdir, d = store
    other = config_for(level=0.25)
    shutil.copytree(d, rdir / other.run_id)  # a complete, self-consistent run of c
    assert "config.json holds another config" in refusal(other, rdir)


def test_no_nan_ever_reaches_stored_json(tmp_path):
    c = config_for(level=0.0)
    out = fake_train(c, device="cpu", progress=False)
    out.metrics[-1]["test_loss"] = float("nan")
    out.summary["final_test_loss"] = float("nan")
    out.summary["final_train_loss"] = float("inf")
    r = save_result(c, out.metrics, out.step_losses, out.summary, tmp_path)

    def refuse(name):
        raise AssertionError(f"stored JSON holds {name}")
    for name in ("summary.json", "config.json"):
        json.loads((r.path / name).read_text(), parse_constant=refuse)
    assert r.summary["final_test_loss"] is None and r.summary["final_train_loss"] is None
    assert "nan" not in (r.path / "metrics.csv").read_text().lower()
    assert r.metrics[-1]["test_loss"] is None


# -------------------------------------------------------------- orphan checkpoints
def test_orphan_checkpoint_of_a_stored_run_is_removed_on_load(store):
    c, rdir, d = store
    ckpt = checkpoint_path(c, rdir)
    ckpt.parent.mkdir(exist_ok=True)
    ckpt.write_bytes(b"x" * 1000)  # finished between summary.json and the checkpoint's removal
    ckpt.with_name(ckpt.name + ".part").write_bytes(b"x")
    assert load_result(c, rdir) is not None
    assert not ckpt.exists() and not ckpt.with_name(ckpt.name + ".part").exists()


# ------------------------------------------------------------------- checkpoints
class Planted:
    """A pickle that runs a shell command when unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os
        return os.system, (f"touch {self.marker}",)


def test_planted_pickle_checkpoint_does_not_execute(tmp_path):
    c = config_for(level=0.0)
    ckpt = tmp_path / "ck.pt"
    proof = tmp_path / "proof"
    torch.save({"config": c.to_dict(), "evil": Planted(proof)}, ckpt)
    torch.load(ckpt, weights_only=False)  # the plant is live: a full unpickle runs it
    assert proof.exists()

    marker = tmp_path / "pwned"
    torch.save({"config": c.to_dict(), "evil": Planted(marker)}, ckpt)
    with pytest.raises(CheckpointError) as info:
        fake_train(c, device="cpu", progress=False, checkpoint=ckpt)
    assert not marker.exists()
    text = str(info.value)
    assert "\n" not in text and "not plain data" in text and "delete it" in text


def test_checkpoint_with_wrong_structure_is_refused(tmp_path):
    c = config_for(level=0.0)
    ckpt = tmp_path / "ck.pt"
    torch.save({"config": c.to_dict(), "threads": torch.get_num_threads(), "model": [1]}, ckpt)
    with pytest.raises(CheckpointError, match="lacks usable model, optimizer"):
        fake_train(c, device="cpu", progress=False, checkpoint=ckpt)


def test_resume_under_another_thread_count_is_refused(tmp_path):
    c = config_for(level=0.0)
    ckpt = tmp_path / "ck.pt"
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        part = fake_train(c, device="cpu", progress=False, checkpoint=ckpt, stop_after_epochs=1)
        assert part.summary.get("interrupted")
        assert torch.load(ckpt, weights_only=True)["threads"] == 1
        torch.set_num_threads(2)
        with pytest.raises(CheckpointError, match="written with 1 torch threads, this process "
                                                  "has 2.*--threads 1") as info:
            fake_train(c, device="cpu", progress=False, checkpoint=ckpt)
        assert "\n" not in str(info.value)
        torch.set_num_threads(1)  # the same thread count resumes
        done = fake_train(c, device="cpu", progress=False, checkpoint=ckpt)
        assert len(done.metrics) == 2 and done.summary["threads"] == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   RuntimeError("unexpected pos 2880 vs 2774")])
def test_full_disk_while_checkpointing_leaves_no_partial_file(tmp_path, monkeypatch, error):
    real_save = torch.save

    def save_then_fail(obj, f, *a, **k):
        real_save(obj, f, *a, **k)  # the partial file is on disk when the error comes
        raise error
    monkeypatch.setattr(checkpoint_mod.torch, "save", save_then_fail)
    ckpt = tmp_path / "ck.pt"
    with pytest.raises(CheckpointError) as info:
        fake_train(config_for(), device="cpu", progress=False, checkpoint=ckpt)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"cannot write checkpoint {ckpt}")
    assert ("disk full" in text) and (str(error).splitlines()[0].split("] ")[-1] in text)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- unwritable store
def test_full_disk_while_storing_leaves_no_partial_file_and_keeps_the_checkpoint(
        tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "train", fake_train)
    c, rdir = config_for(), tmp_path / "results"
    ckpt = checkpoint_path(c, rdir)
    real_replace = results.os.replace

    def full(src, dst):
        if str(dst).endswith(".json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)
    monkeypatch.setattr(results.os, "replace", full)
    with pytest.raises(StoreError) as info:
        get_or_run(c, rdir, device="cpu", progress=False)
    text = str(info.value)
    assert "\n" not in text and "No space left on device (disk full)" in text
    d = rdir / c.run_id
    assert not list(d.glob("*.part")) and not (d / "summary.json").exists()
    assert ckpt.exists()  # the trained epochs are not lost
    epochs = torch.load(ckpt, weights_only=True)["epoch"]

    monkeypatch.setattr(results.os, "replace", real_replace)
    monkeypatch.setattr(runner, "train", lambda c, **kw: fake_train(
        c, stop_after_epochs=0, **kw))  # proves the rerun resumes: it may train no epoch
    r = get_or_run(c, rdir, device="cpu", progress=False)
    assert r.summary["epochs"] == len(r.metrics) == epochs and not ckpt.exists()


def test_results_path_that_is_a_file_fails_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "train", lambda *a, **k: pytest.fail("trained"))
    (tmp_path / "results").write_text("not a folder")
    with pytest.raises(StoreError, match="is a file, not a directory; nothing was trained"):
        get_or_run(config_for(), tmp_path / "results", device="cpu", progress=False)
    with pytest.raises(StoreError, match="Not a directory"):
        check_writable(tmp_path / "results" / "sub")


def test_read_only_store_fails_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "train", lambda *a, **k: pytest.fail("trained"))

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(results.tempfile, "TemporaryFile", read_only)
    with pytest.raises(StoreError) as info:
        get_or_run(config_for(), tmp_path / "results", device="cpu", progress=False)
    assert "\n" not in str(info.value)
    assert "is not writable: Read-only file system; nothing was trained" in str(info.value)
