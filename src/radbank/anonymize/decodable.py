"""Whether a dataset's pixel data can be decoded by a reader, checked before anything is published.

Cheap enough to run on every file (no full decode): the Image Pixel attributes are checked against PS3.3
C.7.6.3 (Photometric Interpretation present and known, Samples per Pixel to match, Bits Allocated 1, 8, 16,
32 or 64, Bits Stored within it, Rows and Columns set); native pixel data must hold every byte the attributes
promise (YBR_FULL_422 stores 2 bytes per 8-bit pixel, PS3.5 8.2.1); encapsulated pixel data must parse into
items up to the Sequence Delimitation Item, give one or more fragments per frame, and every frame's codestream
header must be readable (JPEG and JPEG-LS: its markers up to the first scan, ITU T.81 B.2 / T.87; JPEG 2000:
OpenJPEG's header reader; RLE: the segment table) and agree with Rows, Columns and Samples per Pixel.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from itertools import pairwise
from typing import Any

PHOTOMETRIC_SAMPLES = {
    "MONOCHROME1": 1,
    "MONOCHROME2": 1,
    "PALETTE COLOR": 1,
    "RGB": 3,
    "YBR_FULL": 3,
    "YBR_FULL_422": 3,
    "YBR_PARTIAL_420": 3,
    "YBR_ICT": 3,
    "YBR_RCT": 3,
    "HSV": 3,
    "ARGB": 4,
    "CMYK": 4,
}
BITS_ALLOCATED = {1, 8, 16, 32, 64}
NATIVE_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}
JPEG_SYNTAXES = {"1.2.840.10008.1.2.4." + s for s in ("50", "51", "57", "70", "80", "81")}
J2K_SYNTAXES = {"1.2.840.10008.1.2.4." + s for s in ("90", "91", "201", "202", "203")}
RLE_SYNTAX = "1.2.840.10008.1.2.5"
ITEM, DELIMITER, UNDEFINED_LENGTH = 0xE000FFFE, 0xE0DDFFFE, 0xFFFFFFFF
RLE_HEADER, RLE_MAX_SEGMENTS = 64, 15  # PS3.5 G.3.1


def pixel_problem(ds: Any) -> str | None:
    """Why a dataset's pixel data cannot be published as decodable (None when it can)."""
    if "PixelData" not in ds:
        return "no pixel data (non-image object; not published)"
    meta = getattr(ds, "file_meta", None)
    syntax = str(getattr(meta, "TransferSyntaxUID", "") or "1.2.840.10008.1.2")
    try:
        problem = _syntax_problem(syntax) or _attribute_problem(ds)
        if problem:
            return problem
        if syntax in NATIVE_SYNTAXES:
            return _native_problem(ds)
        return _encapsulated_problem(ds, syntax)
    except (ValueError, TypeError, KeyError, struct.error) as exc:
        return f"invalid image attributes ({type(exc).__name__}: {exc})"[:300]


@lru_cache(maxsize=64)
def _syntax_problem(syntax: str) -> str | None:
    """Why pixel data in a transfer syntax cannot be decoded here (None when it can)."""
    from pydicom.pixels.decoders.base import get_decoder

    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        return f"unreadable transfer syntax {syntax}"
    if not decoder.is_available:
        return f"transfer syntax {syntax} has no installed decoder"
    return None


def _attribute_problem(ds: Any) -> str | None:
    problem = _photometric_problem(ds) or _bits_problem(ds)
    if problem:
        return f"undecodable pixel data: {problem}"
    if int(ds.get("Rows", 0) or 0) <= 0 or int(ds.get("Columns", 0) or 0) <= 0:
        return "undecodable pixel data: Rows or Columns missing or zero"
    if _frames(ds) <= 0:
        return "undecodable pixel data: Number of Frames is zero"
    return None


def _photometric_problem(ds: Any) -> str | None:
    pi = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    if not pi:
        return "Photometric Interpretation missing"
    if pi not in PHOTOMETRIC_SAMPLES:
        return f"unknown Photometric Interpretation {pi!r}"
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if samples != PHOTOMETRIC_SAMPLES[pi]:
        return f"Samples per Pixel {samples} does not fit {pi}"
    return None


def _bits_problem(ds: Any) -> str | None:
    bits = int(ds.get("BitsAllocated", 0) or 0)
    if bits not in BITS_ALLOCATED:
        return f"Bits Allocated {bits or 'missing'} (1, 8, 16, 32 or 64)"
    stored = int(ds.get("BitsStored", bits) or 0)
    if not 1 <= stored <= bits:
        return f"Bits Stored {stored} outside 1..{bits}"
    return None


def _frames(ds: Any) -> int:
    return int(ds.get("NumberOfFrames", 1) or 1)


def expected_native_bytes(ds: Any) -> int:
    """Bytes of native pixel data the Image Pixel attributes promise (PS3.5 8.1.1 and 8.2.1)."""
    pixels = int(ds.Rows) * int(ds.Columns) * _frames(ds)
    bits = int(ds.BitsAllocated)
    if bits == 1:
        return (pixels + 7) // 8
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if str(ds.get("PhotometricInterpretation", "")).strip().upper() == "YBR_FULL_422":
        samples = 2  # two luminance samples share one pair of chrominance samples
    return pixels * samples * bits // 8


def _native_problem(ds: Any) -> str | None:
    expected = expected_native_bytes(ds)
    have = len(ds.PixelData)
    if have < expected:
        return f"truncated pixel data ({have} of {expected} bytes)"
    return None


def items(value: bytes) -> list[bytes] | None:
    """The items of encapsulated pixel data (Basic Offset Table first), or None if they do not parse."""
    out: list[bytes] = []
    pos, end = 0, len(value)
    while pos + 8 <= end:
        tag, length = struct.unpack_from("<II", value, pos)
        if tag == DELIMITER:
            return out
        if tag != ITEM or length == UNDEFINED_LENGTH or pos + 8 + length > end:
            return None
        out.append(value[pos + 8 : pos + 8 + length])
        pos += 8 + length
    return out if pos == end else None


def _encapsulated_problem(ds: Any, syntax: str) -> str | None:
    from pydicom.encaps import generate_frames

    value = ds.PixelData
    parsed = items(value)
    if not parsed or len(parsed) == 1:  # the Basic Offset Table, then at least one fragment
        return "undecodable pixel data: encapsulation does not parse (items, fragments or delimiter missing)"
    frames = _frames(ds)
    try:
        data = list(generate_frames(value, number_of_frames=frames))
    except (ValueError, KeyError, struct.error) as exc:
        return f"undecodable pixel data: frames do not parse ({exc})"[:300]
    if len(data) != frames:
        return f"undecodable pixel data: {len(data)} frame(s) encapsulated, Number of Frames says {frames}"
    for i, frame in enumerate(data):
        problem = _codestream_problem(frame, syntax, ds)
        if problem:
            return f"undecodable pixel data: frame {i + 1}: {problem}"[:300]
    return None


SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7}  # F7: JPEG-LS
SEQUENTIAL = {0xC0, 0xC1}  # baseline and extended: every scan covers coefficients 0..63
MARKER, SOS = 0xFF, 0xDA
SOF_SIZE = struct.calcsize(">BHHB")  # precision, rows, columns, components
SEQUENTIAL_SCAN = (0, 63)  # Ss, Se: the scan header's last 3 bytes are Ss, Se, Ah/Al


def _jpeg_segments(frame: bytes) -> list[tuple[int, bytes]]:
    """(marker, body) of a JPEG or JPEG-LS codestream's segments up to its first scan header (ITU T.81 B.2).
    Raises ValueError when the markers do not parse."""
    if not frame.startswith(b"\xff\xd8"):
        raise ValueError("no JPEG start-of-image marker")
    segments, pos = [], 2
    while pos + 4 <= len(frame):
        if frame[pos] != MARKER:
            raise ValueError(f"JPEG marker expected at byte {pos}")
        marker = frame[pos + 1]
        if marker == MARKER:  # a fill byte
            pos += 1
            continue
        (length,) = struct.unpack_from(">H", frame, pos + 2)
        segments.append((marker, frame[pos + 4 : pos + 2 + length]))
        if marker == SOS:
            return segments
        pos += 2 + length
    raise ValueError("JPEG codestream ends before its first scan")


def _jpeg_problem(frame: bytes, ds: Any) -> str | None:
    """A frame header with the dataset's size, and a scan header that fits the frame's process."""
    try:
        segments = _jpeg_segments(frame)
    except ValueError as exc:
        return str(exc)
    frames = [(m, body) for m, body in segments if m in SOF_MARKERS]
    if not frames or len(frames[0][1]) < SOF_SIZE:
        return "no JPEG frame header before the first scan"
    sof, body = frames[0]
    rows, columns, components = struct.unpack_from(">HHB", body, 1)
    if (rows, columns, components) != (int(ds.Rows), int(ds.Columns), int(ds.get("SamplesPerPixel", 1) or 1)):
        return f"codestream is {columns}x{rows}x{components}, the header says {ds.Columns}x{ds.Rows}"
    scan = segments[-1][1]
    if sof in SEQUENTIAL and tuple(scan[-3:-1]) != SEQUENTIAL_SCAN:
        return "JPEG scan header does not fit a sequential frame (Ss must be 0, Se 63)"
    return None


def _codestream_problem(frame: bytes, syntax: str, ds: Any) -> str | None:
    rows, columns = int(ds.Rows), int(ds.Columns)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if syntax == RLE_SYNTAX:
        return _rle_problem(frame, samples * ((int(ds.BitsAllocated) + 7) // 8))
    if syntax in JPEG_SYNTAXES:
        return _jpeg_problem(frame, ds)  # libjpeg's own reader decodes the whole frame: 100 ms for a large one
    if syntax in J2K_SYNTAXES:
        from openjpeg.utils import get_parameters as j2k_parameters

        get_parameters: Any = j2k_parameters
    else:
        return None  # a syntax with an installed decoder but no header reader here: its decoder decides
    try:
        found = get_parameters(frame)
    except Exception as exc:  # the decoders raise RuntimeError, ValueError... with the codec's own words
        return " ".join(str(exc).split())[:240] or type(exc).__name__
    components = found.get("nr_components", found.get("samples_per_pixel"))  # libjpeg's key, OpenJPEG's
    shape = (found.get("rows"), found.get("columns"), components)
    if shape != (rows, columns, samples):
        return f"codestream is {shape[1]}x{shape[0]}x{shape[2]}, the header says {columns}x{rows}x{samples}"
    return None


def _rle_problem(frame: bytes, segments: int) -> str | None:
    """PS3.5 G.3.1: a 64-byte header, the number of segments then their offsets, the first at 64."""
    if len(frame) < RLE_HEADER:
        return "RLE header shorter than 64 bytes"
    header = struct.unpack_from("<16I", frame)
    count = header[0]
    if count != segments or count > RLE_MAX_SEGMENTS:
        return f"RLE header lists {count} segment(s), {segments} expected"
    offsets = header[1 : 1 + count]
    if offsets[0] != RLE_HEADER or any(b <= a for a, b in pairwise(offsets)) or offsets[-1] >= len(frame):
        return "RLE segment offsets out of order or past the frame"
    return None


def even_fragments(value: bytes) -> bytes:
    """Encapsulated pixel data with every odd-length item padded to even length (PS3.5 A.4: items have even
    lengths), Basic Offset Table entries moved to match. Without this a writer pads the whole value, and the pad
    byte lands after the last item, where no reader expects it. Returns `value` itself when nothing is odd."""
    parsed = items(value)
    if not parsed or all(len(item) % 2 == 0 for item in parsed):
        return value
    bot, fragments = parsed[0], parsed[1:]
    moved: dict[int, int] = {}
    old = new = 0
    for fragment in fragments:
        moved[old] = new
        old += 8 + len(fragment)
        new += 8 + len(fragment) + len(fragment) % 2
    offsets = struct.unpack(f"<{len(bot) // 4}I", bot[: len(bot) // 4 * 4]) if len(bot) % 2 == 0 else ()
    bot = struct.pack(f"<{len(offsets)}I", *(moved.get(o, o) for o in offsets))
    out = [struct.pack("<II", ITEM, len(bot)), bot]
    for fragment in fragments:
        padded = fragment + b"\x00" * (len(fragment) % 2)
        out += [struct.pack("<II", ITEM, len(padded)), padded]
    return b"".join(out)
