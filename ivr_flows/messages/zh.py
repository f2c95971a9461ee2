"""中文（普通话，简体） (Mandarin Chinese, simplified characters)."""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.model import CalendarDate, ClockTime


def chinese_time(t: ClockTime) -> str:
    """「7点45分」, 「17点」: the 24-hour clock, as on a site's time sheet."""
    return f"{t.hour}点" if t.minute == 0 else f"{t.hour}点{t.minute}分"


def chinese_date(d: CalendarDate) -> str:
    """「12月1日」."""
    return f"{d.month}月{d.day}日"


CATALOGUE = Catalogue(
    code="zh",
    time=chinese_time,
    date=chinese_date,
    site="{code}号工地",
    words={"entry": "进场", "exit": "离场", "touch": "刷卡"},
    item="{time}{word}",
    item_separator="，",
    option="{name}请按{digit}",
    option_separator="，",
    messages={
        "recorded_entry": "{name}，{time}进场已记录。",
        "recorded_exit": "{name}，{time}离场已记录。今天辛苦了。",
        "recorded_exit_overnight": (
            "{name}，{time}离场已记录，这是昨天{since}开始的夜班。辛苦了。"
        ),
        "entry_recorded_at": "{name}，{time}的进场已经记录了。",
        "exit_confirm_ask": "如要现在记录离场，请按{key}。",
        "exit_not_recorded": "没有记录离场。再见。",
        "recorded_entry_no_exit_yesterday": (
            "{name}，昨天{since}进场后没有离场记录。今天{time}的进场已记录。"
        ),
        "recorded_entry_no_exit": ("{name}，{since}进场后没有离场记录。新的进场{time}已记录。"),
        "already_recorded": "{name}，{time}已经记录过了。",
        "menu_hint": "如需更正，请按{key}。",
        "menu": ("记录进场请按1，记录离场请按2，听今天的记录请按3，听本月的记录请按4。"),
        "today_summary": "{name}今天的记录：{items}。",
        "today_none": "{name}今天还没有记录。",
        "month_summary": (
            "{name}本月在所有工地记录的工作日：{days}天。最近一天是{last}，在{site}。"
        ),
        "month_none": "{name}本月还没有记录的工作日。",
        "month_unregistered": (
            "{name}没有登记CCUS技能者ID，所以工作日不会被记录。请联系工地办公室。"
        ),
        "month_kentaikyo": "建筑业退休金互助（建退共）预计：{yen}日元。",
        "correction_offer": "如需更正，请按1，我们会通知工地办公室。",
        "correction_sent": "已通知工地办公室。再见。",
        "ask_site_code": "请输入工地编号，然后按井号键。",
        "site_code_again": "没有找到这个工地编号。请重新输入工地编号，然后按井号键。",
        "site_code_failed": "无法确认工地编号。请联系工地办公室。再见。",
        "crew_choose": "{options}，全体请按0。",
        "unknown_caller": "这个电话号码没有登记。",
        "withheld_caller": "您的号码未显示，无法确认是谁打来的。",
        "ask_ccus_id": "如用CCUS技能者ID记录，请输入14位ID，然后按井号键。",
        "ccus_id_again": "技能者ID是14位数字。请重新输入，然后按井号键。",
        "ask_pin": "接着请输入密码，然后按井号键。",
        "pin_wrong": "技能者ID或密码不正确。",
        "locked_out": "由于多次输入错误，暂时不能用密码记录。",
        "anonymous_goodbye": ("我们会把这次来电通知工地办公室。请让办公室登记您的电话号码。再见。"),
        "goodbye": "再见。",
        "spooled": "您的记录已收到。再见。",
        "system_down": "由于系统故障，没有记录成功。请稍后再打，或者告诉工地办公室。",
    },
)
