"""Multi-process training under `torchrun` (DDP): which rank we are, and the few collectives we need.

Without torchrun (WORLD_SIZE unset or 1) everything here is a no-op, so single-process code paths
are the same code. Rank 0 writes every file; others only compute.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from radbank.device import resolve_device


@dataclass(frozen=True)
class Dist:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            torch.distributed.barrier()

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """Element-wise sum over all processes (in place on a copy)."""
        if not self.enabled:
            return values
        out = values.clone()
        torch.distributed.all_reduce(out, op=torch.distributed.ReduceOp.SUM)
        return out

    def close(self) -> None:
        if self.enabled and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def init_distributed(device: str = "auto") -> Dist:
    """Join the process group torchrun set up (NCCL on CUDA, gloo on CPU); a no-op when alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    use_cuda = torch.cuda.is_available() and device != "cpu"
    backend = "nccl" if use_cuda else "gloo"
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend)
    return Dist(torch.distributed.get_rank(), world, local, backend)


def device_of(dist: Dist, requested: str) -> torch.device:
    """The device this process trains on: its own GPU under DDP on CUDA, else as requested."""
    if dist.enabled and dist.backend == "nccl":
        return torch.device("cuda", dist.local_rank)
    return resolve_device(requested)
