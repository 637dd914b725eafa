"""Layers that make our PyTorch models compute what the paper's TensorFlow code computes."""
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon (and the report's code); PyTorch's is 1e-5


class SamePad(nn.Module):
    """TensorFlow's 'SAME' padding for a strided window: total max(k - s, (k - s) + ...)

    split with the smaller half *before*. For a 3x3 stride-2 window on an even side this
    pads 0 before and 1 after, so windows start at pixel 0 (PyTorch's symmetric padding=1
    shifts every window by one pixel). `value` is -inf in front of a max-pool (TensorFlow
    ignores padded cells there), 0 in front of a convolution.
    """

    def __init__(self, kernel: int, stride: int, value: float = 0.0):
        super().__init__()
        self.kernel, self.stride, self.value = kernel, stride, value

    def _pads(self, size: int) -> tuple[int, int]:
        out = -(-size // self.stride)
        total = max((out - 1) * self.stride + self.kernel - size, 0)
        return total // 2, total - total // 2

    def forward(self, x):  # (N, C, H, W) -> (N, C, H + pad, W + pad)
        top, bottom = self._pads(x.shape[-2])
        left, right = self._pads(x.shape[-1])
        return F.pad(x, (left, right, top, bottom), value=self.value)
