"""Multipart uploads held in memory, up to a per-file limit checked while the body streams in.

Starlette's parser keeps each uploaded file in a `SpooledTemporaryFile` that moves to a temporary file
on disk past `MultiPartParser.spool_max_size` (1 MB, a class attribute: changing it changes every app in
the process). `MemoryMultiPartParser` sets the spool size on its own instance to the file limit + 1 and
rejects a file the moment it grows past the limit (`UploadTooLarge`, answered 413), so the spool never
rolls over: an upload never touches the disk.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.datastructures import FormData, Headers
from starlette.formparsers import MultiPartException, MultiPartParser

MAX_FIELDS = 8  # form fields that are not files
MAX_FIELD_BYTES = 64 * 1024  # ... and their size each


class UploadTooLarge(MultiPartException):
    """A file of the upload is over the per-file limit (HTTP 413)."""

    def __init__(self, index: int, limit: int) -> None:
        self.index, self.limit = index, limit
        super().__init__(f"upload #{index} is larger than {size_text(limit)}")


def size_text(n: int) -> str:
    """Bytes as "50 MB" or "200 KB"."""
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


class MemoryMultiPartParser(MultiPartParser):
    """Starlette's multipart parser, files kept in memory and limited to `max_file_size` bytes each."""

    def __init__(
        self, headers: Headers, stream: AsyncGenerator[bytes, None], *, max_file_size: int, max_files: int = 16
    ) -> None:
        super().__init__(headers, stream, max_files=max_files, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
        self.max_file_size = max_file_size
        self.spool_max_size = max_file_size + 1  # this instance only: never past the limit, so never on disk
        self._file_index = -1
        self._file_bytes = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        if self._current_part.file is not None:
            self._file_index += 1
            self._file_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is not None:
            self._file_bytes += end - start
            if self._file_bytes > self.max_file_size:
                raise UploadTooLarge(self._file_index, self.max_file_size)
        super().on_part_data(data, start, end)


async def read_form(
    headers: Headers, stream: AsyncGenerator[bytes, None], max_file_size: int, max_files: int
) -> FormData:
    """The form of a multipart request, its files in memory (raises UploadTooLarge, MultiPartException)."""
    return await MemoryMultiPartParser(headers, stream, max_file_size=max_file_size, max_files=max_files).parse()
