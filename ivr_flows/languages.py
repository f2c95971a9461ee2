"""The languages a worker can be registered in, and the voice each is spoken with.

This is the one list: registration (`workers_db.registration.LANGUAGES`), the CSV import, the
admin worker form and the message catalogues all read it.  Each entry names the catalogue
that speaks to the worker (its own, or the one it falls back to) and, per provider, a voice
the provider documents for that language (docs/languages.md lists the sources):

- Twilio `<Say language voice>`: Google voices as Twilio offers them.
- Vonage NCCO `talk` `language` (and `style`, 0 = the first voice).

No provider offers a Nepali voice: the Nepali catalogue (Devanagari) is read by the Hindi
voice, which reads the same script.  Burmese and Portuguese have no catalogue yet: those
workers hear English, and the form says so (`label_ja`, `label_en`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Voices:
    """What each provider is told to speak a catalogue with."""

    twilio_language: str
    twilio_voice: str
    vonage_language: str
    vonage_style: int = 0


@dataclass(frozen=True)
class Language:
    code: str  # as stored in workers.language
    name: str  # in the language itself
    label_ja: str  # for the admin form (says the fallback where there is one)
    label_en: str
    catalogue: str  # the catalogue that speaks to this worker


LANGUAGES: tuple[Language, ...] = (
    Language("ja", "日本語", "日本語", "Japanese", "ja"),
    Language("en", "English", "英語", "English", "en"),
    Language("vi", "Tiếng Việt", "ベトナム語", "Vietnamese", "vi"),
    Language("zh", "中文（普通话）", "中国語（普通話）", "Chinese (Mandarin)", "zh"),
    Language("id", "Bahasa Indonesia", "インドネシア語", "Indonesian", "id"),
    Language("tl", "Filipino", "フィリピノ語（タガログ語）", "Filipino (Tagalog)", "tl"),
    Language("th", "ภาษาไทย", "タイ語", "Thai", "th"),
    Language(
        "ne",
        "नेपाली",
        "ネパール語（ヒンディー語の音声で読み上げ）",
        "Nepali (read by a Hindi voice)",
        "ne",
    ),
    Language("my", "မြန်မာဘာသာ", "ミャンマー語（英語で案内）", "Burmese (hears English)", "en"),
    Language("pt", "Português", "ポルトガル語（英語で案内）", "Portuguese (hears English)", "en"),
)
CODES: tuple[str, ...] = tuple(language.code for language in LANGUAGES)
DEFAULT = "ja"
FALLBACK = "en"  # a code that is not registered at all (old data) hears English too

# One voice per catalogue and provider.  Twilio's Google voices and Vonage's TTS languages,
# as their documentation lists them; see docs/languages.md.
VOICES: dict[str, Voices] = {
    "ja": Voices("ja-JP", "Google.ja-JP-Standard-B", "ja-JP"),
    "en": Voices("en-US", "Google.en-US-Standard-C", "en-US"),
    "vi": Voices("vi-VN", "Google.vi-VN-Standard-A", "vi-VN"),
    "zh": Voices("cmn-CN", "Google.cmn-CN-Standard-A", "cmn-CN"),
    "id": Voices("id-ID", "Google.id-ID-Standard-A", "id-ID"),
    "tl": Voices("fil-PH", "Google.fil-PH-Standard-A", "fil-PH"),
    "th": Voices("th-TH", "Google.th-TH-Standard-A", "th-TH"),
    "ne": Voices("hi-IN", "Google.hi-IN-Standard-A", "hi-IN"),
}

_BY_CODE = {language.code: language for language in LANGUAGES}


def catalogue_code(code: str) -> str:
    """The catalogue that speaks to a worker registered in `code`."""
    language = _BY_CODE.get(code)
    return language.catalogue if language is not None else FALLBACK


def language_of(code: str) -> Language | None:
    return _BY_CODE.get(code)
