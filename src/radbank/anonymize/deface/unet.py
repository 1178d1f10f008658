"""DeepDefacer's 3-D U-Net, rebuilt in PyTorch layer for layer (Khazane et al. 2019, PyPI `deepdefacer` 2.1.2, MIT).

The published Keras 2.2 model (`deepdefacer/model.hdf5`, channels-first, 1,411,139 parameters) is a U-Net with
four poolings: two 3x3x3 ReLU convolutions per level (8-16-32-64-128 filters), dropout after the two deepest
levels, nearest-neighbour upsampling followed by a 2x2x2 "same" convolution, skip concatenation
(encoder first), then 8 -> 2 filters and a 1x1x1 sigmoid. Its output is a KEEP mask: 1 on head and brain,
0 on the face. Keras "same" padding with an even kernel pads one voxel after, none before (TensorFlow's rule),
which `_SamePad` reproduces. Names follow the Keras layers (`conv3d_1` ... `conv3d_24`), so the converted
weights load by name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

GRID = 160  # the network's input size per axis (DeepDefacer resamples every volume to 160^3)
LEVELS = (8, 16, 32, 64, 128)


class _SamePad(nn.Module):
    """TensorFlow 'same' padding for a stride-1 kernel k: (k-1)//2 before, the rest after."""

    def __init__(self, k: int) -> None:
        super().__init__()
        before, after = (k - 1) // 2, k - 1 - (k - 1) // 2
        self.pad = (before, after) * 3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pad)


class DeepDefacerUNet(nn.Module):
    """The network; `forward` takes (N, 1, D, H, W) in [0, 1] (D, H, W divisible by 16) and returns P(keep)."""

    def __init__(self) -> None:
        super().__init__()
        convs: dict[str, nn.Module] = {}
        n = 0

        def conv(cin: int, cout: int, k: int = 3) -> str:
            nonlocal n
            n += 1
            name = f"conv3d_{n}"
            convs[name] = nn.Conv3d(cin, cout, k, padding=(k - 1) // 2 if k % 2 else 0)
            return name

        cin = 1
        self.down: list[tuple[str, str]] = []
        for width in LEVELS:
            self.down.append((conv(cin, width), conv(width, width)))
            cin = width
        self.up: list[tuple[str, str, str]] = []
        for width in reversed(LEVELS[:-1]):
            self.up.append((conv(cin, width, 2), conv(2 * width, width), conv(width, width)))
            cin = width
        self.head = (conv(cin, 2), conv(2, 1, 1))
        self.layers = nn.ModuleDict(convs)
        self.pad2 = _SamePad(2)

    def _conv(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.layers[name](x), inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, (a, b) in enumerate(self.down):
            x = self._conv(b, self._conv(a, x))
            if i < len(self.down) - 1:
                skips.append(x)
                x = F.max_pool3d(x, 2)
        for (up, a, b), skip in zip(self.up, reversed(skips), strict=True):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = self._conv(up, self.pad2(x))
            x = self._conv(b, self._conv(a, torch.cat([skip, x], dim=1)))
        x = self._conv(self.head[0], x)
        return torch.sigmoid(self.layers[self.head[1]](x))
