"""Remote names, folders and SMS texts from the configured templates."""

from __future__ import annotations

import pytest

from pipeline.config import Config, Outputter
from pipeline.delivery.naming import (
    ink_string,
    placeholders,
    remote_dir,
    remote_name,
    safe_remote_name,
    sms_text,
    stem_without_outputter,
)
from pipeline.errors import ConfigError

KOROL_INKS = ["Cyan", "Magenta", "PANTONE Reflex Blue C", "PANTONE 246 C"]


def korol_values(colorants: list[str] = KOROL_INKS, plates: int | None = 10) -> dict:
    return placeholders(
        filename="0601_Flier_Korol.pdf",
        order="0601",
        job="Flier",
        press="Speedmaster",
        outputter="Korol",
        plates=plates,
        plate_mm=(1030.0, 770.0),
        colorants=colorants,
    )


@pytest.mark.parametrize(
    ("colorants", "expected"),
    [
        (KOROL_INKS, "CM-ReflexBlueC-246C"),
        (["Cyan", "Magenta", "Yellow", "Black"], ""),
        (["Black", "Yellow", "Magenta", "Cyan"], ""),
        (["Black", "Cyan"], "CK"),
        (["Cyan", "Magenta", "Yellow", "Black", "PANTONE Warm Red C"], "CMYK-WarmRedC"),
        (["PANTONE 246 C", "Black"], "K-246C"),
        (["pantone Reflex Blue C", "PANTONE Reflex Blue C"], "ReflexBlueC"),
        (["Varnish"], "Varnish"),
    ],
)
def test_ink_string(colorants, expected):
    # Given the colorant names of page 1
    # When the ink string is made
    # Then CMYK initials come in CMYK order, spots follow without spaces or "PANTONE"
    assert ink_string(colorants) == expected


def test_stem_drops_the_outputter_part_in_any_case():
    assert stem_without_outputter("0601_Flier_Korol.pdf", "Korol") == "0601_Flier"
    assert stem_without_outputter("0601_korol_Flier.PDF", "Korol") == "0601_Flier"
    assert stem_without_outputter("Korol.pdf", "Korol") == "Korol"


def test_korol_filename_from_template(config: Config):
    # Given the Korol bureau with its filename template and a job with two spot colours
    korol = config.outputters["Korol"]
    # When the remote name is made
    name = remote_name(korol, korol_values())
    # Then it carries plate width, plate count and inks
    assert name == "0601_Flier_1030_10Plates_CM-ReflexBlueC-246C.pdf"


def test_korol_pure_cmyk_has_no_ink_part(config: Config):
    values = korol_values(["Cyan", "Magenta", "Yellow", "Black"], plates=8)
    assert remote_name(config.outputters["Korol"], values) == "0601_Flier_1030_8Plates.pdf"


def test_without_template_the_original_name_is_kept(config: Config):
    values = placeholders(
        filename="0537_Technoyug Flier_Leonov.pdf",
        order="0537",
        job="Technoyug Flier",
        press="Speedmaster",
        outputter="Leonov",
        plates=4,
        plate_mm=(1030, 770),
        colorants=[],
    )
    assert remote_name(config.outputters["Leonov"], values) == "0537_Technoyug Flier_Leonov.pdf"


def test_unsafe_characters_in_a_filled_template_are_replaced():
    # Given a template whose values contain a slash and an unknown plate count
    bureau = Outputter(name="X", filename="{job}_{plates}{ext}")
    values = korol_values(plates=None) | {"job": "a/b"}
    # Then the name stays one plain file name
    assert remote_name(bureau, values) == "a_b__.pdf"


def test_remote_dir_by_press(config: Config):
    leonov = config.outputters["Leonov"]
    assert remote_dir(leonov, "Planeta") == "_1010x820"
    assert remote_dir(leonov, "Unknown") == ""
    assert remote_dir(config.outputters["Korol"], "Speedmaster") == ""


def test_default_sms_text(config: Config):
    values = korol_values()
    assert sms_text(config.sms.template, values) == "0601 Flier 10->Speedmaster Korol"


def test_unknown_placeholder_is_a_config_error():
    with pytest.raises(ConfigError, match=r"sms.template.*\{nope\}"):
        sms_text("{nope}", korol_values())


def test_plate_size_in_names_is_the_press_plate_whatever_the_page_orientation(config: Config):
    # Given a Planeta job (1010 x 820 plate) whose page 1 MediaBox is portrait, 820 x 1010
    from models.job import Job
    from tasks.stages import _placeholders

    job = Job(
        name="0601_Flier_Korol.pdf",
        press="Planeta",
        outputter="Korol",
        plates=4,
        sheets=[{"number": 1, "plate_mm": [820, 1010]}],
        separations={"1": ["Cyan", "Magenta", "Yellow", "Black"]},
    )
    # When the Korol name is made
    name = remote_name(config.outputters["Korol"], _placeholders(job, config))
    # Then the width is the press's plate width
    assert name == "0601_Flier_1010_4Plates.pdf"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..",
        "a\\..\\b.pdf",
        "x\n\x1b[2J\x7f\x85.pdf",
        "0537_\udcdf_Leonov.pdf",
        ".hidden.pdf",
    ],
)
def test_remote_names_are_one_plain_file_name(config: Config, name: str) -> None:
    # Given a hostile original name and no filename template
    values = korol_values() | {"filename": name}
    # When the remote name is made
    remote = remote_name(config.outputters["Leonov"], values)
    # Then it has no separator, no "..", no control character and is not hidden
    assert "/" not in remote and "\\" not in remote and ".." not in remote
    assert remote.isprintable() and not remote.startswith(".")
    remote.encode("utf-8")  # no lone surrogate either


def test_a_long_name_is_shortened_with_a_stable_hash() -> None:
    # Given two 300-byte names that differ only at the end
    first, second = "Я" * 150 + "_1.pdf", "Я" * 150 + "_2.pdf"
    # When they are made remote names
    short1, short2 = safe_remote_name(first), safe_remote_name(second)
    # Then each fits 255 bytes with the ".<name>.<8 hex>.part" around it, keeps .pdf,
    # is the same every time and differs from the other
    for short in (short1, short2):
        assert len(f".{short}.12345678.part".encode()) <= 255 and short.endswith(".pdf")
    assert short1 == safe_remote_name(first) and short1 != short2
    assert safe_remote_name("ok name.pdf") == "ok name.pdf"
