"""The FastAPI application: the page, `POST /api/predict`, `GET /api/model`, `GET /healthz`.

Uploads never touch the disk (the multipart parser keeps files up to the size limit in memory) and are
dropped when the response is sent. Limits: `max_bytes` per file (413), `max_files` per request, and
the request body as a whole, counted as it streams in (413 before it is all read).
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from radbank import __version__
from radbank.serve.inference import Service, Upload

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_FILES = 16
NOT_IMAGE = "not an image"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: answer 413 as soon as a request body grows past `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen, started = 0, False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _error(f"request too large (more than {_size(self.limit)} in all)", 413)(scope, receive, send)


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


def _error(message: str, status: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=SECURITY_HEADERS)


def _static(name: str) -> bytes:
    return resources.files("radbank.serve").joinpath("static").joinpath(name).read_bytes()


def create_app(service: Service, max_bytes: int = DEFAULT_MAX_BYTES, max_files: int = DEFAULT_MAX_FILES) -> FastAPI:
    """The application over a loaded `Service`."""
    MultiPartParser.spool_max_size = max_bytes + 1  # keep uploads in memory, never in a temporary file
    app = FastAPI(title="radbank", version=__version__, description="Chest X-ray second opinion: predict, explain")
    page = {n: _static(n) for n in ("index.html", "app.js", "app.css")}
    types = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript", "app.css": "text/css"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> Response:
        return Response(page["index.html"], media_type=types["index.html"], headers=SECURITY_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in page or name == "index.html":
            return _error("not found", 404)
        return Response(page[name], media_type=types[name], headers=SECURITY_HEADERS)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Liveness: the model is loaded."""
        return {"status": "ok", "model": service.meta.model.name, "version": __version__}

    @app.get("/api/model")
    def model() -> JSONResponse:
        """The model card: training data, size, metrics with 95% intervals, date, intended use."""
        return JSONResponse(service.card, headers=SECURITY_HEADERS)

    @app.post("/api/predict")
    async def predict(request: Request) -> JSONResponse:
        """Multipart upload, field `files` (one or more PNG/JPEG/DICOM): probabilities, class, heatmap."""
        if "multipart/form-data" not in request.headers.get("content-type", ""):
            return _error("send the images as multipart/form-data, field 'files'", 415)
        try:
            form = await request.form(max_files=max_files, max_fields=8, max_part_size=64 * 1024)
        except MultiPartException as exc:
            return _error(f"malformed upload ({exc.message})", 400)
        except HTTPException as exc:  # starlette turns the parser's errors into these
            return _error(f"bad upload ({exc.detail})", exc.status_code)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        try:
            if not files:
                return _error("no files: send one or more images in the multipart field 'files'", 400)
            uploads = []
            for i, f in enumerate(files):
                data = await f.read(max_bytes + 1)
                if len(data) > max_bytes:
                    return _error(f"upload #{i} is larger than {_size(max_bytes)}", 413)
                uploads.append(Upload(i, data))
        finally:
            await form.close()
        results = await run_in_threadpool(service.predict, uploads)
        del uploads
        errors = [r["error"] for r in results if "error" in r]
        if len(errors) == len(results):
            status = 415 if all(e.startswith(NOT_IMAGE) for e in errors) else 422
            return _error(f"upload #{results[0]['index']}: {errors[0]}", status, results=results)
        return JSONResponse({"results": results, "model": service.meta.model.name}, headers=SECURITY_HEADERS)

    total = max_files * max_bytes + 1024 * 1024
    app.add_middleware(BodyLimit, limit=total)
    return app
