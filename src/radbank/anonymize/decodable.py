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
ITEM, DELIMITER = 0xE000FFFE, 0xE0DDFFFE


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
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        return f"unreadable transfer syntax {syntax}"
    if not decoder.is_available:
        return f"transfer syntax {syntax} has no installed decoder"
    return None


def _attribute_problem(ds: Any) -> str | None:
    pi = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    if not pi:
        return "undecodable pixel data: Photometric Interpretation missing"
    if pi not in PHOTOMETRIC_SAMPLES:
        return f"undecodable pixel data: unknown Photometric Interpretation {pi!r}"
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if samples != PHOTOMETRIC_SAMPLES[pi]:
        return f"undecodable pixel data: Samples per Pixel {samples} does not fit {pi}"
    bits = int(ds.get("BitsAllocated", 0) or 0)
    if bits not in BITS_ALLOCATED:
        return f"undecodable pixel data: Bits Allocated {bits or 'missing'} (1, 8, 16, 32 or 64)"
    stored = int(ds.get("BitsStored", bits) or 0)
    if not 1 <= stored <= bits:
        return f"undecodable pixel data: Bits Stored {stored} outside 1..{bits}"
    if int(ds.get("Rows", 0) or 0) <= 0 or int(ds.get("Columns", 0) or 0) <= 0:
        return "undecodable pixel data: Rows or Columns missing or zero"
    if _frames(ds) <= 0:
        return "undecodable pixel data: Number of Frames is zero"
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
    out, pos, end = [], 0, len(value)
    while pos + 8 <= end:
        tag, length = struct.unpack_from("<II", value, pos)
        if tag == DELIMITER:
            return out
        if tag != ITEM or length == 0xFFFFFFFF or pos + 8 + length > end:
            return None
        out.append(value[pos + 8 : pos + 8 + length])
        pos += 8 + length
    return out if pos == end else None


def _encapsulated_problem(ds: Any, syntax: str) -> str | None:
    from pydicom.encaps import generate_frames

    value = ds.PixelData
    parsed = items(value)
    if parsed is None or len(parsed) < 2:
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


def _jpeg_problem(frame: bytes, ds: Any) -> str | None:
    """The markers of a JPEG or JPEG-LS codestream up to its first scan (ITU T.81 B.2, T.87): SOI first, a
    frame header with the dataset's size, and a scan header that fits the frame's process."""
    if not frame.startswith(b"\xff\xd8"):
        return "no JPEG start-of-image marker"
    pos, sof = 2, None
    while pos + 4 <= len(frame):
        if frame[pos] != 0xFF:
            return f"JPEG marker expected at byte {pos}"
        marker = frame[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        (length,) = struct.unpack_from(">H", frame, pos + 2)
        body = frame[pos + 4 : pos + 2 + length]
        if marker in SOF_MARKERS:
            if len(body) < 6:
                return "JPEG frame header too short"
            sof = marker
            rows, columns, components = struct.unpack_from(">HHB", body, 1)
            if (rows, columns, components) != (int(ds.Rows), int(ds.Columns), int(ds.get("SamplesPerPixel", 1) or 1)):
                return f"codestream is {columns}x{rows}x{components}, the header says {ds.Columns}x{ds.Rows}"
        elif marker == 0xDA:  # start of scan: the header's last 3 bytes are Ss, Se, Ah/Al
            if sof is None:
                return "JPEG scan before any frame header"
            if sof in SEQUENTIAL and len(body) >= 3 and (body[-3], body[-2]) != (0, 63):
                return "JPEG scan header does not fit a sequential frame (Ss must be 0, Se 63)"
            return None
        pos += 2 + length
    return "JPEG codestream ends before its first scan"


def _codestream_problem(frame: bytes, syntax: str, ds: Any) -> str | None:
    rows, columns = int(ds.Rows), int(ds.Columns)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if syntax == RLE_SYNTAX:
        return _rle_problem(frame, samples * ((int(ds.BitsAllocated) + 7) // 8))
    if syntax in JPEG_SYNTAXES:
        return _jpeg_problem(frame, ds)  # libjpeg's own reader decodes the whole frame: 100 ms for a large one
    if syntax in J2K_SYNTAXES:
        import openjpeg

        get_parameters: Any = openjpeg.get_parameters
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
    if len(frame) < 64:
        return "RLE header shorter than 64 bytes"
    header = struct.unpack_from("<16I", frame)
    count, offsets = header[0], header[1 : 1 + header[0]] if header[0] <= 15 else ()
    if count != segments:
        return f"RLE header lists {count} segment(s), {segments} expected"
    if offsets[0] != 64 or any(b <= a for a, b in pairwise(offsets)) or offsets[-1] >= len(frame):
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
