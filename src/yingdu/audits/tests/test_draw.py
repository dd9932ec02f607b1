"""The pure draw: exact bytes, ranking, sample size, and verification of a published draw."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingdu.audits.draw import DrawError, Quarter, draw_choose, rank_candidates, rank_hash, sample_size

SEED_A = bytes(range(32))
SEED_B = bytes(range(1, 33))
CANDIDATES = list(range(1, 51))


def test_rank_hash_is_sha256_of_seed_then_ascii_decimal_id():
    # 32 seed bytes, then b"42": no separator, no terminator, no padding
    assert rank_hash(seed=SEED_A, candidate_id=42) == hashlib.sha256(SEED_A + b"42").digest()
    assert rank_hash(seed=b"\x00" * 32, candidate_id=7).hex() == hashlib.sha256(b"\x00" * 32 + b"\x37").hexdigest()


def test_same_checkpoint_and_candidates_always_give_the_same_draw():
    first = draw_choose(seed=SEED_A, candidate_ids=CANDIDATES, sample_rate="0.10", sample_minimum=3)
    again = draw_choose(seed=SEED_A, candidate_ids=list(reversed(CANDIDATES)), sample_rate="0.10", sample_minimum=3)
    assert first == again
    assert len(first) == 5


def test_a_different_checkpoint_gives_a_different_draw():
    assert (draw_choose(seed=SEED_A, candidate_ids=CANDIDATES, sample_rate="0.10", sample_minimum=3)
            != draw_choose(seed=SEED_B, candidate_ids=CANDIDATES, sample_rate="0.10", sample_minimum=3))


@pytest.mark.parametrize(("count", "rate", "minimum", "expected"), [
    (0, "0.10", 3, 0), (2, "0.10", 3, 2), (10, "0.10", 3, 3), (31, "0.10", 3, 4), (30, "0.10", 3, 3),
    (100, "0.1000", 0, 10), (101, "0.10", 0, 11), (7, "1", 0, 7),
])
def test_sample_size_is_max_of_minimum_and_ceiling_capped_at_the_candidates(count, rate, minimum, expected):
    assert sample_size(candidate_count=count, sample_rate=rate, sample_minimum=minimum) == expected


@pytest.mark.parametrize("rate", ["0.1e1", "-0.1", "1.5", "", "abc"])
def test_malformed_rates_are_refused(rate):
    with pytest.raises(DrawError):
        sample_size(candidate_count=10, sample_rate=rate, sample_minimum=1)


def test_duplicate_or_non_integer_candidates_are_refused():
    with pytest.raises(DrawError):
        rank_candidates(seed=SEED_A, candidate_ids=[1, 1])
    with pytest.raises(DrawError):
        rank_candidates(seed=SEED_A, candidate_ids=[True])


def test_quarter_bounds():
    assert Quarter.parse("2026q4").day_after.isoformat() == "2027-01-01"
    assert Quarter.parse("2026Q3").first_day.isoformat() == "2026-07-01"
    assert Quarter.parse("2026Q1").last_day.isoformat() == "2026-03-31"
    with pytest.raises(DrawError):
        Quarter.parse("2026Q5")


@given(seed=st.binary(min_size=32, max_size=32), candidates=st.sets(st.integers(0, 10**9), max_size=60),
       minimum=st.integers(0, 10))
def test_the_chosen_are_the_top_of_the_ranking_of_the_candidates(seed, candidates, minimum):
    chosen = draw_choose(seed=seed, candidate_ids=sorted(candidates), sample_rate="0.1", sample_minimum=minimum)
    ranking = rank_candidates(seed=seed, candidate_ids=candidates)
    assert chosen == ranking[:len(chosen)]
    assert len(chosen) == sample_size(candidate_count=len(candidates), sample_rate="0.1", sample_minimum=minimum)
    assert [rank_hash(seed=seed, candidate_id=c) for c in ranking] == sorted(
        rank_hash(seed=seed, candidate_id=c) for c in ranking)
