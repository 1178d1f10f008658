"""`/docs`: Swagger UI served from installed files, never from a CDN (nothing leaves the machine).

FastAPI's own `/docs` page loads Swagger UI from cdn.jsdelivr.net: it breaks offline and tells a third
party who opened it. This one serves the files of the `swagger-ui-bundle-v2` package (Swagger UI 5,
Apache-2.0; Swagger UI 4 of the older `swagger-ui-bundle` cannot show FastAPI's OpenAPI 3.1 schema)
and starts it from a script of radbank's own (no inline script, so the strict Content-Security-Policy
holds), with the online validator badge switched off. Without the package, `/docs` answers a JSON 404
that points to `/openapi.json`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

from radbank.serve.errors import SECURITY_HEADERS, error

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>radbank API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>
"""
INIT = b"""window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null,
  deepLinking: false, presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
"""
# Swagger UI sets inline styles from its scripts; everything still comes from this server.
DOCS_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"] + "; style-src 'self' 'unsafe-inline'",
}


def swagger_ui_dir() -> Path | None:
    """The folder of the installed Swagger UI files, or None when the package is missing."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    folder = Path(str(swagger_ui_bundle.swagger_ui_path))
    return folder if all((folder / name).is_file() for name in ASSETS) else None


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


def add_docs(app: FastAPI) -> None:
    """Serve `/docs` (page, Swagger UI files, start script) from this machine."""
    folder = swagger_ui_dir()
    missing = "Swagger UI is not installed (pip install swagger-ui-bundle-v2); the schema is at /openapi.json"

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        if folder is None:
            return error(missing, 404)
        return Response(PAGE, media_type="text/html; charset=utf-8", headers=DOCS_HEADERS)

    @app.get("/docs/{name}", include_in_schema=False)
    def docs_file(name: str) -> Response:
        if folder is None:
            return error(missing, 404)
        if name == "init.js":
            return Response(INIT, media_type="text/javascript", headers=DOCS_HEADERS)
        if name not in ASSETS:
            return error("not found", 404)
        return Response(
            _read(folder / name), media_type=ASSETS[name], headers={**DOCS_HEADERS, "Cache-Control": "max-age=3600"}
        )
