"""Mini-batches straight from the uint8 image tensor, which lives on the training device.

No file is read during an epoch: images were decoded once into the cache, gathered into one
uint8 tensor, and moved to the device (GPU memory on CUDA). Each batch is an index gather,
a conversion to float, optional augmentation and normalisation, all on that device.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from radbank.data.augment import RandomAffine


class TensorBatches:
    """Iterate (x, y) batches over images (N, H, W) uint8 and targets, both on `device`."""

    def __init__(
        self,
        images: np.ndarray | torch.Tensor,
        targets: np.ndarray | torch.Tensor,
        batch_size: int,
        mean: float,
        std: float,
        device: torch.device,
        shuffle: bool = False,
        augment: RandomAffine | None = None,
        channels_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.images = torch.as_tensor(images).to(device)
        self.targets = torch.as_tensor(targets).to(device)
        self.batch_size = batch_size
        self.mean, self.std = float(mean), float(std)
        self.device = device
        self.shuffle = shuffle
        self.augment = augment
        self.channels_last = channels_last
        self.rank, self.world_size = rank, world_size

    def __len__(self) -> int:
        n = len(self._shard(torch.arange(len(self.images))))
        return (n + self.batch_size - 1) // self.batch_size

    def _shard(self, order: torch.Tensor) -> torch.Tensor:
        if self.world_size == 1:
            return order
        # As DistributedSampler: pad to a multiple of world_size, then take every world_size-th item.
        total = -(-len(order) // self.world_size) * self.world_size
        padded = torch.cat([order, order[: total - len(order)]])
        return padded[self.rank :: self.world_size]

    def iterate(self, seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One pass; the order (if shuffled) and the augmentation depend only on `seed`."""
        n = len(self.images)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)) if self.shuffle else torch.arange(n)
        order = self._shard(order).to(self.device)
        if self.augment is not None:
            self.augment.reseed(seed)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.batch(idx), self.targets[idx]

    def batch(self, idx: torch.Tensor) -> torch.Tensor:
        """Images `idx` as a normalised float batch (B, 1, H, W)."""
        x = self.images[idx].unsqueeze(1).float().div_(255.0)
        if self.augment is not None:
            x = self.augment(x)
        x = (x - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


def normalisation(images: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of pixel values in [0, 1] (training images only)."""
    sample = images[:: max(1, len(images) // 2000)].astype(np.float32) / 255.0
    std = float(sample.std())
    return float(sample.mean()), std if std > 1e-6 else 1.0
