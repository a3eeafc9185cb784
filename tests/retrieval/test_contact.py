from __future__ import annotations

from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from faq_bot.config import Settings
from faq_bot.retrieval.contact import QUESTION_BYTES, check_contact_url, contact_link, refers_to_contact

ESCALATION = "弊社担当者、またはお問い合わせフォームにお問い合わせください。"


def test_placeholders_are_filled_url_encoded() -> None:
    link = contact_link("https://f.example/new?q={question}&rid={request_id}", "請求書 & 見積?", "ab12")
    assert link == "https://f.example/new?q=%E8%AB%8B%E6%B1%82%E6%9B%B8%20%26%20%E8%A6%8B%E7%A9%8D%3F&rid=ab12"


def test_a_url_without_placeholders_is_left_as_it_is() -> None:
    assert contact_link("https://f.example/contact", "質問", "ab12") == "https://f.example/contact"


@pytest.mark.parametrize(
    "bad", ["ftp://f.example/{question}", "/contact?q={question}", "https://f.example/{name}",
            "https://f.example/{question:20}", "https://f.example/{question!r}", "https://f.example/{"],
)  # fmt: skip
def test_the_setting_refuses_unknown_placeholders_and_non_http_urls(bad: str) -> None:
    with pytest.raises(ValidationError, match="contact_url"):
        Settings(contact_url=bad)
    with pytest.raises(ValueError):
        check_contact_url(bad)


def test_answers_that_send_the_visitor_to_the_contact_form_are_recognised() -> None:
    assert refers_to_contact(
        "ご利用いただけます。詳細は弊社担当者、またはお問い合わせフォームにお問い合わせください。", ESCALATION
    )
    assert refers_to_contact("お手数ですが問合せフォームからご連絡ください。", ESCALATION)
    assert refers_to_contact(ESCALATION, ESCALATION)
    assert not refers_to_contact("マイページの請求一覧からPDFで出力できます。", ESCALATION)


def test_a_long_question_is_prefilled_in_part_so_that_the_link_stays_within_what_web_servers_take() -> None:
    question = "請求書の宛名について" * 100  # 1,000 characters: 9,000 bytes URL-encoded
    url = contact_link("https://example.com/contact?q={question}&ref={request_id}", question, "r1")
    prefilled = url.split("q=", 1)[1].split("&ref=", 1)[0]
    assert len(prefilled) <= QUESTION_BYTES and url.endswith("&ref=r1")
    text = unquote(prefilled)
    assert text.endswith("…") and question.startswith(text[:-1]) and len(text) > 200
    short = "請求書はダウンロードできますか"
    assert unquote(contact_link("https://example.com/c?q={question}", short, "").split("q=")[1]) == short
