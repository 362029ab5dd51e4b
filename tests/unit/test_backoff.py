"""The one backoff every retry loop uses: a pause that doubles, capped, optionally jittered."""

from __future__ import annotations

import pytest

from pipeline.backoff import MAX_EXPONENT, compute_backoff


def test_the_pause_starts_at_the_factor_and_doubles_up_to_the_cap() -> None:
    # Given a first pause of 60 s and a cap of 15 min (the nightly backup's)
    # When the retries go on
    pauses = [compute_backoff(n, factor=60, max_backoff=900) for n in range(7)]
    # Then each pause is twice the last until the cap holds it
    assert pauses == [60, 120, 240, 480, 900, 900, 900]


def test_no_earlier_attempt_counts_as_the_first_retry() -> None:
    # Given a count below zero (the first failure of a loop counting from one, minus one)
    # Then the pause is the factor itself
    assert compute_backoff(-1, factor=0.2, max_backoff=2.0) == 0.2
    assert compute_backoff(0, factor=0.2, max_backoff=2.0) == 0.2


def test_a_loop_that_never_stops_failing_gets_the_cap_not_an_overflow() -> None:
    # Given far more failures than a float's exponent holds
    # Then the pause is the cap, and it stops growing after MAX_EXPONENT doublings
    assert compute_backoff(10_000, factor=1.0, max_backoff=60.0) == 60.0
    assert compute_backoff(10_000, factor=1.0, max_backoff=float("inf")) == 2.0**MAX_EXPONENT


@pytest.mark.parametrize("attempts", [0, 3, 50])
def test_jitter_shortens_the_pause_by_up_to_half(attempts: int) -> None:
    # Given the pause without jitter
    full = compute_backoff(attempts, factor=2.0, max_backoff=60.0)
    # When it is jittered many times
    pauses = {
        compute_backoff(attempts, factor=2.0, max_backoff=60.0, jitter=True) for _ in range(200)
    }
    # Then every pause lies between half and all of it, and they differ
    assert all(full / 2 <= pause <= full for pause in pauses)
    assert len(pauses) > 1
