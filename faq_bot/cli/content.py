"""The FAQ file's commands: ``validate``, ``build-index``, ``reload`` (publish the file on disk), ``versions`` (the kept
versions and the publish history) and ``rollback`` (serve a kept version again)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from faq_bot.cli.common import say, settings_from
from faq_bot.config import Settings, load_settings
from faq_bot.content import faq as faq_table
from faq_bot.content.diff import FIELD_LABELS
from faq_bot.errors import IndexMismatchError, VersionNotFoundError
from faq_bot.progress import printing

if TYPE_CHECKING:
    from faq_bot.content.faq import Faq
    from faq_bot.publishing.publisher import Preview, Publisher
    from faq_bot.retrieval.params import RetrievalParams
    from faq_bot.text.analyzer import TextAnalyzer


def cmd_validate(args: argparse.Namespace) -> int:
    settings = load_settings()
    faq = faq_table.load(Path(args.path), settings.max_faq_bytes)
    print(f"OK: {args.path}（文字コード: {faq.encoding}、{len(faq.entries)}件、分類{len(faq.categories)}件）")
    for w in faq.warnings:
        print(f"  注意: {w}")
    return 0


def cmd_build_index(args: argparse.Namespace) -> int:
    from faq_bot.model.loader import load_embedder
    from faq_bot.retrieval import store
    from faq_bot.retrieval.engine import build_and_save
    from faq_bot.text.analyzer import TextAnalyzer
    from faq_bot.text.synonyms import SynonymTable

    settings = settings_from(args)
    started = time.perf_counter()
    faq = faq_table.load(settings.faq_path, settings.max_faq_bytes)
    say(f"{settings.faq_path}: {len(faq.entries)}件（{faq.encoding}）")
    embedder = load_embedder(settings.encoder_params(micro_batch=False))
    analyzer = TextAnalyzer(SynonymTable.load(settings.synonyms_path))
    params = settings.retrieval_params()
    current = _current_build_of(faq, params, embedder.model_id, analyzer)
    if current is not None and not args.force:  # nothing to build: no second version of the same content
        say(f"索引は最新です: {current}（このFAQファイルの索引が公開中です。作り直すには --force）")
        return 0
    before = store.current_id(params.store.index_dir) if current is None else None  # (None: damaged, or none)
    built = build_and_save(faq, params, embedder, analyzer, printing(say))
    say(f"索引を保存しました: {built.path}（{time.perf_counter() - started:.1f}秒）")
    if before is not None and settings.database_url is None:  # another build was live here: this one is now
        say("公開中の版をこのFAQファイルの索引に切り替えました（この索引フォルダーの起動中のサーバーも切り替わります）。"
            "差分と回帰テストを確かめてから公開するには faq-bot reload を使ってください。")  # fmt: skip
    return 0


def _current_build_of(faq: Faq, params: RetrievalParams, model_id: str, analyzer: TextAnalyzer) -> Path | None:
    """The current build's folder when it is a whole build of exactly this FAQ file, model and settings."""
    from faq_bot.retrieval import store
    from faq_bot.retrieval.index import index_settings

    try:
        folder = store.current_build(params.store.index_dir)
        if folder is None:
            return None
        wanted = index_settings(params.index, analyzer)
        store.check(store.read_manifest(folder), tsv_sha256=faq.sha256, model_id=model_id, settings=wanted)
        store.load(folder)  # whole and loadable
    except IndexMismatchError:
        return None
    return folder


def _publisher(settings: Settings) -> Publisher:
    """The publisher a command publishes or rolls back with: compared with what is live (with a shared database:
    the version every replica serves), not the file; the answers staff confirmed in the question log are asked
    again, as in the admin page; what goes live is recorded in the publish history."""
    from faq_bot.runtime import databases, open_publisher
    from faq_bot.storage.chatlog import ChatLog
    from faq_bot.storage.history import PublishHistory

    dbs = databases(settings)
    return open_publisher(
        settings, shared_db=dbs.shared, follow_file=False, confirmed=ChatLog(dbs.log).confirmed_answers,
        history=PublishHistory(dbs.log),
    )  # fmt: skip


def _print_changes(p: Preview) -> None:
    """What a publish or rollback changes: entries, the regression set's answers, the edited phrasings."""
    counts = p.counts()
    print(f"追加 {counts['added']}件・削除 {counts['removed']}件・変更 {counts['changed']}件")
    for c in p.changes:
        label = {"added": "追加", "removed": "削除", "changed": "変更"}[c.kind]
        fields = "、".join(FIELD_LABELS.get(f, f) for f in c.fields)
        print(f"  {label} [{c.id}] {c.question}" + (f"（{fields}）" if fields else ""))
    if p.order is not None:
        more = f" ほか{len(p.order.moved) - 20}件" if len(p.order.moved) > 20 else ""
        print(f"並び順の変更: 位置が変わるFAQ {len(p.order.moved)}件（id {'、'.join(p.order.moved[:20])}{more}）")
        if p.order.categories_moved:
            print(f"  分類ボタンの順: {'・'.join(p.order.categories_before)} → {'・'.join(p.order.categories_after)}")
    if p.regression_total:
        confirmed = f"、うち質問ログで確認済みの回答 {p.regression_confirmed}問" if p.regression_confirmed else ""
        changed = (f"回答が変わる質問 {len(p.regressions)}件（悪化 {len(p.worse_regressions)}件）" if p.regressions
                   else "回答が変わる質問はありません")  # fmt: skip
        print(f"回帰テスト（{p.regression_total}問{confirmed}）: {changed}")
    if p.confirmed_unread:
        print("  質問ログを読めなかったため、確認済みにした回答は確かめていません。")
    if p.regression_problem:
        print(f"  {p.regression_problem}")
    for r in p.regressions:
        mark = (f"（分類: {'、'.join(r.categories)}）" if r.categories else "") + (
            "（確認済みの回答）" if r.confirmed else ""
        )
        expected = ",".join(r.expected) or "担当者へ"
        print(f"  回帰 {r.verdict}: {r.query}{mark}  {r.before} → {r.after}（期待: {expected}）")
    for m in p.worse_own:  # a phrasing the live FAQ answers with its entry, which this edit would not
        print(f"  回帰 悪化: {m.text}（FAQ {m.entry_id} の質問・言い換え）  {m.before} → {m.outcome}")


def cmd_reload(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    publisher = _publisher(settings)
    try:
        outcome = publisher.reload(dry_run=args.dry_run, progress=printing(say))
    finally:
        publisher.engine.close()
    p = outcome.preview
    print(f"{settings.faq_path}: {len(p.faq.entries)}件（{p.faq.encoding}）")
    _print_changes(p)
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


def cmd_versions(args: argparse.Namespace) -> int:
    """The kept versions and the publish history, read where they are kept (no model, no index loaded)."""
    from faq_bot.localtime import local_time
    from faq_bot.publishing.shared import SharedVersions
    from faq_bot.retrieval import store
    from faq_bot.runtime import databases
    from faq_bot.storage.history import PublishHistory
    from faq_bot.storage.versions import VersionStore

    settings = settings_from(args)
    dbs = databases(settings)
    try:
        if dbs.shared is not None:  # replicas: the versions every one of them can serve
            shared = SharedVersions(VersionStore(dbs.shared), settings.index_dir, settings.keep_versions)
            kept, current = shared.builds(), shared.current()
        else:
            kept, current = store.list_builds(settings.index_dir), store.current_id(settings.index_dir)
        print("保存されているバージョン（新しい順。戻すときは faq-bot rollback バージョン）:")
        for build_id, m in kept:
            mark = "  公開中" if build_id == current else ""
            built = local_time(m.built_at, settings.timezone)
            print(f"  {m.tsv_sha256[:12]}  {built}  {m.counts.get('entries', 0)}件  {m.source}{mark}")
        if not kept:
            print("  （まだありません。faq-bot build-index か faq-bot serve で最初の版を作ります）")
        history = PublishHistory(dbs.log).recent(args.history)
    finally:
        dbs.dispose()
    if not history:
        print("公開の履歴: まだ記録されていません（公開やバージョンを戻す操作をすると記録されます）。")
        return 0
    newest = f"、最新{len(history)}件（--history で件数を変えられます）" if len(history) == args.history else ""
    print(f"公開の履歴（新しい順{newest}）:")
    for e in history:
        print(
            f"  {local_time(e.created, settings.timezone)}  {e.label}  {e.faq_version}  {e.entries}件  "
            f"追加 {e.added}・削除 {e.removed}・変更 {e.changed}{f'・並び順 {e.moved}' if e.moved else ''}  {e.source}"
        )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """Serve a kept version again, after printing what it changes (or only that, with --dry-run); the logged
    questions an alternate or entry published since answered, and no longer does, go back on their list."""
    from faq_bot.quality.unanswered import LOG_NOT_RECHECKED, recheck_after_rollback, rechecked_message
    from faq_bot.runtime import databases
    from faq_bot.storage.chatlog import ChatLog

    settings = settings_from(args)
    publisher = _publisher(settings)
    try:
        build_id = _kept_build(publisher, args.version)
        if publisher.serves(build_id):
            print(f"バージョン {publisher.engine.current.faq_version} は公開中です。何も変えていません。")
            return 0
        version, preview = publisher.rollback_preview(build_id, progress=printing(say))
        verb = version.going  # a rollback undone: forward again
        print(f"バージョン {version.faq_version}（{version.entries}件、{version.source}）に{verb['if']}:")
        _print_changes(preview)
        if args.dry_run:
            print(f"（試行のみ: {verb['not']}）")
            return 0
        publisher.rollback(build_id, progress=printing(say))
        say("質問ログの質問を、公開したバージョンで確かめています")
        chatlog = ChatLog(databases(settings).log)
        rechecked = recheck_after_rollback(
            publisher.engine, chatlog, version.faq_version, version.built_seconds, publisher.recent
        )
    finally:
        publisher.engine.close()
    print(f"バージョン {version.faq_version} に{verb['did']}。起動中のサーバーは数秒以内に切り替わります。")
    if rechecked is None:
        print(LOG_NOT_RECHECKED)
    elif rechecked.restored or rechecked.settled:
        print(rechecked_message(rechecked))
    return 0


#: The fewest characters of a version that name it (as git's short ids: unique among the kept versions).
MIN_PREFIX = 4


def _kept_build(publisher: Publisher, wanted: str) -> str:
    """The build id of a kept version named by its build id, its version or the start of it (at least
    ``MIN_PREFIX`` characters naming one version); the newest build of that content."""
    versions = publisher.versions()
    found = [v for v in versions if wanted in (v.build_id, v.faq_version)]
    if not found and len(wanted) >= MIN_PREFIX:
        found = [v for v in versions if v.faq_version.startswith(wanted)]
    if len({v.faq_version for v in found}) > 1:
        named = "、".join(sorted({v.faq_version for v in found}))
        raise VersionNotFoundError(
            f"「{wanted}」で始まるバージョンが複数あります（{named}）。もう少し長く指定してください。"
        )
    if not found:
        raise VersionNotFoundError(
            f"バージョン「{wanted}」は保存されていません（faq-bot versions に表示される12桁か、その最初の"
            f"{MIN_PREFIX}桁以上で指定してください）。"
        )
    return found[0].build_id
