"""The step facts live on the chain's StepDefs, and its one diagram is drawn from them."""

from __future__ import annotations

from pathlib import Path

from pipeline import chain

#: The project root.
ROOT = Path(__file__).resolve().parents[2]


def drawn_in(text: str) -> str:
    """The chain's diagram as ``text`` draws it: the line that starts with the first step and
    an arrow, and the lines after it that start with an arrow."""
    lines = [line.strip() for line in text.splitlines()]
    first = chain.STEPS[0] + " ->"
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = start + 1
    while end < len(lines) and lines[end].startswith("->"):
        end += 1
    return "\n".join(lines[start:end])


def test_the_readme_and_the_chains_docstring_draw_the_chain_as_it_is() -> None:
    # Given the diagram drawn from CHAIN, the hold included
    drawn = chain.diagram()
    assert "render_preview\n" in drawn and "-> hold -> upload_plate" in drawn
    # Then the chain's docstring and the README draw exactly it (indentation aside)
    expected = "\n".join(line.strip() for line in drawn.splitlines())
    assert drawn_in(chain.__doc__ or "") == expected
    assert drawn_in((ROOT / "README.md").read_text(encoding="utf-8")) == expected


def test_every_stage_is_in_the_diagram_in_order() -> None:
    # Given the diagram with its line breaks and arrows taken out
    flat = chain.diagram().replace("\n", " ").split(" -> ")
    # Then it names each stage once, a group in parentheses
    assert [part.strip() for part in flat] == [
        f"({' | '.join(stage)})" if len(stage) > 1 else stage[0] for stage in chain.STAGES
    ]
    assert all(len(line) <= chain.DIAGRAM_WIDTH for line in chain.diagram().splitlines())


def test_the_step_facts_come_from_the_chain() -> None:
    # Then the uploads, their targets, the hold and where an approved job resumes
    assert chain.UPLOAD_STEPS == ("upload_plate", "upload_preview")
    assert chain.PLATE_UPLOAD == "upload_plate"
    assert chain.HOLD_STEP == "hold"
    assert chain.LAST_STEP == "persist"
    assert {name: chain.target_of(name) for name in chain.STEPS if chain.target_of(name)} == {
        "upload_plate": "bureau",
        "upload_preview": "press",
        "notify_sms": "sms",
    }


def test_an_approved_job_resumes_at_the_plate_upload_right_after_the_hold() -> None:
    # Given the hold, which must decide before any plate is bought
    hold = chain.stage_of(chain.HOLD_STEP)
    # Then the chain resumes at the stage after it, and that stage buys the plates
    assert chain.RESUME_AFTER_HOLD == chain.STAGES[hold + 1][0] == chain.PLATE_UPLOAD
    assert chain.stage_of(chain.PLATE_UPLOAD) == hold + 1
