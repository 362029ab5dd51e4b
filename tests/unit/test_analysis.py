"""The analysis rules of DOMAIN.md and every rejection code, on generated Signa-like PDFs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfWriter

from pipeline.config import config_from_dict
from pipeline.errors import RejectedFile
from pipeline.pdf.analysis import (
    Analysis,
    OutputterResult,
    PressResult,
    analyze,
    count_plates,
    detect_outputter,
    detect_press,
    order_and_job,
    read_sheets,
    validate,
)
from testkit.samples import (
    CMYK,
    Mark,
    Sheet,
    machine_mark,
    old_outputter_mark,
    outputter_mark,
    paper_mark,
    signa_sheet,
    write_signa_pdf,
)
from tests.fixtures import BASE_CONFIG

SPOT = ("Cyan", "Magenta", "Yellow", "PANTONE Warm Red C")
#: A Speedmaster plate in points, landscape.
SPEEDMASTER_BOX = "[0 0 2919.685 2182.677]"


@pytest.fixture
def signa_pdf(tmp_path: Path):
    """Write sheets as a Signa PDF named ``name`` in tmp_path and return its path."""

    def write(name: str = "0537_Technoyug_Flier_Leonov.pdf", sheets=None, **kwargs) -> Path:
        return write_signa_pdf(tmp_path / name, sheets or [signa_sheet()], **kwargs)

    return write


def raw_pdf(path: Path, objects: list[str]) -> Path:
    """A PDF from object bodies (object 1 is the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    path.write_bytes(bytes(out))
    return path


def page_tree(kids: str, count: int, *pages: str) -> list[str]:
    return [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
        *pages,
    ]


def plain_page(box: str = SPEEDMASTER_BOX) -> str:
    return f"<< /Type /Page /Parent 2 0 R /MediaBox {box} >>"


def rejection(path: Path, config) -> RejectedFile:
    with pytest.raises(RejectedFile) as caught:
        validate(path, config)
    return caught.value


# --- the issue's example --------------------------------------------------------------------


def test_the_issue_example_gives_the_issue_json(signa_pdf, config):
    # Given the issue's two-sheet job: CMYK, then CMY + a spot colour with spaces
    path = signa_pdf(sheets=[signa_sheet(), signa_sheet(colorants=SPOT)])

    # When it is analysed
    result = json.loads(analyze(path, config).to_json())

    # Then the JSON is exactly the issue's
    assert result == {
        "file": "0537_Technoyug_Flier_Leonov.pdf",
        "ok": True,
        "errors": [],
        "warnings": [],
        "creator": "PrinectSignaStation 2015.0",
        "signa": True,
        "pages": 2,
        "order": "0537",
        "job_name": "Technoyug_Flier",
        "press": "Speedmaster",
        "press_source": "mark",
        "outputter": "Leonov",
        "outputter_source": "mark",
        "plates": 8,
        "separations": {
            "1": ["Cyan", "Magenta", "Yellow", "Black"],
            "2": ["Cyan", "Magenta", "Yellow", "PANTONE Warm Red C"],
        },
        "plate_mm": {"1": [1030, 770], "2": [1030, 770]},
        "paper_mm": {"1": [900, 640], "2": [900, 640]},
    }


# --- valid input ----------------------------------------------------------------------------


def test_signa_creator_is_recognised(signa_pdf, config):
    # Given a file written by Signa
    # When it is validated
    facts = validate(signa_pdf(), config)
    # Then creator, Signa flag and page count are read, with no warning
    assert (facts.creator, facts.signa, facts.pages, facts.warnings) == (
        "PrinectSignaStation 2015.0",
        True,
        1,
        [],
    )


def test_non_signa_pdf_is_accepted_with_a_warning(signa_pdf, config):
    # Given a PDF from another program
    path = signa_pdf(creator="Adobe InDesign 19.0")
    # When it is validated
    facts = validate(path, config)
    # Then it passes, flagged as not Signa
    assert facts.signa is False
    assert "not made by Prinect Signa Station" in facts.warnings[0]


@pytest.mark.parametrize("name", ["0537_Job_Leonov.PDF", "0537_Job_Leonov.Pdf"])
def test_extension_is_checked_ignoring_case(signa_pdf, config, name):
    # Given a good PDF whose extension is in capitals
    # When it is analysed
    result = analyze(signa_pdf(name), config)
    # Then it is accepted
    assert result.ok, result.errors


def test_wrong_extension_is_not_pdf(signa_pdf, config):
    # Given a good PDF named .txt
    path = signa_pdf("0537_Job_Leonov.txt")
    # Then it is rejected as not_pdf, naming the file
    error = rejection(path, config)
    assert error.code == "not_pdf" and "0537_Job_Leonov.txt" in error.message


def test_empty_file_is_rejected(tmp_path, config):
    # Given a zero-byte file
    path = tmp_path / "0537_Job_Leonov.pdf"
    path.write_bytes(b"")
    # Then the code is empty_file
    assert rejection(path, config).code == "empty_file"


def test_jpeg_named_pdf_is_not_pdf(tmp_path, config):
    # Given a JPEG named .pdf
    from PIL import Image

    path = tmp_path / "photo_Leonov.pdf"
    Image.new("RGB", (8, 8)).save(path, "JPEG")
    # Then the code is not_pdf
    assert rejection(path, config).code == "not_pdf"


def test_half_copied_file_is_damaged(signa_pdf, config):
    # Given a good file cut in the middle
    path = signa_pdf()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    # Then the code is damaged_pdf and the message says to copy again
    error = rejection(path, config)
    assert error.code == "damaged_pdf" and "copy it again" in error.message


def test_cut_file_with_a_tail_glued_on_is_damaged(signa_pdf, config):
    # Given a file whose middle is missing but whose xref and %%EOF survived
    path = signa_pdf(sheets=[signa_sheet()] * 2)
    data = path.read_bytes()
    xref = data.rindex(b"\nxref\n")
    path.write_bytes(data[: xref // 2] + data[xref:])
    # Then objects point past the end or cannot be found: damaged_pdf
    assert rejection(path, config).code == "damaged_pdf"


def test_password_protected_file_is_encrypted(signa_pdf, config, tmp_path):
    # Given a Signa file protected by an open password
    path = encrypted_copy(signa_pdf(), tmp_path / "0537_Secret_Leonov.pdf", user="secret")
    # Then the code is encrypted
    error = rejection(path, config)
    assert error.code == "encrypted" and "password" in error.message


def test_empty_user_password_is_opened(signa_pdf, config, tmp_path):
    # Given a file encrypted only with an owner password (opens without asking)
    path = encrypted_copy(signa_pdf(), tmp_path / "0537_Owner_Leonov.pdf", user="")
    # When it is analysed
    result = analyze(path, config)
    # Then it is read like any other
    assert result.ok and result.plates == 4 and result.press == "Speedmaster"


def encrypted_copy(source: Path, target: Path, user: str) -> Path:
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password=user, owner_password="owner", algorithm="RC4-128")
    with open(target, "wb") as stream:
        writer.write(stream)
    return target


def test_page_tree_loop_is_damaged(tmp_path, config):
    # Given a page tree whose Kids contain the tree itself
    path = raw_pdf(tmp_path / "loop_Leonov.pdf", page_tree("2 0 R 3 0 R", 2, plain_page()))
    # Then the code is damaged_pdf
    assert rejection(path, config).code == "damaged_pdf"


def test_reference_loop_is_damaged(tmp_path, config):
    # Given a MediaBox that is a reference to a reference to itself
    objects = page_tree(
        "3 0 R", 1, "<< /Type /Page /Parent 2 0 R /MediaBox 4 0 R >>", "5 0 R", "4 0 R"
    )
    path = raw_pdf(tmp_path / "refloop_Leonov.pdf", objects)
    # Then the code is damaged_pdf
    assert rejection(path, config).code == "damaged_pdf"


def test_missing_page_object_is_damaged(tmp_path, config):
    # Given a page tree naming a page object that does not exist
    path = raw_pdf(tmp_path / "gap_Leonov.pdf", page_tree("3 0 R 9 0 R", 2, plain_page()))
    # Then the job is not passed with a sheet missing
    error = rejection(path, config)
    assert error.code == "damaged_pdf" and "declares 2 pages but 1" in error.message


def test_huge_declared_page_count_is_rejected_at_once(tmp_path, config):
    # Given a page tree declaring far more pages than analysis.max_pages
    path = raw_pdf(tmp_path / "huge_Leonov.pdf", page_tree("3 0 R", 10**8, plain_page()))
    # Then it is rejected, naming the limit
    error = rejection(path, config)
    assert error.code == "damaged_pdf" and "max_pages" in error.message


def test_more_pages_than_max_pages_is_rejected(tmp_path):
    # Given a limit of 3 pages and a file with 5
    config = config_from_dict(dict(BASE_CONFIG, analysis={"max_pages": 3}))
    kids = " ".join(f"{n} 0 R" for n in range(3, 8))
    path = raw_pdf(tmp_path / "many_Leonov.pdf", page_tree(kids, 5, *[plain_page()] * 5))
    # Then the code is damaged_pdf
    assert rejection(path, config).code == "damaged_pdf"


def test_broken_xref_offsets_are_repaired_to_a_correct_result(tmp_path, config):
    # Given a file whose xref offsets are all wrong (the objects themselves are intact)
    good = raw_pdf(tmp_path / "good.pdf", page_tree("3 0 R", 1, plain_page())).read_bytes()
    start = good.index(b"xref\n")
    broken = (
        good[:start]
        + b"xref\n0 4\n0000000000 65535 f \n"
        + b"0000000001 00000 n \n" * 3
        + f"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
    )
    path = tmp_path / "0537_Xref_Leonov.pdf"
    path.write_bytes(broken)
    # When it is analysed
    result = analyze(path, config)
    # Then the repaired structure gives the right press
    assert result.press == "Speedmaster" and result.press_source == "plate_size"


def test_page_without_mediabox_is_damaged(tmp_path, config):
    path = raw_pdf(
        tmp_path / "nobox_Leonov.pdf", page_tree("3 0 R", 1, "<< /Type /Page /Parent 2 0 R >>")
    )
    assert rejection(path, config).code == "damaged_pdf"


def test_analyze_never_raises_for_bad_input(tmp_path, config):
    # Given a missing file and a directory named .pdf
    (tmp_path / "folder.pdf").mkdir()
    for path in (tmp_path / "missing_Leonov.pdf", tmp_path / "folder.pdf"):
        # When they are analysed
        result = analyze(path, config)
        # Then each is rejected, not raised
        assert not result.ok and result.errors[0]["code"] in {
            "damaged_pdf",
            "not_pdf",
            "not_regular_file",
        }


# --- press ----------------------------------------------------------------------------------


def test_press_comes_from_the_machine_mark(signa_pdf, config):
    path = signa_pdf(sheets=[signa_sheet(press="Planeta", plate_mm=(1010, 820))])
    assert detect_press(path, config) == PressResult("Planeta", "mark", {}, [])


def test_unknown_press_in_mark_lists_the_configured_presses(signa_pdf, config):
    # Given a mark naming a press that is not configured (no guessing from the plate)
    path = signa_pdf(sheets=[signa_sheet(press="Heidelberg")])
    # When the press is detected
    with pytest.raises(RejectedFile) as caught:
        detect_press(path, config)
    # Then unknown_press, naming what was found and what is configured
    assert caught.value.code == "unknown_press"
    for word in ("'Heidelberg'", "Speedmaster", "Planeta", "Dominant"):
        assert word in caught.value.message


def test_press_match_is_exact(signa_pdf, config):
    path = signa_pdf(sheets=[signa_sheet(press="speedmaster")])
    with pytest.raises(RejectedFile, match="speedmaster"):
        detect_press(path, config)


@pytest.mark.parametrize("plate", [(650, 550), (550, 650)])
def test_press_from_plate_size_without_mark_any_orientation(signa_pdf, config, plate):
    # Given a sheet without Machine mark, landscape or portrait Dominant plate
    path = signa_pdf(sheets=[signa_sheet(press=None, plate_mm=plate, paper_mm=None)])
    # When the press is detected
    press = detect_press(path, config)
    # Then the plate size decides
    assert (press.press, press.source) == ("Dominant", "plate_size")


def test_empty_machine_mark_falls_back_to_plate_size(signa_pdf, config):
    sheet = Sheet(plate_mm=(1010, 820), marks=[Mark("Machine", ""), outputter_mark("Leonov")])
    press = detect_press(signa_pdf(sheets=[sheet]), config)
    assert (press.press, press.source) == ("Planeta", "plate_size")


def test_no_mark_and_unknown_plate_is_press_undetected(signa_pdf, config):
    path = signa_pdf(sheets=[signa_sheet(press=None, plate_mm=(700, 500), paper_mm=None)])
    with pytest.raises(RejectedFile) as caught:
        detect_press(path, config)
    assert caught.value.code == "press_undetected"
    assert "700x500" in caught.value.message and "Speedmaster (1030x770 mm)" in caught.value.message


def test_pages_for_another_press_are_reported(signa_pdf, config):
    # Given page 1 for Speedmaster, page 2 for Dominant, page 3 again Speedmaster
    sheets = [signa_sheet(), signa_sheet(press="Dominant", plate_mm=(650, 550)), signa_sheet()]
    # When the press is detected
    press = detect_press(signa_pdf(sheets=sheets), config)
    # Then page 1 decides and page 2 is reported with a warning
    assert press.press == "Speedmaster" and press.other_pages == {2: "Dominant"}
    assert "page 2 is for Dominant" in press.warnings[0]


def test_page_one_decides_even_when_later_marks_are_missing(signa_pdf, config):
    # Given marks only on page 1; page 2 is a bare Speedmaster plate
    sheets = [signa_sheet(), Sheet(plate_mm=(1030, 770))]
    press = detect_press(signa_pdf(sheets=sheets), config)
    assert press == PressResult("Speedmaster", "mark", {}, [])


# --- plates ---------------------------------------------------------------------------------


def test_plates_are_the_sum_of_colorant_names(signa_pdf, config):
    # Given CMYK, CMYK + spot with spaces, and a one-colour sheet
    sheets = [
        signa_sheet(),
        signa_sheet(colorants=(*CMYK, "PANTONE 246 C")),
        signa_sheet(colorants=("Black",)),
    ]
    # When the plates are counted
    plates = count_plates(signa_pdf(sheets=sheets), config)
    # Then one plate per colorant name, spaces decoded from #20
    assert plates.plates == 10
    assert plates.separations[2][-1] == "PANTONE 246 C"


def colorant_page(entries: str) -> str:
    """A Speedmaster page whose Signa colorant list is ``entries`` (PDF syntax)."""
    return (
        f"<< /Type /Page /Parent 2 0 R /MediaBox {SPEEDMASTER_BOX} /PieceInfo << /HDAG_COLORANT "
        f"<< /Private << /HDAG_ColorantNames [{entries}] >> >> >> >>"
    )


def test_only_name_entries_of_the_colorant_list_are_plates(tmp_path, config):
    # Given a list with a number, a string and a dictionary among names (one of them indirect)
    page = colorant_page("/Cyan 5 (Magenta) << /N 1 >> /Black 4 0 R")
    path = raw_pdf(tmp_path / "0537_Job_Leonov.pdf", [*page_tree("3 0 R", 1, page), "/Yellow"])
    # When the plates are counted
    plates = count_plates(path, config)
    # Then only the names are plates: Cyan, Black and the referenced Yellow
    assert plates.plates == 3
    assert plates.separations == {1: ["Cyan", "Black", "Yellow"]}


def test_an_absurd_colorant_list_is_counted_with_a_warning_and_kept_short(tmp_path, config):
    # Given one sheet side listing 100 separations
    page = colorant_page(" ".join(f"/Spot{n}" for n in range(100)))
    path = raw_pdf(tmp_path / "0537_Job_Leonov.pdf", page_tree("3 0 R", 1, page))
    # When the plates are counted
    plates = count_plates(path, config)
    # Then the count is what the list says, said loudly, and only 64 names are kept
    assert plates.plates == 100
    assert len(plates.separations[1]) == 64 and plates.separations[1][0] == "Spot0"
    assert any("page 1 lists 100 separations" in w for w in plates.warnings)


def test_sixty_four_separations_are_no_warning(tmp_path, config):
    page = colorant_page(" ".join(f"/Spot{n}" for n in range(64)))
    path = raw_pdf(tmp_path / "0537_Job_Leonov.pdf", page_tree("3 0 R", 1, page))
    plates = count_plates(path, config)
    assert plates.plates == 64 and len(plates.separations[1]) == 64
    assert not any("separations, more than" in w for w in plates.warnings)


def test_non_signa_file_has_unknown_plate_count(signa_pdf, config):
    # Given a file without Signa colorant lists
    path = signa_pdf(sheets=[Sheet(signa=False)], creator="Adobe Acrobat")
    # When the plates are counted
    plates = count_plates(path, config)
    # Then the count is unknown (not zero) and said so
    assert plates.plates is None and "plate count unknown" in plates.warnings[0]


def test_resaved_signa_file_still_counts_its_plates(signa_pdf, config, tmp_path):
    # Given a Signa file saved again by another program (the colorant lists survive)
    source = signa_pdf()
    target = tmp_path / "0537_Resaved_Leonov.pdf"
    writer = PdfWriter(clone_from=str(source))
    writer.add_metadata({"/Creator": "Acrobat"})
    with open(target, "wb") as stream:
        writer.write(stream)
    # When analysed
    result = analyze(target, config)
    # Then the plates still count, with a warning about the creator
    assert result.plates == 4 and result.signa is False and result.ok


# --- outputter ------------------------------------------------------------------------------


def test_outputter_from_mark_in_configured_spelling(signa_pdf, config):
    path = signa_pdf("0537_Job.pdf", sheets=[signa_sheet(outputter="KOROL")])
    assert detect_outputter(path, config) == OutputterResult("Korol", "mark", [])


def test_outputter_from_filename_when_mark_missing(signa_pdf, config):
    path = signa_pdf("0537_Job_leonov.pdf", sheets=[signa_sheet(outputter=None)])
    assert detect_outputter(path, config) == OutputterResult("Leonov", "filename", [])


def test_unknown_outputter_mark_falls_back_to_filename_with_warning(signa_pdf, config):
    path = signa_pdf("0537_Job_Korol.pdf", sheets=[signa_sheet(outputter="Nobody")])
    result = detect_outputter(path, config)
    assert (result.outputter, result.source) == ("Korol", "filename")
    assert "'Nobody'" in result.warnings[0]


def test_empty_outputter_mark_falls_back_to_filename(signa_pdf, config):
    sheet = Sheet(marks=[machine_mark("Speedmaster"), Mark("Outputter", "Выведено: ")])
    result = detect_outputter(signa_pdf("0537_Job_Admin.pdf", sheets=[sheet]), config)
    assert (result.outputter, result.source) == ("Admin", "filename")


def test_outputter_mark_missing_on_page_one_is_found_on_a_later_page(signa_pdf, config):
    sheets = [signa_sheet(outputter=None), signa_sheet(outputter="Leonov")]
    result = detect_outputter(signa_pdf("0537_Job.pdf", sheets=sheets), config)
    assert (result.outputter, result.source) == ("Leonov", "mark")


def test_no_outputter_anywhere_is_outputter_undetected(signa_pdf, config):
    path = signa_pdf("0537_Job.pdf", sheets=[signa_sheet(outputter=None)])
    with pytest.raises(RejectedFile) as caught:
        detect_outputter(path, config)
    assert caught.value.code == "outputter_undetected"
    assert "Leonov, Korol, Admin, Vonoel" in caught.value.message


# --- marks, paper, old Signa ----------------------------------------------------------------


def test_old_tes_outputter_mark_gives_press_outputter_and_paper(signa_pdf, config):
    # Given the single mark of older Signa versions
    sheet = Sheet(marks=[old_outputter_mark("Vonoel", "Dominant", 600, 450)], plate_mm=(650, 550))
    # When analysed
    result = analyze(signa_pdf("0700_Old.pdf", sheets=[sheet]), config)
    # Then all three facts come from it
    assert (result.press, result.press_source) == ("Dominant", "mark")
    assert (result.outputter, result.outputter_source) == ("Vonoel", "mark")
    assert result.paper_mm == {1: (600.0, 450.0)}


@pytest.mark.parametrize("comma", [True, False])
def test_paper_accepts_decimal_comma_and_point(signa_pdf, config, comma):
    sheet = Sheet(marks=[paper_mark(720.5, 510, comma=comma)])
    [facts] = read_sheets(signa_pdf(sheets=[sheet]), config)
    assert facts.paper_mm == (720.5, 510.0)


def test_paper_unknown_without_mark(signa_pdf, config):
    sheets = [signa_sheet(), signa_sheet(paper_mm=None)]
    result = analyze(signa_pdf(sheets=sheets), config)
    assert json.loads(result.to_json())["paper_mm"] == {"1": [900, 640], "2": None}


def test_sheet_facts_keep_every_mark_text(signa_pdf, config):
    [facts] = read_sheets(signa_pdf(), config)
    assert facts.marks == {
        "Machine": "Машина: Speedmaster",
        "Outputter": "Выведено: Leonov",
        "Paper": "Бумага: 900,0 x 640,0",
    }
    assert (facts.press, facts.outputter, facts.plate_mm) == ("Speedmaster", "Leonov", (1030, 770))


def test_configured_mark_table_reads_new_mark_names(signa_pdf, tmp_path):
    # Given a future mark name added through configuration
    raw = dict(BASE_CONFIG, marks={"Press2030": {"pattern": r"on (?P<press>\w+)"}})
    config = config_from_dict(raw)
    sheet = Sheet(plate_mm=(650, 550), marks=[Mark("Press2030", "printed on Speedmaster")])
    # When the press is detected
    press = detect_press(signa_pdf(sheets=[sheet]), config)
    # Then the configured pattern found it (the plate size alone says Dominant)
    assert (press.press, press.source) == ("Speedmaster", "mark")


def test_mark_pages_are_read_without_touching_page_content(signa_pdf, config):
    # Given a heavily drawn sheet
    path = signa_pdf(sheets=[signa_sheet(vector_objects=3000)])
    # When it is read, then its marks come out as usual (content is never interpreted)
    assert read_sheets(path, config)[0].press == "Speedmaster"


# --- order, job name, hostile names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("0537_Technoyug_Flier_Leonov.pdf", ("0537", "Technoyug_Flier")),
        ("0601_Flier_korol.PDF", ("0601", "Flier")),
        ("Flier_Leonov.pdf", (None, "Flier")),
        ("0602_Каталог (весна) $1;2_Leonov.pdf", ("0602", "Каталог (весна) $1;2")),
        ("0700_Leonov_Poster.pdf", ("0700", "Poster")),
    ],
)
def test_order_and_job(config, name, expected):
    assert order_and_job(name, config) == expected


@pytest.mark.parametrize(
    "name",
    [
        "0800_Каталог весна_Leonov.pdf",
        "0801_$(rm -rf ~)_Leonov.pdf",
        "0802_a;b&c_Leonov.pdf",
        "0803_it's_`id`_Leonov.pdf",
    ],
)
def test_hostile_names_are_plain_data(signa_pdf, config, name):
    # Given a good file with a hostile name
    result = analyze(signa_pdf(name), config)
    # Then it is analysed like any other and the name is kept as it is
    assert result.ok and result.file == name and result.outputter == "Leonov"


# --- stored results -------------------------------------------------------------------------


def test_every_result_survives_a_round_trip_through_json(signa_pdf, config):
    # Given every result of a two-press, two-page job
    path = signa_pdf(
        sheets=[signa_sheet(), signa_sheet(press="Dominant", plate_mm=(650, 550), colorants=SPOT)]
    )
    results = [
        validate(path, config),
        detect_press(path, config),
        count_plates(path, config),
        detect_outputter(path, config),
        analyze(path, config),
        *read_sheets(path, config),
    ]
    for result in results:
        # When stored as JSON and loaded back
        stored = json.loads(json.dumps(result.as_dict()))
        # Then it is equal to the original
        assert type(result).from_dict(stored) == result


def test_analysis_from_dict_keeps_int_page_keys(signa_pdf, config):
    result = Analysis.from_dict(analyze(signa_pdf(), config).as_dict())
    assert result.plate_mm == {1: (1030, 770)} and result.separations[1] == list(CMYK)
