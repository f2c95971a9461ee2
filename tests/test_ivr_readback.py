"""Names and times as the voice says them, and the message catalogue in every language."""

from __future__ import annotations

import pytest

from ivr_flows.messages import render
from ivr_flows.model import ClockTime, Name, Prompt
from ivr_flows.readback import (
    english_time,
    japanese_time,
    romanize,
    spoken_name,
    vietnamese_time,
)


@pytest.mark.parametrize(
    ("kana", "roman"),
    [
        ("タナカ イチロウ", "Tanaka Ichiro"),
        ("イノウエ　ユウキ", "Inoue Yuki"),  # full-width space; "ou" before a vowel kept
        ("ｻｻｷ ｹﾝ", "Sasaki Ken"),  # half-width katakana
        ("はっとり しょうへい", "Hattori Shohei"),
        ("マッチ", "Matchi"),
        ("グエン・ヴァン・アン", "Guen Van An"),
        ("キョウコ", "Kyoko"),
    ],
)
def test_kana_is_romanised_for_foreign_voices(kana: str, roman: str) -> None:
    assert romanize(kana) == roman


def test_names_are_read_from_kana_in_japanese_and_as_written_in_latin() -> None:
    tanaka = Name("田中 一郎", "タナカ イチロウ")
    nguyen = Name("Nguyễn Văn An", "グエン ヴァン アン")
    assert spoken_name(tanaka, "ja") == "タナカ イチロウ"
    assert spoken_name(tanaka, "en") == "Tanaka Ichiro"
    assert spoken_name(nguyen, "vi") == "Nguyễn Văn An"
    assert spoken_name(nguyen, "ja") == "グエン ヴァン アン"
    assert spoken_name(Name("佐藤"), "ja") == "佐藤"  # no kana registered: the name itself


@pytest.mark.parametrize(
    ("hour", "minute", "ja", "en", "vi"),
    [
        (7, 45, "7時45分", "7:45 a.m.", "7 giờ 45 phút"),
        (17, 0, "17時", "5 p.m.", "17 giờ"),
        (0, 5, "0時5分", "12:05 a.m.", "0 giờ 5 phút"),
        (12, 0, "12時", "12 noon", "12 giờ"),
    ],
)
def test_times_are_said_as_people_say_them(
    hour: int, minute: int, ja: str, en: str, vi: str
) -> None:
    at = ClockTime(hour, minute)
    assert (japanese_time(at), english_time(at), vietnamese_time(at)) == (ja, en, vi)


SAMPLE = {
    "name": Name("田中 一郎", "タナカ イチロウ"),
    "time": ClockTime(7, 45),
    "items": [("entry", ClockTime(7, 45)), ("touch", ClockTime(12, 0))],
    "options": [("1", Name("佐々木 健", "ササキ ケン")), ("2", Name("John Smith"))],
}


def test_prompts_carry_their_parameters_into_the_sentence() -> None:
    assert render(Prompt("recorded_entry", "ja", SAMPLE)).text == (
        "タナカ イチロウさん、7時45分、入場を記録しました。"
    )
    assert render(Prompt("today_summary", "vi", SAMPLE)).text == (
        "Ghi nhận hôm nay của Tanaka Ichiro: giờ vào lúc 7 giờ 45 phút, quẹt thẻ lúc 12 giờ."
    )
    crew = render(Prompt("crew_choose", "en", SAMPLE)).text
    assert crew == "For Sasaki Ken, press 1. For John Smith, press 2. For everyone, press 0."


def test_a_language_without_a_catalogue_hears_english() -> None:
    spoken = render(Prompt("goodbye", "pt", {}))
    assert (spoken.text, spoken.language, spoken.voices.twilio_language) == (
        "Goodbye.",
        "en",
        "en-US",
    )
    assert render(Prompt("goodbye", "xx", {})).language == "en"  # not registrable at all
