"""The FAQ file's commands: ``validate``, ``build-index`` and ``reload`` (publish the file on disk)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from faq_bot.cli.common import say, settings_from
from faq_bot.config import load_settings
from faq_bot.content import faq as faq_table
from faq_bot.progress import printing


def cmd_validate(args: argparse.Namespace) -> int:
    settings = load_settings()
    faq = faq_table.load(Path(args.path), settings.max_faq_bytes)
    print(f"OK: {args.path}（文字コード: {faq.encoding}、{len(faq.entries)}件、分類{len(faq.categories)}件）")
    for w in faq.warnings:
        print(f"  注意: {w}")
    return 0


def cmd_build_index(args: argparse.Namespace) -> int:
    from faq_bot.model.loader import load_embedder
    from faq_bot.retrieval.engine import build_and_save
    from faq_bot.text.analyzer import TextAnalyzer
    from faq_bot.text.synonyms import SynonymTable

    settings = settings_from(args)
    started = time.perf_counter()
    faq = faq_table.load(settings.faq_path, settings.max_faq_bytes)
    say(f"{settings.faq_path}: {len(faq.entries)}件（{faq.encoding}）")
    embedder = load_embedder(settings.encoder_params(micro_batch=False))
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    built = build_and_save(faq, settings.retrieval_params(), embedder, analyzer, printing(say))
    say(f"索引を保存しました: {built.path}（{time.perf_counter() - started:.1f}秒）")
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    from faq_bot.runtime import databases, open_publisher
    from faq_bot.storage.chatlog import ChatLog
    from faq_bot.storage.history import PublishHistory

    settings = settings_from(args)
    dbs = databases(settings)
    # Compared with what is live (with a shared database: the version every replica serves), not the file; the
    # answers staff confirmed in the question log are asked again, as in the admin page.
    confirmed = ChatLog(dbs.log).confirmed_answers
    publisher = open_publisher(
        settings, shared_db=dbs.shared, follow_file=False, confirmed=confirmed, history=PublishHistory(dbs.log)
    )
    try:
        outcome = publisher.reload(dry_run=args.dry_run, progress=printing(say))
    finally:
        publisher.engine.close()
    p = outcome.preview
    counts = p.counts()
    print(f"{settings.faq_path}: {len(p.faq.entries)}件（{p.faq.encoding}）")
    print(f"追加 {counts['added']}件・削除 {counts['removed']}件・変更 {counts['changed']}件")
    for c in p.changes:
        label = {"added": "追加", "removed": "削除", "changed": "変更"}[c.kind]
        print(f"  {label} [{c.id}] {c.question}" + (f"（{'、'.join(c.fields)}）" if c.fields else ""))
    if p.confirmed_unread:
        print("  質問ログを読めなかったため、確認済みにした回答は確かめていません。")
    for r in p.regressions:
        mark = (f"（分類: {'、'.join(r.categories)}）" if r.categories else "") + (
            "（確認済みの回答）" if r.confirmed else ""
        )
        expected = ",".join(r.expected) or "担当者へ"
        print(f"  回帰 {r.verdict}: {r.query}{mark}  {r.before} → {r.after}（期待: {expected}）")
    for m in p.worse_own:  # a phrasing the live FAQ answers with its entry, which this edit would not
        print(f"  回帰 悪化: {m.text}（FAQ {m.entry_id} の質問・言い換え）  {m.before} → {m.outcome}")
    for w in outcome.warnings:
        print(f"  注意: {w}")
    if args.dry_run:
        print("（試行のみ: 公開していません）")
    elif outcome.published and outcome.version:
        print(
            f"公開しました: {outcome.version.faq_version}（{outcome.seconds:.1f}秒）。"
            "起動中のサーバーは数秒以内に切り替わります。"
        )
    else:
        print("公開中の内容と同じため、変更はありません。")
    return 0
