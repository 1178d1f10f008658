"""The FastAPI application: the page, `POST /api/predict`, `GET /api/model`, `GET /healthz`, `/docs`.

Uploads never touch the disk (`radbank.serve.uploads` keeps files in memory up to the size limit and
rejects larger ones while they stream in) and are dropped when the response is sent. Limits: `max_bytes`
per file (413), `max_files` per request, and the request body as a whole, counted as it streams in (413
before it is all read). Every error is JSON `{"error": ...}` (`radbank.serve.errors`).
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from radbank import __version__
from radbank.serve.docs import add_docs
from radbank.serve.errors import SECURITY_HEADERS, error, install_error_handlers
from radbank.serve.inference import Service, Upload
from radbank.serve.uploads import UploadTooLarge, read_form, size_text

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_FILES = 16
NOT_IMAGE = "not an image"


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
                await error(f"request too large (more than {size_text(self.limit)} in all)", 413)(scope, receive, send)


def _static(name: str) -> bytes:
    return resources.files("radbank.serve").joinpath("static").joinpath(name).read_bytes()


def create_app(service: Service, max_bytes: int = DEFAULT_MAX_BYTES, max_files: int = DEFAULT_MAX_FILES) -> FastAPI:
    """The application over a loaded `Service`."""
    app = FastAPI(
        title="radbank",
        version=__version__,
        description="Chest X-ray second opinion: predict, explain",
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    add_docs(app)
    page = {n: _static(n) for n in ("index.html", "app.js", "app.css")}
    types = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript", "app.css": "text/css"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> Response:
        return Response(page["index.html"], media_type=types["index.html"], headers=SECURITY_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in page or name == "index.html":
            return error("not found", 404)
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
            return error("send the images as multipart/form-data, field 'files'", 415)
        try:
            form = await read_form(request.headers, request.stream(), max_bytes, max_files)
        except UploadTooLarge as exc:
            return error(exc.message, 413)
        except MultiPartException as exc:
            return error(f"malformed upload ({exc.message})", 400)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        try:
            if not files:
                return error("no files: send one or more images in the multipart field 'files'", 400)
            uploads = [Upload(i, await f.read()) for i, f in enumerate(files)]
        finally:
            await form.close()
        results = await run_in_threadpool(service.predict, uploads)
        del uploads
        errors = [r["error"] for r in results if "error" in r]
        if len(errors) == len(results):
            status = 415 if all(e.startswith(NOT_IMAGE) for e in errors) else 422
            return error(f"upload #{results[0]['index']}: {errors[0]}", status, results=results)
        return JSONResponse({"results": results, "model": service.meta.model.name}, headers=SECURITY_HEADERS)

    total = max_files * max_bytes + 1024 * 1024
    app.add_middleware(BodyLimit, limit=total)
    return app
