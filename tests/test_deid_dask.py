"""The same per-file function on a Dask cluster (LocalCluster on loopback) gives the same outputs."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from radbank.anonymize.batch import DeidJob, run_batch
from radbank.anonymize.keys import keygen
from radbank.errors import RadbankError
from radbank.phantom.dicom import write_phi_set

distributed = pytest.importorskip("dask.distributed")


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.dcm")}


def test_dask_executor_matches_local(tmp_path: Path) -> None:
    write_phi_set(tmp_path / "in", patients=2, studies=2, images=1, seed=5)
    keygen(tmp_path / "key")
    local = run_batch(DeidJob(str(tmp_path / "in"), str(tmp_path / "local"), str(tmp_path / "key"), workers=1))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        job = DeidJob(
            str(tmp_path / "in"),
            str(tmp_path / "dask"),
            str(tmp_path / "key"),
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
        remote = run_batch(job)
    assert remote.counts == local.counts
    assert remote.executor == "dask"
    assert _digests(tmp_path / "dask") == _digests(tmp_path / "local")
    assert len(_digests(tmp_path / "dask")) == 4


def test_dask_needs_a_scheduler(tmp_path: Path) -> None:
    write_phi_set(tmp_path / "in", patients=1, studies=1, images=1)
    keygen(tmp_path / "key")
    job = DeidJob(str(tmp_path / "in"), str(tmp_path / "out"), str(tmp_path / "key"), executor="dask")
    with pytest.raises(RadbankError, match="needs a scheduler address"):
        run_batch(job)
    with pytest.raises(RadbankError, match="cannot reach the Dask scheduler"):
        run_batch(replace(job, output=str(tmp_path / "out2"), scheduler="tcp://127.0.0.1:9", scheduler_timeout=1.0))
