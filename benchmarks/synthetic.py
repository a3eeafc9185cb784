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


def entries(n: int, seed: int = 0, categories: int = 0, answer_sentences: int = 6) -> list[FaqEntry]:
    """``n`` distinct entries; ``categories`` > 0 spreads them over that many categories."""
    rng = random.Random(seed)
    combos = [(t, a, c) for c in _CONTEXTS for t in _THINGS for a in _ACTIONS]
    out: list[FaqEntry] = []
    for i in range(n):
        thing, (verb, _, tail), context = combos[i % len(combos)]
        suffix = f"（その{i // len(combos) + 1}）" if i >= len(combos) else ""
        question = f"{context}{thing}{tail}{suffix}"
        body = [
            s.format(thing=thing, verb=verb, n=rng.randint(1, 10)) for s in rng.sample(_SENTENCES, answer_sentences)
        ]
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


def write(path: Path, n: int, seed: int = 0, categories: int = 0, queries: Path | None = None) -> None:
    """Write a synthetic FAQ TSV (and, optionally, a query set with one paraphrase per 10 entries)."""
    items = entries(n, seed, categories)
    path.write_text(dump(items), encoding="utf-8")
    if queries is not None:
        lines = ["query\tgold"]
        lines += [f"{paraphrase(e, seed)}\t{e.id}" for e in items[:: max(1, n // 200)] if "（その" not in e.question]
        lines += ["明日の天気はどうですか\t", "おすすめの本はありますか\t"]
        queries.write_text("\n".join(lines) + "\n", encoding="utf-8")
