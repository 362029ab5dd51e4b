"""How far the preflight gate agrees with independent tools, file by file.

For every PDF under the corpus (``../shared/corpus`` next to the repository, or ``--corpus``)
and a set of sheets built like the tests' (``tests/preflight_sheets.py``, in a temporary
folder), prepress's findings are compared with:

- ``pdffonts``: a font with "emb no" that is not Type 3 is the truth for ``font_not_embedded``
  (per file). pdffonts lists every font in the resources, shown or not, marks included, and
  says "emb yes" for any /FontFile* that is a reference, even an empty or dangling one;
- ``pdfimages -list``: an image (inline ones too) in ``rgb``, ``lab`` or 3-component ``icc``
  is the truth for ``rgb_content`` from images; an image or stencil mask with x- or y-ppi under
  ``min_ppi_error`` (1-bit: ``min_ppi_bitmap``) for ``low_resolution`` at error severity (per
  file, and per page);
- Ghostscript's ``tiffsep`` device: the spot separations it makes per page. On pages with a
  Signa colorant list, a spot it makes that the list lacks is the truth for ``plate_missing``,
  a listed spot it does not make for ``plate_empty``; elsewhere the spots are only listed. Its
  log also names the fonts it substituted (a second opinion on fonts).

Each disagreement is listed with what each side said and a likely cause, read from the file
with pypdf (where the object sits: page, form, mark, annotation, Type 3 glyph, inline image,
unused resource). Marks are not judged by design, so misses there are expected.

Run: ``.venv/bin/python benchmarks/preflight_agreement.py [--corpus DIR] [--json OUT]
[--tool-timeout S] [--wall S] [--no-sheets]``. Exits 0 whatever it finds; 2 when poppler-utils
or Ghostscript is missing.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pypdf import PdfReader  # noqa: E402
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject  # noqa: E402

from pipeline.config import Limits  # noqa: E402
from pipeline.preflight import PreflightSettings, preflight_within_budget  # noqa: E402
from pipeline.preflight.colours import NOT_PLATES  # noqa: E402
from pipeline.preflight.fonts import font_use  # noqa: E402
from tests.preflight_sheets import CMYK, SheetWriter, clean_sheet, separation  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
PROCESS = {"Cyan", "Magenta", "Yellow", "Black"}
CODES = ("font_not_embedded", "rgb_content", "low_resolution")
#: Short names of the compared codes in the tables.
SHORT = {"font_not_embedded": "fonts", "rgb_content": "rgb", "low_resolution": "resolution"}


# --- the tools ---------------------------------------------------------------------------


def run_tool(args: list[str], timeout: float) -> tuple[str, str]:
    """stdout and an error ("" when it ran); never raises."""
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, errors="replace"
        )
    except subprocess.TimeoutExpired:
        return "", f"{args[0]} ran over {timeout:g} s"
    except OSError as exc:
        return "", f"{args[0]}: {exc}"
    if done.returncode != 0 and not done.stdout.strip():
        return "", f"{args[0]} exit {done.returncode}: {done.stderr.strip()[:200]}"
    return done.stdout + ("\n" + done.stderr if args[0] == "gs" else ""), ""


def columns(header_rule: str) -> list[tuple[int, int]]:
    """The column spans of a poppler table from its dashed rule line."""
    return [(m.start(), m.end()) for m in re.finditer(r"-+", header_rule)]


def pdffonts(path: Path, timeout: float) -> tuple[list[dict[str, Any]], str]:
    out, error = run_tool(["pdffonts", str(path)], timeout)
    lines = out.splitlines()
    if error or len(lines) < 2:
        return [], error or "no output"
    spans = columns(lines[1])
    fonts = []
    for line in lines[2:]:
        cells = [line[a : b + 1].strip() for a, b in spans]
        if len(cells) >= 7 and cells[0]:
            fonts.append(
                {"name": cells[0], "type": cells[1], "emb": cells[3] == "yes", "object": cells[6]}
            )
    return fonts, ""


def pdfimages(path: Path, timeout: float) -> tuple[list[dict[str, Any]], str]:
    out, error = run_tool(["pdfimages", "-list", str(path)], timeout)
    if error:
        return [], error
    images = []
    for line in out.splitlines()[2:]:
        cells = line.split()
        if len(cells) < 15:
            continue
        inline = "[inline]" in cells
        try:
            images.append(
                {
                    "page": int(cells[0]),
                    "type": cells[2],
                    "size": (int(cells[3]), int(cells[4])),
                    "color": cells[5],
                    "comp": int(cells[6]),
                    "bpc": int(cells[7]),
                    "enc": cells[8],
                    "object": "inline" if inline else cells[10],
                    "ppi": (float(cells[-4]), float(cells[-3])),
                }
            )
        except ValueError:
            continue
    return images, ""


def separations(
    path: Path, timeout: float, work: Path
) -> tuple[dict[int, set[str]], set[str], str]:
    """Spot separations per page and the fonts Ghostscript substituted."""
    out_dir = Path(tempfile.mkdtemp(dir=work))
    args = [
        "gs",
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-sDEVICE=tiffsep",
        "-r10",
        "-o",
        str(out_dir / "p%d.tif"),
        str(path),
    ]
    out, error = run_tool(args, timeout)
    spots: dict[int, set[str]] = {}
    for tif in out_dir.glob("p*(*).tif"):
        match = re.fullmatch(r"p(\d+)\((.*)\)\.tif", tif.name)
        if match and match.group(2) not in PROCESS:
            spots.setdefault(int(match.group(1)), set()).add(match.group(2))
    shutil.rmtree(out_dir, ignore_errors=True)
    substituted = set(re.findall(r"Loading font (\S+) \(or substitute\)", out))
    return spots, substituted, error


# --- prepress ------------------------------------------------------------------------------


def prepress(path: Path, wall: float) -> tuple[list[dict[str, Any]], str, float]:
    limits = Limits(wall_seconds=wall, cpu_seconds=wall, memory_mb=2048)
    started = time.monotonic()
    try:
        found = preflight_within_budget(path, PreflightSettings(), limits=limits)
    except Exception as exc:  # noqa: BLE001 - the benchmark reports every file
        return [], f"preflight raised {type(exc).__name__}: {exc}", time.monotonic() - started
    rows = [
        {
            "code": f.code,
            "severity": f.severity,
            "page": f.page,
            "object": f.object,
            "message": f.message,
        }
        for f in found
    ]
    return rows, "", time.monotonic() - started


# --- where things sit (for the causes) -----------------------------------------------------


def _get(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


@dataclass
class Inventory:
    """Where fonts and images sit, per page: ``contexts[name]`` is a set of places."""

    fonts: dict[str, set[str]] = field(default_factory=dict)
    shown_fonts: set[str] = field(default_factory=set)
    font_problems: dict[str, str] = field(default_factory=dict)
    images: dict[str, set[str]] = field(default_factory=dict)  # object number -> places
    image_names: dict[str, set[str]] = field(default_factory=dict)  # resource name -> places
    inline_pages: set[int] = field(default_factory=set)
    colorants: dict[int, list[str]] = field(default_factory=dict)
    error: str = ""


def inventory(path: Path) -> Inventory:
    found = Inventory()
    try:
        reader = PdfReader(path, strict=False)
        for number, page in enumerate(reader.pages, start=1):
            _colorants(page, number, found)
            seen: set[int] = set()
            _walk(page.get("/Resources"), _content(page), "page", number, found, seen, 0)
            for annot in _get(page.get("/Annots")) or []:
                appearance = (
                    _get(_get(annot).get("/AP"))
                    if isinstance(_get(annot), DictionaryObject)
                    else None
                )
                normal = (
                    _get(appearance.get("/N")) if isinstance(appearance, DictionaryObject) else None
                )
                forms = (
                    [normal] if isinstance(normal, StreamObject) else list((normal or {}).values())
                )
                for form in forms:
                    form = _get(form)
                    if isinstance(form, StreamObject):
                        _walk(
                            form.get("/Resources"),
                            _data(form),
                            "annotation",
                            number,
                            found,
                            seen,
                            1,
                        )
    except Exception as exc:  # noqa: BLE001 - a file pypdf cannot read is said so
        found.error = f"{type(exc).__name__}: {exc}"[:200]
    return found


def _data(stream: Any) -> bytes:
    try:
        return bytes(stream.get_data())[:5_000_000]
    except Exception:  # noqa: BLE001
        return b""


def _content(page: Any) -> bytes:
    contents = _get(page.get("/Contents"))
    parts = contents if isinstance(contents, ArrayObject) else [contents]
    return b"\n".join(_data(_get(p)) for p in parts if isinstance(_get(p), StreamObject))


def _shows(key: str, content: bytes) -> bool:
    """Whether text is shown after ``key size Tf`` before the next Tf (the font outlives ET)."""
    for match in re.finditer(re.escape(key.encode()) + rb"\s+[-\d.]+\s+Tf", content):
        after = content[match.end() : match.end() + 100_000]
        rest = re.split(rb"\bTf\b", after, maxsplit=1)[0]
        if re.search(rb"\bTJ\b|\bTj\b|'|\"", rest):
            return True
    return False


def _colorants(page: Any, number: int, found: Inventory) -> None:
    try:
        names = page["/PieceInfo"]["/HDAG_COLORANT"]["/Private"]["/HDAG_ColorantNames"]
        found.colorants[number] = [str(n).lstrip("/") for n in names]
    except (KeyError, TypeError):
        pass


def _walk(
    resources: Any,
    content: bytes,
    place: str,
    page: int,
    found: Inventory,
    seen: set[int],
    depth: int,
) -> None:
    resources = _get(resources)
    if re.search(rb"\bBI\b", content):
        found.inline_pages.add(page)
    if depth > 12 or not isinstance(resources, DictionaryObject):
        return
    fonts = _get(resources.get("/Font"))
    for key, font in (fonts or {}).items() if isinstance(fonts, DictionaryObject) else []:
        font = _get(font)
        if not isinstance(font, DictionaryObject):
            continue
        name = str(font.get("/BaseFont", key)).lstrip("/")
        found.fonts.setdefault(name, set()).add(place)
        if _shows(key, content):
            found.shown_fonts.add(name)
        use = font_use(font)
        if not use.embedded:
            found.font_problems[name] = use.problem
        if font.get("/Subtype") == "/Type3":
            for proc in (_get(font.get("/CharProcs")) or {}).values():
                _walk(
                    font.get("/Resources") or resources,
                    _data(_get(proc)),
                    "type3",
                    page,
                    found,
                    seen,
                    depth + 1,
                )
    xobjects = _get(resources.get("/XObject"))
    for key, ref in (xobjects or {}).items() if isinstance(xobjects, DictionaryObject) else []:
        obj = _get(ref)
        if not isinstance(obj, StreamObject):
            continue
        number = ref.idnum if isinstance(ref, IndirectObject) else -1
        if obj.get("/Subtype") == "/Image":
            where = place
            found.images.setdefault(str(number), set()).add(where)
            found.image_names.setdefault(key.lstrip("/"), set()).add(where)
        elif obj.get("/Subtype") == "/Form" and number not in seen:
            seen.add(number)
            inner = (
                "mark"
                if place == "mark" or key.startswith("/pssMO")
                else (place if place != "page" else "form")
            )
            _walk(obj.get("/Resources"), _data(obj), inner, page, found, seen, depth + 1)
    patterns = _get(resources.get("/Pattern"))
    for pattern in (patterns or {}).values() if isinstance(patterns, DictionaryObject) else []:
        pattern = _get(pattern)
        if isinstance(pattern, StreamObject):
            _walk(
                pattern.get("/Resources"), _data(pattern), "pattern", page, found, seen, depth + 1
            )


# --- comparison ---------------------------------------------------------------------------


@dataclass
class FileResult:
    name: str
    source: str
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    prepress: dict[str, list[str]] = field(default_factory=dict)  # code -> "p1 Im1"
    tools: dict[str, list[str]] = field(default_factory=dict)
    spots: dict[str, list[str]] = field(default_factory=dict)  # page -> gs spots
    verdict: dict[str, str] = field(default_factory=dict)  # code -> TP FP FN TN
    adjusted: dict[str, str] = field(default_factory=dict)  # the same, by-design causes aside
    pages: dict[str, dict[str, int]] = field(default_factory=dict)  # code -> tp/fp/fn
    disagreements: list[dict[str, str]] = field(default_factory=list)


def compare(path: Path, source: str, args: argparse.Namespace, work: Path) -> FileResult:
    result = FileResult(
        str(path.name if source == "sheet" else path.relative_to(args.corpus)), source
    )
    settings = PreflightSettings()
    findings, error, result.seconds = prepress(path, args.wall)
    if error:
        result.errors.append(error)
    timeouts = [f for f in findings if f.get("code") == "preflight_timeout"]
    if timeouts:
        result.errors.append("prepress: " + timeouts[0]["message"][:160])
    fonts, font_error = pdffonts(path, args.tool_timeout)
    images, image_error = pdfimages(path, args.tool_timeout)
    spots, substituted, gs_error = separations(path, args.tool_timeout, work)
    result.errors += [e for e in (font_error, image_error, gs_error) if e]
    where = inventory(path)
    if where.error:
        result.errors.append(f"pypdf: {where.error}")

    def said(code: str, rows: list[dict[str, Any]]) -> list[str]:
        return [f"p{r['page']} {r['object']}" for r in rows if r["code"] == code]

    # fonts
    unembedded = [f for f in fonts if not f["emb"] and f["type"] != "Type 3"]
    mine = [f for f in findings if f["code"] == "font_not_embedded"]
    result.prepress["font_not_embedded"] = said("font_not_embedded", findings)
    result.tools["font_not_embedded"] = [f"{f['name']} ({f['type']})" for f in unembedded]
    if not font_error:
        judged = [f for f in unembedded if _font_place(f["name"], where) not in ("marks", "unused")]
        emb_yes = {f["name"] for f in fonts if f["emb"]}
        program = [f for f in mine if f["object"] in emb_yes and "/FontFile" in f["message"]]
        _judge(
            result,
            "font_not_embedded",
            bool(mine),
            bool(unembedded),
            _font_cause(mine, unembedded, fonts, where, substituted),
            bool(judged or program),
        )

    # images
    rgb = [i for i in images if i["type"] == "image" and _rgb(i)]
    low = [i for i in images if i["type"] in ("image", "stencil") and _low(i, settings)]
    mine_rgb = [f for f in findings if f["code"] == "rgb_content" and "image /" in f["message"]]
    mine_low = [f for f in findings if f["code"] == "low_resolution" and f["severity"] == "error"]
    result.prepress["rgb_content"] = said("rgb_content", mine_rgb)
    result.prepress["low_resolution"] = said("low_resolution", mine_low)
    vector_rgb = said(
        "rgb_content", [f for f in findings if f["code"] == "rgb_content" and f not in mine_rgb]
    )
    if vector_rgb:
        result.prepress["rgb_content (vectors, blending: not compared)"] = vector_rgb
    result.tools["rgb_content"] = [_image_text(i) for i in rgb]
    result.tools["low_resolution"] = [_image_text(i) for i in low]
    if not image_error:
        for code, tool_rows, own in (
            ("rgb_content", rgb, mine_rgb),
            ("low_resolution", low, mine_low),
        ):
            cause = _image_cause(code, own, tool_rows, images, where, settings)
            judged = [
                i
                for i in tool_rows
                if where.images.get(i["object"], set()) - {"mark"} or i["object"] == "inline"
            ]
            unseen = [f for f in own if "type3" in where.image_names.get(str(f["object"]), set())]
            _judge(result, code, bool(own), bool(tool_rows), cause, bool(judged or unseen))
            tool_pages = {i["page"] for i in tool_rows}
            own_pages = {f["page"] for f in own}
            result.pages[code] = {
                "tp": len(tool_pages & own_pages),
                "fp": len(own_pages - tool_pages),
                "fn": len(tool_pages - own_pages),
            }

    # spots
    result.spots = {str(p): sorted(s) for p, s in sorted(spots.items())}
    if not gs_error:
        _spots(result, findings, spots, where)
    return result


_VERDICTS = {(True, True): "TP", (True, False): "FP", (False, True): "FN", (False, False): "TN"}


def _judge(
    result: FileResult, code: str, own: bool, truth: bool, cause: str, adjusted: bool
) -> None:
    result.verdict[code] = _VERDICTS[(own, truth)]
    result.adjusted[code] = _VERDICTS[(own, adjusted)]
    if own != truth:
        result.disagreements.append(
            {
                "file": result.name,
                "code": code,
                "kind": result.verdict[code],
                "prepress": "; ".join(result.prepress.get(code, [])) or "nothing",
                "tool": "; ".join(result.tools.get(code, [])) or "nothing",
                "cause": cause,
            }
        )


def _rgb(image: dict[str, Any]) -> bool:
    return image["color"] in ("rgb", "lab") or (image["color"] == "icc" and image["comp"] == 3)


def _low(image: dict[str, Any], settings: PreflightSettings) -> bool:
    limit = settings.min_ppi_bitmap if image["bpc"] == 1 else settings.min_ppi_error
    return min(image["ppi"]) < limit


def _image_text(image: dict[str, Any]) -> str:
    return (
        f"p{image['page']} obj {image['object']} {image['type']} {image['color']}/"
        f"{image['comp']} {image['bpc']}-bit {image['enc']} "
        f"{image['ppi'][0]:g}x{image['ppi'][1]:g} ppi"
    )


def _font_cause(
    mine: list[dict[str, Any]],
    unembedded: list[dict[str, Any]],
    fonts: list[dict[str, Any]],
    where: Inventory,
    substituted: set[str],
) -> str:
    if mine and not unembedded:
        causes = []
        for finding in mine:
            name = str(finding["object"])
            listed = [f for f in fonts if f["name"] == name]
            problem = where.font_problems.get(name, "")
            if listed and listed[0]["emb"]:
                gs = (
                    "Ghostscript substituted it"
                    if name in substituted
                    else "Ghostscript did not say"
                )
                causes.append(
                    f"{name}: pdffonts says emb yes for any /FontFile* reference; prepress: "
                    f"{problem or 'see its message'}; {gs} (pdffonts miss)"
                )
            elif not listed:
                causes.append(f"{name}: not among pdffonts' fonts (a font name the page lacks?)")
            else:
                causes.append(f"{name}: unexplained")
        return "; ".join(causes)
    if unembedded and not mine:
        causes = []
        for font in unembedded:
            places = where.fonts.get(font["name"], set())
            if _font_place(font["name"], where) == "marks":
                causes.append(f"{font['name']}: only in marks (not judged, by design)")
            elif _font_place(font["name"], where) == "unused":
                causes.append(
                    f"{font['name']}: in resources, shows no text (pdffonts lists resources)"
                )
            elif places & {"annotation", "type3", "pattern"}:
                causes.append(
                    f"{font['name']}: shown in {'/'.join(sorted(places - {'page', 'form'}))} "
                    f"(walker miss)"
                )
            else:
                causes.append(
                    f"{font['name']}: shown in {'/'.join(sorted(places)) or '?'} (unexplained miss)"
                )
        return "; ".join(causes)
    return ""


def _font_place(name: str, where: Inventory) -> str:
    places = where.fonts.get(name, set())
    if places and places <= {"mark"}:
        return "marks"
    return "unused" if name not in where.shown_fonts and not where.error else "shown"


def _image_cause(
    code: str,
    own: list[dict[str, Any]],
    truth: list[dict[str, Any]],
    images: list[dict[str, Any]],
    where: Inventory,
    settings: PreflightSettings,
) -> str:
    if truth and not own:
        causes = []
        for image in truth:
            places = where.images.get(image["object"], set())
            if image["object"] == "inline":
                causes.append(f"p{image['page']}: inline image (walker miss)")
            elif places and places <= {"mark"}:
                causes.append(
                    f"p{image['page']} obj {image['object']}: only in marks (not judged, by design)"
                )
            elif places & {"annotation", "type3", "pattern"}:
                causes.append(
                    f"p{image['page']} obj {image['object']}: in "
                    f"{'/'.join(sorted(places - {'page', 'form'}))} (walker miss)"
                )
            elif image["enc"] == "jpx" and code == "rgb_content":
                causes.append(
                    f"p{image['page']} obj {image['object']}: JPX, colour only in its data"
                )
            elif code == "low_resolution" and _near_limit(image, settings):
                causes.append(
                    f"p{image['page']} obj {image['object']}: at the limit (pdfimages rounds ppi)"
                )
            elif code == "low_resolution" and image["type"] == "stencil":
                causes.append(f"p{image['page']} obj {image['object']}: 1-bit stencil mask")
            else:
                causes.append(
                    f"p{image['page']} obj {image['object']}: in "
                    f"{'/'.join(sorted(places)) or 'a place pypdf did not find'} (unexplained miss)"
                )
        return "; ".join(causes)
    in_glyphs = [f for f in own if "type3" in where.image_names.get(str(f["object"]), set())]
    if own and not truth and in_glyphs:
        return (
            f"{', '.join(str(f['object']) for f in in_glyphs)}: inside a Type 3 glyph; "
            f"pdfimages does not read Type 3 glyphs (tool miss)"
        )
    if own and not truth:
        pages = {f["page"] for f in own}
        seen = [_image_text(i) for i in images if i["page"] in pages]
        return (
            f"pdfimages on those pages: {'; '.join(seen) or 'no image'} "
            f"(prepress reports a placement pdfimages does not see or judges differently)"
        )
    return ""


def _near_limit(image: dict[str, Any], settings: PreflightSettings) -> bool:
    limit = settings.min_ppi_bitmap if image["bpc"] == 1 else settings.min_ppi_error
    return abs(min(image["ppi"]) - limit) <= 1


def _spots(
    result: FileResult, findings: list[dict[str, Any]], spots: dict[int, set[str]], where: Inventory
) -> None:
    for page, listed in sorted(where.colorants.items()):
        made = {s for s in spots.get(page, set()) if s not in NOT_PLATES}
        keys = {c.casefold() for c in listed}
        missing_truth = {s for s in made if s.casefold() not in keys}
        empty_truth = {
            c for c in listed if c not in PROCESS and c not in NOT_PLATES and c not in made
        }
        missing = {
            str(f["object"]) for f in findings if f["code"] == "plate_missing" and f["page"] == page
        }
        empty = {
            str(f["object"])
            for f in findings
            if f["code"] == "plate_empty" and f["page"] == page and str(f["object"]) not in PROCESS
        }
        for code, own, truth in (
            ("plate_missing", missing, missing_truth),
            ("plate_empty", empty, empty_truth),
        ):
            key = f"{code} p{page}"
            result.verdict[key] = (
                "TP" if own == truth and own else "TN" if own == truth else "differ"
            )
            if own != truth:
                only_gs = sorted(truth - own)
                cause = (
                    f"Ghostscript makes a separation for every spot the page declares (a 0 % "
                    f"tint or a spot only marks print still gets one): {', '.join(only_gs)}"
                    if code == "plate_missing" and only_gs
                    else "Ghostscript makes no separation for a spot prepress says prints"
                    if code == "plate_missing"
                    else "a spot only marks print: Ghostscript makes its separation, prepress "
                    "calls the plate empty (by design)"
                    if own - truth
                    else "Ghostscript makes no separation for a listed spot prepress says prints"
                )
                result.disagreements.append(
                    {
                        "file": result.name,
                        "code": key,
                        "kind": "differ",
                        "prepress": ", ".join(sorted(own)) or "nothing",
                        "tool": f"tiffsep spots {sorted(made)}, list {listed}",
                        "cause": cause,
                    }
                )


# --- the sheets ----------------------------------------------------------------------------


def build_sheets(folder: Path) -> list[Path]:
    """Sheets with one known fault each (and a clean one), as the tests build them."""
    made = []

    def sheet(
        name: str, content: str = "", resources: str = "", build: Any = None, **page: Any
    ) -> None:
        writer = SheetWriter()
        extra = build(writer) if build else {}
        clean_sheet(writer, content, resources, **{**extra, **page})
        made.append(writer.write(folder / f"{name}.pdf"))

    def image_xobject(
        w: SheetWriter, space: str, size: int = 100, name: str = "Im9"
    ) -> dict[str, str]:
        return {"xobjects": f"/{name} {w.image(size, size, space)} 0 R"}

    def truetype(w: SheetWriter, program: str) -> int:
        descriptor = w.add(
            f"<< /Type /FontDescriptor /FontName /Minion /Flags 32 /FontBBox [0 0 1 1] "
            f"/ItalicAngle 0 /Ascent 1 /Descent 0 /CapHeight 1 /StemV 1 {program} >>"
        )
        return w.add(
            f"<< /Type /Font /Subtype /TrueType /BaseFont /Minion /FirstChar 32 /LastChar 32 "
            f"/Widths [250] /FontDescriptor {descriptor} 0 R >>"
        )

    def annotation(w: SheetWriter, content: str, resources: str) -> dict[str, str]:
        form = w.form(content, resources)
        annot = w.add(
            f"<< /Type /Annot /Subtype /Stamp /Rect [500 500 700 700] /F 4 "
            f"/AP << /N {form} 0 R >> >>"
        )
        return {"extra": f"/Annots [{annot} 0 R]"}

    place = "q 72 0 0 72 700 300 cm /Im9 Do Q"
    text = "BT /F2 10 Tf 1 0 0 1 200 200 Tm (x) Tj ET"
    helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>"

    def empty_program(w: SheetWriter) -> dict[str, str]:
        empty = w.add(b"<< /Length 0 >>\nstream\n\nendstream")
        return {"fonts": f"/F2 {truetype(w, f'/FontFile2 {empty} 0 R')} 0 R"}

    def dangling_program(w: SheetWriter) -> dict[str, str]:
        return {"fonts": f"/F2 {truetype(w, '/FontFile2 999 0 R')} 0 R"}

    def font_in_annotation(w: SheetWriter) -> dict[str, str]:
        return annotation(
            w, "BT /F5 10 Tf 1 0 0 1 5 5 Tm (x) Tj ET", f"/Font << /F5 {helvetica} >>"
        )

    def rgb_in_annotation(w: SheetWriter) -> dict[str, str]:
        image = w.image(300, 300, "/DeviceRGB")
        return annotation(w, "q 72 0 0 72 5 5 cm /Im5 Do Q", f"/XObject << /Im5 {image} 0 R >>")

    def lab(w: SheetWriter) -> dict[str, str]:
        space = "[/Lab << /WhitePoint [0.9505 1 1.089] /Range [-100 100 -100 100] >>]"
        return {"xobjects": f"/Im9 {w.image(300, 300, space)} 0 R"}

    def jpx_image(w: SheetWriter) -> dict[str, str]:
        head = (
            "<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /BitsPerComponent 8 "
            f"/Filter /JPXDecode /Length {len(jpx)} >>\nstream\n"
        )
        stream = w.add(head.encode() + jpx + b"\nendstream")
        return {"xobjects": f"/Im9 {stream} 0 R"}

    def image_in_form(w: SheetWriter) -> dict[str, str]:
        image = w.image(200, 200)  # 2 inches wide in the form: 100 ppi
        form = w.form("q 144 0 0 144 0 0 cm /Im9 Do Q", f"/XObject << /Im9 {image} 0 R >>")
        return {"xobjects": f"/Fm9 {form} 0 R"}

    def image_in_mark(w: SheetWriter) -> dict[str, str]:
        image = w.image(20, 20, "/DeviceRGB")
        mark = w.mark("q 72 0 0 72 0 0 cm /Im8 Do Q", f"/XObject << /Im8 {image} 0 R >>")
        return {"xobjects": f"/pssMO9 {mark} 0 R"}

    def stencil(w: SheetWriter) -> dict[str, str]:
        head = " /Type /XObject /Subtype /Image /Width 300 /Height 300 /ImageMask true"
        return {"xobjects": f"/Im9 {w.stream(bytes(38 * 300), head + ' /BitsPerComponent 1')} 0 R"}

    sheet("clean")
    sheet("font_unembedded", text, fonts=f"/F2 {helvetica}")
    sheet("font_unused_in_resources", fonts=f"/F2 {helvetica}")
    sheet("font_empty_program", text, build=empty_program)
    sheet("font_dangling_program", text, build=dangling_program)
    sheet("font_in_annotation", build=font_in_annotation)
    sheet("rgb_image", place, build=lambda w: image_xobject(w, "/DeviceRGB", 300))
    inline_rgb = "BI /W 2 /H 2 /CS /RGB /BPC 8 ID " + "\x00" * 12 + " EI"
    sheet("rgb_inline_image", f"q 72 0 0 72 700 300 cm {inline_rgb} Q")
    sheet("rgb_in_annotation", build=rgb_in_annotation)
    sheet("lab_image", place, build=lab)
    sheet("rgb_in_type3_glyph", "BT /T3 12 Tf 1 0 0 1 300 600 Tm (a) Tj ET", build=_type3_rgb)
    jpx = _jpx_rgb()
    if jpx:
        sheet("rgb_jpx_no_colorspace", place, build=jpx_image)
    sheet("low_resolution_image", place, build=lambda w: image_xobject(w, "/DeviceCMYK", 100))
    sheet("low_resolution_in_form", "q 1 0 0 1 700 300 cm /Fm9 Do Q", build=image_in_form)
    inline_cmyk = "BI /W 4 /H 4 /CS /CMYK /BPC 8 ID " + "\x00" * 64 + " EI"
    sheet("low_resolution_inline", f"q 72 0 0 72 700 300 cm {inline_cmyk} Q")
    sheet("low_resolution_rgb_in_mark", "q 1 0 0 1 700 20 cm /pssMO9 Do Q", build=image_in_mark)
    sheet("bitmap_300ppi_stencil", f"0 0 0 1 k {place}", build=stencil)
    spot = f"/ColorSpace << /CS1 {separation('PANTONE 185 C')} >>"
    listed = (*CMYK, "PANTONE 185 C")
    sheet("spot_unlisted", "/CS1 cs 1 scn 100 600 50 50 re f", spot)
    sheet("spot_zero_tint_unlisted", "/CS1 cs 0 scn 100 600 50 50 re f", spot)
    sheet("spot_listed_unused", colorants=listed)
    sheet("spot_listed_printed", "/CS1 cs 1 scn 100 600 50 50 re f", spot, colorants=listed)
    return made


def _type3_rgb(w: SheetWriter) -> dict[str, str]:
    image = w.image(300, 300, "/DeviceRGB")
    glyph = w.stream("1000 0 0 0 1000 1000 d0 q 1000 0 0 1000 0 0 cm /Im7 Do Q")
    font = w.add(
        f"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] "
        f"/FontMatrix [0.001 0 0 0.001 0 0] "
        f"/CharProcs << /a {glyph} 0 R >> /Encoding << /Type /Encoding /Differences [97 /a] >> "
        f"/FirstChar 97 /LastChar 97 /Widths [1000] "
        f"/Resources << /XObject << /Im7 {image} 0 R >> >> >>"
    )
    return {"fonts": f"/T3 {font} 0 R"}


def _jpx_rgb() -> bytes:
    try:
        from PIL import Image, features

        if not features.check("jpg_2000"):
            return b""
        out = io.BytesIO()
        Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "JPEG2000")
        return out.getvalue()
    except Exception:  # noqa: BLE001 - without Pillow's OpenJPEG the sheet is left out
        return b""


# --- report -------------------------------------------------------------------------------


def summary(results: list[FileResult]) -> dict[str, dict[str, Any]]:
    """Per code: files TP/FP/FN/TN, precision, recall; ``code*``: the by-design causes aside
    (marks, fonts that show no text, pdffonts' "emb yes" for an empty or dangling program)."""
    table: dict[str, dict[str, Any]] = {}
    for code in CODES:
        raw = Counter(r.verdict[code] for r in results if code in r.verdict)
        adjusted = Counter(r.adjusted[code] for r in results if code in r.adjusted)
        pages: Counter[str] = Counter()
        for r in results:
            pages.update(r.pages.get(code, {}))
        table[SHORT[code]] = {**_row(raw), "pages": dict(pages) if pages else None}
        table[SHORT[code] + "*"] = {**_row(adjusted), "pages": None}
    spots = Counter(v for r in results for k, v in r.verdict.items() if k.startswith("plate_"))
    table["spots"] = {"page checks": sum(spots.values()), **dict(spots)}
    return table


def _row(counts: Counter[str]) -> dict[str, Any]:
    tp, fp, fn = counts["TP"], counts["FP"], counts["FN"]
    return {
        "files": sum(counts.values()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": counts["TN"],
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def cause_class(cause: str) -> str:
    for key, label in (
        ("by design", "marks (by design)"),
        ("walker miss", "walker miss"),
        ("shows no text", "unused resource"),
        ("pdffonts miss", "pdffonts miss"),
        ("JPX", "JPX"),
        ("every spot the page declares", "gs declared spots"),
        ("rounds ppi", "rounding"),
        ("tool miss", "tool miss"),
        ("unexplained", "unexplained"),
    ):
        if key in cause:
            return label
    return "other"


def show(results: list[FileResult], table: dict[str, dict[str, Any]]) -> None:
    width = max(len(r.name) for r in results) if results else 10
    print(f"{'file':<{width}}  {'s':>5}  fonts rgb res  spots (Ghostscript)")
    for r in results:
        verdicts = "  ".join(f"{r.verdict.get(c, '--'):>3}" for c in CODES)
        spots = ";".join(f"p{p}:{','.join(s)}" for p, s in r.spots.items())
        print(
            f"{r.name:<{width}}  {r.seconds:5.1f}  {verdicts}  {spots[:60]}"
            + (f"  [{'; '.join(r.errors)[:120]}]" if r.errors else "")
        )
    print("\nper code (per file; pages: per page; code*: marks, fonts that show no text and")
    print("pdffonts' 'emb yes' for an empty or dangling /FontFile* set aside)")
    print(
        f"{'code':<11} {'files':>5} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3}  "
        f"precision recall  pages"
    )
    for code, row in table.items():
        if code == "spots":
            continue
        p = "-" if row["precision"] is None else f"{row['precision']:.2f}"
        rc = "-" if row["recall"] is None else f"{row['recall']:.2f}"
        print(
            f"{code:<11} {row['files']:>5} {row['tp']:>3} {row['fp']:>3} "
            f"{row['fn']:>3} {row['tn']:>3}  "
            f"{p:>9} {rc:>6}  {row['pages'] or ''}"
        )
    print(f"spots       {table['spots']}")
    disagreements = [d for r in results for d in r.disagreements]
    causes = Counter(cause_class(d["cause"]) for d in disagreements)
    print(f"\ndisagreements: {len(disagreements)} by cause {dict(causes)}")
    for d in disagreements:
        print(
            f"- {d['file']} {d['code']} {d['kind']}: prepress: {d['prepress'][:150]} | tool: "
            f"{d['tool'][:150]}\n    cause: {d['cause'][:300]}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--tool-timeout", type=float, default=60.0)
    parser.add_argument("--wall", type=float, default=60.0, help="prepress's wall limit per file")
    parser.add_argument("--no-sheets", action="store_true", help="the corpus only")
    args = parser.parse_args(argv)
    missing = [t for t in ("pdffonts", "pdfimages") if shutil.which(t) is None]
    if missing:
        print(
            f"{', '.join(missing)} not found: install poppler-utils "
            f"(apt-get install poppler-utils)",
            file=sys.stderr,
        )
        return 2
    if shutil.which("gs") is None:
        print("gs not found: install ghostscript (apt-get install ghostscript)", file=sys.stderr)
        return 2
    args.corpus = args.corpus.resolve()
    files = sorted(args.corpus.rglob("*.pdf")) if args.corpus.is_dir() else []
    if not files:
        print(f"no PDF under {args.corpus}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="agreement-") as tmp:
        work = Path(tmp)
        (work / "sheets").mkdir()
        sheets = [] if args.no_sheets else build_sheets(work / "sheets")
        results = [compare(p, "corpus", args, work) for p in files]
        results += [compare(p, "sheet", args, work) for p in sheets]
    table = summary(results)
    show(results, table)
    if args.json:
        args.json.write_text(
            json.dumps({"summary": table, "files": [asdict(r) for r in results]}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
