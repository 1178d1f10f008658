"""What differs between binary, multi-class and multi-label training: outputs, loss, probabilities."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from radbank.sources.records import Task


def num_outputs(task: Task, n_labels: int) -> int:
    """Network outputs: 1 logit (binary), one per class or per label otherwise."""
    return 1 if task == "binary" else n_labels


def loss_fn(task: Task, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean loss over the batch; for multi-label, unknown (NaN) labels are masked out."""
    logits = logits.float()
    if task == "binary":
        return F.binary_cross_entropy_with_logits(logits[:, 0], target.float())
    if task == "multiclass":
        return F.cross_entropy(logits, target.long())
    known = ~torch.isnan(target)
    per = F.binary_cross_entropy_with_logits(logits, torch.nan_to_num(target, nan=0.0), reduction="none")
    return (per * known).sum() / known.sum().clamp_min(1)


def probabilities(task: Task, logits: torch.Tensor) -> torch.Tensor:
    """(B,) probability of the positive class (binary), (B, K) softmax, or (B, L) sigmoids."""
    logits = logits.float()
    if task == "binary":
        return torch.sigmoid(logits[:, 0])
    if task == "multiclass":
        return torch.softmax(logits, dim=1)
    return torch.sigmoid(logits)


def correct_count(
    task: Task, logits: torch.Tensor, target: torch.Tensor, threshold: float = 0.5
) -> tuple[torch.Tensor, torch.Tensor]:
    """(number correct, number judged) as tensors on the logits' device, so no host sync is forced:
    images for binary/multi-class, known labels for multi-label."""
    prob = probabilities(task, logits)
    if task == "binary":
        hits = (prob >= threshold).long() == target.long()
        return hits.sum().float(), torch.tensor(float(target.numel()), device=logits.device)
    if task == "multiclass":
        hits = prob.argmax(dim=1) == target.long()
        return hits.sum().float(), torch.tensor(float(target.numel()), device=logits.device)
    known = ~torch.isnan(target)
    hit = ((prob >= threshold).float() == torch.nan_to_num(target, nan=-1.0)) & known
    return hit.sum().float(), known.sum().float()
