from __future__ import annotations

import pytest

from faq_bot.content.faq import FaqEntry
from faq_bot.retrieval.asked import asked_kinds, unanswered_kinds
from faq_bot.text.normalize import normalize


def kinds(question: str) -> set[str]:
    return {k.name for k in asked_kinds(normalize(question))}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("契約はいつ確定しますか", {"time"}),
        ("登録には何日かかる？", {"time"}),
        ("審査はどれくらいかかりますか", {"time"}),
        ("How long does shipping take?", {"time"}),
        ("有効期限は？", {"time"}),  # a time noun as the topic asks for a time, as a cost noun asks a price
        ("納期って", {"time"}),
        ("申し込みの締め切りを教えて", {"time"}),
        ("期限切れのURLをもう一度送ってほしい", set()),  # the noun modifies another: no time is asked
        ("期間限定のプランはありますか", set()),
        ("納期が遅れた場合の補償はありますか", set()),  # a condition, not a request for a date
        ("期限が切れたクーポンは使えますか", set()),
        ("年会費はいくらですか", {"price"}),
        ("振込手数料は誰が払うの", {"price"}),
        ("会員登録は無料ですか", {"price"}),
        ("利用料金を教えて", {"price"}),
        ("登録にお金はかかりますか", {"price"}),  # the everyday word with a verb of costing
        ("お金が必要ですか", {"price"}),
        ("お金はクレジットカードで払えますか", set()),  # how to pay, not how much
        ("代金は銀行振込できますか", set()),
        ("代金はいつまでに払えばいいですか", {"time"}),
        ("代金って後払い？", set()),
        ("注文後にキャンセル料はかかりますか", {"price"}),  # a charge named by its suffix
        ("年会費は？", {"price"}),
        ("資料はありますか", set()),  # 資料 is no charge
        ("営業時間は？", {"time"}),
        ("ユーザーは何人まで追加できますか", {"quantity"}),
        ("ロールはいくつまで作れますか", {"quantity"}),
        ("発行回数に上限はありますか", {"quantity"}),
        ("How many users can I add?", {"quantity"}),
        ("いくつか質問があります", set()),  # "a few", not "how many"
        ("何人かで使っています", set()),
        ("何社かと契約しています", set()),
        ("キャンセル料が発生した場合", set()),
        ("見積書は何回でも発行できますか", set()),
        ("料金プランの資料がほしい", set()),  # about plans, not asking a price
        ("無料トライアルを始めたい", set()),
        ("Is it free?", set()),  # "free" alone is too loose a mark
        ("How much is the license?", {"price"}),
        ("What is the price of the premium plan?", {"price"}),
        ("Are there any fees?", {"price"}),
        ("Does it cost anything?", {"price"}),
        ("Can you send me a price quote?", set()),  # a quote (見積) is asked for, not a price
        ("Where is the fee schedule?", set()),
        ("price 見積 please", set()),  # after synonyms: quote -> 見積
        ("いつでも発行できますか", set()),  # いつでも is "any time", not "when"
        ("ユーザーはいくらでも追加できますか", set()),  # いくらでも is "as many as you like", not "how much"
        ("いくら待っても届きません", set()),  # いくら…ても is "however long", not "how much"
        ("何円かかりますか", {"price"}),
        ("金額を教えてください", {"price"}),
        ("How much time does shipping take?", {"time"}),  # how much time is a time, not a price
        ("How much storage do I get?", set()),
        ("見積書をダウンロードしたい", set()),
    ],
)
def test_questions_mark_what_they_ask_for(question: str, expected: set[str]) -> None:
    assert kinds(question) == expected


def entry(answer: str, question: str = "質問", alternates: tuple[str, ...] = ()) -> FaqEntry:
    return FaqEntry("1", "c", question, answer, alternates)


def test_an_entry_that_names_no_time_does_not_answer_when() -> None:
    plain = entry("はい、マイページのロール設定から変更できます。")
    assert [k.name for k in unanswered_kinds(normalize("反映はいつ？"), plain)] == ["time"]
    timed = entry("変更は翌日に反映されます。")
    assert unanswered_kinds(normalize("反映はいつ？"), timed) == ()


def test_a_range_of_steps_is_no_time_but_a_date_it_runs_to_is() -> None:
    steps = entry("オンラインで契約から決済まで完結できます。")  # まで of a range of steps
    assert [k.name for k in unanswered_kinds(normalize("トライアルは何日間使える？"), steps)] == ["time"]
    answers = ("翌月末までにお支払いください。", "受付は17時30分までです。", "発送前までにご連絡ください。", "夕方まで")
    for answer in answers:
        assert unanswered_kinds(normalize("支払いはいつまで？"), entry(answer)) == ()


def test_the_kind_may_come_from_the_question_or_an_alternate() -> None:
    assert unanswered_kinds(normalize("いつ使えますか"), entry("ご案内します。", "利用開始日はいつですか")) == ()
    assert unanswered_kinds(normalize("費用は？"), entry("ご案内します。", "q", ("料金について",))) == ()


def test_a_charge_named_by_its_suffix_is_given_as_it_is_asked_for() -> None:
    """「送料はかかりますか」 asks for a price; an answer saying 送料はかかりません gives one (was: escalated)."""
    for question, answer in (("送料はかかりますか", "送料はかかりません。"), ("年会費は？", "年会費は不要です。")):
        assert unanswered_kinds(normalize(question), entry(answer)) == ()
    # Another charge, or a word that only ends like one, does not.
    for answer in ("資料をお送りします。", "キャンセル料は発生しません。"):
        assert [k.name for k in unanswered_kinds(normalize("送料は？"), entry(answer))] == ["price"]
    # How much it is, not whether there is one: the charge named without an amount does not answer that.
    assert [k.name for k in unanswered_kinds(normalize("授業料はいくらですか"), entry("授業料は口座振替です。"))] == [
        "price"
    ]


def test_questions_that_ask_nothing_particular_are_never_stopped() -> None:
    assert unanswered_kinds(normalize("見積書を発行したい"), entry("はい、可能です。")) == ()


def test_labels_are_japanese_for_staff() -> None:
    (kind,) = unanswered_kinds(normalize("料金はいくら"), entry("はい、可能です。"))
    assert kind.label == "料金・費用"


def test_an_entry_that_says_no_number_does_not_answer_how_many() -> None:
    plain = entry("はい、可能です。業務にあわせユーザーを追加できます。")
    assert [k.name for k in unanswered_kinds(normalize("ユーザーは何人まで追加できますか"), plain)] == ["quantity"]
    assert unanswered_kinds(normalize("何人まで追加できますか"), entry("最大100人まで追加できます。")) == ()
    as_often_as_you_like = entry("何度も発行できます。")
    assert unanswered_kinds(normalize("上限はありますか"), as_often_as_you_like) == ()


def test_a_step_number_or_a_duration_is_no_count() -> None:
    steps = entry("以下の手順をご確認ください。1.招待メールを開く 2.登録する 3.30分以内にログインする")
    assert [k.name for k in unanswered_kinds(normalize("上限は？"), steps)] == ["quantity"]
    assert unanswered_kinds(normalize("上限は？"), entry("1契約あたり最大100ユーザーです。")) == ()


def test_how_much_is_answered_only_by_an_amount() -> None:
    """「いくら」 asks for an amount: an entry on the same charge that says how it is paid, not what it costs, does not
    answer it, however many price words it has (was: answered, 料金 and 割引 counted as giving a price)."""
    how_paid = entry("保険料は口座振替または納付書で納めます。口座振替にすると割引があります。")
    assert [k.name for k in unanswered_kinds(normalize("保険料は月額いくらですか"), how_paid)] == ["price"]
    assert unanswered_kinds(normalize("保険料の払い方は？"), how_paid) == ()  # not how much: as before
    for answer in (
        "月額16,980円です。",
        "1万円です。",
        "¥500 per month.",
        "手数料は無料です。",
        "料金表をご覧ください。",
        "決済額の3.6%です。",  # a rate
        "一万二千円です。",  # in kanji
        "数百円程度です。",
        "1件20ドルです。",
        "実費をご負担いただきます。",
    ):
        assert unanswered_kinds(normalize("手数料はいくらですか"), entry(answer)) == (), answer
    # Not even by an entry that asks it itself: its answer names no amount (the publish preview names it).
    own = entry("製品ごとに異なります。担当者にお問い合わせください。", "料金はいくらですか")
    assert [k.name for k in unanswered_kinds(normalize("料金はいくらですか"), own)] == ["price"]
    assert [k.name for k in unanswered_kinds(normalize("How much is the fee?"), how_paid)] == ["price"]


def test_an_amount_is_given_by_the_answer_not_by_a_question_that_names_one() -> None:
    """An alternate that names a sum asks about it (「1万円以上は送料無料？」); only the answer gives the amount."""
    asks_it = entry(
        "条件によって異なります。担当者にお問い合わせください。", "送料はいくらですか", ("1万円以上で送料無料ですか",)
    )
    assert [k.name for k in unanswered_kinds(normalize("送料はいくらですか"), asks_it)] == ["price"]
