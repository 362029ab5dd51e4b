"""What every fault test asserts at the end: each file in exactly one job, done, delivered once.

Shared by the tests in tests/reliability and benchmarks/chaos.py: ``burst`` writes a set of
distinct Signa files, ``check_outcome`` compares what the sinks received with the jobs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testkit.samples import signa_sheet, write_signa_pdf
from testkit.shop import SPEEDMASTER_PHONE, STAFF_PHONE

#: The SMS phones every Speedmaster job of the local shop notifies.
PHONES = (STAFF_PHONE, SPEEDMASTER_PHONE)
#: An upload's temporary name on the server (pipeline/delivery/transfer.py part_name).
_PART = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]+\.part$")


def _uploaded(stored: list[tuple[str, int]]) -> Counter[str]:
    """Per final file name, the STORs that left the whole file on the server (each upload is
    stored under its .part name). A STOR cut short by a killed worker (the server saw the data
    connection close after 0 or some bytes) is not an upload: the run after it sends the file,
    from the start or from where the cut one stopped, and only that one leaves it whole."""
    sizes: dict[str, list[int]] = {}
    for path, size in stored:
        name = Path(path).name
        sizes.setdefault(m.group("name") if (m := _PART.match(name)) else name, []).append(size)
    return Counter({name: seen.count(max(seen)) for name, seen in sizes.items()})


def burst(folder: Path, count: int, prefix: str = "") -> list[Path]:
    """``count`` small Signa files for Leonov on the Speedmaster, each with its own name."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_signa_pdf(
            folder / f"{index:04d}_{prefix}Job{index}_Leonov.pdf",
            [signa_sheet(colorants=("Cyan", "Magenta", "Yellow", "Black")[: 1 + index % 4])],
        )
        for index in range(count)
    ]


@dataclass
class Outcome:
    """Counts of what went wrong; all zero (and ``problems`` empty) when nothing did."""

    lost: int = 0
    duplicated: int = 0
    stuck: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.stuck or self.problems)


def check_outcome(pipeline: Any, pdfs: list[Path]) -> Outcome:
    """Every file in exactly one job, done, its plate byte-identical on the bureau's FTP once,
    its preview on the press's FTP once, each of its SMS once."""
    outcome = Outcome()
    jobs = Counter(job.name for job in pipeline.jobs())
    statuses = {job.name: job.status for job in pipeline.jobs()}
    plates = _uploaded(pipeline.bureau.stored)
    previews = _uploaded(pipeline.press.stored)
    sms = Counter((phone, m.mes) for m in pipeline.sms.messages for phone in m.phones.split(","))
    for pdf in pdfs:
        if jobs[pdf.name] == 0:
            outcome.lost += 1
            outcome.problems.append(f"{pdf.name}: no job")
            continue
        if jobs[pdf.name] > 1:
            outcome.problems.append(f"{pdf.name}: {jobs[pdf.name]} jobs")
        if statuses[pdf.name] != "done":
            outcome.stuck += 1
            outcome.problems.append(f"{pdf.name}: {statuses[pdf.name]}")
        if plates[pdf.name] != 1 or previews[f"{pdf.stem}_preview.pdf"] != 1:
            outcome.duplicated += plates[pdf.name] > 1 or previews[f"{pdf.stem}_preview.pdf"] > 1
            outcome.problems.append(
                f"{pdf.name}: plate x{plates[pdf.name]}, "
                f"preview x{previews[f'{pdf.stem}_preview.pdf']}"
            )
        remote = next(pipeline.bureau.root.rglob(pdf.name), None)
        if remote is None or remote.read_bytes() != pdf.read_bytes():
            outcome.problems.append(f"{pdf.name}: plate on the bureau's FTP differs or is gone")
    twice = {key: n for key, n in sms.items() if n > 1}
    outcome.duplicated += len(twice)
    if twice:
        outcome.problems.append(f"SMS sent more than once: {twice}")
    expected_sms = len(PHONES) * sum(1 for pdf in pdfs if statuses.get(pdf.name) == "done")
    if len(sms) != expected_sms:
        outcome.problems.append(f"{len(sms)} distinct SMS, expected {expected_sms}")
    return outcome
