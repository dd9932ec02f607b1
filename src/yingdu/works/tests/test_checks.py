"""The form check and the NRTA number check (pure)."""

from datetime import date

import pytest

from yingdu.works import checks
from yingdu.works.checks import LicenceNumberProblem, form_problems, licence_number_check


def problems(**overrides):
    values = dict(form="micro_drama", episode_count=80, episode_min_seconds=60, episode_max_seconds=150,
                  aspect_ratio="9:16")
    values.update(overrides)
    return form_problems(**values)


def test_a_vertical_micro_drama_of_short_episodes_passes():
    assert problems() == []


def test_a_micro_drama_with_18_minute_episodes_is_refused_with_the_reason():
    [problem] = problems(episode_max_seconds=18 * 60)
    assert problem.code == "episode_too_long"
    assert "最长一集为 18 分钟" in problem.message and "15 分钟" in problem.message


def test_a_horizontal_micro_drama_is_refused_with_the_reason():
    [problem] = problems(aspect_ratio="16:9")
    assert problem.code == "aspect_ratio_mismatch"
    assert "竖屏 9:16" in problem.message and "横屏 16:9" in problem.message


def test_the_message_suggests_the_other_form_when_it_fits():
    found = problems(episode_min_seconds=12 * 60, episode_max_seconds=18 * 60, aspect_ratio="16:9")
    assert {p.code for p in found} == {"episode_too_long", "aspect_ratio_mismatch"}
    assert all("AI短剧" in p.message for p in found)


def test_short_drama_needs_10_to_20_minute_horizontal_episodes():
    assert form_problems(form="short_drama", episode_count=12, episode_min_seconds=600, episode_max_seconds=1200,
                         aspect_ratio="16:9") == []
    [problem] = form_problems(form="short_drama", episode_count=12, episode_min_seconds=300,
                              episode_max_seconds=1200, aspect_ratio="16:9")
    assert problem.code == "episode_too_short" and "5 分钟" in problem.message


def test_thresholds_are_named_constants():
    assert (checks.MICRO_DRAMA_MAX_EPISODE_SECONDS, checks.SHORT_DRAMA_MIN_EPISODE_SECONDS,
            checks.SHORT_DRAMA_MAX_EPISODE_SECONDS) == (900, 600, 1200)


@pytest.mark.parametrize("raw, number", [
    ("（总局）网剧审字（2022）第001号", "（总局）网剧审字（2022）第001号"),
    ("(京)网剧审字(2026)第018号", "（京）网剧审字（2026）第018号"),
    ("网影审字（2022）第 002 号", "网影审字（2022）第002号"),
    ("（浙）网微剧审字（2025）第12号", "（浙）网微剧审字（2025）第12号"),
])
def test_permit_numbers_in_the_published_layout_are_accepted(raw, number):
    result = licence_number_check(raw, went_live_on=date(2026, 4, 1))
    assert (result.kind, result.number) == ("permit", number)


@pytest.mark.parametrize("raw, code", [
    ("", "licence_number_required"),
    ("网剧审字2024第1号", "permit_format"),
    ("（总局）网剧审字（2021）第001号", "permit_year"),
    ("（总局）网剧审字（2027）第001号", "permit_year"),
    ("12345", "filing_format"),
    ("备案号待补", "filing_format"),
    ("D1101<script>2024", "filing_format"),
])
def test_malformed_numbers_are_refused_with_a_code(raw, code):
    with pytest.raises(LicenceNumberProblem) as problem:
        licence_number_check(raw, went_live_on=date(2026, 4, 1))
    assert problem.value.code == code


def test_filing_numbers_are_checked_structurally():
    result = licence_number_check("Ｄ１１０１２６０４０００１２３", went_live_on=date(2026, 4, 1))
    assert (result.kind, result.number) == ("filing", "D110126040001" + "23")
    assert licence_number_check("京微短剧备(2026)0001234号", went_live_on=date(2026, 4, 1)).kind == "filing"


def test_the_checks_module_has_no_django_import():
    assert "django" not in open(checks.__file__, encoding="utf-8").read()
