"""CLI command `radbank serve RUN` (thin over radbank.serve)."""

from __future__ import annotations

import argparse
import ipaddress
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from radbank.serve.app import create_app
    from radbank.serve.inference import Service
    from radbank.serve.protocol import JsonErrorsH11Protocol

    service = Service(args.run, device=args.device)
    app = create_app(service, max_bytes=int(args.max_mb * 2**20), max_files=args.max_files)
    if not is_loopback(args.host):
        log.warning("listening on %s: reachable from other machines; put it behind TLS and authentication", args.host)
    print(f"radbank serve: http://{args.host}:{args.port}/  (model {service.meta.model.name}; Ctrl-C to stop)")
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning" if args.quiet else "info",
        access_log=not args.quiet,
        http=JsonErrorsH11Protocol,
    )
    return 0


def add_parsers(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `serve` on the main parser's sub-parsers."""
    p = sub.add_parser("serve", help="web page + JSON API: predict, Grad-CAM, de-identified DICOM header")
    p.add_argument("run", help="run folder (or a model.safetensors file)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-mb", type=float, default=50.0, dest="max_mb", help="largest upload per file (default 50)")
    p.add_argument("--max-files", type=int, default=16, dest="max_files", help="files per request (default 16)")
    p.add_argument("--device", default="auto")
    common(p)
    p.set_defaults(func=cmd_serve)
