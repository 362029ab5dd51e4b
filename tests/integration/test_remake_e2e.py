"""A remake of one plate through ``prepress up`` with a real FTP server: the plate file goes
again under ``_R1`` with a JDF ticket naming that one separation, and it counts one plate;
the first job's plates stay as they were. Bad requests are refused with nothing sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from models.report import JobFilter, plate_report, remake_ledger
from pipeline.ticket import JDF_NS
from testkit.samples import signa_sheet, write_signa_pdf
from tests.pipeline_harness import Pipeline

NS = {"j": JDF_NS}
NAME = "0537_Technoyug_Flier_Leonov.pdf"
FOLDER = "leonov/_1030x770"


def with_tickets_and_prices(pipeline: Pipeline) -> None:
    """Leonov gets a JDF ticket with every plate file and a price; the shop a currency."""
    text = pipeline.config_path.read_text(encoding="utf-8")
    text = text.replace(
        "[outputters.Leonov]\n", '[outputters.Leonov]\nticket = "jdf"\nlead_hours = 8\n'
    )
    text += (
        '\n[shop]\ncurrency = "UAH"\n\n'
        "[[outputters.Leonov.prices]]\nplate_mm = [1030, 770]\nprice = 95.0\n"
    )
    pipeline.config_path.write_text(text, encoding="utf-8")


def sent(pipeline: Pipeline) -> list[str]:
    """The files the bureau received, in order, by their final name (each went through a
    hidden ``.<name>.<fingerprint>.part`` renamed once complete)."""
    names = []
    for path in pipeline.bureau.received:
        folder, _, part = path.rpartition("/")
        assert part.startswith(".") and part.endswith(".part"), path
        names.append(f"{folder}/{part[1:].rsplit('.', 2)[0]}")
    return names


def ticket_of(pipeline: Pipeline, name: str) -> etree._Element:
    data = (pipeline.bureau.root / FOLDER / name).read_bytes()
    return etree.fromstring(data, etree.XMLParser(recover=False, resolve_entities=False))


def test_a_remake_of_one_plate_sends_r1_with_a_ticket_of_one_plate_and_counts_one(
    start_pipeline: Callable[..., Pipeline], tmp_path: Path
) -> None:
    # Given `prepress up` with Leonov ordering by JDF ticket, and a 7-plate job done
    pipeline = start_pipeline(workers=False)
    with_tickets_and_prices(pipeline)
    pipeline.start_up()
    (tmp_path / "samples").mkdir()
    pdf = write_signa_pdf(
        tmp_path / "samples" / NAME,
        [signa_sheet(), signa_sheet(colorants=("Cyan", "Magenta", "PANTONE Warm Red C"))],
    )
    first = pipeline.wait_for(pipeline.submit(pdf))
    assert first.status == "done", pipeline.step_summary(first.id)
    # the first order: the plate file, then its ticket beside it with all 7 plates
    assert sent(pipeline) == [
        f"{FOLDER}/{NAME}",
        f"{FOLDER}/0537_Technoyug_Flier_Leonov.jdf",
    ]
    order = ticket_of(pipeline, "0537_Technoyug_Flier_Leonov.jdf")
    assert order.get("Types") == "PlateMaking"
    assert len(order.findall(".//j:SeparationSpec", NS)) == 7
    assert order.find(".//j:ExposedMedia", NS).get("Amount") == "7"

    # When a plate it never had, a job that is not done, or no valid reason is asked for
    refusals = [
        pipeline.cli(
            "remake", str(first.id), "--reason", "damaged_on_press", "--plates", "Orange", "--json"
        ),
        pipeline.cli("remake", str(first.id), "--reason", "torn", "--plates", "Cyan", "--json"),
        pipeline.cli("remake", "999", "--reason", "damaged_on_press", "--json"),
    ]
    # Then each is refused with a clear message, and nothing is recorded or sent
    messages = [json.loads(r.output)["error"] for r in refusals]
    assert [r.exit_code for r in refusals] == [1, 1, 1]
    assert "no plate 'Orange'" in messages[0] and "unknown remake reason 'torn'" in messages[1]
    assert "999" in messages[2]
    assert len(pipeline.jobs()) == 1 and len(pipeline.bureau.received) == 2

    # When one plate of side 2 is made again because it was damaged on press
    answer = pipeline.cli(
        "remake", str(first.id), "--reason", "damaged_on_press", "--plates", "2:PANTONE Warm Red C",
        "--note", "scratched", "--json",
    )  # fmt: skip
    assert answer.exit_code == 0, answer.output
    made = json.loads(answer.output)
    remake = pipeline.wait_for(made["job"])

    # Then it is a new job linked to the first, done, counting exactly one plate
    assert remake.status == "done", pipeline.step_summary(remake.id)
    assert (remake.remake_of, remake.remake_number, remake.remake_reason_code) == (
        first.id,
        1,
        "damaged_on_press",
    )
    assert (remake.plates, remake.remake) == (1, True)
    # And the plate file went again under _R1, then its ticket listing that one separation
    assert sent(pipeline)[2:] == [
        f"{FOLDER}/0537_Technoyug_Flier_Leonov_R1.pdf",
        f"{FOLDER}/0537_Technoyug_Flier_Leonov_R1.jdf",
    ]
    assert pipeline.bureau.files() == sorted(
        f"{FOLDER}/0537_Technoyug_Flier_Leonov{end}"
        for end in (".pdf", ".jdf", "_R1.pdf", "_R1.jdf")
    )  # the first copies are untouched
    ticket = ticket_of(pipeline, "0537_Technoyug_Flier_Leonov_R1.jdf")
    specs = ticket.findall(".//j:SeparationSpec", NS)
    assert [s.get("Name") for s in specs] == ["PANTONE Warm Red C"]
    assert ticket.find(".//j:ExposedMedia", NS).get("Amount") == "1"
    ids = {g.get("IDUsage"): g.get("IDValue") for g in ticket.findall("j:GeneralID", NS)}
    assert (ids["Remake"], ids["RemakeOf"], ids["RemakeReason"]) == (
        "REMAKE",
        str(first.id),
        "damaged_on_press",
    )
    # And the SMS says it is a remake of 1 of 7 plates
    texts = [m.mes for m in pipeline.sms.messages]
    said = "REMAKE 1/7 plates: PANTONE Warm Red C (damaged_on_press) 0537"
    assert any(text.startswith(said) for text in texts)

    # And the report counts 7 + 1 plates, the first job's plates unchanged, the money at
    # Leonov's price, and the remake apart per reason with its rate against first plates
    assert pipeline.job(first.id).plates == 7
    report = plate_report(pipeline.config, JobFilter(), by=("outputter",)).as_dict()
    assert (report["totals"]["plates"], report["totals"]["cost"]) == (8, 8 * 95.0)
    assert report["remakes"]["totals"]["plates"] == 1
    ledger = remake_ledger(pipeline.config, JobFilter())
    assert ledger["currency"] == "UAH" and ledger["first_plates"] == 7
    assert ledger["by_reason"] == [
        {
            "reason": "damaged_on_press",
            "jobs": 1,
            "plates": 1,
            "cost": 95.0,
            "first_plates": 7,
            "rate": round(1 / 7, 4),
        }
    ]
    # And `prepress show` and `jobs` mark it
    shown = pipeline.cli("show", str(remake.id)).output
    assert f"R1 of job {first.id}: 1/7 plates: PANTONE Warm Red C (damaged_on_press)" in shown
    assert f"REMAKE R1 of {first.id}" in pipeline.cli("jobs").output

    # When a remake of a remake is asked for a plate it did not order
    again = pipeline.cli("remake", str(remake.id), "--reason", "planning", "--plates", "Cyan")
    # Then it is refused: that remake had only its one plate
    assert again.exit_code == 1 and "no plate 'Cyan'" in again.output
