#!/usr/bin/env python3
"""Load test of `radbank serve` on loopback: N concurrent clients posting one X-ray each for a bounded time.

Starts the real server (`radbank serve RUN`, uvicorn) in a subprocess, then for each client count runs
the clients (threads with their own HTTP connection) for `--seconds`, and prints requests/s, latency
percentiles and failures (any non-200 answer or transport error).

Usage: python benchmarks/serve_load.py [--run RUN] [--clients 1,4,16] [--seconds 20] [--image FILE]
Without --run it trains a small model on a phantom first (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_run(tmp: Path) -> tuple[Path, Path]:
    from radbank.cli import main as radbank

    data, run = tmp / "data", tmp / "run"
    assert radbank(["phantom", str(data), "--n", "300", "-q"]) == 0
    assert radbank(["train", str(data), "--out", str(run), "--epochs", "3", "--cache", str(tmp / "cache"), "-q"]) == 0
    return run, sorted((data / "Pneumothorax").glob("*.png"))[0]


def _client(url: str, payload: bytes, stop: float, latencies: list[float], failures: list[str]) -> None:
    with httpx.Client(timeout=60) as http:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                r = http.post(url, files=[("files", ("x.png", payload, "image/png"))])
                if r.status_code != 200:
                    failures.append(str(r.status_code))
                    continue
            except httpx.HTTPError as exc:
                failures.append(type(exc).__name__)
                continue
            latencies.append(time.perf_counter() - t0)


def run_level(url: str, payload: bytes, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    failures: list[str] = []
    stop = time.perf_counter() + seconds
    threads = [threading.Thread(target=_client, args=(url, payload, stop, latencies, failures)) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    lat = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    p50, p99 = np.percentile(lat, [50, 99])
    return {
        "clients": clients,
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50": float(p50),
        "p99": float(p99),
        "failed": len(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", help="a trained run folder (default: train a small one first)")
    parser.add_argument("--image", help="the image to post (default: a phantom radiograph)")
    parser.add_argument("--clients", default="1,4,16", help="comma list of concurrent client counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each level")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.run and args.image:
            run, image = Path(args.run), Path(args.image)
        else:
            made, default_image = _make_run(Path(tmp))
            run = Path(args.run) if args.run else made
            image = Path(args.image) if args.image else default_image
        port = _free_port()
        cmd = [sys.executable, "-m", "radbank", "serve", str(run), "--port", str(port), "--device", args.device, "-q"]
        server = subprocess.Popen(cmd, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise SystemExit("server did not start")
            payload = image.read_bytes()
            run_level(base + "/api/predict", payload, 1, 2.0)  # warm-up
            print(f"image {image.name} ({len(payload)} bytes), {args.seconds:.0f} s per level, loopback")
            print("| clients | requests | requests/s | p50 ms | p99 ms | failed |")
            print("|---|---|---|---|---|---|")
            for n in (int(c) for c in args.clients.split(",")):
                r = run_level(base + "/api/predict", payload, n, args.seconds)
                print(f"| {n} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['failed']} |")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
