"""The benchmark's quick path on a tiny setting: the JSON has its keys and a positive ratio.

No timing thresholds: speed depends on the machine and on whatever else runs on it.
"""
import json
import math

from rethink_lib.bench import PerSampleDataset, main, random_uint8_images
from rethink_lib.data import preprocess

TINY = ["--quick", "--json", "--models", "mlp_1x512", "--n-train", "256", "--batch-size", "64",
        "--steps", "2", "--rounds", "2", "--warmup", "1", "--gemm-sizes", "128"]


def test_quick_bench_json(capsys):
    assert main(TINY + ["--sweep", "--sweep-k", "2", "--sweep-n", "128", "--sweep-epochs", "1",
                        "--sweep-rounds", "1", "--sweep-vary", "labels,seeds"]) == 0
    out = json.loads(capsys.readouterr().out)  # stdout holds the JSON object only
    assert set(out) == {"mlp_1x512", "sweep_labels_mlp_1x512_k2", "sweep_seeds_mlp_1x512_k2"}
    for name, r in out.items():
        for key in ("ours_img_s", "reference_img_s", "ratio", "peak_fraction"):
            assert isinstance(r[key], float) and math.isfinite(r[key]) and r[key] > 0, (name, key)
        assert r["ratio"] == r["ours_img_s"] / r["reference_img_s"]
    m = out["mlp_1x512"]
    assert len(m["ours_window_img_s"]) == len(m["reference_window_img_s"]) == 2
    assert m["ours_peak_mem_mb"] > 0 and m["reference_peak_mem_mb"] > 0
    # forward 2 x (2352*512 + 512*10) FLOPs, backward twice that less the first layer's
    # input gradient: 4.85 MFLOP per image
    assert 4.8e6 < m["train_gflop_per_image"] * 1e9 < 4.9e6


def test_markdown_table_and_bad_model(capsys):
    assert main([a for a in TINY if a != "--json"]) == 0
    assert "| mlp_1x512 (bf16) |" in capsys.readouterr().out
    assert main(["--models", "resnet"]) == 2
    assert "no model matches" in capsys.readouterr().err


def test_reference_samples_match_the_library_preprocessing():
    """The per-sample PIL pipeline computes the same inputs as our whole-batch one."""
    images, labels = random_uint8_images(4)
    ds = PerSampleDataset(images, labels)
    ours = preprocess(images.permute(0, 3, 1, 2).float() / 255.0)
    for i in range(4):
        x, y = ds[i]
        assert y == labels[i].item()
        assert (x - ours[i]).abs().max() < 1e-5
