"""The colour family of JPEG 2000 data: JP2 header boxes, bare codestreams, hostile data."""

from __future__ import annotations

import io
import struct
import time

import pytest

from pipeline.preflight.jpx import HEAD_BYTES, SIGNATURE, jpx_family


def box(kind: bytes, content: bytes) -> bytes:
    return struct.pack(">I", 8 + len(content)) + kind + content


def ihdr(components: int) -> bytes:
    return box(b"ihdr", struct.pack(">IIHBBBB", 8, 8, components, 7, 7, 0, 0))


def colr_enumerated(space: int) -> bytes:
    return box(b"colr", bytes([1, 0, 0]) + struct.pack(">I", space))


def colr_icc(signature: bytes, method: int = 2) -> bytes:
    profile = struct.pack(">I", 128) + b"none" + bytes(4) + b"mntr" + signature + b"XYZ "
    return box(b"colr", bytes([method, 0, 0]) + profile + bytes(128 - len(profile)))


FTYP = box(b"ftyp", b"jp2 " + bytes(4) + b"jp2 ")


def jp2(*header: bytes, after: bytes = b"") -> bytes:
    return SIGNATURE + FTYP + box(b"jp2h", b"".join(header)) + after


def codestream(components: int) -> bytes:
    siz = (
        struct.pack(">HHIIIIIIIIH", 38 + 3 * components, 0, 8, 8, 0, 0, 8, 8, 0, 0, components)
        + b"\x07\x01\x01" * components
    )
    return b"\xff\x4f\xff\x51" + siz + b"\xff\x52" + bytes(12) + b"\xff\xd9"


# --- JP2 headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("space", "family"),
    [(16, "rgb"), (17, "gray"), (18, "rgb"), (12, "cmyk"), (14, "lab"), (20, "rgb"),
     (21, "rgb"), (24, "rgb"), (13, "cmyk"), (0, "gray")],
)  # fmt: skip
def test_enumerated_colour_space_decides(space, family):
    # Given a JP2 header whose colr box names an enumerated space (and ihdr 3 components)
    data = jp2(ihdr(3), colr_enumerated(space))
    # Then that space's family is the answer, not the component count
    assert jpx_family(data) == family


@pytest.mark.parametrize(
    ("signature", "family"),
    [(b"RGB ", "rgb"), (b"GRAY", "gray"), (b"CMYK", "cmyk"), (b"Lab ", "lab")],
)
@pytest.mark.parametrize("method", [2, 3])
def test_icc_profile_colour_space_decides(signature, family, method):
    assert jpx_family(jp2(ihdr(4), colr_icc(signature, method))) == family


@pytest.mark.parametrize(("components", "family"), [(1, "gray"), (3, "rgb"), (4, "cmyk")])
def test_component_count_when_no_colour_box_says(components, family):
    # Given an ihdr and no colr box, or one with an unknown enumerated space
    assert jpx_family(jp2(ihdr(components))) == family
    assert jpx_family(jp2(ihdr(components), colr_enumerated(999))) == family


def test_first_colour_box_that_says_something_wins():
    data = jp2(ihdr(3), colr_enumerated(999), colr_icc(b"CMYK"), colr_enumerated(16))
    assert jpx_family(data) == "cmyk"


def test_boxes_before_the_header_are_skipped_with_64_bit_lengths():
    # Given an XML box with an extended (XLBox) length before jp2h
    xml = struct.pack(">I4sQ", 1, b"xml ", 16 + 5) + b"<x/>\n"
    data = SIGNATURE + FTYP + xml + box(b"jp2h", ihdr(3) + colr_enumerated(17))
    assert jpx_family(data) == "gray"


def test_header_box_of_length_zero_runs_to_the_end():
    data = SIGNATURE + FTYP + struct.pack(">I", 0) + b"jp2h" + ihdr(3) + colr_enumerated(12)
    assert jpx_family(data) == "cmyk"


def test_codestream_box_when_the_header_says_nothing():
    data = jp2(after=box(b"jp2c", codestream(4)))
    assert jpx_family(data) == "cmyk"


# --- bare codestreams ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("components", "family"), [(1, "gray"), (3, "rgb"), (4, "cmyk"), (2, None), (5, None)]
)
def test_codestream_component_count(components, family):
    assert jpx_family(codestream(components)) == family


def test_codestream_with_a_siz_length_that_does_not_match_is_unknown():
    data = bytearray(codestream(3))
    data[4:6] = struct.pack(">H", 99)
    assert jpx_family(bytes(data)) is None


# --- real files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "family"), [("L", "gray"), ("RGB", "rgb"), ("CMYK", "cmyk")])
@pytest.mark.parametrize("bare", [False, True])
def test_files_pillow_writes(mode, family, bare):
    pil = pytest.importorskip("PIL")
    from PIL import Image, features

    if not features.check("jpg_2000"):
        pytest.skip(f"Pillow {pil.__version__} has no OpenJPEG")
    out = io.BytesIO()
    Image.new(mode, (64, 48)).save(out, "JPEG2000", no_jp2=bare)
    assert jpx_family(out.getvalue()) == family


# --- hostile data --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        SIGNATURE,
        SIGNATURE[:7],
        b"\xff\x4f\xff\x51",
        b"\xff\x4f\xff\x51\x00\x29",
        codestream(3)[:41],
        jp2(ihdr(3))[:-5],  # ihdr cut short
        SIGNATURE + struct.pack(">I4s", 7, b"jp2h") + ihdr(3),  # length under 8
        SIGNATURE + struct.pack(">I4sQ", 1, b"jp2h", 3) + ihdr(3),  # XLBox under 16
        SIGNATURE + struct.pack(">I4s", 1, b"jp2h"),  # XLBox missing
        SIGNATURE + struct.pack(">I4s", 0xFFFFFFFF, b"ftyp") + ihdr(3),  # lies: past the end
        SIGNATURE + struct.pack(">I4sQ", 1, b"ftyp", 2**64 - 1) + ihdr(3),
        jp2(box(b"colr", b"\x01\x00")),  # colr too short
        jp2(box(b"colr", b"\x02\x00\x00" + b"short icc")),
        b"GIF89a" + bytes(100),
        bytes(HEAD_BYTES * 2),
    ],
)
def test_broken_data_is_unknown(data):
    assert jpx_family(data) is None


def test_a_lying_header_length_reads_only_what_is_there():
    # Given a jp2h that says it is 1 GB long but holds an ihdr of 3 components
    data = SIGNATURE + FTYP + struct.pack(">I4s", 2**30, b"jp2h") + ihdr(3)
    # Then what is there is read
    assert jpx_family(data) == "rgb"


@pytest.mark.parametrize(
    "data",
    [
        SIGNATURE + box(b"free", b"") * 1_000_000,  # a million empty boxes
        jp2(box(b"free", b"") * 1_000_000),  # a million inside the header
        SIGNATURE + FTYP + box(b"xml ", bytes(50_000_000)) + box(b"jp2h", ihdr(3)),
        b"\xff\x4f\xff\x51" + bytes(50_000_000),
    ],
)
def test_large_hostile_data_finishes_fast_and_is_unknown(data):
    started = time.monotonic()
    assert jpx_family(data) is None
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("value", [None, 12, "text", bytearray(b"\xff\x4f"), memoryview(b"")])
def test_wrong_types_are_unknown(value):
    assert jpx_family(value) is None  # type: ignore[arg-type]
