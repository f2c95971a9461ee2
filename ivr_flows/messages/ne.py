"""नेपाली (Nepali), in Devanagari.

No telephony provider offers a Nepali voice: this catalogue is read by the Hindi voice
(`ivr_flows.languages.VOICES`), which reads the same script.  Digits stay ASCII, which the
Hindi voice reads as numbers.
"""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.model import CalendarDate, ClockTime

MONTHS = (
    "जनवरी", "फेब्रुअरी", "मार्च", "अप्रिल", "मे", "जुन",
    "जुलाई", "अगस्ट", "सेप्टेम्बर", "अक्टोबर", "नोभेम्बर", "डिसेम्बर",
)  # fmt: skip


def nepali_time(t: ClockTime) -> str:
    """ "बिहान 7 बजेर 45 मिनेट", "बेलुका 5 बजे": the 12-hour clock with the part of the day."""
    if t.hour < 4 or t.hour >= 20:
        part = "राति"
    elif t.hour < 12:
        part = "बिहान"
    elif t.hour < 17:
        part = "दिउँसो"
    else:
        part = "बेलुका"
    hour12 = t.hour % 12 or 12
    clock = f"{hour12} बजे" if t.minute == 0 else f"{hour12} बजेर {t.minute} मिनेट"
    return f"{part} {clock}"


def nepali_date(d: CalendarDate) -> str:
    """ "डिसेम्बर 1" (the Gregorian calendar of the Japanese site)."""
    return f"{MONTHS[d.month - 1]} {d.day}"


CATALOGUE = Catalogue(
    code="ne",
    time=nepali_time,
    date=nepali_date,
    site="साइट {code}",
    words={"entry": "आगमन", "exit": "प्रस्थान", "touch": "कार्ड टच"},
    item="{word} {time}",
    item_separator=", ",
    option="{name} का लागि {digit} थिच्नुहोस्",
    option_separator="। ",
    messages={
        "recorded_entry": "{name}, तपाईंको आगमन {time} मा दर्ता भयो।",
        "recorded_exit": "{name}, तपाईंको प्रस्थान {time} मा दर्ता भयो। आजको लागि धन्यवाद।",
        "recorded_exit_overnight": (
            "{name}, तपाईंको प्रस्थान {time} मा दर्ता भयो, हिजो {since} मा सुरु भएको रात्रि "
            "पालीको। धन्यवाद।"
        ),
        "entry_recorded_at": "{name}, तपाईंको आगमन {time} मा पहिले नै दर्ता भइसकेको छ।",
        "exit_confirm_ask": "अहिले प्रस्थान दर्ता गर्न {key} थिच्नुहोस्।",
        "exit_not_recorded": "प्रस्थान दर्ता गरिएको छैन। नमस्ते।",
        "recorded_entry_no_exit_yesterday": (
            "{name}, हिजो {since} को आगमनपछि प्रस्थान दर्ता भएको छैन। आजको आगमन {time} मा दर्ता भयो।"
        ),
        "recorded_entry_no_exit": (
            "{name}, {since} को आगमनपछि प्रस्थान दर्ता भएको छैन। नयाँ आगमन {time} मा दर्ता भयो।"
        ),
        "already_recorded": "{name}, यो {time} मा पहिले नै दर्ता भइसकेको छ।",
        "menu_hint": "सच्याउन {key} थिच्नुहोस्।",
        "menu": (
            "आगमन दर्ता गर्न 1 थिच्नुहोस्। प्रस्थान दर्ता गर्न 2 थिच्नुहोस्। "
            "आजको रेकर्ड सुन्न 3 थिच्नुहोस्। यो महिनाको रेकर्ड सुन्न 4 थिच्नुहोस्।"
        ),
        "today_summary": "{name} को आजको रेकर्ड: {items}।",
        "today_none": "{name} को आज अहिलेसम्म कुनै रेकर्ड छैन।",
        "month_summary": (
            "{name} को यो महिना सबै साइटमा दर्ता भएका कामका दिन: {days}। "
            "पछिल्लो दिन {last}, {site} मा।"
        ),
        "month_none": "{name} को यो महिना अहिलेसम्म कामको कुनै दिन दर्ता भएको छैन।",
        "month_unregistered": (
            "{name} को CCUS कामदार ID दर्ता नभएकोले कामका दिन दर्ता हुँदैनन्। कृपया साइट कार्यालयमा सोध्नुहोस्।"
        ),
        "month_kentaikyo": "केन्ताइक्यो अवकाश कोषको अनुमान: {yen} येन।",
        "correction_offer": "सच्याउनु परेमा 1 थिच्नुहोस्, साइट कार्यालयलाई खबर गरिनेछ।",
        "correction_sent": "साइट कार्यालयलाई खबर गरियो। नमस्ते।",
        "ask_site_code": "कृपया साइट कोड थिच्नुहोस्, त्यसपछि ह्यास कुञ्जी थिच्नुहोस्।",
        "site_code_again": (
            "त्यो साइट कोड भेटिएन। कृपया साइट कोड फेरि थिच्नुहोस्, त्यसपछि ह्यास कुञ्जी थिच्नुहोस्।"
        ),
        "site_code_failed": ("साइट कोड पुष्टि हुन सकेन। कृपया साइट कार्यालयमा सोध्नुहोस्। नमस्ते।"),
        "crew_choose": "{options}। सबैका लागि 0 थिच्नुहोस्।",
        "unknown_caller": "यो फोन नम्बर दर्ता भएको छैन।",
        "withheld_caller": "तपाईंको नम्बर लुकाइएको छ, त्यसैले को बोल्दै हुनुहुन्छ थाहा भएन।",
        "ask_ccus_id": ("CCUS कामदार ID बाट दर्ता गर्न, 14 अङ्क थिच्नुहोस्, त्यसपछि ह्यास कुञ्जी थिच्नुहोस्।"),
        "ccus_id_again": "कामदार ID मा 14 अङ्क हुन्छन्। कृपया फेरि थिच्नुहोस्, त्यसपछि ह्यास कुञ्जी।",
        "ask_pin": "अब आफ्नो PIN थिच्नुहोस्, त्यसपछि ह्यास कुञ्जी थिच्नुहोस्।",
        "pin_wrong": "कामदार ID वा PIN मिलेन।",
        "locked_out": "धेरै पटक गलत भएकोले, केही समय PIN बाट दर्ता गर्न मिल्दैन।",
        "anonymous_goodbye": (
            "यो कलबारे साइट कार्यालयलाई खबर गरिनेछ। कृपया आफ्नो फोन नम्बर दर्ता गर्न "
            "कार्यालयलाई भन्नुहोस्। नमस्ते।"
        ),
        "goodbye": "नमस्ते।",
        "spooled": "तपाईंको दर्ता प्राप्त भयो। नमस्ते।",
        "system_down": (
            "प्रणालीमा समस्या भएकोले दर्ता हुन सकेन। कृपया पछि फेरि फोन गर्नुहोस्, वा साइट कार्यालयलाई भन्नुहोस्।"
        ),
    },
)
