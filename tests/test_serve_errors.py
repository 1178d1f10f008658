"""The server's edges: one JSON error shape, uploads in memory, oversized headers, garbage, disconnects, /docs."""

from __future__ import annotations

import io
import json
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from radbank.cli import main
from radbank.serve.app import create_app
from radbank.serve.inference import Service

pytest.importorskip("httpx")
from fastapi.testclient import TestClient
from starlette.formparsers import MultiPartParser


@pytest.fixture(scope="module")
def service(trained_run: Path) -> Service:
    return Service(trained_run, device="cpu")


@pytest.fixture(scope="module")
def client(service: Service) -> TestClient:
    return TestClient(create_app(service, max_bytes=2 * 2**20, max_files=2), raise_server_exceptions=False)


def _png(extra: int = 0) -> bytes:
    """A small radiograph-like PNG, padded after IEND with `extra` bytes (decoders ignore them)."""
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue() + b"\0" * extra


def test_404_and_405_answer_json_error(client: TestClient) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not found"}
    wrong = client.delete("/healthz")
    assert wrong.status_code == 405
    assert wrong.json() == {"error": "method not allowed"}
    assert wrong.headers["allow"] == "GET"


def test_server_error_answers_json_error(service: Service) -> None:
    app = create_app(service)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    assert r.json() == {"error": "internal server error"}


def test_uploads_stay_in_memory_up_to_the_limit(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1.5 MB upload (over Starlette's 1 MB spool) and a 3 MB one (over the 2 MB limit) never touch disk."""
    to_disk: list[Any] = []
    real = tempfile.TemporaryFile

    def recorded(*args: Any, **kwargs: Any) -> Any:
        to_disk.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", recorded)  # what a spooled file rolls over into
    ok = client.post("/api/predict", files=[("files", ("a.png", _png(1_500_000), "image/png"))])
    assert ok.status_code == 200, ok.text[:200]
    assert "probabilities" in ok.json()["results"][0]
    big = client.post("/api/predict", files=[("files", ("b.png", _png(3_000_000), "image/png"))])
    assert big.status_code == 413
    assert big.json()["error"] == "upload #0 is larger than 2 MB"
    assert to_disk == []


def test_upload_limit_is_per_app(service: Service) -> None:
    create_app(service, max_bytes=5 * 2**20)
    assert MultiPartParser.spool_max_size == 1024 * 1024  # Starlette's class attribute is left alone


def test_docs_served_from_this_machine(client: TestClient) -> None:
    pytest.importorskip("swagger_ui_bundle")
    page = client.get("/docs")
    assert page.status_code == 200
    refs = [part.split('"', 2)[1] for part in page.text.split("src=")[1:] + page.text.split("href=")[1:]]
    assert refs
    assert all(ref.startswith("/docs/") for ref in refs), refs
    assert "default-src 'self'" in page.headers["content-security-policy"]
    js = client.get("/docs/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert "SwaggerUIBundle" in js.text
    assert "validatorUrl: null" in client.get("/docs/init.js").text  # no call to the online validator
    assert client.get("/docs/other.js").json() == {"error": "not found"}
    assert "/api/predict" in client.get("/openapi.json").json()["paths"]


# --- the real server on loopback (what TestClient cannot show: uvicorn's own answers, disconnects) ---


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def server(service: Service) -> Iterator[tuple[int, _Lines]]:
    import uvicorn

    from radbank.serve.protocol import JsonErrorsH11Protocol

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    lines = _Lines()
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "radbank.serve.errors")]
    for lg in loggers:
        lg.addHandler(lines)
    config = uvicorn.Config(
        create_app(service, max_bytes=2**20, max_files=2),
        host="127.0.0.1",
        port=port,
        log_config=None,
        log_level="info",
        http=JsonErrorsH11Protocol,
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "server did not start"
    yield port, lines
    srv.should_exit = True
    thread.join(timeout=10)
    for lg in loggers:
        lg.removeHandler(lines)


def _exchange(port: int, request: bytes) -> tuple[int, dict[str, Any], bytes]:
    """Send raw bytes, read until the server closes: (status, JSON body, raw head)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), head


def test_oversized_headers_get_431_json(server: tuple[int, _Lines]) -> None:
    port, _ = server
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    status, body, head = _exchange(port, request)  # the whole 200 KB is sent, then the answer read: no reset
    assert status == 431
    assert body == {"error": "request headers too large"}
    assert b"content-type: application/json" in head.lower()


def test_garbage_request_line_gets_400_json(server: tuple[int, _Lines]) -> None:
    port, _ = server
    status, body, _ = _exchange(port, b"GARBAGE\r\n\r\n")
    assert status == 400
    assert body["error"].startswith("malformed HTTP request")


def test_client_disconnect_is_one_line(server: tuple[int, _Lines]) -> None:
    port, lines = server
    before = len(lines.records)
    part = b'--XX\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\n"
            b"Content-Length: 900000\r\n\r\n" + part + b"\x89PNG" + b"0" * 50_000
        )
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    while len(lines.records) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    new = lines.records[before:]
    assert [r.getMessage() for r in new] == [
        "client disconnected before its request was complete (POST /api/predict); dropped"
    ]
    assert all(r.exc_info is None for r in new)


@pytest.mark.parametrize("argv", [["-q", "serve"], ["serve", "-q"], ["-v", "serve"], ["serve", "-v"], ["serve"]])
def test_serve_command_starts_with_quiet_or_verbose_anywhere(
    trained_run: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """The README's `radbank serve RUN` (and with -q/-v before or after) gets as far as uvicorn.run."""
    import uvicorn

    from radbank.serve.protocol import JsonErrorsH11Protocol

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(kw))
    assert main([*argv, str(trained_run), "--device", "cpu"]) == 0
    assert started[0]["host"] == "127.0.0.1"
    assert started[0]["http"] is JsonErrorsH11Protocol
    assert started[0]["access_log"] is ("-q" not in argv)
