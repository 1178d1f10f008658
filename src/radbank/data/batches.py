"""Mini-batches straight from the uint8 image tensor, which lives on the training device.

No file is read during an epoch: images were decoded once into the cache and gathered into one uint8
tensor. On CUDA it is moved to GPU memory when it fits (NIH ChestX-ray14 at 224 px is 5.6 GB), else
kept in pinned host memory and copied batch by batch. Each batch is then an index gather, a conversion
to float, optional augmentation and normalisation, all on the device.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from radbank.data.augment import RandomAffine
from radbank.runmeta import Normalisation

log = logging.getLogger(__name__)

MIN_STD = 1e-6  # below this the images are flat: do not divide by it
GPU_SHARE = 0.5  # use at most this share of the free GPU memory for the images


def place_images(images: NDArray[Any] | torch.Tensor, device: torch.device) -> torch.Tensor:
    """The uint8 images on `device` if they fit there, else in (pinned) host memory."""
    tensor = torch.as_tensor(np.ascontiguousarray(images)) if isinstance(images, np.ndarray) else images
    if device.type != "cuda" or tensor.device == device:
        return tensor
    free, _ = torch.cuda.mem_get_info(device)
    if tensor.numel() * tensor.element_size() < GPU_SHARE * free:
        return tensor.to(device)
    log.info(
        "images (%.1f GB) exceed %.0f%% of free GPU memory; kept in pinned host memory",
        tensor.numel() / 1e9,
        GPU_SHARE * 100,
    )
    return tensor.pin_memory()


class TensorBatches:
    """Iterate (x, y) batches over images (N, H, W) uint8 and targets."""

    def __init__(
        self,
        images: NDArray[Any] | torch.Tensor,
        targets: NDArray[Any] | torch.Tensor,
        batch_size: int,
        norm: Normalisation,
        device: torch.device,
        *,
        shuffle: bool = False,
        augment: RandomAffine | None = None,
        shard: tuple[int, int] = (0, 1),
    ) -> None:
        """Batches of `batch_size` normalised by `norm`, channels-last on `device`; `shard` = (rank, world size)
        takes every world-size-th image as DistributedSampler does."""
        self.images = place_images(images, device)
        self.targets = torch.as_tensor(targets).to(device)
        self.batch_size = batch_size
        self.mean, self.std = float(norm.mean), float(norm.std)
        self.device = device
        self.shuffle = shuffle
        self.augment = augment
        self.rank, self.world_size = shard

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
        order = self._shard(order)
        on_device = order.to(self.device)
        gather = on_device if self.images.device == self.device else order
        if self.augment is not None:
            self.augment.reseed(seed)
        for start in range(0, len(order), self.batch_size):
            yield (
                self.batch(gather[start : start + self.batch_size]),
                self.targets[on_device[start : start + self.batch_size]],
            )

    def batch(self, idx: torch.Tensor) -> torch.Tensor:
        """Images `idx` as a normalised float batch (B, 1, H, W) on the device."""
        raw = self.images[idx]
        if raw.device != self.device:
            raw = raw.pin_memory().to(self.device, non_blocking=True)
        x = raw.unsqueeze(1).float().div_(255.0)
        if self.augment is not None:
            x = self.augment(x)
        x = (x - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last)


def normalisation(images: NDArray[Any]) -> Normalisation:
    """Mean and standard deviation of pixel values in [0, 1] (training images only)."""
    sample = images[:: max(1, len(images) // 2000)].astype(np.float32) / 255.0
    std = float(sample.std())
    return Normalisation(float(sample.mean()), std if std > MIN_STD else 1.0)
