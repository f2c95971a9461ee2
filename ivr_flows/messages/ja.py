"""日本語 (the default)."""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.readback import japanese_date, japanese_time

CATALOGUE = Catalogue(
    code="ja",
    time=japanese_time,
    date=japanese_date,
    site="{name}",
    words={"entry": "入場", "exit": "退場", "touch": "カードタッチ"},
    item="{word}{time}",
    item_separator="、",
    option="{name}さんは{digit}",
    option_separator="、",
    messages={
        "recorded_entry": "{name}さん、{time}、入場を記録しました。",
        "recorded_exit": "{name}さん、{time}、退場を記録しました。お疲れさまでした。",
        "recorded_exit_overnight": (
            "{name}さん、{time}、退場を記録しました。昨日{since}からの夜間作業です。"
            "お疲れさまでした。"
        ),
        "entry_recorded_at": "{name}さん、{time}の入場は記録済みです。",
        "exit_confirm_ask": "退場を記録するときは、{key}を押してください。",
        "exit_not_recorded": "退場は記録していません。失礼します。",
        "recorded_entry_no_exit_yesterday": (
            "{name}さん、昨日{since}の入場のあと、退場が記録されていません。"
            "今日の入場を{time}に記録しました。"
        ),
        "recorded_entry_no_exit": (
            "{name}さん、{since}の入場のあと、退場が記録されていません。"
            "新しい入場を{time}に記録しました。"
        ),
        "already_recorded": "{name}さん、{time}に記録済みです。",
        "menu_hint": "訂正は{key}を押してください。",
        "menu": (
            "入場の記録は1、退場の記録は2、今日の記録の確認は3、今月の記録の確認は4を"
            "押してください。"
        ),
        "today_summary": "{name}さんの今日の記録は、{items}です。",
        "today_none": "{name}さんの今日の記録はまだありません。",
        "month_summary": (
            "{name}さんの今月の就業履歴は、全部の現場で{days}日です。最後は{last}、{site}です。"
        ),
        "month_none": "{name}さんの今月の就業履歴は、まだありません。",
        "month_unregistered": (
            "{name}さんは技能者IDが登録されていないため、就業履歴がたまりません。"
            "現場事務所にご相談ください。"
        ),
        "month_kentaikyo": "建退共の見込みは{yen}円です。",
        "correction_offer": "訂正が必要なときは1を押してください。現場事務所にお知らせします。",
        "correction_sent": "現場事務所にお知らせしました。失礼します。",
        "ask_site_code": "現場番号を押して、最後にシャープを押してください。",
        "site_code_again": (
            "その現場番号は見つかりませんでした。もう一度、現場番号とシャープを押してください。"
        ),
        "site_code_failed": (
            "現場番号を確認できませんでした。お手数ですが、現場事務所にお問い合わせください。"
            "失礼します。"
        ),
        "crew_choose": "{options}、全員の場合は0を押してください。",
        "unknown_caller": "この電話番号は登録されていません。",
        "withheld_caller": "電話番号が非通知のため、どなたか確認できません。",
        "ask_ccus_id": (
            "技能者IDで記録するときは、14桁の技能者IDを押して、最後にシャープを押してください。"
        ),
        "ccus_id_again": "技能者IDは14桁です。もう一度押して、最後にシャープを押してください。",
        "ask_pin": "続けて暗証番号を押して、最後にシャープを押してください。",
        "pin_wrong": "技能者IDか暗証番号が違います。",
        "locked_out": "入力の誤りが続いたため、しばらくの間、暗証番号では記録できません。",
        "anonymous_goodbye": (
            "この電話のことは現場事務所に伝えます。電話番号の登録を事務所にご依頼ください。"
            "失礼します。"
        ),
        "goodbye": "失礼します。",
        "spooled": "記録を受け付けました。失礼します。",
        "system_down": (
            "システムの障害のため、記録できませんでした。しばらくしてからおかけ直しいただくか、"
            "現場事務所にお知らせください。"
        ),
    },
)
