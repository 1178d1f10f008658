"""uvicorn's HTTP/1.1 protocol (h11), with the errors it answers by itself in the API's JSON shape.

uvicorn answers a request that h11 cannot parse before the application ever sees it: a garbage request
line, a header block over h11's limit (16 KB). It sends plain text "Invalid HTTP request received." with
status 400 and closes the socket at once, while the client may still be sending, so a client that sent
200 KB of headers gets a connection reset instead of an answer. `JsonErrorsH11Protocol` answers
`{"error": ...}` with h11's own status hint (431 Request Header Fields Too Large for the header limit,
else 400), half-closes, and reads and drops what the client still sends for a moment before closing, so
that the answer arrives. Pass it to uvicorn as `http=JsonErrorsH11Protocol`.
"""

from __future__ import annotations

import json
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from radbank.serve.errors import SECURITY_HEADERS

DRAIN_SECONDS = 2.0  # how long a rejected connection swallows what the client still sends
DRAIN_BYTES = 4 * 1024 * 1024  # ... and how much of it
HEADERS_TOO_LARGE = 431


class _RecordingConnection(h11.Connection):
    """An h11 connection that remembers the protocol error it raised last (to answer it)."""

    last_error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.last_error = exc
            raise


def error_status(exc: h11.RemoteProtocolError | None) -> tuple[int, str]:
    """The status and message for a request h11 rejected: 431 for headers over the limit, else 400."""
    hint = int(getattr(exc, "error_status_hint", 400) or 400) if exc is not None else 400
    if hint == HEADERS_TOO_LARGE:
        return HEADERS_TOO_LARGE, "request headers too large"
    detail = str(exc) if exc is not None and str(exc) else "malformed request"
    return hint, f"malformed HTTP request ({detail})"


class JsonErrorsH11Protocol(H11Protocol):
    """H11Protocol whose own error answers are JSON `{"error": ...}`, delivered before the socket closes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        self.recorder = _RecordingConnection(h11.SERVER, size)
        self.conn = self.recorder
        self._drained: int | None = None  # bytes dropped since the error answer; None before it

    def data_received(self, data: bytes) -> None:
        if self._drained is None:
            super().data_received(data)
            return
        self._drained += len(data)
        if self._drained > DRAIN_BYTES:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        status, message = error_status(self.recorder.last_error)
        body = json.dumps({"error": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=STATUS_PHRASES[status]),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self._drained = 0
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(DRAIN_SECONDS, self.transport.close)
