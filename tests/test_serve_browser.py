"""The page in a real browser: Playwright driving Debian's Chromium against a server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from radbank.phantom.dicom import planted_identifiers, write_phi_set
from radbank.serve.app import create_app
from radbank.serve.inference import Service

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(trained_run: Path) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        create_app(Service(trained_run, device="cpu")), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        yield b
        b.close()


def test_upload_shows_probability_heatmap_and_errors(
    server: str, browser: object, phantom120: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    page.goto(server + "/")
    page.wait_for_selector("[data-testid=card]")  # model card loaded from /api/model
    assert "Intended use" in page.inner_text("#card")
    image = sorted((phantom120 / "Pneumothorax").glob("*.png"))[0]
    page.set_input_files("#files", str(image))
    page.wait_for_selector("[data-testid=probability]", timeout=30_000)
    assert "Pneumothorax:" in page.inner_text("[data-testid=probability]")
    assert page.inner_text("[data-testid=predicted]").startswith("Model's class: ")
    heat = page.locator("img.heatmap").first
    assert heat.get_attribute("src").startswith("data:image/png;base64,")
    assert heat.evaluate("img => img.complete && img.naturalWidth > 0")
    page.fill("#opacity", "80")
    page.dispatch_event("#opacity", "input")
    assert heat.evaluate("img => img.style.opacity") == "0.8"
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.std() > 10 and len(np.unique(pixels)) > 50  # not blank

    bad = tmp_path / "notes.txt"
    bad.write_text("this is not an X-ray")
    page.set_input_files("#files", str(bad))
    page.wait_for_selector("[data-testid=error]", timeout=30_000)
    assert "not an image" in page.inner_text("[data-testid=error]")
    page.close()


def test_dicom_upload_shows_deidentified_header(server: str, browser: object, tmp_path: Path) -> None:
    write_phi_set(tmp_path / "phi", patients=1, studies=1, images=1, seed=4)
    dcm = next((tmp_path / "phi").rglob("*.dcm"))
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/")
    page.set_input_files("#files", str(dcm))
    page.wait_for_selector("[data-testid=header]", timeout=30_000)
    shown = page.inner_text("#results")
    assert "Modality" in shown
    assert "de-identified" in shown
    for ident in planted_identifiers(tmp_path / "phi"):
        if len(ident) > 3:  # the file name itself (with the patient's name) is shown: it is the user's own
            assert ident not in page.inner_text("[data-testid=header]"), ident
    page.close()


def test_docs_render_offline_from_this_server(server: str, browser: object) -> None:
    """/docs shows the API in Swagger UI with every request going to this server (no CDN, no validator)."""
    pytest.importorskip("swagger_ui_bundle")
    page = browser.new_page()  # type: ignore[attr-defined]
    requested: list[str] = []
    page.on("request", lambda req: requested.append(req.url))
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(server + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "radbank" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("[data-path='/api/predict']", timeout=30_000)
    assert requested
    assert all(url.startswith(server) or url.startswith("data:") for url in requested), requested
    assert blocked == []
    page.close()
