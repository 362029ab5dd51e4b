"""The content stream reader: operations whole, odd syntax, hostile bytes."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

import pytest

from pipeline.preflight.tokens import MAX_DEPTH, operations


def test_numbers_names_strings_arrays_dicts_and_inline_images():
    data = (
        b"/CS0 cs 0.5 scn [1 (a(b)c\\)) <41 42>] TJ << /A [1 2] /B#20C /x >> BDC "
        b"BI /W 2 /H 2 /CS /G ID \x00\x01EI\x02\x03 EI Q % comment\n 1 0 0 1 .5 -3 cm (x) Tj"
    )
    assert list(operations(data)) == [
        (["CS0"], "cs"),
        ([0.5], "scn"),
        ([[1, b"a(b)c\\)", b"AB"]], "TJ"),
        ([{"A": [1, 2], "B C": "x"}], "BDC"),
        ([{"W": 2, "H": 2, "CS": "G"}], "BI"),
        ([], "Q"),
        ([1, 0, 0, 1, 0.5, -3], "cm"),
        ([b"x"], "Tj"),
    ]


@pytest.mark.parametrize(
    "data",
    [b"(never closed", b"[1 2 << /a", b"BI /W 1 ID \x00\x00", b"\xff\xfe)]>>}", b"1 2 3"],
)
def test_malformed_streams_end_quietly(data):
    assert all(isinstance(op, str) for _, op in operations(data))


def cpu(function: Callable[[], object], runs: int = 1) -> float:
    """The least CPU seconds ``function()`` took in ``runs`` runs."""
    best = math.inf
    for _ in range(runs):
        started = time.process_time()
        function()
        best = min(best, time.process_time() - started)
    return best


def read_all(data: bytes) -> list[tuple[list, str]]:
    return list(operations(data))


def read_through(data: bytes) -> None:
    """Read every operation, keeping none (as the walker does)."""
    for _ in operations(data):
        pass


# --- white space and comments: no backtracking --------------------------------------------


@pytest.mark.parametrize(
    "run",
    [b" ", b"\n", b"\r\n", b"\x00", b"\t\x0c", b"%c\n", b"%\r", b" % comment \n "],
)
@pytest.mark.parametrize("count", [34, 10_000])
def test_long_white_space_and_comment_runs_read_fast(run, count):
    # Given a run before a name operand, between numbers and before an operator
    data = run * count + b"/GS0 gs" + run * count + b"1" + run * count + b"0 g" + run * count
    # Then (34 spaces took minutes before) every operation is read at once
    seconds = cpu(lambda: read_through(data))
    assert read_all(data) == [(["GS0"], "gs"), ([1, 0], "g")]
    assert seconds < 0.5


def test_comments_and_nul_between_numbers_are_white_space():
    data = b"3.1%c\nk q %comment\nQ 1\x002 m <41\x0042> Tj"
    assert read_all(data) == [([3.1], "k"), ([], "q"), ([], "Q"), ([1, 2], "m"), ([b"AB"], "Tj")]


# --- inline images ---------------------------------------------------------------------------

GRAY_1X1 = {"W": 1, "H": 1, "CS": "G", "BPC": 8}


def test_data_glued_to_ei_ends_there():
    data = b"q BI /W 1 /H 1 /CS /G /BPC 8 ID xEI Q 1 0 0 1 0 0 cm /GS0 gs"
    assert read_all(data) == [
        ([], "q"),
        ([GRAY_1X1], "BI"),
        ([], "Q"),
        ([1, 0, 0, 1, 0, 0], "cm"),
        (["GS0"], "gs"),
    ]


def test_filtered_data_glued_to_ei_ends_at_the_first_ei_followed_by_content():
    # Given ASCIIHex data whose EI is glued to it, and an EI inside binary data before it
    data = b"BI /W 1 /H 1 /CS /G /BPC 8 /F /AHx ID 0\xffEI\xfe\x01 EI,0>EI Q 0 g"
    ops = read_all(data)
    # Then "EI\xfe" is no end (not followed by white space), "EI," is no end (what follows
    # is no content), "EI Q" is
    assert ops[1:] == [([], "Q"), ([0], "g")]


def test_length_skips_data_that_contains_ei():
    # Given /L over data that reads as "EI Q" (a search for EI would stop in it)
    data = b"BI /W 6 /H 1 /CS /G /BPC 8 /F /Fl /L 6 ID xEI Q EI 0 g"
    # Then the image ends after exactly 6 bytes
    assert read_all(data) == [
        ([{"W": 6, "H": 1, "CS": "G", "BPC": 8, "F": "Fl", "L": 6}], "BI"),
        ([0], "g"),
    ]
    # And /Length is the same
    assert read_all(data.replace(b"/L 6", b"/Length 6"))[1:] == [([0], "g")]


@pytest.mark.parametrize(
    "lie",
    [b"1000000", b"-3", b"2.5", b"/Six", b"true", b"9" * 30, b"9" * 5000, b"[6]", b"2", b"0"],
)
def test_lying_lengths_fall_back_to_the_search(lie):
    data = b"BI /W 1 /H 1 /CS /G /BPC 8 /F /AHx /L " + lie + b" ID 00> EI Q 0 g"
    ops = read_all(data)
    assert [op for _, op in ops] == ["BI", "Q", "g"]


@pytest.mark.parametrize(
    ("settings", "pixels"),
    [
        (b"/W 4 /H 1 /BPC 8 /CS /G", b" EI "),
        (b"/Width 4 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray", b"xEI "),
        (b"/W 2 /H 2 /BPC 8 /CS /RGB", b"EI Q EI 0 g "),
        (b"/W 1 /H 2 /BPC 8 /CS /DeviceCMYK", b" EI Q\nEI"),
        (b"/W 8 /H 2 /IM true", b"EI"),
        (b"/W 10 /H 1 /IM true /D [1 0]", b"\nE"),
        (b"/W 16 /H 1 /BPC 1 /CS [/I /RGB 1 <000000FFFFFF>]", b"EI"),
        (b"/W 3 /H 1 /BPC 4 /CS /CalRGB /F []", b" EI Q"),
    ],
)
def test_unfiltered_data_of_the_exact_size_is_skipped(settings, pixels):
    # Given pixel data that contains EI and what looks like content after it
    data = b"BI " + settings + b" ID " + pixels + b"\nEI Q 0 g"
    # Then the data is skipped whole: the operations after it are the real ones
    assert [op for _, op in read_all(data)] == ["BI", "Q", "g"]


def test_data_shorter_than_its_size_and_named_spaces_fall_back_to_the_search():
    # A named colour space (a resource) gives no size: the first EI with content after it
    data = b"BI /W 4 /H 1 /BPC 8 /CS /CS0 ID abcd EI Q"
    assert [op for _, op in read_all(data)] == ["BI", "Q"]
    # A size larger than the data: the EI that is there
    data = b"BI /W 400 /H 400 /BPC 8 /CS /G ID abcd EI Q"
    assert [op for _, op in read_all(data)] == ["BI", "Q"]


def test_an_inline_image_without_id_or_ei_ends_the_stream():
    assert read_all(b"q BI /W 1 /H 1 Q 0 g") == [([], "q")]
    assert read_all(b"q BI /W 1 /H 1 /F /AHx ID 0000") == [
        ([], "q"),
        ([{"W": 1, "H": 1, "F": "AHx"}], "BI"),
    ]


# --- numbers and nesting -----------------------------------------------------------------


@pytest.mark.parametrize("digits", [400, 5000, 100_000])
def test_numbers_of_any_length_are_floats(digits):
    number = b"9" * digits
    ops = read_all(
        number + b" Tf /F1 " + number + b" Tf [-" + number + b"] TJ /F1 " + number + b".5 Tf"
    )
    assert [op for _, op in ops] == ["Tf", "Tf", "TJ", "Tf"]
    assert ops[0][0] == [math.inf] and ops[1][0] == ["F1", math.inf]
    assert ops[2][0] == [[-math.inf]] and ops[3][0] == ["F1", math.inf]


def test_ordinary_numbers_keep_their_type():
    assert read_all(b"/F1 12 Tf /F1 123456789012345678 Tf [.5 -3] TJ") == [
        (["F1", 12], "Tf"),
        (["F1", 123456789012345678], "Tf"),
        ([[0.5, -3]], "TJ"),
    ]
    assert type(read_all(b"/F1 12 Tf")[0][0][1]) is int


def test_deep_nesting_is_cut_and_reading_goes_on():
    # Given arrays 100 deep, then a dictionary 100 deep
    data = b"[" * 100 + b"1" + b"]" * 100 + b" TJ " + b"<<" * 100 + b">>" * 100 + b" BDC 0 g"
    (array, _), (_, bdc), (gray, g) = read_all(data)
    # Then what is deeper than MAX_DEPTH is dropped, the rest reads as before
    depth = 0
    while array:
        array, depth = array[0], depth + 1
    assert depth == MAX_DEPTH
    assert (bdc, gray, g) == ("BDC", [0], "g")


def test_a_megabyte_of_open_brackets_neither_recurses_nor_raises():
    for opener in (b"[", b"<<", b"[{<<"):
        data = opener * (1_000_000 // len(opener)) + b" 0 g"
        found: list[tuple[list, str]] = []
        assert cpu(lambda data=data, found=found: found.extend(operations(data))) < 1.0
        assert found == []  # unclosed: the rest is inside the array


# --- fuzz: never raises, linear time -----------------------------------------------------

WHITE = b"\x00\t\n\x0c\r "
SOUP = [
    b"1",
    b"-2.5",
    b".5",
    b"3.",
    b"99999999999999999999999",
    b"/N",
    b"/A#20B",
    b"/#zz",
    b"(s)",
    b"(a(b)c)",
    b"(x\\))",
    b"<41 42>",
    b"<4\x001>",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"{",
    b"}",
    b"k",
    b"re",
    b"f*",
    b"'",
    b'"',
    b"true",
    b"null",
    b"%c\n",
    b"Q",
    b"cm",
    b"Tj",
    b")",
    b">",
    b"<",
    b"(",
    b"\\",
    b"x1",
    b"1.2.3",
    b"BI",
    b"ID",
    b"EI",
    b"/L",
    b"/W",
    b"/F",
    b"\xff\xd8",
]


def _repeat(rng: random.Random, size: int, piece: Callable[[random.Random], bytes]) -> bytes:
    parts, total = [], 0
    while total < size:
        part = piece(rng)
        parts.append(part)
        total += len(part)
    return b"".join(parts)[:size]


def _soup(rng: random.Random) -> bytes:
    return rng.choice(SOUP) + rng.choice([b" ", b"", b"\n", b"\x00"])


def _white(rng: random.Random) -> bytes:
    if rng.random() < 0.001:
        return b"/GS0 gs 1 0 0 1 0 0 cm"
    return bytes(rng.choice(WHITE) for _ in range(rng.randint(1, 50))) * rng.randint(1, 100)


def _inline(rng: random.Random) -> bytes:
    length = rng.choice([b"-1", b"1e9", b"99999999999", b"2.5", b"/X", b"3", b"0", b"7"])
    settings = rng.choice(
        [b"/W 2 /H 2 /BPC 8 /CS /G", b"/W 9 /F /AHx", b"/IM true /W 7 /H 3", b"/W 1 /CS /CS0"]
    )
    pixels = rng.randbytes(rng.randint(0, 12))
    end = rng.choice([b"EI", b" EI ", b"EI Q", b"", b"EIx"])
    return b"BI " + settings + b" /L " + length + b" ID " + pixels + end + b" 0 g "


#: Hostile streams of a given size: each kind a generator of one ``random.Random``.
STREAMS: dict[str, Callable[[random.Random, int], bytes]] = {
    "random bytes": lambda rng, n: rng.randbytes(n),
    "token soup": lambda rng, n: _repeat(rng, n, _soup),
    "white space runs": lambda rng, n: _repeat(rng, n, _white),
    "comment runs": lambda rng, n: _repeat(rng, n, lambda r: b"%" * r.randint(1, 9) + b"\r"),
    "unbalanced (": lambda rng, n: _repeat(rng, n, lambda r: b"(" + b"x\\" * r.randint(0, 3)),
    "unbalanced <": lambda rng, n: _repeat(rng, n, lambda r: b"<" + b"0a " * r.randint(0, 3)),
    "BI without ID": lambda rng, n: _repeat(rng, n, lambda r: b"BI /W 1 " * r.randint(1, 3)),
    "inline images": lambda rng, n: _repeat(rng, n, _inline),
    "EI everywhere": lambda rng, n: b"BI /F /X ID " + _repeat(rng, n, lambda r: b"EI )"),
    "deep [": lambda rng, n: _repeat(rng, n, lambda r: b"[" * r.randint(1, 200) + b"1 "),
    "number runs": lambda rng, n: _repeat(rng, n, lambda r: str(r.random()).encode() + b" "),
    "long numbers": lambda rng, n: _repeat(rng, n, lambda r: b"7" * r.randint(1, 9000) + b" "),
}


@pytest.mark.parametrize("seed", range(300))
def test_random_short_streams_never_raise(seed):
    rng = random.Random(seed)
    for make in STREAMS.values():
        for operands, operator in operations(make(rng, rng.randint(0, 400))):
            assert isinstance(operands, list) and isinstance(operator, str)


@pytest.mark.parametrize("kind", list(STREAMS))
def test_reading_time_is_linear_in_the_length(kind):
    make = STREAMS[kind]
    small, large = make(random.Random(1), 32_768), make(random.Random(1), 8 * 32_768)
    # Given the least of three runs at n and at 8n
    at_n = cpu(lambda: read_through(small), runs=3)
    at_8n = cpu(lambda: read_through(large), runs=3)
    # Then 8 times the data takes no more than 3 times 8 times the time (not 64)
    assert at_8n < 24 * max(at_n, 0.002), (at_n, at_8n)


@pytest.mark.parametrize("kind", list(STREAMS))
def test_a_hostile_megabyte_reads_within_a_second(kind):
    data = STREAMS[kind](random.Random(2), 1 << 20)
    assert cpu(lambda: read_through(data), runs=3) < 1.0
