"""Publishing a new FAQ without downtime: validate, build off to the side, swap; versions and rollback.

Every path (reload from disk, upload, watch, rollback) goes through ``Publisher``:
the new index is built while the old one keeps answering, saved as a new build,
the TSV on disk is replaced (temp file + rename) and only then ``CURRENT``
moves and the engine swaps. A failure at any step leaves the old FAQ serving.
Other worker processes sharing the index folder follow ``CURRENT`` (``sync``).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from faq_bot import faq as faq_table
from faq_bot import index as faq_index
from faq_bot.answer import Decision, Reply, decide
from faq_bot.config import Settings
from faq_bot.engine import Engine, faq_version_of
from faq_bot.errors import FaqBotError, FaqFormatError, FormatProblem
from faq_bot.evaluate import LabelledQuery, read_queries
from faq_bot.faq import Faq, FaqEntry
from faq_bot.index import FaqIndex, Manifest
from faq_bot.retrieve import Retriever

log = logging.getLogger("faq_bot.publish")


class VersionNotFoundError(FaqBotError):
    """A rollback named a version that is not kept."""


@dataclass(frozen=True)
class EntryChange:
    """How one entry differs between the live FAQ and a new one."""

    id: str
    kind: str  # added | removed | changed
    question: str
    fields: tuple[str, ...] = ()  # for changed: category, question, answer, alternates
    before: FaqEntry | None = None
    after: FaqEntry | None = None


@dataclass(frozen=True)
class RegressionChange:
    """A regression-set question whose outcome would change."""

    query: str
    expected: tuple[str, ...]
    before: str  # "answer:12", "suggest:3", "escalate"
    after: str
    verdict: str  # 改善 (now right), 悪化 (now wrong), 変化 (changed, still right or still wrong)


@dataclass(frozen=True)
class Preview:
    """What publishing a FAQ would change."""

    faq: Faq
    changes: tuple[EntryChange, ...]
    regressions: tuple[RegressionChange, ...]
    regression_total: int

    @property
    def unchanged(self) -> bool:
        """True when the new FAQ has exactly the live entries."""
        return not self.changes

    def counts(self) -> dict[str, int]:
        """Added / removed / changed entry counts."""
        out = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            out[c.kind] += 1
        return out


@dataclass(frozen=True)
class Version:
    """One kept FAQ version (a saved build and its TSV)."""

    build_id: str
    faq_version: str
    built_at: str
    entries: int
    source: str
    current: bool


@dataclass(frozen=True)
class Outcome:
    """The result of a publish, dry run or not."""

    preview: Preview
    published: bool
    version: Version | None
    seconds: float
    warnings: tuple[FormatProblem, ...] = field(default=())


def diff(old: Sequence[FaqEntry], new: Sequence[FaqEntry]) -> list[EntryChange]:
    """Added, removed and changed entries, by id, in the new FAQ's order (removed last)."""
    before = {e.id: e for e in old}
    after = {e.id: e for e in new}
    out = []
    for e in new:
        o = before.get(e.id)
        if o is None:
            out.append(EntryChange(e.id, "added", e.question, after=e))
            continue
        changed = tuple(f for f in ("category", "question", "answer", "alternates") if getattr(o, f) != getattr(e, f))
        if changed:
            out.append(EntryChange(e.id, "changed", e.question, changed, o, e))
    out += [EntryChange(o.id, "removed", o.question, before=o) for o in old if o.id not in after]
    return out


def _outcome(reply: Reply) -> str:
    if reply.decision == Decision.ANSWER and reply.hit:
        return f"answer:{reply.hit.entry.id}"
    if reply.decision == Decision.SUGGEST:
        return "suggest:" + ",".join(h.entry.id for h in reply.suggestions)
    return "escalate"


def _right(outcome: str, expected: tuple[str, ...]) -> bool:
    if not expected:
        return outcome == "escalate"
    return outcome.startswith("answer:") and outcome.split(":", 1)[1] in expected


def regression_changes(queries: Sequence[LabelledQuery], old: Retriever, new: Retriever) -> list[RegressionChange]:
    """Regression questions whose decision or answer differs between two indexes."""
    if not queries:
        return []
    # Each FAQ may respell a hiragana question differently: one batch for both sides' texts.
    texts = [(old.analyze(q.query).normalized, new.analyze(q.query).normalized) for q in queries]
    unique = list(dict.fromkeys(t for pair in texts for t in pair))
    vectors = dict(zip(unique, old.embedder.encode_queries(unique), strict=True))
    out = []
    for q, (old_text, new_text) in zip(queries, texts, strict=True):
        a = _outcome(decide(old.search(q.query, query_vector=vectors[old_text]), old.settings))
        b = _outcome(decide(new.search(q.query, query_vector=vectors[new_text]), new.settings))
        if a != b:
            ra, rb = _right(a, q.gold), _right(b, q.gold)
            verdict = "改善" if rb and not ra else "悪化" if ra and not rb else "変化"
            out.append(RegressionChange(q.query, q.gold, a, b, verdict))
    return out


class Publisher:
    """The one way a FAQ gets published, rolled back or picked up by another worker."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.last_published: float | None = None

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One publish at a time, across threads and across processes sharing the index folder."""
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.settings.index_dir / ".publish.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _regression_set(self) -> list[LabelledQuery]:
        path = self.settings.regression_path
        if not path.is_file():
            return []
        try:
            return read_queries(path)
        except FaqFormatError as exc:
            log.warning("regression set unusable: %s", exc)
            return []

    def _prepare(self, faq: Faq) -> tuple[FaqIndex, Preview]:
        live = self.engine.current
        built = faq_index.build(faq, self.engine.embedder, self.engine.analyzer, self.settings)
        new = Retriever(built, self.engine.embedder, self.engine.analyzer, self.settings)
        queries = self._regression_set()
        preview = Preview(
            faq,
            tuple(diff(live.index.entries, faq.entries)),
            tuple(regression_changes(queries, live.retriever, new)),
            len(queries),
        )
        return built, preview

    def publish_bytes(self, raw: bytes, source: str, *, dry_run: bool = False) -> Outcome:
        """Validate and build a FAQ from bytes; unless ``dry_run``, make it live and write it to disk."""
        started = time.perf_counter()
        try:
            with self._exclusive():
                faq = faq_table.read_bytes(raw, source, self.settings.max_faq_bytes)
                live = self.engine.current
                if faq.sha256 == live.index.manifest.tsv_sha256 and not dry_run:
                    preview = Preview(faq, (), (), 0)  # nothing to do: the same bytes are live
                    return Outcome(preview, False, self._live_version(), time.perf_counter() - started, faq.warnings)
                built, preview = self._prepare(faq)
                if dry_run:
                    return Outcome(preview, False, None, time.perf_counter() - started, faq.warnings)
                folder = faq_index.save(
                    built, self.settings.index_dir, self.settings.keep_versions, tsv=raw, make_current=False
                )
                if self._disk_sha() != faq.sha256:
                    faq_index.write_bytes_atomic(self.settings.faq_path, raw)
                faq_index.set_current(self.settings.index_dir, folder.name)
                self.engine.publish(built)
        except FaqBotError as exc:
            self.last_error = str(exc)
            raise
        self.last_error = None
        self.last_published = time.time()
        log.info("published FAQ %s (%d entries) from %s", faq_version_of(built), len(faq.entries), source)
        return Outcome(preview, True, self._version(folder.name, built.manifest), time.perf_counter() - started,
                       faq.warnings)  # fmt: skip

    def add_alternate(self, entry_id: str, text: str, *, dry_run: bool = False) -> Outcome:
        """Publish the live FAQ with one more alternate phrasing for an entry (validated like any publish)."""
        entries = list(self.engine.current.index.entries)
        pos = next((i for i, e in enumerate(entries) if e.id == entry_id), None)
        if pos is None:
            raise VersionNotFoundError(f"FAQ（id: {entry_id[:40]}）は見つかりません。")
        e = entries[pos]
        phrase = " ".join(text.split()).replace("|", "／")  # "|" separates alternates in the TSV
        entries[pos] = FaqEntry(e.id, e.category, e.question, e.answer, (*e.alternates, phrase))
        raw = faq_table.dump(entries).encode("utf-8")
        return self.publish_bytes(raw, f"言い換えの追加（id {entry_id}）", dry_run=dry_run)

    def reload(self, *, dry_run: bool = False) -> Outcome:
        """Publish the configured TSV file as it is on disk now."""
        path = self.settings.faq_path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FaqFormatError(
                str(path), [FormatProblem(None, None, f"ファイルを読めません: {exc.strerror}")]
            ) from exc
        return self.publish_bytes(raw, str(path), dry_run=dry_run)

    def _disk_sha(self) -> str | None:
        try:
            return hashlib.sha256(self.settings.faq_path.read_bytes()).hexdigest()
        except OSError:
            return None

    def rollback(self, build_id: str) -> Version:
        """Serve a kept version again (and put its TSV back on disk)."""
        with self._exclusive():
            folder = self.settings.index_dir / "builds" / build_id
            if "/" in build_id or build_id.startswith(".") or not (folder / "manifest.json").is_file():
                raise VersionNotFoundError(f"バージョン {build_id[:60]} は保存されていません。")
            tsv = folder / faq_index.TSV_FILE
            if not tsv.is_file():
                raise VersionNotFoundError(f"バージョン {build_id} にはTSVが保存されていないため戻せません。")
            loaded = faq_index.load(folder)
            faq_index.write_bytes_atomic(self.settings.faq_path, tsv.read_bytes())
            faq_index.set_current(self.settings.index_dir, build_id)
            self.engine.publish(loaded)
        log.info("rolled back to %s", build_id)
        return self._version(build_id, loaded.manifest)

    def versions(self) -> list[Version]:
        """Kept versions, newest first."""
        return [self._version(bid, m) for bid, m in faq_index.list_builds(self.settings.index_dir)]

    def _live_version(self) -> Version | None:
        path = self.engine.current.index.path
        return self._version(path.name, self.engine.current.index.manifest) if path else None

    def _version(self, build_id: str, manifest: Manifest) -> Version:
        current = faq_index.current_id(self.settings.index_dir)
        return Version(
            build_id,
            manifest.tsv_sha256[:12],
            manifest.built_at,
            manifest.counts.get("entries", 0),
            manifest.source,
            build_id == current,
        )

    def current_tsv(self) -> bytes:
        """The TSV of the version being served."""
        path = self.engine.current.index.path
        if path is not None and (path / faq_index.TSV_FILE).is_file():
            return (path / faq_index.TSV_FILE).read_bytes()
        return self.settings.faq_path.read_bytes()

    def sync(self) -> bool:
        """Follow ``CURRENT`` if another process moved it; True when this process switched."""
        current = faq_index.current_build(self.settings.index_dir)
        live = self.engine.current.index.path
        if current is None or (live is not None and current.name == live.name):
            return False
        try:
            self.engine.publish(faq_index.load(current))
        except FaqBotError as exc:
            log.error("cannot follow %s: %s", current.name, exc)
            return False
        log.info("switched to %s published by another process", current.name)
        return True


class Watcher:
    """Polls ``CURRENT`` (other workers' publishes) and, if enabled, the TSV file (debounced reload)."""

    def __init__(self, publisher: Publisher, watch_file: bool, interval: float) -> None:
        self.publisher = publisher
        self.watch_file = watch_file
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faq-bot-watcher", daemon=True)
        self._seen = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.publisher.settings.faq_path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def start(self) -> None:
        """Start polling in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        pending: tuple[int, int] | None = None
        while not self._stop.wait(self.interval):
            try:
                self.publisher.sync()
                if not self.watch_file:
                    continue
                now = self._stat()
                if now == self._seen or now is None:
                    pending = None
                    continue
                if now != pending:  # still changing (an editor's save in progress): wait one more tick
                    pending = now
                    continue
                self._seen, pending = now, None
                try:
                    self.publisher.reload()
                except FaqBotError as exc:
                    log.error("watched FAQ not published: %s", exc)
            except Exception:  # the watcher must survive anything and keep the live FAQ serving
                log.exception("watcher error")
