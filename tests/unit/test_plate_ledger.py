"""The plate ledger's pure parts: the JDF ticket (parsed back), remake rules and refusals,
prices per bureau, plate format and day, and the remake ledger's figures."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from pipeline import accounting
from pipeline import remake as rules
from pipeline import ticket as jdf
from pipeline.config import config_from_dict
from pipeline.errors import ConfigError
from tests.fixtures import BASE_CONFIG

NS = {"j": jdf.JDF_NS}
SEPARATIONS = {
    "1": ["Cyan", "Magenta", "Yellow", "Black"],
    "2": ["Cyan", "Magenta", "Yellow", "Black", "PANTONE 485 C"],
}


def order(plates: list[rules.Plate], **extra: object) -> jdf.Order:
    values: dict[str, object] = {
        "job_id": 42,
        "order": "0537",
        "job_name": 'Techno<yug> & "Co"',
        "file_name": "0537_Techno_Flier_Leonov_R1.pdf",
        "press": "Speedmaster",
        "outputter": "Leonov",
        "plate_mm": (1030.0, 770.0),
        "paper_mm": (900.0, 640.0),
        "plates": plates,
        "due": datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
        "created": datetime(2026, 12, 6, 10, 0, tzinfo=UTC),
        **extra,
    }
    return jdf.Order(**values)  # type: ignore[arg-type]


# --- the ticket -----------------------------------------------------------------------------


def test_ticket_of_a_job_lists_every_plate_and_parses_back() -> None:
    plates = rules.job_plates(SEPARATIONS)
    data = jdf.build(order(plates, remake_of=None))
    # a real XML parser (libxml2 through lxml), strict: no recovery
    root = etree.fromstring(data, etree.XMLParser(recover=False, resolve_entities=False))
    assert root.tag == f"{{{jdf.JDF_NS}}}JDF"
    assert (root.get("Type"), root.get("Types"), root.get("Version")) == (
        "ProcessGroup",
        "PlateMaking",
        "1.7",
    )
    specs = root.findall(".//j:SeparationSpec", NS)
    exposed = root.find(".//j:ExposedMedia", NS)
    assert exposed is not None and int(exposed.get("Amount")) == len(specs) == 9
    sides = root.findall(".//j:RunList/j:RunList", NS)
    assert [(s.get("Run"), len(s.findall("j:SeparationSpec", NS))) for s in sides] == [
        ("1", 4),
        ("2", 5),
    ]
    assert [s.get("Name") for s in sides[1]][-1] == "PANTONE 485 C"
    # the job's name with markup characters comes back as it was (escaped by the library)
    customer = root.find("j:CustomerInfo", NS)
    assert customer is not None
    assert customer.get("CustomerJobName") == 'Techno<yug> & "Co"'
    assert customer.get("CustomerOrderID") == "0537"
    ids = {g.get("IDUsage"): g.get("IDValue") for g in root.findall("j:GeneralID", NS)}
    assert ids["Press"] == "Speedmaster" and ids["PrepressJob"] == "42"
    assert "Remake" not in ids and b"REMAKE" not in data
    plate = root.find(".//j:Media[@MediaType='Plate']", NS)
    assert plate is not None and plate.get("DescriptiveName") == "1030 x 770 mm"
    paper = root.find(".//j:Media[@MediaType='Paper']", NS)
    assert paper is not None and "900 x 640" in paper.get("DescriptiveName", "")
    node = root.find("j:NodeInfo", NS)
    assert node is not None and node.get("End") == "2026-12-07T10:00:00+00:00"
    file_spec = root.find(".//j:FileSpec", NS)
    assert file_spec is not None and file_spec.get("URL") == "0537_Techno_Flier_Leonov_R1.pdf"


def test_ticket_of_a_remake_names_it_its_reason_and_the_job_it_remakes() -> None:
    chosen = rules.choose_plates(7, SEPARATIONS, ["2:PANTONE 485 C"])
    data = jdf.build(
        order(
            chosen,
            remake_of=7,
            remake_number=1,
            remake_reason="damaged_on_press",
            remake_note="torn at the gripper\x01",
        )
    )
    root = ET.fromstring(data)
    specs = root.findall(".//j:SeparationSpec", NS)
    assert [s.get("Name") for s in specs] == ["PANTONE 485 C"]
    exposed = root.find(".//j:ExposedMedia", NS)
    assert exposed is not None and exposed.get("Amount") == "1"
    ids = {g.get("IDUsage"): g.get("IDValue") for g in root.findall("j:GeneralID", NS)}
    assert (ids["Remake"], ids["RemakeOf"], ids["RemakeReason"]) == (
        "REMAKE",
        "7",
        "damaged_on_press",
    )
    comment = root.find("j:Comment", NS)
    assert comment is not None and "REMAKE 1 of job 7" in (comment.text or "")
    assert root.get("DescriptiveName", "").startswith("REMAKE ")


def test_ticket_name_is_the_plate_files_with_jdf() -> None:
    assert jdf.ticket_name("0537_Flier_R1.pdf") == "0537_Flier_R1.jdf"
    assert jdf.ticket_name("_1030x770") == "_1030x770.jdf"


# --- remake rules ---------------------------------------------------------------------------


def test_a_separation_means_every_side_that_has_it_page_colon_name_one_side() -> None:
    assert [str(p) for p in rules.choose_plates(1, SEPARATIONS, ["cyan"])] == ["1:Cyan", "2:Cyan"]
    assert [str(p) for p in rules.choose_plates(1, SEPARATIONS, ["2:Black", " Yellow "])] == [
        "1:Yellow",
        "2:Yellow",
        "2:Black",
    ]
    assert len(rules.choose_plates(1, SEPARATIONS, [])) == 9
    assert rules.parse_plates("Cyan, PANTONE 485 C,,Cyan") == ["Cyan", "PANTONE 485 C"]


def test_a_plate_the_job_never_had_is_refused_naming_its_plates() -> None:
    with pytest.raises(rules.CannotRemake, match="no plate 'Orange'.*Cyan, Magenta"):
        rules.choose_plates(3, SEPARATIONS, ["Orange"])
    with pytest.raises(rules.CannotRemake, match="no plate '1:PANTONE 485 C'"):
        rules.choose_plates(3, SEPARATIONS, ["1:PANTONE 485 C"])
    with pytest.raises(rules.CannotRemake, match="no plate list"):
        rules.choose_plates(3, {}, ["Cyan"])


def test_reasons_and_the_originals_state_are_checked() -> None:
    reasons = ("damaged_on_press", "planning")
    assert rules.check_reason(" planning ", reasons) == "planning"
    with pytest.raises(rules.CannotRemake, match="needs a reason code: damaged_on_press"):
        rules.check_reason("", reasons)
    with pytest.raises(rules.CannotRemake, match="unknown remake reason 'torn'"):
        rules.check_reason("torn", reasons)
    with pytest.raises(rules.CannotRemake, match="job 5 is failed, not done"):
        rules.check_original(5, "failed", "normal")
    with pytest.raises(rules.CannotRemake, match="dry-run mode: no plates were made"):
        rules.check_original(5, "done", "dry-run")
    rules.check_original(5, "done", "import")


def test_remake_name_and_sms_text() -> None:
    assert rules.remake_name("0537_Flier.pdf", 1) == "0537_Flier_R1.pdf"
    assert rules.remake_name("0537_Flier.pdf", 12) == "0537_Flier_R12.pdf"
    assert rules.remake_name("0537_Flier.pdf", None) == "0537_Flier.pdf"
    every = rules.job_plates({"1": ["Cyan", "Magenta", "Yellow", "Black"]})
    chosen = rules.choose_plates(1, {"1": ["Cyan", "Magenta", "Yellow", "Black"]}, ["Cyan"])
    assert rules.sms_prefix(chosen, every, "damaged_on_press") == (
        "REMAKE 1/4 plates: Cyan (damaged_on_press) "
    )
    two_sides = rules.job_plates(SEPARATIONS)
    one = rules.choose_plates(1, SEPARATIONS, ["2:Cyan"])
    assert rules.summary(one, two_sides) == "1/9 plates: Cyan (side 2)"


# --- configuration and prices ---------------------------------------------------------------


def shop(tmp_path: Path, **leonov: object) -> object:
    outputters = dict(BASE_CONFIG["outputters"])
    outputters["Leonov"] = {**outputters["Leonov"], **leonov}
    raw = dict(BASE_CONFIG, outputters=outputters, paths={"work_dir": str(tmp_path)})
    return config_from_dict(raw, source=tmp_path / "prepress.toml")


def test_price_by_bureau_format_and_day(tmp_path: Path) -> None:
    config = shop(
        tmp_path,
        prices=[
            {"plate_mm": [1030, 770], "price": 90.0},
            {"plate_mm": [770, 1030], "price": 95.0, "from": "2026-01-01"},
            {"plate_mm": [1030, 770], "price": 99.5, "from": date(2026, 6, 1)},
            {"plate_mm": [650, 550], "price": 40.0},
        ],
    )
    price = accounting.plate_price
    assert price(config, "Leonov", (1030, 770), date(2025, 12, 31)) == 90.0  # type: ignore[arg-type]
    assert price(config, "Leonov", (770, 1030), date(2026, 1, 1)) == 95.0  # type: ignore[arg-type]
    assert price(config, "Leonov", (1030.4, 769.6), date(2026, 5, 31)) == 95.0  # type: ignore[arg-type]
    assert price(config, "Leonov", (1030, 770), date(2026, 6, 1)) == 99.5  # type: ignore[arg-type]
    assert price(config, "Leonov", (550, 650), date(2020, 1, 1)) == 40.0  # type: ignore[arg-type]
    assert price(config, "Leonov", (1010, 820), date(2026, 1, 1)) is None  # type: ignore[arg-type]
    assert price(config, "Korol", (1030, 770), date(2026, 1, 1)) is None  # type: ignore[arg-type]
    assert price(config, "Nobody", (1030, 770), date(2026, 1, 1)) is None  # type: ignore[arg-type]


def test_only_a_dated_price_holds_from_its_day(tmp_path: Path) -> None:
    config = shop(tmp_path, prices=[{"plate_mm": [1030, 770], "price": 95, "from": "2026-01-01"}])
    assert accounting.plate_price(config, "Leonov", (1030, 770), date(2025, 12, 31)) is None  # type: ignore[arg-type]
    # without a bureau price the press's plate_cost is the fallback
    presses = dict(BASE_CONFIG["presses"])
    presses["Speedmaster"] = {**presses["Speedmaster"], "plate_cost": 50.0}
    raw = dict(BASE_CONFIG, presses=presses, paths={"work_dir": str(tmp_path)})
    fallback = config_from_dict(raw)
    unit = accounting.unit_cost(
        fallback, fallback.presses, "Leonov", "Speedmaster", date(2026, 1, 1)
    )
    assert unit == 50.0


@pytest.mark.parametrize(
    ("leonov", "key"),
    [
        ({"ticket": "xml"}, "outputters.Leonov.ticket"),
        ({"lead_hours": -1}, "outputters.Leonov.lead_hours"),
        ({"prices": {"plate_mm": [1, 2]}}, "outputters.Leonov.prices"),
        ({"prices": [{"plate_mm": [1030], "price": 1}]}, "outputters.Leonov.prices[0].plate_mm"),
        ({"prices": [{"plate_mm": [1030, 770]}]}, "outputters.Leonov.prices[0].price"),
        (
            {"prices": [{"plate_mm": [1030, 770], "price": 1, "from": "1.1.2026"}]},
            "outputters.Leonov.prices[0].from",
        ),
        (
            {"prices": [{"plate_mm": [1030, 770], "price": 1, "to": "x"}]},
            "outputters.Leonov.prices[0].to",
        ),
        (
            {
                "prices": [
                    {"plate_mm": [1030, 770], "price": 1},
                    {"plate_mm": [770, 1030], "price": 2},
                ]
            },
            "outputters.Leonov.prices[1]",
        ),
    ],
)
def test_bad_ledger_settings_name_the_file_and_the_key(
    tmp_path: Path, leonov: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError, match=rf"prepress.toml: {re.escape(key)}:"):
        shop(tmp_path, **leonov)


def test_reasons_and_currency_are_checked(tmp_path: Path) -> None:
    raw = dict(BASE_CONFIG, paths={"work_dir": str(tmp_path)})
    config = config_from_dict({**raw, "remakes": {"reasons": ["torn", "ctp_fault"]}})
    assert config.remake_reasons == ("torn", "ctp_fault")
    assert config_from_dict(raw).remake_reasons[0] == "damaged_on_press"
    assert config_from_dict({**raw, "shop": {"currency": "UAH"}}).currency == "UAH"
    for bad in ([], ["Torn Plate"], ["a", "a"]):
        with pytest.raises(ConfigError, match="remakes.reasons"):
            config_from_dict({**raw, "remakes": {"reasons": bad}})
    with pytest.raises(ConfigError, match="shop.currency"):
        config_from_dict({**raw, "shop": {"currency": "a very long currency"}})


# --- the remake ledger ----------------------------------------------------------------------


def test_ledger_counts_remakes_apart_with_money_and_rate(tmp_path: Path) -> None:
    config = shop(
        tmp_path,
        prices=[
            {"plate_mm": [1030, 770], "price": 90.0},
            {"plate_mm": [1030, 770], "price": 100.0, "from": "2026-02-01"},
        ],
    )
    day, later = date(2026, 1, 1), date(2026, 2, 1)
    group = accounting.LedgerGroup
    groups = [
        group(day, False, "", "Speedmaster", "Leonov", 10, 40),
        group(day, False, "", "Planeta", "Korol", 5, 20),
        group(day, True, "damaged_on_press", "Speedmaster", "Leonov", 1, 1),
        group(later, True, "damaged_on_press", "Speedmaster", "Leonov", 1, 2),
        group(later, True, "planning", "Planeta", "Korol", 1, 4),
    ]
    ledger = accounting.remake_ledger(groups, config.presses, config)  # type: ignore[attr-defined]
    assert ledger["first_plates"] == 60
    reasons = {row["reason"]: row for row in ledger["by_reason"]}
    assert (reasons["damaged_on_press"]["plates"], reasons["damaged_on_press"]["cost"]) == (
        3,
        90.0 + 200.0,
    )
    assert reasons["damaged_on_press"]["rate"] == round(3 / 60, 4)
    assert reasons["planning"]["cost"] is None  # Korol has no price, Planeta no plate_cost
    presses = {row["press"]: row for row in ledger["by_press"]}
    assert presses["Speedmaster"]["rate"] == round(3 / 40, 4)
    assert presses["Planeta"]["rate"] == round(4 / 20, 4)
    assert ledger["totals"]["plates"] == 7 and ledger["totals"]["jobs"] == 3
