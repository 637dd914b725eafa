"""Multilayer perceptrons of the paper: MLP 1x512 and MLP 3x512 (ReLU)."""
import torch.nn as nn

from . import register_model
from .layers import BN_EPS


class MLP(nn.Module):
    def __init__(self, in_features: int, hidden: list[int], num_classes: int,
                 batchnorm: bool = False, dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batchnorm:  # no affine parameters: the paper's counts stay exact
                layers.append(nn.BatchNorm1d(h, affine=False, eps=BN_EPS))
            layers.append(nn.ReLU(inplace=True))
            width = h
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):  # x: (N, C, H, W) -> (N, num_classes)
        return self.net(x)


@register_model(display="MLP 1x512", family="mlp", paper_parameters=1_209_866, lr=0.01,
                lr_decay=0.98, batchnorm="flag", convolutional=False)
def mlp_1x512(in_channels=3, num_classes=10, image_size=28, batchnorm=False, dropout=0.0):
    return MLP(in_channels * image_size**2, [512], num_classes, batchnorm, dropout)


@register_model(display="MLP 3x512", family="mlp", paper_parameters=1_735_178, lr=0.01,
                lr_decay=0.98, batchnorm="flag", convolutional=False)
def mlp_3x512(in_channels=3, num_classes=10, image_size=28, batchnorm=False, dropout=0.0):
    return MLP(in_channels * image_size**2, [512] * 3, num_classes, batchnorm, dropout)
