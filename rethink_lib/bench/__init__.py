"""Training throughput (package: pipelines = the reference pipeline and ours, measure =
timing, GEMM peak, FLOPs and memory, report = tables and the command line): the report's
per-sample pipeline against our trainer, on this machine.

    python -m rethink_lib bench [--quick] [--json] [--models inception_small,mlp_1x512]
                                [--device cpu] [--precision bf16] [--batch-size 128]
                                [--compile] [--sweep]

Both pipelines train each model on the same random CIFAR-shaped data (uint8 3x32x32
stored, centre crop to 28x28, per-image standardisation), so no data set is needed:

(a) reference: what the report's own code does. A torchvision-style Dataset builds every
    sample in `__getitem__` (PIL image -> CenterCrop(28) -> ToTensor -> per-image
    standardisation), a torch DataLoader (shuffle; num_workers=0 by default, the loading
    then runs in the training process: on 2 cores a worker only takes CPU from the math)
    collates the batches, fp32, contiguous tensors, a plain forward/backward/SGD loop.
(b) ours: rethink_lib.train's own step path (prepare_data, init_model, make_optimizer,
    _batches, train_batch, train_step): inputs standardised once and held as one tensor,
    batches by index, channels_last for conv models, bf16 autocast (--precision), fused
    SGD, optionally torch.compile. The per-epoch evaluation of train() is not timed.

Both live in one process and run in alternating windows (a b, b a, a b, ...) after a
warm-up, each window about --window seconds, so that the load of other jobs on a shared
machine hits both alike; we report the median images/second over the windows and their
ratio. GFLOP/s count the FLOPs of one training step (forward + backward, from
torch.utils.flop_counter.FlopCounterMode: convolutions and matrix products only) and are
set against a GEMM peak measured here: square fp32 and bf16 matmuls, the best of a few
sizes, timed again in the same alternating rounds as the training. Memory on the CPU is
the peak resident set of a fresh process (`python -c`) that builds the pipeline and runs
a few steps, less that of the bare `import torch` (in one process RSS keeps the
high-water mark of whatever ran before); on a GPU, torch.cuda.max_memory_allocated during
the pipeline's windows.

`--json` prints one JSON object: model name -> {ours_img_s, reference_img_s, ratio,
peak_fraction, ...}; with --sweep also `sweep_labels_<model>_k<K>` (and `..._seeds_...`)
entries where "ours" is the vectorised sweep and "reference" the K runs one after another.
"""
from .measure import (DTYPES, GemmPipeline, alternate, bench_model, bench_sweep,  # noqa: F401
                      gemm_sizes_gflops, memory_probe, peak_memory_mb, reset_peak_memory,
                      run_memory_probe, sync, train_flops_per_image)
from .pipelines import (OursPipeline, PerSampleDataset, ReferencePipeline,  # noqa: F401
                        StandardiseImage, as_dataset, log, random_uint8_images)
from .report import PAPER_MODELS, build_parser, main, markdown_table  # noqa: F401
