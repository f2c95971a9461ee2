"""Every offered language: a complete catalogue (every message id, every parameter), a voice
per provider, times and dates as the language says them, and one list used everywhere."""

from __future__ import annotations

import string

import pytest

from ivr_flows.languages import CODES, LANGUAGES, VOICES, catalogue_code
from ivr_flows.messages import CATALOGUES, render
from ivr_flows.model import CalendarDate, ClockTime, Name, Prompt, SiteRef
from voice_app.callsim import speech_seconds
from workers_db.import_csv import LANGUAGE_NAMES
from workers_db.registration import LANGUAGES as REGISTRABLE

REFERENCE = CATALOGUES["ja"]
SAMPLE = {
    "name": Name("田中 一郎", "タナカ イチロウ"),
    "time": ClockTime(7, 45),
    "since": ClockTime(20, 0),
    "key": "9",
    "days": 12,
    "last": CalendarDate(12, 1),
    "site": SiteRef("日本橋一丁目ビル新築工事", "1001"),
    "yen": 3840,
    "items": [("entry", ClockTime(7, 45)), ("touch", ClockTime(12, 0))],
    "options": [("1", Name("佐々木 健", "ササキ ケン")), ("2", Name("John Smith"))],
}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_catalogues_cover_the_issue_languages_and_each_has_a_voice() -> None:
    assert {"ja", "en", "vi", "zh", "id", "tl", "th", "ne"} <= set(CATALOGUES)
    assert set(VOICES) == set(CATALOGUES)
    for voices in VOICES.values():
        assert voices.twilio_voice.startswith("Google." + voices.twilio_language)
        assert voices.vonage_language  # a Vonage TTS language code (docs/languages.md)


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_every_message_id_and_parameter_is_in_every_catalogue(language: str) -> None:
    catalogue = CATALOGUES[language]
    assert set(catalogue.messages) == set(REFERENCE.messages)
    for message, template in catalogue.messages.items():
        assert fields(template) == fields(REFERENCE.messages[message]), message
        spoken = render(Prompt(message, language, SAMPLE))
        assert spoken.text.strip() and "{" not in spoken.text and "}" not in spoken.text
        assert spoken.language == language and spoken.voices == VOICES[language]
    assert fields(catalogue.item) == {"word", "time"}
    assert fields(catalogue.option) == {"name", "digit"}
    assert fields(catalogue.site) <= {"name", "code"} and fields(catalogue.site)
    assert set(catalogue.words) == set(REFERENCE.words)


def test_one_list_of_languages_for_registration_the_import_and_the_form() -> None:
    assert REGISTRABLE == CODES
    assert set(LANGUAGE_NAMES.values()) <= set(CODES)
    for language in LANGUAGES:
        assert language.catalogue in CATALOGUES
        if language.catalogue != language.code:  # the form says which language it hears
            assert "英語" in language.label_ja and "English" in language.label_en
    assert catalogue_code("ne") == "ne" and catalogue_code("my") == "en"


@pytest.mark.parametrize(
    ("language", "seven_forty_five", "five_pm", "first_of_december"),
    [
        ("ja", "7時45分", "17時", "12月1日"),
        ("en", "7:45 a.m.", "5 p.m.", "December 1"),
        ("vi", "7 giờ 45 phút", "17 giờ", "ngày 1 tháng 12"),
        ("zh", "7点45分", "17点", "12月1日"),
        ("id", "pukul 7 lewat 45 menit", "pukul 17", "1 Desember"),
        ("tl", "alas 7:45 ng umaga", "alas 5 ng hapon", "Disyembre 1"),
        ("th", "7 นาฬิกา 45 นาที", "17 นาฬิกา", "วันที่ 1 ธันวาคม"),
        ("ne", "बिहान 7 बजेर 45 मिनेट", "बेलुका 5 बजे", "डिसेम्बर 1"),
    ],
)
def test_times_and_dates_are_said_the_way_the_language_says_them(
    language: str, seven_forty_five: str, five_pm: str, first_of_december: str
) -> None:
    catalogue = CATALOGUES[language]
    assert catalogue.time(ClockTime(7, 45)) == seven_forty_five
    assert catalogue.time(ClockTime(17, 0)) == five_pm
    assert catalogue.date(CalendarDate(12, 1)) == first_of_december


def test_names_are_read_in_kana_in_japanese_and_in_latin_or_hanzi_elsewhere() -> None:
    tanaka = SAMPLE["name"]
    wang = Name("王 伟", "ワン ウェイ")
    assert render(Prompt("goodbye", "ja", {})).text == "失礼します。"
    assert "タナカ イチロウ" in render(Prompt("today_none", "ja", {"name": tanaka})).text
    for language in ("en", "vi", "id", "tl", "th", "ne"):
        assert "Tanaka Ichiro" in render(Prompt("today_none", language, {"name": tanaka})).text
    assert "王 伟" in render(Prompt("today_none", "zh", {"name": wang})).text
    assert "Wan Wei" in render(Prompt("today_none", "en", {"name": wang})).text


def test_a_site_is_named_in_japanese_and_given_by_its_code_elsewhere() -> None:
    ja = render(Prompt("month_summary", "ja", SAMPLE)).text
    en = render(Prompt("month_summary", "en", SAMPLE)).text
    assert "日本橋一丁目ビル新築工事" in ja and "1 0 0 1" in en and "日本橋" not in en


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_the_month_is_heard_in_under_twenty_seconds(language: str) -> None:
    said = [
        render(Prompt(m, language, SAMPLE)) for m in ("month_summary", "month_kentaikyo", "goodbye")
    ]
    assert sum(speech_seconds(s.text, s.voices.twilio_language) for s in said) < 20
