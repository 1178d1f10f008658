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
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from numpy.typing import NDArray
from torch import nn

from radbank import __version__
from radbank.config import TrainConfig, load_config, save_config
from radbank.data.augment import RandomAffine
from radbank.data.batches import TensorBatches, normalisation
from radbank.data.prepare import PreparedData, prepare_data
from radbank.data.preprocess import Preprocess
from radbank.device import configure, inference_batch_size, place_model
from radbank.distributed import Dist, device_of, init_distributed
from radbank.engine import cosine_lr, recalibrate_batchnorm, train_one_epoch, validate
from radbank.errors import RadbankError
from radbank.fsutil import atomic_path, read_json
from radbank.models import create_model
from radbank.models.checkpoint import save_checkpoint
from radbank.progress import bar
from radbank.runmeta import ModelSpec, Normalisation, RunMeta, TrainingInfo
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


def _check_run_folder(run: RunPaths, cfg: TrainConfig, overwrite: bool) -> None:
    """Refuse a folder that holds another run or something else (unless `overwrite`); writes nothing."""
    if run.root.exists() and not run.root.is_dir():
        raise RadbankError(f"{run.root}: exists and is not a folder; choose another run folder", settings=("out",))
    if overwrite:
        return
    if run.config.exists():
        old = load_config(run.config).identity()
        new = cfg.identity()
        if old != new:
            diff = [f"{k}: {v!r} -> {new.get(k)!r}" for k, v in old.items() if new.get(k) != v]
            raise RadbankError(
                f"{run.root}: holds a run with other settings ({'; '.join(diff[:4])}); "
                "choose another run folder or overwrite it",
                settings=("out", "overwrite"),
            )
    elif run.root.exists() and any(run.root.iterdir()):
        raise RadbankError(
            f"{run.root}: folder exists and is not a radbank run; choose another run folder", settings=("out",)
        )


def _start_or_resume(run: RunPaths, cfg: TrainConfig, overwrite: bool, made: list[Path]) -> None:
    """Make the run folder for `cfg` (rank 0) and write config.yaml; a folder made (or replaced) here is
    appended to `made`, so that a failure before the first epoch's state removes it again."""
    _check_run_folder(run, cfg, overwrite)
    if run.root.exists() and overwrite:
        shutil.rmtree(run.root)
    if not run.root.exists() or not any(run.root.iterdir()):
        made.append(run.root)
    run.root.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run.config)


def _remove_half_made(run: RunPaths, made: list[Path]) -> None:
    """After a failure: remove the run folder this call made, unless an epoch's state is there to resume."""
    if made and not run.state.exists() and not run.checkpoint.exists():
        shutil.rmtree(run.root, ignore_errors=True)
        log.debug("%s: removed (training stopped before its first epoch)", run.root)


def _resume_state(run: RunPaths) -> dict[str, Any] | None:
    if not run.state.exists():
        return None
    try:
        state: dict[str, Any] = torch.load(run.state, map_location="cpu", weights_only=True)
        return state
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
    """Train a model as `cfg` says, write the run folder, evaluate, and return the result.

    The steps: set up (processes, run folder), data (decode, split), model (network, optimiser, batches,
    resume state), loop (epochs, per-epoch state), finish (checkpoint, evaluation).
    """
    cfg.validate()
    dist = init_distributed(cfg.device)
    started = time.perf_counter()
    run = RunPaths.of(cfg.out)
    made: list[Path] = []  # the run folder, once this call has made it
    try:
        done = None if overwrite else _already_done(run, cfg)
        if done is not None:
            return done
        data = _load_data(run, cfg, overwrite, dist, made)
        device = device_of(dist, cfg.device)
        configure(device)
        fit = _make_fit(cfg, data, device, dist)
        start_epoch, history = _resume(fit, run)
        _loop(fit, cfg, run, start_epoch, history)
        results = _finish(fit, run) if dist.is_main else {}
        dist.barrier()
        return TrainResult(run, results, history, data, start_epoch, time.perf_counter() - started)
    except BaseException:
        _remove_half_made(run, made)
        raise
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


def _load_data(run: RunPaths, cfg: TrainConfig, overwrite: bool, dist: Dist, made: list[Path]) -> PreparedData:
    """Rank 0 checks the run folder, decodes into the cache and only then writes the folder; the other
    processes then read the cache warm."""
    if not dist.is_main:
        dist.barrier()
        return prepare_data(cfg)
    _check_run_folder(run, cfg, overwrite)
    data = prepare_data(cfg)
    _start_or_resume(run, cfg, overwrite, made)
    dist.barrier()
    _write_inputs(run, data, data.summary())
    return data


@dataclass
class _Fit:
    """What the loop works on: the model (and its DDP wrapper), optimiser, batches and schedule."""

    cfg: TrainConfig
    data: PreparedData
    device: torch.device
    dist: Dist
    spec: ModelSpec
    model: nn.Module
    trained: nn.Module  # the model, or its DDP wrapper
    optimiser: torch.optim.Optimizer
    norm: Normalisation
    train_batches: TensorBatches
    val_batches: TensorBatches
    clean_batches: TensorBatches  # for precise BN after augmented epochs
    augment: RandomAffine | None
    eval_batch: int

    @property
    def steps(self) -> int:
        return len(self.train_batches)

    def lr_of(self, step: int) -> float:
        return cosine_lr(self.cfg.lr, step, self.cfg.epochs * self.steps, self.cfg.lr_schedule)


def _build(cfg: TrainConfig, spec: ModelSpec, device: torch.device) -> nn.Module:
    """The network, initialised from `cfg.seed` (the caller's random state is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = create_model(spec.name, spec.num_outputs, spec.in_channels, spec.size)
    if cfg.weights:
        from radbank.models.pretrained import load_pretrained

        load_pretrained(model, cfg.weights)
    return place_model(model, device)


def _make_fit(cfg: TrainConfig, data: PreparedData, device: torch.device, dist: Dist) -> _Fit:
    records = data.records
    spec = ModelSpec(cfg.model, num_outputs(records.task, len(records.label_names)), 1, cfg.size)
    model = _build(cfg, spec, device)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=device.type == "cuda"
    )
    trained = model
    if dist.enabled:
        trained = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    norm = normalisation(data.images[data.train])
    targets = torch.as_tensor(records.targets())
    eval_batch = inference_batch_size(device, cfg.batch_size)
    augment = RandomAffine(device=device, seed=cfg.seed + dist.rank) if cfg.augment else None
    shard = (dist.rank, dist.world_size)

    def batches(idx: NDArray[Any], size: int, **kw: Any) -> TensorBatches:
        return TensorBatches(data.images[idx], targets[idx], size, norm, device, **kw)

    return _Fit(
        cfg,
        data,
        device,
        dist,
        spec,
        model,
        trained,
        optimiser,
        norm,
        train_batches=batches(data.train, cfg.batch_size, shuffle=True, augment=augment, shard=shard),
        val_batches=batches(data.val, eval_batch, shard=shard),
        clean_batches=batches(data.train[:PRECISE_BN_IMAGES], eval_batch),
        augment=augment,
        eval_batch=eval_batch,
    )


def _resume(fit: _Fit, run: RunPaths) -> tuple[int, list[dict[str, float]]]:
    """(first epoch to run, history so far) from the run's per-epoch state, if any."""
    state = _resume_state(run)
    if state is None:
        return 0, []
    fit.model.load_state_dict(state["model"])
    fit.optimiser.load_state_dict(state["optimizer"])
    log.info("resuming %s at epoch %d of %d", run.root, int(state["epoch"]) + 1, fit.cfg.epochs)
    return int(state["epoch"]), [dict(row) for row in state["history"]]


def _epoch(fit: _Fit, epoch: int) -> dict[str, float]:
    """Train one epoch and validate; the history row."""
    cfg, dist = fit.cfg, fit.dist
    task = fit.data.records.task
    rng_devices = [fit.device] if fit.device.type == "cuda" else []
    with torch.random.fork_rng(devices=rng_devices):
        torch.manual_seed(cfg.seed * 100_003 + epoch * 101 + dist.rank)  # dropout stream of this epoch
        first = epoch * fit.steps
        res = train_one_epoch(
            fit.trained,
            fit.optimiser,
            fit.train_batches,
            task,
            cfg.threshold,
            seed=cfg.seed * 1_000 + epoch,
            lr_of_step=lambda i: fit.lr_of(first + i),
            dist=dist,
        )
    if fit.augment is not None:
        recalibrate_batchnorm(fit.model, fit.clean_batches, fit.device)
    val_loss, val_acc = validate(fit.model, fit.val_batches, task, cfg.threshold, fit.device, dist)
    return {
        "epoch": epoch + 1,
        "train_loss": res.loss,
        "train_accuracy": res.accuracy,
        "val_loss": val_loss,
        "val_accuracy": val_acc,
        "lr": fit.lr_of((epoch + 1) * fit.steps - 1),
        "train_images": res.images,
        "seconds": res.seconds,
        "train_images_per_s": res.images / max(res.seconds, 1e-9),
    }


def _save_state(fit: _Fit, run: RunPaths, history: list[dict[str, float]]) -> None:
    """history.csv and the resumable state after an epoch (rank 0)."""
    write_csv(pd.DataFrame(history), run.history)
    state = {
        "epoch": len(history),
        "model": fit.model.state_dict(),
        "optimizer": fit.optimiser.state_dict(),
        "history": history,
    }
    with atomic_path(run.state) as tmp:
        torch.save(state, tmp)


def _loop(fit: _Fit, cfg: TrainConfig, run: RunPaths, start_epoch: int, history: list[dict[str, float]]) -> None:
    """Epochs `start_epoch`..`cfg.epochs`, appending to `history` and saving state after each."""
    with bar(cfg.epochs, "training", unit="epoch", initial=start_epoch) as pbar:
        for epoch in range(start_epoch, cfg.epochs):
            row = _epoch(fit, epoch)
            history.append(row)
            if fit.dist.is_main:
                _save_state(fit, run, history)
            pbar.set_postfix(loss=f"{row['train_loss']:.3f}", val_acc=f"{row['val_accuracy']:.3f}")
            pbar.update(1)
            log.info(
                "epoch %d/%d  loss %.4f  acc %.3f  val_loss %.4f  val_acc %.3f  (%.1fs, %.0f img/s)",
                epoch + 1,
                cfg.epochs,
                row["train_loss"],
                row["train_accuracy"],
                row["val_loss"],
                row["val_accuracy"],
                row["seconds"],
                row["train_images_per_s"],
            )


def run_meta(fit: _Fit) -> RunMeta:
    """The checkpoint's metadata for the trained model."""
    cfg, data = fit.cfg, fit.data
    records = data.records
    info = TrainingInfo(
        images=len(data.train),
        patients=int(records.table["patient"].iloc[data.train].nunique()),
        epochs=cfg.epochs,
        source=records.source,
        data=cfg.data,
        weights=cfg.weights,
        processes=fit.dist.world_size,
        finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    return RunMeta(
        model=fit.spec,
        preprocess=Preprocess(cfg.size, cfg.fit),
        normalize=fit.norm,
        task=records.task,
        label_names=tuple(records.label_names),
        class_names=tuple(records.class_names),
        threshold=cfg.threshold,
        trained=info,
        radbank_version=__version__,
    )


def _finish(fit: _Fit, run: RunPaths) -> dict[str, dict[str, Any]]:
    """Checkpoint, evaluation on validation (and test), and the resume state removed (rank 0)."""
    from radbank.evaluate import predict_probs, write_evaluation

    meta = run_meta(fit)
    save_checkpoint(run.checkpoint, fit.model, meta)
    data = fit.data
    parts = {
        name: (data.records.subset(idx), predict_probs(fit.model, data.images[idx], meta, fit.device, fit.eval_batch))
        for name, idx in (("val", data.val), ("test", data.test))
        if len(idx)
    }
    results = write_evaluation(run, meta, parts, split_summary=data.summary())
    run.state.unlink(missing_ok=True)
    return results
