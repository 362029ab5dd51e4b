"""The error tree: every class under PrepressError, every code stable and documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from pipeline import errors

#: The README, where operators look the codes up.
README = Path(__file__).resolve().parents[2] / "README.md"


def error_classes() -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    ]


def test_every_error_class_is_a_prepress_error_drawn_in_the_tree() -> None:
    for cls in error_classes():
        assert issubclass(cls, errors.PrepressError), cls
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} is not in the tree"


@pytest.mark.parametrize("code", [*errors.REJECTION_CODES, *errors.FAILURE_CODES])
def test_every_job_error_code_is_in_the_readme(code: str) -> None:
    assert f"`{code}`" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.DeliveryUnavailable("ftp down"), "delivery_unavailable"),
        (errors.SmsRefused("no balance"), "sms_refused"),
        (errors.ConfigError("bad key"), "config_error"),
        (OperationalError("SELECT 1", {}, Exception("database is locked")), "database_unavailable"),
        (TimeoutError("read timed out"), "transient_error"),
        (KeyError("press"), "internal_error"),
    ],
)
def test_a_failure_gets_a_stable_code_not_a_class_name(exc: BaseException, code: str) -> None:
    assert errors.error_code(exc) == code
    assert code in errors.FAILURE_CODES


def test_job_not_found_is_still_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        raise errors.JobNotFound("job 7 does not exist")
