"""The JSON API (FastAPI TestClient), its limits and errors, concurrency, and `predict --cam`."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from radbank.cli import main
from radbank.cli_serve import is_loopback
from radbank.phantom.dicom import planted_identifiers, write_phi_set
from radbank.serve.app import create_app
from radbank.serve.inference import Service

pytest.importorskip("httpx")
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(trained_run: Path) -> TestClient:
    return TestClient(create_app(Service(trained_run, device="cpu"), max_bytes=200_000, max_files=4))


@pytest.fixture(scope="module")
def phi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve_phi")
    write_phi_set(root, patients=1, studies=1, images=1, seed=9)
    return root


def _png(phantom120: Path) -> bytes:
    return sorted((phantom120 / "Pneumothorax").glob("*.png"))[0].read_bytes()


def test_health_model_card_openapi_page(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    card = client.get("/api/model").json()
    assert card["model"] == "seedcnn"
    assert card["parameters"] > 1000
    assert card["training_data"]["images"] > 0
    assert card["metrics"]["accuracy"]["ci95"][0] <= card["metrics"]["accuracy"]["value"]
    assert "not a medical device" in card["intended_use"]
    assert card["date"]
    schema = client.get("/openapi.json").json()
    assert "/api/predict" in schema["paths"]
    assert "/api/model" in schema["paths"]
    page = client.get("/")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    assert "app.js" in page.text


def test_predict_png_gives_probabilities_class_and_heatmap(client: TestClient, phantom120: Path) -> None:
    r = client.post("/api/predict", files=[("files", ("a.png", _png(phantom120), "image/png"))])
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    res = r.json()["results"][0]
    p = res["probabilities"]["Pneumothorax"]
    assert 0.0 <= p <= 1.0
    assert res["predicted"] in ("Pneumothorax", "No-Finding")
    assert res["threshold"] == 0.5
    heat = Image.open(io.BytesIO(__import__("base64").b64decode(res["heatmap_png"].split(",", 1)[1])))
    assert heat.size == (32, 32)
    assert heat.mode == "RGB"
    assert np.asarray(heat).std() > 0
    assert "a.png" not in r.text  # file names are not echoed


def test_dicom_header_shown_deidentified(client: TestClient, phi: Path) -> None:
    dcm = next(phi.rglob("*.dcm")).read_bytes()
    r = client.post("/api/predict", files=[("files", ("x.dcm", dcm, "application/dicom"))])
    assert r.status_code == 200
    header = r.json()["results"][0]["header"]
    assert header["Modality"] in ("CR", "DX")
    assert header["ViewPosition"] == "PA"
    for ident in planted_identifiers(phi):
        assert ident not in r.text, ident


def test_bad_uploads_get_4xx_json(client: TestClient, phantom120: Path) -> None:
    png = _png(phantom120)
    cases = [
        ([("files", ("n.txt", b"just some text", "text/plain"))], 415, "not an image"),
        ([("files", ("c.png", png[:200], "image/png"))], 422, "truncated or corrupt"),
        ([("files", ("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * 300_000, "image/png"))], 413, "larger than"),
        ([("other", ("a.png", png, "image/png"))], 400, "no files"),
        ([("files", ("a.png", png, "image/png"))] * 5, 400, "Too many files"),
    ]
    for files, status, message in cases:
        r = client.post("/api/predict", files=files)
        assert r.status_code == status, (status, r.text[:200])
        assert message in r.json()["error"], (status, r.text[:200])
    r = client.post("/api/predict", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 415
    assert "multipart" in r.json()["error"]
    mixed = client.post(
        "/api/predict", files=[("files", ("a.png", png, "image/png")), ("files", ("n.txt", b"x" * 200, "text/plain"))]
    )
    results = mixed.json()["results"]
    assert mixed.status_code == 200
    assert "probabilities" in results[0]
    assert "not an image" in results[1]["error"]


def test_body_limit_answers_413_while_streaming(trained_run: Path, phantom120: Path) -> None:
    small = TestClient(create_app(Service(trained_run, device="cpu"), max_bytes=10_000, max_files=1))
    r = small.post("/api/predict", files=[("files", ("a.png", b"\x89PNG" + b"1" * 3_000_000, "image/png"))])
    assert r.status_code == 413
    assert "request too large" in r.json()["error"]


def test_concurrent_requests(client: TestClient, phantom120: Path) -> None:
    png = _png(phantom120)
    statuses: list[int] = []
    probs: list[float] = []

    def one() -> None:
        r = client.post("/api/predict", files=[("files", ("a.png", png, "image/png"))])
        statuses.append(r.status_code)
        probs.append(r.json()["results"][0]["probabilities"]["Pneumothorax"])

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 8 and max(probs) - min(probs) < 1e-5  # one model, same answer


def test_predict_cam_writes_overlays(trained_run: Path, phantom120: Path, tmp_path: Path) -> None:
    images = sorted((phantom120 / "Pneumothorax").glob("*.png"))[:3]
    out, cams = tmp_path / "preds.csv", tmp_path / "cams"
    assert main(["predict", str(trained_run), *map(str, images), "--out", str(out), "--cam", str(cams), "-q"]) == 0
    written = sorted(cams.glob("*_cam.png"))
    assert [p.name for p in written] == sorted(f"{p.stem}_cam.png" for p in images)
    overlay = np.asarray(Image.open(written[0]))
    assert overlay.shape[2] == 3
    assert overlay.shape[0] >= 256
    assert (overlay[..., 0] != overlay[..., 2]).any()
    assert "cam" in out.read_text().splitlines()[0]


def test_loopback_default() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.4")
    from radbank.cli import build_parser

    args = build_parser().parse_args(["serve", "run"])
    assert args.host == "127.0.0.1"
    assert args.max_mb == 50.0
    assert json.dumps(args.port) == "8000"
