"""What kind of information a question asks for (a time, a price, a number) and whether an entry gives it.

A classic check of question answering ("expected answer type"): 「ロールの設定変更はいつ反映
されますか」 is close in meaning to 「ロール(権限)の設定はできますか」, but an answer that names
no time at all cannot answer a question that asks *when*. The bot does not answer with such an
entry; the visitor is sent to a person instead, who can say what the FAQ does not.

Only kinds that a question marks unmistakably are checked: interrogatives (いつ, 何日, いくら, 何人,
いくつ, how long, how much, how many, ...) and time, cost or limit nouns as the topic of the question
(期限は？, 料金は, キャンセル料は, 費用がかかりますか, お金はかかりますか, 無料ですか, 上限は, the price?;
not 期限切れのURL, 料金プランの資料がほしい, 資料は, a price quote). Any mention of the kind in the entry
(question, alternates or answer) counts as giving it, so the check only stops an answer whose text has
nothing of the kind; except how much (いくら): only an answer that states an amount (a sum, a rate, 無料, 実費)
or says where the amounts are listed gives that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faq_bot.content.faq import FaqEntry
from faq_bot.text.normalize import normalize


@dataclass(frozen=True)
class AskedKind:
    """One kind of information: how a question asks for it and how an entry gives it."""

    name: str
    label: str  # Japanese, for staff tools
    asks: re.Pattern[str]  # on the normalised question
    gives: re.Pattern[str]  # on the normalised entry text


#: A question for an amount of money: いくら (not いくらでも, nor いくら…ても: 「いくら待っても届かない」),
#: 何円, 金額 as the topic, how much (not how much time, storage, data …).
_ASKS_AMOUNT = (
    r"いくら(?!でも)(?![^。?？、\s]{0,6}?[てで]も(?![らえ]))|何円|金額(は|って|を(教|知)|[?？]|$)|"
    r"\bhow much\b(?!\s+(?:time|longer|storage|space|data|memory|stock|work|effort)\b)"
)

KINDS = (
    AskedKind(
        "time",
        "時期・期間",
        re.compile(
            r"いつ(?!でも|も)|何日|何時|何[かヶカケ]月|何週|何年|何営業日|"
            r"(どの|どれ)(くらい|ぐらい|位)(の)?(時間|期間|日数|日|かか)|"
            # Time nouns as the topic of the question, as the cost nouns below (期限は？, 納期って); not
            # as a modifier of another noun (期限切れのURL, 期間限定のプラン), nor as the subject of a
            # condition (納期が遅れた場合, 期限が切れたクーポン): those ask about something else.
            r"(期限|期間|期日|納期|締め?切り?|日程|日時|時間|時期|曜日)(は|って|を(教|知)|[?？]|$)|"
            r"\bwhen\b|\bhow long\b|\bhow much time\b"
        ),
        # まで only after a time (月末まで, 17時30分まで, 発送前まで, 夕方まで): 「契約から決済まで」 is a range of
        # steps, not a time.
        re.compile(
            r"いつ|日|時間|期間|期限|すぐ|即|直後|以内|(?:[0-9日月末時分半週年前中朝昼夜]|夕方)まで|タイミング|"
            r"[0-9]+[かヶカケ]?月|週|年|when|how long"
        ),
    ),
    AskedKind(
        "price",
        "料金・費用",
        re.compile(
            _ASKS_AMOUNT
            + r"|(料金|費用|値段|手数料)(は|が|って|を(教|知)|[?？]|$)|(有料|無料)(です|でしょう|なの|[?？]|$)|"
            # お金 only with a verb of costing (お金はかかりますか): as a topic it is as often about how to
            # pay (お金はカードで払えますか), which is not a price.
            r"お金(は|が|って)?(かか|必要|要り|いる)|"
            # A charge named by its suffix (キャンセル料, 送料, 年会費), not 資料 or 材料.
            r"(?<![資材原無有])料(は|って|[?？]|$)|(?<![消経])費(は|って|[?？]|$)|"
            # English cost nouns likewise only as the topic (the price? / price of …), not as a
            # modifier of another noun (a price quote is a 見積, not a price).
            r"\bcost|\b(prices?|fees?)\b(?!\s+(?!of\b|for\b)\w)"
        ),
        re.compile(r"円|料金|費用|値段|価格|金額|手数料|有料|無料|負担|割引|値引|price|fee|cost|free"),
    ),
    AskedKind(
        "quantity",
        "数・上限",
        re.compile(
            r"何(人|名|個|件|台|社|アカウント|ユーザー)(?!か(?![?？]|$))|いくつ(?!か(?![?？]|$))|(上限|最大|最低)(は|って|[?？]|$|が(あ|決))|"
            r"\bhow many\b|\blimit\b"
        ),
        re.compile(
            # a count (5人, 10件; not step numbers or 30分), a limit, or "as many as you like"
            r"[0-9]+\s*(人|名|件|個|台|社|つ|回|アカウント|ユーザー)|上限|制限|何(度|回|人|件|個|台)(でも|も)|いくつでも|"
            r"最大|最低|複数|limit|unlimited"  # not 以下/以上: 「以下の手順」 is "the following steps"
        ),
    ),
)


def asked_kinds(normalized_query: str) -> tuple[AskedKind, ...]:
    """The kinds of information a (normalised) question asks for."""
    return tuple(k for k in KINDS if k.asks.search(normalized_query))


def entry_text(entry: FaqEntry) -> str:
    """Everything an entry says, normalised: question, alternates and answer."""
    return normalize(" ".join((entry.question, *entry.alternates, entry.answer)))


#: A charge the question names by its suffix, as the topic (送料は, キャンセル料って, 年会費は？): not 資料, 材料,
#: 無料, 有料, 消費, 経費 (as ``asks`` above).
_NAMED_CHARGE = re.compile(r"([ァ-ヶー一-龥]*(?<![資材原無有])料|[ァ-ヶー一-龥]*(?<![消経])費)(?=は|って|が|[?？]|$)")


#: A question for an amount (いくら), not whether there is a charge: only an amount (or 無料) answers it.
_AMOUNT = re.compile(_ASKS_AMOUNT)


def named_charges(normalized_query: str) -> tuple[str, ...]:
    """The charges a question asks about by name (送料, キャンセル料, 年会費), when it asks whether there is
    one (送料はかかりますか), not how much it is (授業料はいくら: an entry that names 授業料 without an amount
    does not answer that)."""
    if _AMOUNT.search(normalized_query):
        return ()
    return tuple(m.group(1) for m in _NAMED_CHARGE.finditer(normalized_query) if len(m.group(1)) > 1)


#: An amount an entry states: a sum of money (3,000円, 1万円, ¥500, $20), that it costs nothing, or where the
#: amounts are listed (料金表, 価格表, price list).
_AMOUNT_GIVEN = re.compile(
    # a sum in figures or in kanji (3,000円, 1万円, 一万二千円, 数百円, 5億円, 20ドル), a rate (3.6%), a sign
    r"[0-9一二三四五六七八九十百千万億数][0-9,.一二三四五六七八九十百千万億]*\s*(円|ドル|ユーロ)|[0-9]\s*%|"
    r"[¥$€£]\s*[0-9]|"
    # nothing (無料), the actual cost (実費), or where the amounts are listed
    r"無料|実費|(料金|価格|金額)(表|一覧)|"
    r"\bfree\b|\bno charge\b|\byen\b|\bdollars?\b|\bprice list\b|\bpricing\b"
)


def unanswered_kinds(normalized_query: str, entry: FaqEntry) -> tuple[AskedKind, ...]:
    """The kinds the question asks for that the entry says nothing of.

    A charge the question names (送料は？) is also given by an entry that names that same charge (送料は
    かかりません): the general price words (円, 料金, 無料 …) miss it, and a wider pattern (any X料) would let
    every long answer that names some fee answer every price question. How much (いくら, 金額, how much) is
    only given by an amount: 「国民年金保険料は月額いくらですか」 is not answered by how the 保険料 is paid,
    although that entry speaks of 保険料 and 割引; nor is an entry's own 「送料はいくらですか」 by an answer
    that names no price (the publish preview names such an entry)."""
    asked = asked_kinds(normalized_query)
    if not asked:
        return ()
    text = entry_text(entry)
    charges = named_charges(normalized_query)
    amount = bool(_AMOUNT.search(normalized_query))

    def gives(kind: AskedKind) -> bool:
        if kind.name != "price":
            return bool(kind.gives.search(text))
        if amount:  # in the answer: a question or alternate that names a sum asks it, it does not give it
            return bool(_AMOUNT_GIVEN.search(normalize(entry.answer)))
        return bool(kind.gives.search(text)) or any(c in text for c in charges)

    return tuple(k for k in asked if not gives(k))
