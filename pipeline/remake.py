"""Remakes of plates: which plates of a done job are ordered again, why, and under which name.

A remake is a new job linked to the job whose plates it makes again (``Job.remake_of``, its
*original*: never itself a remake). It sends the original's plate file again under a distinct
remote name (``..._R1``, ``_R2`` before the extension, so the bureau's copy of the first plates is
never overwritten), its ticket lists only the plates ordered, and it counts exactly those plates.
The rules here are pure; tasks/actions.py ``remake`` applies them, the CLI, the page and the API
call that.

A plate is a separation on one sheet side (one page of the Signa file). ``--plates Cyan`` orders
Cyan on every sheet side that has it; ``--plates 2:Cyan`` only on page 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from pipeline.errors import CannotRemake

#: The job status whose plates can be made again: only a done job's plates were made.
REMAKE_STATUS = "done"
#: Modes whose plates were bought, and so can be made again.
REMAKE_MODES = ("normal", "import")
#: Most plates named in one request (a job has a few dozen at most).
MAX_PLATES = 500
#: Longest note kept with a remake (one line, in the ticket and the audit trail).
MAX_NOTE = 300


@dataclass(frozen=True)
class Plate:
    """One plate: a separation on a sheet side (page)."""

    page: int
    separation: str

    def as_dict(self) -> dict[str, Any]:
        return {"page": self.page, "separation": self.separation}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Plate:
        return cls(int(raw["page"]), str(raw["separation"]))

    def __str__(self) -> str:
        return f"{self.page}:{self.separation}"


def job_plates(separations: Mapping[str, Sequence[str]]) -> list[Plate]:
    """Every plate of a job from its stored separations (``{"1": ["Cyan"]}``), by page."""
    plates: list[Plate] = []
    for page in sorted(separations, key=lambda p: int(p) if str(p).isdigit() else 0):
        for name in separations[page] or ():
            plates.append(Plate(int(page), str(name)))
    return plates


def parse_plates(text: str | Iterable[str]) -> list[str]:
    """The plate names of ``--plates``: comma-separated (``Cyan,PANTONE 485 C``) or a list;
    blanks around a name are dropped, order kept, repeats once."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = [str(part).strip() for part in parts]
    return list(dict.fromkeys(name for name in names if name))


def choose_plates(
    job_id: int, separations: Mapping[str, Sequence[str]], wanted: Sequence[str] | None
) -> list[Plate]:
    """The plates of the job that ``wanted`` names (None or empty: all of them).

    A name is a separation (every sheet side that has it) or ``PAGE:NAME`` (that side only);
    case and surrounding blanks are ignored. A name the job never had is refused, naming the
    plates it has."""
    plates = job_plates(separations)
    if not plates:
        raise CannotRemake(
            f"job {job_id} has no plate list (not a Signa file, or its plates are unknown): "
            f"prepress cannot tell which plates to order; send the file again by hand"
        )
    if not wanted:
        return plates
    if len(wanted) > MAX_PLATES:
        raise CannotRemake(f"at most {MAX_PLATES} plates at once, got {len(wanted)}")
    chosen: list[Plate] = []
    for name in wanted:
        matched = _matching(plates, name)
        if not matched:
            have = ", ".join(dict.fromkeys(p.separation for p in plates))
            raise CannotRemake(
                f"job {job_id} has no plate {name!r}; its plates: {have} "
                f"(PAGE:NAME for one sheet side, e.g. 1:{plates[0].separation})"
            )
        chosen += [plate for plate in matched if plate not in chosen]
    return [plate for plate in plates if plate in chosen]  # in the job's order


def _matching(plates: Sequence[Plate], name: str) -> list[Plate]:
    folded = name.strip().casefold()
    page: int | None = None
    head, sep, tail = name.partition(":")
    if sep and head.strip().isdigit():
        page, folded = int(head.strip()), tail.strip().casefold()
    return [
        p
        for p in plates
        if p.separation.strip().casefold() == folded and (page is None or p.page == page)
    ]


def check_reason(code: str, reasons: Sequence[str]) -> str:
    """The reason code as configured (``[remakes] reasons``); refused when not one of them."""
    code = (code or "").strip()
    if not code:
        raise CannotRemake(f"a remake needs a reason code: {', '.join(reasons)}")
    if code not in reasons:
        raise CannotRemake(f"unknown remake reason {code!r}; choose one of {', '.join(reasons)}")
    return code


def check_original(job_id: int, status: str, mode: str) -> None:
    """Only a done job whose plates were bought (normal or import mode) can be made again."""
    if status != REMAKE_STATUS:
        raise CannotRemake(
            f"job {job_id} is {status}, not done: only the plates of a done job can be made "
            f"again (`prepress retry` or `reprocess` for a job that did not finish)"
        )
    if mode not in REMAKE_MODES:
        raise CannotRemake(
            f"job {job_id} ran in {mode} mode: no plates were made, so none can be made again; "
            f"`prepress reprocess {job_id}` runs it for real"
        )


def remake_name(name: str, number: int | None) -> str:
    """``0537_Flier.pdf`` -> ``0537_Flier_R1.pdf`` for remake 1 (unchanged for no remake)."""
    if not number:
        return name
    path = PurePath(name)
    return f"{path.stem}_R{number}{path.suffix}" if path.stem else f"{name}_R{number}"


def summary(plates: Sequence[Plate], every: Sequence[Plate]) -> str:
    """``1/4 plates: Cyan``: the plates ordered of the job's ``every`` plates, each separation
    named once; with its sides when only some of the sides that have it are ordered
    (``2/8 plates: Cyan (side 2), Black (side 2)``)."""
    chosen: dict[str, list[int]] = {}
    for plate in plates:
        chosen.setdefault(plate.separation, []).append(plate.page)
    names = []
    for name, pages in chosen.items():
        sides = sum(1 for plate in every if plate.separation == name)
        names.append(name if len(pages) == sides else _with_sides(name, pages))
    if not every:  # the job's plate list is not known (yet)
        return f"{len(plates)} plates: {', '.join(names)}"
    return f"{len(plates)}/{len(every)} plates: {', '.join(names)}"


def _with_sides(name: str, pages: Sequence[int]) -> str:
    return f"{name} (side {', '.join(str(p) for p in pages)})"


def sms_prefix(plates: Sequence[Plate], every: Sequence[Plate], reason: str) -> str:
    """What a remake's SMS starts with: ``REMAKE 1/4 plates: Cyan (damaged_on_press) ``."""
    return f"REMAKE {summary(plates or every, every)} ({reason}) "
