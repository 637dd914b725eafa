"""The paper's small Inception for 28x28 input (Fig. 3 of the arXiv version, report Fig. 4).

Conv module = conv (with bias) -> BatchNorm (no affine parameters) -> ReLU; these two
choices give exactly the paper's 1,649,402 parameters, with or without BatchNorm.
"""
import torch
import torch.nn as nn

from . import register_model
from .layers import BN_EPS, SamePad


class ConvModule(nn.Sequential):
    """conv 'SAME' (TensorFlow placement) -> BatchNorm (eps 1e-3, no affine) -> ReLU."""

    def __init__(self, c_in, c_out, kernel, stride=1, batchnorm=True):
        if stride == 1:
            layers = [nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2)]
        else:
            layers = [SamePad(kernel, stride), nn.Conv2d(c_in, c_out, kernel, stride)]
        if batchnorm:
            layers.append(nn.BatchNorm2d(c_out, affine=False, eps=BN_EPS))
        layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class InceptionModule(nn.Module):
    """concat(1x1 conv module with c1 channels, 3x3 conv module with c3 channels)."""

    def __init__(self, c_in, c1, c3, batchnorm):
        super().__init__()
        self.b1 = ConvModule(c_in, c1, 1, batchnorm=batchnorm)
        self.b3 = ConvModule(c_in, c3, 3, batchnorm=batchnorm)
        self.out_channels = c1 + c3

    def forward(self, x):  # (N, c_in, H, W) -> (N, c1 + c3, H, W)
        return torch.cat([self.b1(x), self.b3(x)], 1)


class DownsampleModule(nn.Module):
    """concat(3x3 stride-2 conv module with c3 channels, 3x3 stride-2 max-pool): H -> H/2."""

    def __init__(self, c_in, c3, batchnorm):
        super().__init__()
        self.conv = ConvModule(c_in, c3, 3, stride=2, batchnorm=batchnorm)
        self.pool = nn.Sequential(SamePad(3, 2, value=float("-inf")), nn.MaxPool2d(3, 2))
        self.out_channels = c3 + c_in

    def forward(self, x):
        return torch.cat([self.conv(x), self.pool(x)], 1)


# (kind, arguments) in order; 28 -> 14 -> 7 at the two downsamples.
LAYOUT = [("I", 32, 32), ("I", 32, 48), ("D", 80), ("I", 112, 48), ("I", 96, 64),
          ("I", 80, 80), ("I", 48, 96), ("D", 96), ("I", 176, 160), ("I", 176, 160)]


class SmallInception(nn.Module):
    def __init__(self, in_channels=3, num_classes=10, batchnorm=True, dropout=0.0):
        super().__init__()
        blocks: list[nn.Module] = [ConvModule(in_channels, 96, 3, batchnorm=batchnorm)]
        c = 96
        for kind, *args in LAYOUT:
            block = (InceptionModule(c, *args, batchnorm) if kind == "I"
                     else DownsampleModule(c, *args, batchnorm))
            blocks.append(block)
            c = block.out_channels
        self.features = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.fc = nn.Linear(c, num_classes)  # c = 336
        if not batchnorm:
            # PyTorch's default init (std ~ 1/sqrt(3 fan_in)) shrinks the signal at every
            # ReLU layer; through these 21 conv layers without BN the logits come out constant
            # and SGD never starts (10% train accuracy for 60 epochs in our runs). He init
            # keeps the activations' scale, as the paper's TensorFlow set-up must have.
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                    nn.init.zeros_(m.bias)

    def forward(self, x):  # (N, C, 28, 28) -> (N, num_classes)
        h = self.features(x).mean((2, 3))  # 7x7 mean pool -> (N, 336)
        return self.fc(self.dropout(h))


@register_model(display="Inception", family="inception", paper_parameters=1_649_402, lr=0.1,
                lr_decay=0.95, batchnorm="always", convolutional=True)
def inception_small(in_channels=3, num_classes=10, image_size=28, dropout=0.0):
    return SmallInception(in_channels, num_classes, True, dropout)


@register_model(display="Inception w/o BatchNorm", family="inception",
                paper_parameters=1_649_402, lr=0.1, lr_decay=0.95, batchnorm="never",
                convolutional=True)
def inception_small_nobn(in_channels=3, num_classes=10, image_size=28, dropout=0.0):
    return SmallInception(in_channels, num_classes, False, dropout)
