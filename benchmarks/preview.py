"""Preview: ours (PDFium) against Ghostscript making the same artefacts, in one run.

    .venv/bin/python benchmarks/preview.py [--pages 8] [--repeat 3]

On a generated heavy sheet (a photo across the paper plus thousands of vector paths per page)
both sides make the proof of page 1 (2500 px long side), its thumbnail (175 px) and the press
preview PDF (every page cropped to the paper, vectors kept, images down to about 150 dpi). Ours
copies the pages with pypdf, sets their boxes to the crop, resamples the images with Pillow, and
renders the proof from the press PDF's page 1 with PDFium. Ghostscript crops with a fixed media
the size of the paper and a page offset, renders with ``jpeg`` at the same pixel sizes and
writes the PDF with ``pdfwrite`` downsampling images to 150 dpi. Then the peak RSS of ours on a
1030 x 770 mm page full of images is measured in a fresh subprocess. Ink coverage is left out on
both sides (it is Ghostscript either way).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.preview.geometry import PT_PER_MM, SheetGeometry, crop_box  # noqa: E402
from pipeline.preview.presspdf import PREVIEW_DPI  # noqa: E402
from pipeline.preview.render import PROOF_PX, THUMB_PX, render_preview  # noqa: E402
from testkit.samples import signa_sheet, write_signa_pdf  # noqa: E402

#: The sheet of the benchmark: a Speedmaster plate and its usual paper.
GEOMETRY = SheetGeometry(plate_mm=(1030, 770), paper_mm=(900, 640), gripper_mm=10)
#: A photo at 300 dpi on a quarter of the paper, and vector paths per page.
IMAGE_PX = (5300, 3800)
IMAGE_MM = (65, 10, 450, 320)
VECTORS = 20_000
#: The RSS pages, a photo over the whole 1030 x 770 mm plate: (label, photo pixels, paper).
#: At 200 dpi the photo is copied into the press PDF; at 300 dpi it is resampled. Without a
#: paper the crop is the content box, found on a PDFium render of the job's page.
RSS_CASES = [
    ("200 dpi photo, no paper", (8100, 6060), None),
    ("300 dpi photo, 900x640 paper", (12170, 9100), (900, 640)),
    ("300 dpi photo, no paper", (12170, 9100), None),
]


def heavy_sheet(path: Path, pages: int) -> Path:
    sheet = signa_sheet(image_px=IMAGE_PX, image_mm=IMAGE_MM, vector_objects=VECTORS)
    return write_signa_pdf(path, [sheet] * pages)


class Clock:
    """Wall time and CPU time (this process and its children) of a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu

    @staticmethod
    def _cpu() -> float:
        own, kids = (
            resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def best(runs: list[Clock]) -> tuple[float, float]:
    """The fastest wall and CPU times of several runs (the least disturbed by other load)."""
    return min(r.wall for r in runs), min(r.cpu for r in runs)


def ours(source: Path, out: Path, pages: int) -> Clock:
    with Clock() as clock:
        render_preview(source, [GEOMETRY] * pages, out, "bench", ink=False)
    return clock


def ours_proof(source: Path, out: Path) -> Clock:
    """Only the proof and thumbnail, rendered from the job's page 1 (as the raster fallback)."""
    import pypdfium2 as pdfium

    from pipeline.preview.raster import render_box
    from pipeline.preview.render import PreviewResult, _save_proof

    out.mkdir(exist_ok=True)
    result = PreviewResult(out / "p.jpg", out / "t.jpg", out / "x.pdf", None)
    with Clock() as clock:
        document = pdfium.PdfDocument(str(source))
        page = document[0]
        width, height = page.get_size()
        box = crop_box(width, height, GEOMETRY)
        assert box is not None
        _save_proof(render_box(page, box, long_px=PROOF_PX), result)
        page.close()
        document.close()
    return clock


def ghostscript(source: Path, out: Path, raster: bool = False, press: bool = True) -> Clock:
    """The same three artefacts with gs: two jpeg renders of page 1, then the press PDF.

    The press PDF comes from ``pdfwrite`` (vectors kept, images downsampled: the route the
    issue names) or, with ``raster``, from ``pdfimage24`` at 150 dpi, the artefact ours makes;
    ``press=False`` leaves it out.
    """
    box = crop_box(1030 * PT_PER_MM, 770 * PT_PER_MM, GEOMETRY)
    assert box is not None
    width, height = box[2] - box[0], box[3] - box[1]
    crop = [
        "-dFIXEDMEDIA",
        f"-dDEVICEWIDTHPOINTS={width:.3f}",
        f"-dDEVICEHEIGHTPOINTS={height:.3f}",
    ]
    offset = ["-c", f"<</PageOffset [{-box[0]:.3f} {-box[1]:.3f}]>> setpagedevice", "-f"]
    base = ["gs", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-q"]
    with Clock() as clock:
        _ghostscript_artefacts(source, out, raster, press, base, crop, offset, width, height)
    return clock


def _ghostscript_artefacts(
    source: Path,
    out: Path,
    raster: bool,
    press_pdf: bool,
    base: list[str],
    crop: list[str],
    offset: list[str],
    width: float,
    height: float,
) -> None:
    for name, long_px in (("gs_proof.jpg", PROOF_PX), ("gs_thumb.jpg", THUMB_PX)):
        dpi = long_px / (max(width, height) / 72)
        size = f"-g{round(width * dpi / 72)}x{round(height * dpi / 72)}"
        subprocess.run(
            [
                *base,
                "-sDEVICE=jpeg",
                "-dJPEGQ=85",
                f"-r{dpi:.4f}",
                size,
                "-dFirstPage=1",
                "-dLastPage=1",
                "-dFIXEDMEDIA",
                "-o",
                str(out / name),
                *offset,
                str(source),
            ],
            check=True,
        )
    if not press_pdf:
        return
    if raster:
        press = ["-sDEVICE=pdfimage24", f"-r{PREVIEW_DPI}", "-sCompression=JPEG", "-dJPEGQ=70"]
    else:
        press = [
            "-sDEVICE=pdfwrite",
            "-dDownsampleColorImages=true",
            f"-dColorImageResolution={PREVIEW_DPI}",
            "-dColorImageDownsampleType=/Average",
            "-dAutoFilterColorImages=false",
            "-sColorImageFilter=DCTEncode",
        ]
    subprocess.run(
        [*base, *press, *crop, "-o", str(out / "gs_preview.pdf"), *offset, str(source)], check=True
    )


def peak_rss_mb(
    folder: Path, image_px: tuple[int, int], paper_mm: tuple[float, float] | None
) -> float:
    """Peak RSS of a fresh interpreter rendering one 1030 x 770 mm page full of images."""
    page = folder / f"rss_{image_px[0]}.pdf"
    if not page.exists():
        write_signa_pdf(
            page,
            [signa_sheet(image_px=image_px, image_mm=(0, 0, 1030, 770), vector_objects=VECTORS)],
        )
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so the child would report
    # this (image-generating) parent's peak.
    code = (
        "import sys, json; from pathlib import Path; "
        "from pipeline.preview.render import render_preview; "
        "from pipeline.preview.geometry import SheetGeometry; "
        "g = SheetGeometry((1030, 770), json.loads(sys.argv[3]), 10); "
        "render_preview(Path(sys.argv[1]), [g], Path(sys.argv[2]), 'rss', ink=False); "
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(page), str(folder / "rss"), json.dumps(paper_mm)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return int(done.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("gs") is None:
        sys.exit("Ghostscript (gs) is needed for the comparison")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = heavy_sheet(folder / "heavy.pdf", args.pages)
        print(
            f"sheet: {args.pages} pages, {source.stat().st_size / 1e6:.1f} MB, photo "
            f"{IMAGE_PX[0]}x{IMAGE_PX[1]} px + {VECTORS} paths per page"
        )
        ours_s, ours_cpu = best(
            [ours(source, folder / "ours", args.pages) for _ in range(args.repeat)]
        )
        raster_s, raster_cpu = best(
            [ghostscript(source, folder, raster=True) for _ in range(args.repeat)]
        )
        raster_pdf = (folder / "gs_preview.pdf").stat().st_size
        gs_s, gs_cpu = best([ghostscript(source, folder) for _ in range(args.repeat)])
        ours_pdf = next((folder / "ours").rglob("*_preview.pdf")).stat().st_size
        proof_s, proof_cpu = best(
            [ours_proof(source, folder / "proof") for _ in range(args.repeat)]
        )
        gs_proof_s, gs_proof_cpu = best(
            [ghostscript(source, folder, press=False) for _ in range(args.repeat)]
        )
        gs_pdf = (folder / "gs_preview.pdf").stat().st_size
        rss = {label: peak_rss_mb(folder, size, paper) for label, size, paper in RSS_CASES}
    figures = {
        "ours_s": ours_s,
        "ours_cpu_s": ours_cpu,
        "ours_pdf_mb": ours_pdf / 1e6,
        "gs_pdfwrite_s": gs_s,
        "gs_pdfwrite_cpu_s": gs_cpu,
        "gs_pdfwrite_mb": gs_pdf / 1e6,
        "gs_raster_s": raster_s,
        "gs_raster_cpu_s": raster_cpu,
        "gs_raster_mb": raster_pdf / 1e6,
        "ratio_pdfwrite_cpu": gs_cpu / ours_cpu,
        "ratio_raster_cpu": raster_cpu / ours_cpu,
        "ours_proof_cpu_s": proof_cpu,
        "gs_proof_cpu_s": gs_proof_cpu,
        "ratio_proof_cpu": gs_proof_cpu / proof_cpu,
        **{f"peak_rss_mb {label}": mb for label, mb in rss.items()},
    }
    figures = {k: round(v, 2) for k, v in figures.items()}
    print("                                        wall s   CPU s   press PDF")
    for label, wall, cpu, size in (
        ("ours (press PDF + proof + thumbnail)", ours_s, ours_cpu, ours_pdf),
        ("Ghostscript (jpeg x2 + pdfwrite)", gs_s, gs_cpu, gs_pdf),
        ("Ghostscript (jpeg x2 + pdfimage24)", raster_s, raster_cpu, raster_pdf),
    ):
        print(f"{label:<39} {wall:7.2f} {cpu:7.2f} {size / 1e6:8.2f} MB")
    print(f"{'ours proof + thumbnail from the job':<39} {proof_s:7.2f} {proof_cpu:7.2f}")
    print(f"{'Ghostscript proof + thumbnail only':<39} {gs_proof_s:7.2f} {gs_proof_cpu:7.2f}")
    print(f"ratio gs pdfwrite / ours (CPU): {gs_cpu / ours_cpu:.2f}x (target >= 2x)")
    print(f"ratio gs raster / ours (CPU):   {raster_cpu / ours_cpu:.2f}x (the same artefact)")
    print(f"ratio gs / ours, proof + thumbnail only (CPU): {gs_proof_cpu / proof_cpu:.2f}x")
    for label, (width, height), _ in RSS_CASES:
        print(
            f"peak RSS of ours, 1030x770 mm page, {width}x{height} px {label}: "
            f"{rss[label]:.0f} MB (target < 400 MB)"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
