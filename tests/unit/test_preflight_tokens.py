"""The content stream reader: operations whole, odd syntax, hostile bytes."""

from __future__ import annotations

import pytest

from pipeline.preflight.tokens import operations


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
