"""One error shape for every status the server answers: JSON `{"error": "..."}` (+ fields of its own).

FastAPI's defaults answer `{"detail": ...}` for 404/405/422 and plain text for 500; these handlers
replace them. A client that goes away before its request is complete is logged on one line (no
traceback). Errors answered by uvicorn itself, before the application sees a request, are made JSON
by `radbank.serve.protocol`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def error(message: str, status: int, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """`{"error": message, ...extra}` with `status` and the security headers."""
    return JSONResponse(
        {"error": message, **extra}, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return error(
        message.lower() if message in ("Not Found", "Method Not Allowed") else message,
        exc.status_code,
        headers=dict(exc.headers or {}),
    )


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors())
    return error(f"invalid request ({where})" if where else "invalid request", 422)


async def _disconnected(request: Request, exc: Exception) -> Response:
    log.warning(
        "client disconnected before its request was complete (%s %s); dropped", request.method, request.url.path
    )
    return Response(status_code=400)  # nobody is there to read it


async def _internal(request: Request, exc: Exception) -> Response:
    return error("internal server error", 500)  # the traceback goes to the server log: it is a bug


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of `app` JSON `{"error": ...}`, and a client disconnect one log line."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(ClientDisconnect, _disconnected)
    app.add_exception_handler(Exception, _internal)
