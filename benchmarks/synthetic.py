"""Synthetic Japanese FAQs of any size, for scale tests and benchmarks (deterministic by seed)."""

from __future__ import annotations

import random
from pathlib import Path

from faq_bot.content.faq import FaqEntry, dump

_THINGS = [
    "請求書",
    "見積書",
    "契約書",
    "領収書",
    "納品書",
    "注文履歴",
    "会員情報",
    "パスワード",
    "メールアドレス",
    "支払方法",
    "配送先",
    "ポイント",
    "クーポン",
    "ライセンス",
    "アカウント",
    "ユーザー権限",
    "通知設定",
    "API キー",
    "ログイン履歴",
    "二段階認証",
    "請求先住所",
    "利用明細",
    "解約手続き",
    "返品",
    "交換",
    "保証",
    "サポート契約",
    "トライアル",
    "プラン",
    "オプション",
    "見積依頼",
    "発注書",
    "入金確認",
    "口座情報",
    "利用規約",
    "プライバシー設定",
    "データ移行",
    "バックアップ",
    "ストレージ容量",
    "同時接続数",
]
_ACTIONS = [
    ("確認", "確認したい", "はどこで確認できますか"),
    ("変更", "変更したい", "を変更する方法を教えてください"),
    ("発行", "発行してほしい", "は発行できますか"),
    ("削除", "削除したい", "を削除できますか"),
    ("追加", "追加したい", "を追加する手順は"),
    ("ダウンロード", "ダウンロードしたい", "はダウンロードできますか"),
    ("再発行", "再発行してほしい", "の再発行は可能ですか"),
    ("停止", "止めたい", "を一時停止できますか"),
    ("移行", "移したい", "を別のアカウントに移行できますか"),
    ("共有", "共有したい", "を社内で共有できますか"),
]
_CONTEXTS = [
    "",
    "管理者として",
    "法人契約で",
    "トライアル中に",
    "年額プランで",
    "月額プランで",
    "複数拠点で",
    "海外から",
]
_SENTENCES = [
    "{thing}の{verb}は、マイページの「{thing}」メニューから行えます。",
    "操作は管理者権限を持つユーザーのみが実行できます。",
    "手続き完了後、ご登録のメールアドレス宛に完了通知をお送りします。",
    "反映までに最大で{n}営業日ほどかかる場合があります。",
    "ご不明な点は、弊社担当者またはお問い合わせフォームにお問い合わせください。",
    "なお、一部の製品サービスでは{thing}の{verb}に対応していない場合があります。",
    "変更履歴は画面下部の「履歴」タブからいつでもご確認いただけます。",
    "CSV形式での一括{verb}にも対応しています。",
]


_LONG_SENTENCES = [
    "お手続きの前に、対象となる{thing}が有効な状態であることをご確認ください。",
    "{thing}の{verb}は、担当窓口の営業時間（平日9時〜17時）内に受け付けた分から順に対応いたします。",
    "申請内容に不備があった場合は、担当者から折り返しご連絡し、修正をお願いすることがあります。",
    "①マイページにログインします。②「{thing}」を選択します。③画面の案内に従って{verb}の内容を入力します。",
    "法人名義でご利用の場合は、契約者情報に登録された部署名とご担当者名をあわせてご記入ください。",
    "なお、{thing}に関する記録は法令に基づき一定期間保存され、期間経過後に削除されます。",
    "年度末や月末は申請が集中するため、通常より処理にお時間をいただく場合がございます。",
    "複数の{thing}をまとめて{verb}する場合は、一覧画面のチェックボックスで対象を選択してから実行してください。",
    "スマートフォンからも操作できますが、一部の機能はパソコンのブラウザからのみご利用いただけます。",
    "ご本人以外による手続きには、委任状または管理者による承認が必要です。",
]


def answer_lengths(n: int, seed: int = 0) -> list[int]:
    """Sentences per answer, like a real municipal FAQ: median about 7 (about 300 characters), a few up to 40."""
    rng = random.Random(f"lengths:{seed}")
    return [min(40, max(2, round(rng.lognormvariate(2.0, 0.55)))) for _ in range(n)]


def entries(
    n: int, seed: int = 0, categories: int = 0, answer_sentences: int = 6, long_answers: bool = False
) -> list[FaqEntry]:
    """``n`` distinct entries; ``categories`` > 0 spreads them over that many categories.

    ``long_answers``: answers of realistic, varied length (see ``answer_lengths``) instead of
    ``answer_sentences`` short sentences each.
    """
    rng = random.Random(seed)
    lengths = answer_lengths(n, seed) if long_answers else [answer_sentences] * n
    pool = _SENTENCES + _LONG_SENTENCES if long_answers else _SENTENCES
    combos = [(t, a, c) for c in _CONTEXTS for t in _THINGS for a in _ACTIONS]
    out: list[FaqEntry] = []
    for i in range(n):
        thing, (verb, _, tail), context = combos[i % len(combos)]
        suffix = f"（その{i // len(combos) + 1}）" if i >= len(combos) else ""
        question = f"{context}{thing}{tail}{suffix}"
        body = (
            [rng.choice(pool).format(thing=thing, verb=verb, n=rng.randint(1, 10)) for _ in range(lengths[i])]
            if long_answers
            else [
                s.format(thing=thing, verb=verb, n=rng.randint(1, 10)) for s in rng.sample(_SENTENCES, answer_sentences)
            ]
        )
        category = f"分類{i % categories + 1}" if categories else ""
        out.append(FaqEntry(f"S{i + 1}", category, question, "".join(body)))
    return out


def paraphrase(entry: FaqEntry, seed: int = 0) -> str:
    """A casual rewording of a synthetic question (used as an eval query)."""
    rng = random.Random(f"{seed}:{entry.id}")
    for thing in _THINGS:
        if thing in entry.question:
            for verb, casual, tail in _ACTIONS:
                if tail in entry.question:
                    context = next((c for c in _CONTEXTS if c and entry.question.startswith(c)), "")
                    return rng.choice(["{c}{t}を{v}", "{c}{t}、{v}んだけど", "{c}{t}の{n}について"]).format(
                        c=context, t=thing, v=casual, n=verb
                    )
    return entry.question


def write(
    path: Path, n: int, seed: int = 0, categories: int = 0, queries: Path | None = None, long_answers: bool = False
) -> None:
    """Write a synthetic FAQ TSV (and, optionally, a query set with one paraphrase per 10 entries)."""
    items = entries(n, seed, categories, long_answers=long_answers)
    path.write_text(dump(items), encoding="utf-8")
    if queries is not None:
        lines = ["query\tgold"]
        lines += [f"{paraphrase(e, seed)}\t{e.id}" for e in items[:: max(1, n // 200)] if "（その" not in e.question]
        lines += ["明日の天気はどうですか\t", "おすすめの本はありますか\t"]
        queries.write_text("\n".join(lines) + "\n", encoding="utf-8")
