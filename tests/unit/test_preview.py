"""The preview: crop to the paper, proof and thumbnail, the press preview PDF, bad pages."""

from __future__ import annotations

import io
import json
import re
import shutil
import zlib
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject

from commands.cli import main
from pipeline.config import Config
from pipeline.config.shared import toml_text
from pipeline.errors import RejectedFile
from pipeline.preview.geometry import PT_PER_MM, SheetGeometry, crop_box, sheet_geometries
from pipeline.preview.presspdf import MAX_PAGE_PIXELS, image_needs
from pipeline.preview.raster import preview_scale
from pipeline.preview.render import (
    PROOF_PX,
    THUMB_PX,
    PreviewResult,
    render_preview,
    safe_key,
    spot_names,
)
from testkit.samples import Fill, Sheet, signa_sheet, write_signa_pdf
from tests.fixtures import DOMINANT, SMALL_SHOP

SPEEDMASTER = SheetGeometry(plate_mm=(1030, 770), paper_mm=(900, 640), gripper_mm=10)
PLATE_PT = (1030 * PT_PER_MM, 770 * PT_PER_MM)


def mm(box: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(round(v / PT_PER_MM, 3) for v in box)


def page_sizes(path: Path) -> list[tuple[float, float]]:
    with open(path, "rb") as stream:
        reader = pypdf.PdfReader(stream)
        return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


@pytest.fixture
def signa_pdf(tmp_path: Path) -> Path:
    """Two Speedmaster sheets with a 900 x 640 mm paper, the second with a spot colour."""
    return write_signa_pdf(
        tmp_path / "0537_Flier_Leonov.pdf",
        [signa_sheet(), signa_sheet(colorants=("Cyan", "Magenta", "PANTONE Warm Red C"))],
    )


# --- crop geometry -------------------------------------------------------------------------


def test_crop_box_centres_the_paper_above_the_gripper() -> None:
    # Given a 1030 x 770 mm plate, 900 x 640 mm paper and a 10 mm gripper
    # When the crop box is computed
    box = crop_box(*PLATE_PT, SPEEDMASTER)
    # Then the paper is centred horizontally and starts 10 mm above the plate's bottom edge
    assert box is not None
    assert mm(box) == pytest.approx((65, 10, 965, 650), abs=1e-6)


def test_crop_box_turns_a_paper_written_upright_to_the_plate() -> None:
    # Given the paper size written height first
    geometry = SheetGeometry((1030, 770), (640, 900), 10)
    # When the crop box is computed
    box = crop_box(*PLATE_PT, geometry)
    # Then the paper lies like the plate, as the only way it fits
    assert box is not None and mm(box) == pytest.approx((65, 10, 965, 650), abs=1e-6)


def test_portrait_page_of_a_landscape_plate_keeps_the_gripper_on_the_turned_edge() -> None:
    # Given a portrait page (770 x 1030 mm) of a press whose plate is 1030 x 770 mm
    # When the crop box is computed
    box = crop_box(PLATE_PT[1], PLATE_PT[0], SPEEDMASTER)
    # Then the crop is portrait; the plate is taken as turned a quarter clockwise, so the
    # gripper edge is the left edge and the paper is centred vertically
    assert box is not None
    assert mm(box) == pytest.approx((10, 65, 650, 965), abs=1e-6)


@pytest.mark.parametrize(
    "geometry",
    [
        SheetGeometry((1030, 770), None, 10),
        SheetGeometry((1030, 770), (1100, 700), 10),
        SheetGeometry((1030, 770), (900, 765), 10),  # fits the plate, not above the gripper
    ],
)
def test_no_paper_or_a_paper_that_does_not_fit_gives_no_crop(geometry: SheetGeometry) -> None:
    # Given a geometry without paper or with a paper the plate cannot hold
    # When the crop box is computed
    # Then there is none: the caller crops to the content
    assert crop_box(*PLATE_PT, geometry) is None


# --- the artefacts -------------------------------------------------------------------------


def test_proof_thumbnail_and_press_pdf_show_the_paper(signa_pdf: Path, tmp_path: Path) -> None:
    # Given a two-sheet Signa file and its geometries
    # When the preview is rendered
    result = render_preview(
        signa_pdf,
        [SPEEDMASTER, SPEEDMASTER],
        tmp_path / "previews",
        "17_0537_Flier_Leonov",
        year=2026,
        ink=False,
    )
    # Then the artefacts are stored by year under the job's key
    folder = tmp_path / "previews" / "2026"
    assert result.proof == folder / "17_0537_Flier_Leonov_proof.jpg"
    assert result.thumbnail == folder / "17_0537_Flier_Leonov_thumb.jpg"
    assert result.preview_pdf == folder / "17_0537_Flier_Leonov_preview.pdf"
    # and the proof and thumbnail have the paper's aspect at their long-side sizes
    with Image.open(result.proof) as proof, Image.open(result.thumbnail) as thumb:
        assert proof.size == (PROOF_PX, round(PROOF_PX * 640 / 900))
        assert max(thumb.size) == THUMB_PX
        assert thumb.size[0] / thumb.size[1] == pytest.approx(900 / 640, rel=0.01)
        # the paper is filled (the sample inks it), so the proof is not white at its corners
        assert proof.getpixel((2, 2)) != (255, 255, 255)
    # and the press PDF reopens with one paper-sized page per sheet
    assert (
        page_sizes(result.preview_pdf)
        == [pytest.approx((900 * PT_PER_MM, 640 * PT_PER_MM), abs=0.01)] * 2
    )
    assert result.warnings == [] and result.ink_coverage is None
    assert not list(folder.glob("*.part"))


def test_press_pdf_keeps_the_pages_content(signa_pdf: Path, tmp_path: Path) -> None:
    # Given a two-sheet Signa file with text marks, vector fills and a spot colour sheet
    # When the preview is rendered
    result = render_preview(signa_pdf, [SPEEDMASTER, SPEEDMASTER], tmp_path, "1_vec", ink=False)
    # Then the press PDF pages are the job's own: text extractable, no picture of the page,
    # the colorants Signa wrote still there, and every box is the paper
    with open(result.preview_pdf, "rb") as stream:
        reader = pypdf.PdfReader(stream)
        first = reader.pages[0]
        assert "Машина: Speedmaster" in first.extract_text()
        assert not first.images
        assert b" re f" in first.get_contents().get_data()
        names = reader.pages[1]["/PieceInfo"]["/HDAG_COLORANT"]["/Private"]["/HDAG_ColorantNames"]
        assert list(names) == ["/Cyan", "/Magenta", "/PANTONE Warm Red C"]
        paper = mm((65 * PT_PER_MM, 10 * PT_PER_MM, 965 * PT_PER_MM, 650 * PT_PER_MM))
        for box in (first.mediabox, first.cropbox, first.trimbox):
            assert mm(tuple(float(v) for v in box)) == pytest.approx(paper, abs=1e-3)
    assert result.warnings == []


def photo_pdf(path: Path, image_px: tuple[int, int]) -> Path:
    """A Speedmaster sheet with a CMYK JPEG photo on 250 x 180 mm at (100, 100) mm."""
    return write_signa_pdf(path, [signa_sheet(image_px=image_px, image_mm=(100, 100, 250, 180))])


def placed_dpi(pixels: int, placed_mm: float) -> float:
    return pixels / (placed_mm / 25.4)


def press_image(path: Path) -> tuple[int, int, str]:
    """Width, height and filter of the photo on page 1 of a press PDF."""
    with open(path, "rb") as stream:
        image = pypdf.PdfReader(stream).pages[0]["/Resources"]["/XObject"]["/pssPO1_img"]
        return int(image["/Width"]), int(image["/Height"]), str(image["/Filter"])


def test_press_pdf_images_are_resampled_to_150_dpi_at_their_placed_size(tmp_path: Path) -> None:
    # Given a 3000 x 2200 px photo placed on 250 x 180 mm (about 305 dpi)
    source = photo_pdf(tmp_path / "photo.pdf", (3000, 2200))
    # When the preview is rendered
    result = render_preview(source, [SPEEDMASTER], tmp_path, "1_photo", ink=False)
    # Then the photo is a JPEG of about 150 dpi at its placed size (libjpeg's half-scale
    # decoding is kept when it lands within 0.95 to 1.25 x the target), and the file is small
    width, height, kind = press_image(result.preview_pdf)
    assert 142 <= placed_dpi(width, 250) <= 150 * 1.25
    assert height == pytest.approx(2200 * width / 3000, abs=1)  # pixels stay square
    assert kind == "/DCTDecode"
    assert result.preview_pdf.stat().st_size < 600_000 < source.stat().st_size


def test_press_pdf_copies_an_image_close_to_150_dpi(tmp_path: Path) -> None:
    # Given a 1600 x 1150 px photo on 250 x 180 mm (about 163 dpi: not worth a resample)
    source = photo_pdf(tmp_path / "photo.pdf", (1600, 1150))
    # When the preview is rendered
    result = render_preview(source, [SPEEDMASTER], tmp_path, "1_photo", ink=False)
    # Then the photo is copied as it was
    assert press_image(result.preview_pdf)[:2] == (1600, 1150)


def region_mean(path: Path, box_mm: tuple[float, float, float, float]) -> list[float]:
    """Mean RGB of PDFium's render of ``box_mm`` (left, bottom, right, top) of page 1."""
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        width, height = page.get_size()
        left, bottom, right, top = (v * PT_PER_MM for v in box_mm)
        bitmap = page.render(scale=30 / 72, crop=(left, bottom, width - right, height - top))
        mean = ImageStat.Stat(bitmap.to_pil().convert("RGB")).mean
        page.close()
        return mean
    finally:
        document.close()


def recode_photo(source: Path, target: Path, kind: str) -> Path:
    """``source`` with its photo stored as ``kind``, showing the same picture."""
    writer = pypdf.PdfWriter(clone_from=source)
    image = writer.pages[0]["/Resources"]["/XObject"]["/pssPO1_img"]
    with Image.open(io.BytesIO(image._data)) as jpeg:
        inks = jpeg.convert("CMYK")  # Pillow reads the Adobe JPEG as ink values
    if kind == "flate_cmyk":  # the samples a reader gets from the JPEG (inverted), same /Decode
        data = inks.point(lambda v: 255 - v).tobytes()
    else:
        rgb = inks.convert("RGB")
        del image["/Decode"]
        if kind == "rgb_jpeg":
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=90)
            data = out.getvalue()
        else:
            data = rgb.convert("L").tobytes()
        image[NameObject("/ColorSpace")] = NameObject(
            "/DeviceRGB" if kind == "rgb_jpeg" else "/DeviceGray"
        )
    if kind != "rgb_jpeg":
        data = zlib.compress(data)
        image[NameObject("/Filter")] = NameObject("/FlateDecode")
    image._data = data
    image.decoded_self = None
    with open(target, "wb") as out_file:
        writer.write(out_file)
    return target


@pytest.mark.parametrize("kind", ["adobe_cmyk_jpeg", "flate_cmyk", "rgb_jpeg", "gray_flate"])
def test_press_pdf_images_keep_their_colours(tmp_path: Path, kind: str) -> None:
    # Given a 305 dpi photo stored as a CMYK JPEG with an inverting /Decode (the sample),
    # as raw CMYK, as an RGB JPEG or as raw grey
    source = photo_pdf(tmp_path / "photo.pdf", (3000, 2200))
    if kind != "adobe_cmyk_jpeg":
        source = recode_photo(source, tmp_path / f"{kind}.pdf", kind)
    # When the preview is rendered (the photo is resampled and stored as a JPEG)
    result = render_preview(source, [SPEEDMASTER], tmp_path, kind, ink=False)
    width, _, _ = press_image(result.preview_pdf)
    assert 142 <= placed_dpi(width, 250) <= 150 * 1.25
    # Then the photo looks the same: mean colour within 2 levels of 255 on a render
    # (the paper starts at 65 x 10 mm on the plate, so the photo moves by that much)
    before = region_mean(source, (100, 100, 350, 280))
    after = region_mean(result.preview_pdf, (35, 90, 285, 270))
    assert after == pytest.approx(before, abs=2)
    assert max(before) < 200  # the photo is dark: an inverted one would read far off


def test_an_image_shared_by_pages_is_resampled_once(tmp_path: Path) -> None:
    # Given two sheets drawing one and the same photo object
    source = write_signa_pdf(
        tmp_path / "two.pdf",
        [signa_sheet(image_px=(3000, 2200), image_mm=(100, 100, 250, 180)), signa_sheet()],
    )
    writer = pypdf.PdfWriter(clone_from=source)
    first = writer.pages[0]["/Resources"]["/XObject"]
    second = writer.pages[1]["/Resources"]["/XObject"]
    second[NameObject("/pssPO1_img")] = first.raw_get("/pssPO1_img")  # not drawn on page 2
    shared = tmp_path / "shared.pdf"
    with open(shared, "wb") as out:
        writer.write(out)
    # When the preview is rendered
    result = render_preview(shared, [SPEEDMASTER] * 2, tmp_path, "shared", ink=False)
    # Then both pages still share one photo, resampled for the page that draws it
    with open(result.preview_pdf, "rb") as stream:
        pages = pypdf.PdfReader(stream).pages
        refs = [page["/Resources"]["/XObject"].raw_get("/pssPO1_img") for page in pages]
        assert refs[0].idnum == refs[1].idnum
        assert 142 <= placed_dpi(refs[0].get_object()["/Width"], 250) <= 150 * 1.25


def test_an_image_pillow_cannot_read_is_copied_as_it_is(tmp_path: Path) -> None:
    # Given a 305 dpi photo whose JPEG data is cut short
    source = photo_pdf(tmp_path / "photo.pdf", (3000, 2200))
    writer = pypdf.PdfWriter(clone_from=source)
    image = writer.pages[0]["/Resources"]["/XObject"]["/pssPO1_img"]
    image._data = image._data[: len(image._data) // 2]
    cut = tmp_path / "cut_photo.pdf"
    with open(cut, "wb") as out:
        writer.write(out)
    # When the preview is rendered
    result = render_preview(cut, [SPEEDMASTER], tmp_path, "cut", ink=False)
    # Then the pages are still copied (no raster fallback), the photo as it was
    assert result.warnings == []
    assert press_image(result.preview_pdf)[:2] == (3000, 2200)


def form_page_pdf(path: Path) -> Path:
    """One 200 x 200 pt page drawing, at half size, a form that draws a 600 x 300 px image
    on 144 x 72 pt: the image lands on 72 x 36 pt, i.e. 1 inch wide."""
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(200, 200)
    image = StreamObject()
    image._data = bytes(600 * 300)
    image.update(
        {
            NameObject(k): v
            for k, v in {
                "/Type": NameObject("/XObject"),
                "/Subtype": NameObject("/Image"),
                "/Width": NumberObject(600),
                "/Height": NumberObject(300),
                "/ColorSpace": NameObject("/DeviceGray"),
                "/BitsPerComponent": NumberObject(8),
            }.items()
        }
    )
    form = StreamObject()
    form._data = b"q 144 0 0 72 10 10 cm /Im Do Q"
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([NumberObject(v) for v in (0, 0, 200, 200)]),
            NameObject("/Resources"): DictionaryObject(
                {
                    NameObject("/XObject"): DictionaryObject(
                        {NameObject("/Im"): writer._add_object(image)}
                    )
                }
            ),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Fm"): writer._add_object(form)})}
    )
    content = StreamObject()
    content._data = b"q 0.5 0 0 0.5 20 20 cm /Fm Do Q"
    page[NameObject("/Contents")] = writer._add_object(content)
    with open(path, "wb") as out:
        writer.write(out)
    return path


def test_image_needs_follow_forms_and_their_placement(tmp_path: Path) -> None:
    # Given an image drawn inside a form at 1 inch wide on the page
    document = pdfium.PdfDocument(str(form_page_pdf(tmp_path / "form.pdf")))
    # When the images' needs are read
    page = document[0]
    needs = image_needs(page)
    page.close()
    document.close()
    # Then 150 of its 600 pixels across are needed: a quarter
    assert needs == {(600, 300): pytest.approx(150 / 600)}


def test_without_paper_the_crop_is_the_drawn_content(tmp_path: Path) -> None:
    # Given a non-Signa sheet drawing one 400 x 300 mm rectangle at (100, 200) mm
    source = write_signa_pdf(
        tmp_path / "plain.pdf",
        [Sheet(fills=[Fill(100, 200, 400, 300, (0, 0, 0, 1))], signa=False)],
        creator=None,
    )
    # When the preview is rendered without geometry
    result = render_preview(source, None, tmp_path, "2_plain", ink=False)
    # Then the page is the rectangle, give or take a pixel of the probe render (~1 mm)
    ((width, height),) = page_sizes(result.preview_pdf)
    assert (width / PT_PER_MM, height / PT_PER_MM) == pytest.approx((400, 300), abs=2.5)
    with Image.open(result.proof) as proof:
        assert proof.size[0] == PROOF_PX
        assert proof.size[0] / proof.size[1] == pytest.approx(400 / 300, rel=0.02)


def test_without_paper_a_photo_page_is_cropped_to_the_photo_and_resampled(tmp_path: Path) -> None:
    # Given a non-Signa sheet with only a 305 dpi photo of 250 x 180 mm at (100, 100) mm
    source = write_signa_pdf(
        tmp_path / "photo.pdf",
        [Sheet(image_px=(3000, 2200), image_mm=(100, 100, 250, 180), signa=False)],
        creator=None,
    )
    # When the preview is rendered without geometry
    result = render_preview(source, None, tmp_path, "2_photo", ink=False)
    # Then the press PDF page is the photo (found after resampling), at about 150 dpi
    ((width, height),) = page_sizes(result.preview_pdf)
    assert (width / PT_PER_MM, height / PT_PER_MM) == pytest.approx((250, 180), abs=2.5)
    assert 142 <= placed_dpi(press_image(result.preview_pdf)[0], 250) <= 150 * 1.25
    assert result.warnings == []


def test_a_paper_larger_than_the_plate_is_a_warning_and_the_content_box(
    signa_pdf: Path, tmp_path: Path
) -> None:
    # Given a paper size the plate cannot hold
    too_big = SheetGeometry((1030, 770), (1200, 800), 10)
    # When the preview is rendered
    result = render_preview(signa_pdf, [too_big, SPEEDMASTER], tmp_path, "3_big", ink=False)
    # Then page 1 is cropped to its content and the job is warned
    assert len(result.warnings) == 1
    assert "page 1" in result.warnings[0] and "1200 x 800" in result.warnings[0]
    first, second = page_sizes(result.preview_pdf)
    assert first != second and second == pytest.approx((900 * PT_PER_MM, 640 * PT_PER_MM), abs=0.01)


def test_rotated_page_stays_as_shown(signa_pdf: Path, tmp_path: Path) -> None:
    # Given a sheet whose page carries /Rotate 90
    rotated = tmp_path / "rotated.pdf"
    writer = pypdf.PdfWriter(clone_from=signa_pdf)
    writer.pages[0].rotate(90)
    with open(rotated, "wb") as out:
        writer.write(out)
    # When the preview is rendered
    result = render_preview(rotated, [SPEEDMASTER], tmp_path, "4_rot", ink=False)
    # Then the proof is upright like the page in a viewer, the paper turned with it, and the
    # press PDF page keeps /Rotate over the paper's box, so it shows the same
    with Image.open(result.proof) as proof:
        assert proof.size == (round(PROOF_PX * 640 / 900), PROOF_PX)
    with open(result.preview_pdf, "rb") as stream:
        page = pypdf.PdfReader(stream).pages[0]
        assert page.rotation == 90
        assert mm(tuple(float(v) for v in page.mediabox)) == pytest.approx(
            (65, 10, 965, 650), abs=1e-3
        )


def damage_page_stream(source: Path, target: Path, page_object: int) -> Path:
    """A copy of ``source`` whose content stream object ``page_object`` is garbage."""
    data = bytearray(source.read_bytes())
    head = re.search(rb"\n%d 0 obj\n<<[^>]*/Length (\d+)[^>]*>>\nstream\n" % page_object, data)
    assert head is not None
    start, length = head.end(), int(head.group(1))
    data[start : start + length] = b"\x13" * length
    target.write_bytes(bytes(data))
    return target


def test_a_damaged_page_stream_is_a_warning_not_a_crash(signa_pdf: Path, tmp_path: Path) -> None:
    # Given a file whose second page's content stream is destroyed
    damaged = damage_page_stream(signa_pdf, tmp_path / "damaged.pdf", page_object=10)
    # When the preview is rendered
    result = render_preview(damaged, [SPEEDMASTER, SPEEDMASTER], tmp_path, "5_dmg", ink=False)
    # Then all artefacts exist, with a warning naming page 2
    assert result.proof.exists() and result.thumbnail.exists()
    assert len(page_sizes(result.preview_pdf)) == 2
    assert any(w.startswith("page 2 ") for w in result.warnings)


@pytest.mark.parametrize("geometries", [[SPEEDMASTER, SPEEDMASTER], None])
def test_an_unloadable_page_gets_a_white_stand_in(
    signa_pdf: Path, tmp_path: Path, geometries: list[SheetGeometry] | None
) -> None:
    # Given a file whose first page object is replaced by a number (with the paper known, or
    # to be cropped to the content)
    data = signa_pdf.read_bytes()
    start = data.index(b"\n6 0 obj\n") + len(b"\n6 0 obj\n")
    end = data.index(b"\nendobj", start)
    broken = tmp_path / "nopage.pdf"
    broken.write_bytes(data[:start] + b"42".ljust(end - start) + data[end:])
    # When the preview is rendered
    result = render_preview(broken, geometries, tmp_path, "6_np", ink=False)
    # Then the preview has what could be rendered and says what could not: pypdf cannot copy
    # the pages, so the press PDF falls back to one picture per page, page 1 white
    assert result.proof.exists()
    assert result.warnings and all("page" in w for w in result.warnings)
    assert any("pictures at 150 dpi" in w for w in result.warnings)
    with open(result.preview_pdf, "rb") as stream:
        pages = pypdf.PdfReader(stream).pages
        assert len(pages) == 2 and all(len(page.images) == 1 for page in pages)
        # page 2 cropped (to the paper, or to what it draws: the paper's fills and the marks)
        width, height = (float(v) / PT_PER_MM for v in pages[1].mediabox[2:])
        assert 900 <= round(width) < 1030 and 640 <= round(height) < 770


HOSTILE = [
    "Каталог (весна).pdf",
    "$(touch pwned).pdf",
    "`touch pwned`.pdf",
    "a;b&c.pdf",
    "-rf --help.pdf",
    'quote\'s "x".pdf',
    "..\\..\\evil.pdf",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_names_are_data(
    signa_pdf: Path, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the job's file under a hostile name, rendered from a clean working folder
    source = tmp_path / "in" / name
    source.parent.mkdir()
    shutil.copy(signa_pdf, source)
    monkeypatch.chdir(tmp_path / "in")
    # When the preview is rendered with a key made from the name
    result = render_preview(
        source, [SPEEDMASTER], tmp_path / "out", f"9_{Path(name).stem}", ink=False
    )
    # Then the artefacts carry safe names inside the year folder and nothing ran
    for artefact in (result.proof, result.thumbnail, result.preview_pdf):
        assert artefact.exists() and artefact.parent.parent == tmp_path / "out"
        assert re.fullmatch(r"[\w.-]+", artefact.name) and not artefact.name.startswith("-")
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == [name]


@pytest.mark.parametrize(
    "key, expected",
    [
        ("12_Каталог (весна) $1;2", "12_Каталог_весна_1_2"),
        ("-rf", "rf"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("...", "preview"),
        ("name. ", "name"),
    ],
)
def test_safe_key(key: str, expected: str) -> None:
    # Given a key with characters some file systems refuse
    # When it is made safe
    # Then only letters, digits, '_', '-' and '.' remain, with no leading dash or dot
    assert safe_key(key) == expected


def test_safe_key_is_short_enough_for_any_file_system() -> None:
    # Given a very long Cyrillic key
    # When it is made safe
    # Then it fits a 255-byte file name with the artefact suffix
    assert len((safe_key("Ж" * 400) + "_preview.pdf").encode()) <= 255


def test_spots_are_the_colorants_other_than_process(signa_pdf: Path, tmp_path: Path) -> None:
    # Given the colorants of every page, process inks included
    colorants = [
        "Cyan",
        "Magenta",
        "Yellow",
        "Black",
        "Cyan",
        "PANTONE Warm Red C",
        "PANTONE 246 C",
        "PANTONE Warm Red C",
    ]
    # When the spots are named
    # Then each spot appears once, in order
    assert spot_names(colorants) == ["PANTONE Warm Red C", "PANTONE 246 C"]
    result = render_preview(signa_pdf, None, tmp_path, "7_spots", spots=colorants, ink=False)
    assert result.spots == ["PANTONE Warm Red C", "PANTONE 246 C"]


def test_result_survives_json(tmp_path: Path) -> None:
    # Given a result with ink coverage keyed by page number
    result = PreviewResult(
        tmp_path / "p.jpg",
        tmp_path / "t.jpg",
        tmp_path / "p.pdf",
        {1: {"C": 50.0, "M": 0.0, "Y": 0.0, "K": 0.0}},
        ["PANTONE 246 C"],
        ["page 2 draws nothing"],
    )
    # When it goes through JSON (as a Celery result does)
    back = PreviewResult.from_dict(json.loads(json.dumps(result.as_dict())))
    # Then it comes back equal
    assert back == result


# --- the command ---------------------------------------------------------------------------

CONFIG_TOML = toml_text({"paths": {"work_dir": "work"}, **SMALL_SHOP, **DOMINANT})


def test_preview_command_writes_and_says_where(signa_pdf: Path, tmp_path: Path) -> None:
    # Given a configuration and a Signa file
    config = tmp_path / "prepress.toml"
    config.write_text(CONFIG_TOML, encoding="utf-8")
    # When an operator runs `prepress preview FILE --out DIR`
    run = CliRunner().invoke(
        main,
        [
            "--config",
            str(config),
            "preview",
            str(signa_pdf),
            "--out",
            str(tmp_path / "here"),
            "--no-ink",
        ],
    )
    # Then it prints the three artefacts, cropped to the paper with the press's gripper
    assert run.exit_code == 0, run.output
    lines = dict(line.split(":", 1) for line in run.output.splitlines() if ":" in line)
    preview_pdf = Path(lines["preview"].strip())
    assert preview_pdf.parent == tmp_path / "here" and preview_pdf.exists()  # into DIR itself
    assert Path(lines["proof"].strip()).exists() and Path(lines["thumbnail"].strip()).exists()
    assert lines["spots"].strip() == "PANTONE Warm Red C"
    assert page_sizes(preview_pdf)[0] == pytest.approx((900 * PT_PER_MM, 640 * PT_PER_MM), abs=0.01)


def test_preview_command_rejects_a_damaged_file(tmp_path: Path) -> None:
    # Given a configuration and a truncated PDF
    config = tmp_path / "prepress.toml"
    config.write_text(CONFIG_TOML, encoding="utf-8")
    good = write_signa_pdf(tmp_path / "good.pdf", [signa_sheet()])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(good.read_bytes()[:-400])
    # When the command runs on it
    run = CliRunner().invoke(
        main,
        ["--config", str(config), "preview", str(cut), "--out", str(tmp_path / "here"), "--no-ink"],
    )
    # Then it exits 1 naming the problem
    assert run.exit_code == 1 and "cut.pdf" in run.output


def test_a_huge_page_is_rendered_below_150_dpi() -> None:
    # Given a 5 x 3 m banner page and a Speedmaster paper
    # When the pixel scale of its press PDF page is chosen
    banner = preview_scale((0, 0, 5000 * PT_PER_MM, 3000 * PT_PER_MM))
    paper = preview_scale((0, 0, 900 * PT_PER_MM, 640 * PT_PER_MM))
    # Then the banner stays within the pixel budget and the paper gets the full 150 dpi
    assert (5000 * PT_PER_MM * banner) * (3000 * PT_PER_MM * banner) <= MAX_PAGE_PIXELS
    assert paper == pytest.approx(150 / 72)


def test_a_password_protected_file_is_rejected(signa_pdf: Path, tmp_path: Path) -> None:
    # Given a file protected by an open password
    locked = tmp_path / "locked.pdf"
    writer = pypdf.PdfWriter(clone_from=signa_pdf)
    writer.encrypt("secret", algorithm="AES-128")
    with open(locked, "wb") as out:
        writer.write(out)
    # When the preview is rendered
    with pytest.raises(RejectedFile) as caught:
        render_preview(locked, None, tmp_path, "8_locked", ink=False)
    # Then it is rejected as encrypted, naming the file
    assert caught.value.code == "encrypted" and "locked.pdf" in caught.value.message


def test_a_file_that_is_not_a_pdf_is_rejected(tmp_path: Path) -> None:
    # Given a text file named .pdf
    junk = tmp_path / "junk.pdf"
    junk.write_text("not a pdf", encoding="utf-8")
    # When the preview is rendered
    with pytest.raises(RejectedFile) as caught:
        render_preview(junk, None, tmp_path, "9_junk", ink=False)
    # Then it is rejected as damaged
    assert caught.value.code == "damaged_pdf" and "junk.pdf" in caught.value.message


def test_geometries_follow_each_page_press(tmp_path: Path, config: Config) -> None:
    # Given a Dominant sheet, a sheet without marks on a Speedmaster plate, and a sheet whose
    # press is not configured
    from pipeline.pdf.analysis import read_sheets

    source = write_signa_pdf(
        tmp_path / "mixed.pdf",
        [
            signa_sheet(press="Dominant", plate_mm=(650, 550), paper_mm=(600, 450)),
            signa_sheet(press=None, outputter=None, paper_mm=None),
            signa_sheet(press="Heidelberg"),
        ],
    )
    # When the crop geometries are built from the analysed sheets
    geometries = sheet_geometries(read_sheets(source, config), config, source.name)
    # Then each page has its own press's gripper, or no geometry when its press is unknown
    assert geometries == [
        SheetGeometry((650, 550), (600, 450), 8),
        SheetGeometry((1030, 770), None, 10),
        None,
    ]
