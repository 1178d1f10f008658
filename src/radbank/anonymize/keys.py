"""The secret key and everything derived from it: pseudonyms, replacement UIDs, per-patient date shifts.

All derivations are HMAC-SHA256 under the key, so they are consistent across files and runs with the same
key, different with another key, and not invertible without it (unlike an unkeyed hash, which a dictionary
of candidate IDs would reverse). The key itself is never printed, logged or written anywhere but its file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from radbank.errors import RadbankError

KEY_BYTES = 32
MIN_SHIFT_DAYS = 30
MAX_SHIFT_DAYS = 1095
PREFIXES = {"patient": "P", "accession": "A", "study": "S", "other": "X"}


def keygen(path: str | Path) -> Path:
    """Create a new random key file readable by its owner only (0600); never overwrite one."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise RadbankError(
            f"{p}: key file exists; refusing to overwrite it (a new key changes every pseudonym)"
        ) from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    os.chmod(p, 0o600)  # in case the umask widened nothing but a filesystem ignored the mode
    return p


MEMO_SIZE = 65536


MIN_KEY_BYTES = 16  # 128 bits


class Keyed:
    """Derivations under one secret key. Construct with `Keyed.from_file(path)`."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise RadbankError(f"key too short: expected at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._memo: dict[tuple[str, str], bytes] = {}  # in memory only: a batch meets the same UIDs/IDs often

    def __repr__(self) -> str:  # never show the key
        return f"Keyed(fingerprint={self.fingerprint()})"

    @classmethod
    def from_file(cls, path: str | Path) -> Keyed:
        """Read a key file made by `keygen` (hex); warn-level strictness on permissions is the caller's."""
        p = Path(path)
        try:
            text = p.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise RadbankError(f"{p}: key file not found (create one with `radbank keygen {p}`)") from None
        except (OSError, UnicodeDecodeError):
            raise RadbankError(f"{p}: key file unreadable (expected hex text made by `radbank keygen`)") from None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise RadbankError(f"{p}: key file is not hex text (expected a file made by `radbank keygen`)") from None
        return cls(key)

    @staticmethod
    def loose_permissions(path: str | Path) -> bool:
        """True when group or others may read the key file."""
        return bool(os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO))

    def digest(self, purpose: str, value: str) -> bytes:
        """HMAC-SHA256 of `value` for one `purpose` (purposes never share outputs)."""
        found = self._memo.get((purpose, value))
        if found is None:
            found = hmac.new(self._key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[(purpose, value)] = found
        return found

    def fingerprint(self) -> str:
        """A short public identifier of the key (to detect mixing keys in one output), not the key."""
        return self.digest("fingerprint", "radbank").hex()[:12]

    def pseudonym(self, kind: str, value: str, length: int = 12) -> str:
        """E.g. 'P' + 12 base32 characters for a patient ID: fits DICOM SH (16 characters)."""
        text = base64.b32encode(self.digest(f"pseudonym:{kind}", value.strip())).decode().rstrip("=")
        return PREFIXES.get(kind, "X") + text[:length]

    def uid(self, value: str) -> str:
        """A replacement UID under the 2.25 (UUID-derived) root: at most 44 characters."""
        return "2.25." + str(int.from_bytes(self.digest("uid", value.strip())[:16], "big"))

    def date_offset_days(self, patient: str) -> int:
        """The patient's date shift: a whole number of days back, between MIN and MAX_SHIFT_DAYS.

        The DICOM and the report de-identification both call this with the original patient ID, so the
        same patient's dates move together everywhere and intervals survive.
        """
        n = int.from_bytes(self.digest("dateshift", patient.strip())[:4], "big")
        return -(MIN_SHIFT_DAYS + n % (MAX_SHIFT_DAYS - MIN_SHIFT_DAYS + 1))
