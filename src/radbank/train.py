"""Training a run: prepare the data, run the epochs, save the checkpoint, evaluate.

A run folder is resumable: the state after each finished epoch is kept in `.train-state.pt`, and a
rerun with the same settings continues from there. Files appear only when complete (atomic writes);
`model.safetensors` and `metrics.json` exist only once training and evaluation have finished.
Under `torchrun` every process trains on its shard of each epoch (DDP); rank 0 alone writes files.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import nn

from radbank.config import TrainConfig, load_config, save_config
from radbank.data.augment import RandomAffine
from radbank.data.batches import TensorBatches, normalisation
from radbank.data.prepare import PreparedData, prepare_data
from radbank.data.preprocess import Preprocess
from radbank.device import configure, inference_batch_size
from radbank.distributed import Dist, device_of, init_distributed
from radbank.engine import cosine_lr, recalibrate_batchnorm, train_one_epoch, validate
from radbank.errors import RadbankError
from radbank.fsutil import atomic_path, read_json
from radbank.models import build_model
from radbank.models.checkpoint import save_checkpoint
from radbank.progress import bar
from radbank.runs import RunPaths, write_csv, write_skipped
from radbank.tasks import num_outputs

log = logging.getLogger(__name__)

PRECISE_BN_IMAGES = 512


@dataclass
class TrainResult:
    """What `train` returns: the run folder and its evaluation (per split)."""

    run: RunPaths
    metrics: dict[str, dict[str, Any]]
    history: list[dict[str, float]]
    data: PreparedData | None = None
    resumed_from: int = 0
    seconds: float = 0.0


def _start_or_resume(run: RunPaths, cfg: TrainConfig, overwrite: bool) -> None:
    """Prepare the run folder for `cfg` (rank 0): refuse another run's folder, write config.yaml."""
    if run.root.exists() and overwrite:
        shutil.rmtree(run.root)
    if run.config.exists():
        old = load_config(run.config).identity()
        new = cfg.identity()
        if old != new:
            diff = [f"{k}: {v!r} -> {new.get(k)!r}" for k, v in old.items() if new.get(k) != v]
            raise RadbankError(
                f"{run.root}: holds a run with other settings ({'; '.join(diff[:4])}); "
                "choose another --out or pass --overwrite"
            )
    elif run.root.exists() and any(run.root.iterdir()):
        raise RadbankError(f"{run.root}: folder exists and is not a radbank run; choose another --out")
    run.root.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run.config)


def _resume_state(run: RunPaths) -> dict[str, Any] | None:
    if not run.state.exists():
        return None
    try:
        return torch.load(run.state, map_location="cpu", weights_only=True)
    except Exception as exc:
        log.warning("%s: unreadable resume state (%s); starting over", run.state, exc)
        return None


def _already_done(run: RunPaths, cfg: TrainConfig) -> TrainResult | None:
    if not (run.is_complete() and run.config.exists() and load_config(run.config).identity() == cfg.identity()):
        return None
    log.info("%s: already trained with these settings (pass --overwrite to train again)", run.root)
    history = pd.read_csv(run.history).to_dict("records") if run.history.exists() else []
    results = {s: read_json(run.of_split(s).metrics) for s in ("val", "test") if run.of_split(s).metrics.exists()}
    return TrainResult(run, results, history, None, cfg.epochs)


def train(cfg: TrainConfig, overwrite: bool = False) -> TrainResult:
    """Train a model as `cfg` says, write the run folder, evaluate, and return the result."""
    cfg.validate()
    dist = init_distributed(cfg.device)
    try:
        return _train(cfg, overwrite, dist)
    finally:
        dist.close()


def _write_inputs(run: RunPaths, data: PreparedData, summary: pd.DataFrame) -> None:
    """skipped.csv, split.csv and the preview of loaded images (rank 0)."""
    from radbank.report.plots import preview_grid

    records = data.records
    write_skipped(run.skipped, data.skipped)
    split = records.table.copy()
    split["split"] = data.split_column()
    for j, name in enumerate(records.label_names):
        split[name] = records.labels[:, j]
    write_csv(split, run.split)
    log.info("split (patient-grouped, stratified):\n%s", summary.to_string(index=False))
    if not run.preview.exists():
        preview_grid(data.images, records.strata(), records.class_names, run.preview)


def _build(cfg: TrainConfig, n_out: int, device: torch.device) -> tuple[nn.Module, dict[str, Any]]:
    torch.manual_seed(cfg.seed)
    args: dict[str, Any] = {"num_outputs": n_out, "in_channels": 1}
    if cfg.model == "tutorialcnn":
        args["size"] = cfg.size
    model = build_model(cfg.model, **args)
    if cfg.weights:
        from radbank.models.pretrained import load_pretrained

        load_pretrained(model, cfg.weights)
    return model.to(device=device, memory_format=torch.channels_last), args  # type: ignore[call-overload]


def _train(cfg: TrainConfig, overwrite: bool, dist: Dist) -> TrainResult:
    from radbank.evaluate import predict_probs, write_evaluation

    started = time.perf_counter()
    run = RunPaths.of(cfg.out)
    done = None if overwrite else _already_done(run, cfg)
    if done is not None:
        return done
    if dist.is_main:
        _start_or_resume(run, cfg, overwrite)
        data = prepare_data(cfg)  # decodes into the cache
        dist.barrier()
    else:
        dist.barrier()  # wait for rank 0 to fill the cache, then read it warm
        data = prepare_data(cfg)
    records = data.records
    summary = data.summary()
    if dist.is_main:
        _write_inputs(run, data, summary)
    state = _resume_state(run)

    device = device_of(dist, cfg.device)
    configure(device)
    model, model_args = _build(cfg, num_outputs(records.task, len(records.label_names)), device)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=device.type == "cuda"
    )
    start_epoch, history = 0, []
    if state is not None:
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimizer"])
        history = [dict(row) for row in state["history"]]
        start_epoch = int(state["epoch"])
        log.info("resuming %s at epoch %d of %d", run.root, start_epoch + 1, cfg.epochs)
    trained = model
    if dist.enabled:
        ids = [device.index] if device.type == "cuda" else None
        trained = nn.parallel.DistributedDataParallel(model, device_ids=ids)

    mean, std = normalisation(data.images[data.train])
    targets = torch.as_tensor(records.targets())
    eval_batch = inference_batch_size(device, cfg.batch_size)
    augment = RandomAffine(device=device, seed=cfg.seed + dist.rank) if cfg.augment else None
    train_batches = TensorBatches(
        data.images[data.train],
        targets[data.train],
        cfg.batch_size,
        mean,
        std,
        device,
        shuffle=True,
        augment=augment,
        channels_last=True,
        rank=dist.rank,
        world_size=dist.world_size,
    )
    val_batches = TensorBatches(
        data.images[data.val],
        targets[data.val],
        eval_batch,
        mean,
        std,
        device,
        channels_last=True,
        rank=dist.rank,
        world_size=dist.world_size,
    )
    # Precise BN: statistics of augmented batches do not describe clean images; re-estimate them on these.
    calib = data.train[:PRECISE_BN_IMAGES]
    clean_batches = TensorBatches(data.images[calib], targets[calib], eval_batch, mean, std, device, channels_last=True)
    steps = len(train_batches)
    total_steps = cfg.epochs * steps

    def lr_of(step: int) -> float:
        return cosine_lr(cfg.lr, step, total_steps, cfg.lr_schedule)

    with bar(cfg.epochs, "training", unit="epoch", initial=start_epoch) as pbar:
        for epoch in range(start_epoch, cfg.epochs):
            torch.manual_seed(cfg.seed * 100_003 + epoch * 101 + dist.rank)  # dropout stream of this epoch
            res = train_one_epoch(
                trained,
                optimiser,
                train_batches,
                records.task,
                cfg.threshold,
                device,
                seed=cfg.seed * 1_000 + epoch,
                lr_of_step=lr_of,
                first_step=epoch * steps,
                dist=dist,
            )
            if augment is not None:
                recalibrate_batchnorm(model, clean_batches, device)
            val_loss, val_acc = validate(model, val_batches, records.task, cfg.threshold, device, dist)
            row = {
                "epoch": epoch + 1,
                "train_loss": res.loss,
                "train_accuracy": res.accuracy,
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "lr": lr_of((epoch + 1) * steps - 1),
                "train_images": res.images,
                "seconds": res.seconds,
                "train_images_per_s": res.images / max(res.seconds, 1e-9),
            }
            history.append(row)
            if dist.is_main:
                write_csv(pd.DataFrame(history), run.history)
                with atomic_path(run.state) as tmp:
                    torch.save(
                        {
                            "epoch": epoch + 1,
                            "model": model.state_dict(),
                            "optimizer": optimiser.state_dict(),
                            "history": history,
                        },
                        tmp,
                    )
            pbar.set_postfix(loss=f"{res.loss:.3f}", val_acc=f"{val_acc:.3f}")
            pbar.update(1)
            log.info(
                "epoch %d/%d  loss %.4f  acc %.3f  val_loss %.4f  val_acc %.3f  (%.1fs, %.0f img/s)",
                epoch + 1,
                cfg.epochs,
                res.loss,
                res.accuracy,
                val_loss,
                val_acc,
                res.seconds,
                row["train_images_per_s"],
            )

    results: dict[str, dict[str, Any]] = {}
    if dist.is_main:
        meta = {
            "model": {"name": cfg.model, "args": model_args},
            "preprocess": Preprocess(cfg.size, cfg.fit).to_dict(),
            "normalize": {"mean": mean, "std": std},
            "task": records.task,
            "label_names": records.label_names,
            "class_names": records.class_names,
            "threshold": cfg.threshold,
            "trained": {
                "images": len(data.train),
                "patients": int(records.table["patient"].iloc[data.train].nunique()),
                "epochs": cfg.epochs,
                "source": records.source,
                "data": cfg.data,
                "weights": cfg.weights,
                "processes": dist.world_size,
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        }
        save_checkpoint(run.checkpoint, model, meta)
        parts = {
            name: (records.subset(idx), predict_probs(model, data.images[idx], meta, device, eval_batch))
            for name, idx in (("val", data.val), ("test", data.test))
            if len(idx)
        }
        results = write_evaluation(run, meta, parts, split_summary=summary)
        run.state.unlink(missing_ok=True)
    dist.barrier()
    return TrainResult(run, results, history, data, start_epoch, time.perf_counter() - started)
