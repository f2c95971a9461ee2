"""Tiếng Việt (Vietnamese: the largest group of foreign workers on Japanese sites)."""

from __future__ import annotations

from ivr_flows.messages.base import Catalogue
from ivr_flows.readback import vietnamese_date, vietnamese_time

CATALOGUE = Catalogue(
    code="vi",
    time=vietnamese_time,
    date=vietnamese_date,
    site="công trường {code}",
    words={"entry": "giờ vào", "exit": "giờ ra", "touch": "quẹt thẻ"},
    item="{word} lúc {time}",
    item_separator=", ",
    option="{name}, bấm phím {digit}",
    option_separator=". ",
    messages={
        "recorded_entry": "{name}, đã ghi nhận giờ vào lúc {time}.",
        "recorded_exit": "{name}, đã ghi nhận giờ ra về lúc {time}. Cảm ơn bạn hôm nay.",
        "recorded_exit_overnight": (
            "{name}, đã ghi nhận giờ ra về lúc {time}, kết thúc ca đêm bắt đầu hôm qua lúc "
            "{since}. Cảm ơn bạn."
        ),
        "entry_recorded_at": "{name}, giờ vào lúc {time} đã được ghi nhận rồi.",
        "exit_confirm_ask": "Muốn ghi giờ ra về bây giờ, hãy bấm phím {key}.",
        "exit_not_recorded": "Chưa ghi nhận giờ ra về. Tạm biệt.",
        "recorded_entry_no_exit_yesterday": (
            "{name}, sau giờ vào hôm qua lúc {since} chưa có giờ ra về. "
            "Đã ghi nhận giờ vào hôm nay lúc {time}."
        ),
        "recorded_entry_no_exit": (
            "{name}, sau giờ vào lúc {since} chưa có giờ ra về. Đã ghi nhận giờ vào mới lúc {time}."
        ),
        "already_recorded": "{name}, đã được ghi nhận lúc {time} rồi.",
        "menu_hint": "Muốn sửa, hãy bấm phím {key}.",
        "menu": (
            "Ghi giờ vào, bấm phím 1. Ghi giờ ra về, bấm phím 2. "
            "Nghe lại ghi nhận hôm nay, bấm phím 3. Nghe lại ghi nhận tháng này, bấm phím 4."
        ),
        "today_summary": "Ghi nhận hôm nay của {name}: {items}.",
        "today_none": "Hôm nay chưa có ghi nhận nào của {name}.",
        "month_summary": (
            "Số ngày công tháng này của {name}, ở tất cả công trường: {days} ngày. "
            "Ngày gần nhất là {last}, ở {site}."
        ),
        "month_none": "Tháng này chưa có ngày công nào của {name}.",
        "month_unregistered": (
            "{name} chưa đăng ký mã lao động CCUS nên ngày công không được ghi nhận. "
            "Vui lòng hỏi văn phòng công trường."
        ),
        "month_kentaikyo": "Tiền quỹ hưu trí Kentaikyo dự kiến: {yen} yên.",
        "correction_offer": (
            "Nếu cần sửa, hãy bấm phím 1, văn phòng công trường sẽ được thông báo."
        ),
        "correction_sent": "Đã thông báo cho văn phòng công trường. Tạm biệt.",
        "ask_site_code": "Vui lòng nhập mã công trường, sau đó bấm phím thăng.",
        "site_code_again": (
            "Không tìm thấy mã công trường này. Vui lòng nhập lại mã công trường, "
            "sau đó bấm phím thăng."
        ),
        "site_code_failed": (
            "Không xác nhận được mã công trường. Vui lòng hỏi văn phòng công trường. Tạm biệt."
        ),
        "crew_choose": "{options}. Tất cả mọi người, bấm phím 0.",
        "unknown_caller": "Số điện thoại này chưa được đăng ký.",
        "withheld_caller": "Số điện thoại của bạn bị ẩn nên không xác định được người gọi.",
        "ask_ccus_id": (
            "Để ghi nhận bằng mã lao động CCUS, hãy nhập 14 chữ số, sau đó bấm phím thăng."
        ),
        "ccus_id_again": "Mã lao động có 14 chữ số. Vui lòng nhập lại, sau đó bấm phím thăng.",
        "ask_pin": "Tiếp theo, hãy nhập mã PIN, sau đó bấm phím thăng.",
        "pin_wrong": "Mã lao động hoặc mã PIN không đúng.",
        "locked_out": "Do nhập sai nhiều lần, tạm thời không thể ghi nhận bằng mã PIN.",
        "anonymous_goodbye": (
            "Cuộc gọi này sẽ được báo cho văn phòng công trường. Vui lòng nhờ văn phòng đăng ký "
            "số điện thoại của bạn. Tạm biệt."
        ),
        "goodbye": "Tạm biệt.",
        "spooled": "Đã nhận ghi nhận của bạn. Tạm biệt.",
        "system_down": (
            "Do sự cố hệ thống, chưa ghi nhận được. Vui lòng gọi lại sau, hoặc báo cho văn phòng "
            "công trường."
        ),
    },
)
