"""The facts analysis finds, as plain dataclasses with ``as_dict``/``from_dict``: the tasks
store them on the job and read them back (validate's sheets are what the detections decide
from)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.errors import RejectedFile
from pipeline.json_values import jsonable


def _int_keys(mapping: dict[str, Any] | None, convert: Any = lambda v: v) -> dict[int, Any]:
    return {int(k): convert(v) for k, v in (mapping or {}).items()}


def _pair(value: Any) -> Any:
    return tuple(value) if value is not None else None


class _Stored:
    """``as_dict`` for dataclasses stored between tasks."""

    def as_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))  # type: ignore[call-overload, no-any-return]


@dataclass
class DocumentFacts(_Stored):
    """The file as a whole: who made it, whether Signa did, how many pages."""

    file: str
    creator: str | None
    signa: bool
    pages: int
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentFacts:
        return cls(**{**data, "warnings": list(data.get("warnings", []))})


@dataclass
class SheetFacts(_Stored):
    """One page (one sheet side on one plate) and what its marks say."""

    number: int
    plate_mm: tuple[int, int]
    paper_mm: tuple[float, float] | None
    press: str | None
    outputter: str | None
    colorants: list[str]
    marks: dict[str, str]  # CreationName -> text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SheetFacts:
        return cls(
            **{**data, "plate_mm": _pair(data["plate_mm"]), "paper_mm": _pair(data.get("paper_mm"))}
        )


@dataclass
class PressResult(_Stored):
    """The press of page 1, how it was found, and pages meant for another press."""

    press: str
    source: str  # "mark" or "plate_size"
    other_pages: dict[int, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PressResult:
        return cls(**{**data, "other_pages": _int_keys(data.get("other_pages"))})


@dataclass
class PlateResult(_Stored):
    """Plates to buy (None when unknown) and the separations of each page."""

    plates: int | None
    separations: dict[int, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlateResult:
        return cls(**{**data, "separations": _int_keys(data.get("separations"), list)})


@dataclass
class OutputterResult(_Stored):
    """The CTP bureau, in its configured spelling, and how it was found."""

    outputter: str
    source: str  # "mark" or "filename"
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputterResult:
        return cls(**data)


@dataclass
class Analysis(_Stored):
    """Everything ``prepress analyze`` reports for one file; ``ok`` when nothing rejected it."""

    file: str
    ok: bool = True
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    creator: str | None = None
    signa: bool | None = None
    pages: int | None = None
    order: str | None = None
    job_name: str | None = None
    press: str | None = None
    press_source: str | None = None
    outputter: str | None = None
    outputter_source: str | None = None
    plates: int | None = None
    separations: dict[int, list[str]] = field(default_factory=dict)
    plate_mm: dict[int, tuple[int, int]] = field(default_factory=dict)
    paper_mm: dict[int, tuple[float, float] | None] = field(default_factory=dict)

    @property
    def error_codes(self) -> list[str]:
        return [error["code"] for error in self.errors]

    def reject(self, error: RejectedFile) -> None:
        self.ok = False
        self.errors.append(error.as_dict())

    def to_json(self) -> str:
        """The JSON object of the issue, as text (``as_dict`` gives the same as a dict)."""
        return json.dumps(self.as_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        return cls(
            **{
                **data,
                "separations": _int_keys(data.get("separations"), list),
                "plate_mm": _int_keys(data.get("plate_mm"), _pair),
                "paper_mm": _int_keys(data.get("paper_mm"), _pair),
            }
        )
