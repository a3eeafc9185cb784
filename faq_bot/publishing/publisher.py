"""Publishing a new FAQ without downtime: validate, build off to the side, swap; versions and rollback.

Every path (reload from disk, upload, watch, add-as-alternate, rollback) goes through ``Publisher``:
the new index is built while the old one keeps answering, saved as a new build,
the TSV on disk is replaced (temp file + rename) and only then ``CURRENT``
moves and the engine swaps. A failure at any step leaves the old FAQ serving.
Other worker processes sharing the index folder follow ``CURRENT`` (``sync``, polled by
``faq_bot.publishing.watcher``). With a shared database (``SharedVersions``, replicas on
several machines) the version is stored there and the current pointer moves by
compare-and-set before this replica swaps; ``sync`` then follows the database, called by
``faq_bot.publishing.shared.Follower`` whenever PostgreSQL announces a change.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from faq_bot.content import faq as faq_table
from faq_bot.content.diff import EntryChange, OrderChange, change_counts, diff, lookalike_only, order_change
from faq_bot.content.faq import Faq, FaqEntry, alternate_key
from faq_bot.content.merge import Drift, Keep, drift, merged, unknown_drift
from faq_bot.content.queries import LabelledQuery
from faq_bot.content.workbook import WorkbookOrigin
from faq_bot.errors import (
    DatabaseError,
    EntryNotFoundError,
    FaqBotError,
    FaqFormatError,
    FormatProblem,
    IndexMismatchError,
    LogUnavailableError,
    PublishConflictError,
    StaleFileError,
    VersionNotFoundError,
)
from faq_bot.files import write_bytes_atomic
from faq_bot.localtime import parse_time
from faq_bot.progress import Progress, Step, quiet
from faq_bot.publishing.regression import (
    Outcomes,
    OwnPhrasingMiss,
    RegressionChange,
    own_phrasing_misses,
    regression_changes,
    regression_set,
)
from faq_bot.publishing.shared import SharedVersions
from faq_bot.retrieval import store
from faq_bot.retrieval.engine import Engine, Loaded, faq_version_of
from faq_bot.retrieval.index import FaqIndex, Manifest, index_settings
from faq_bot.storage.history import Action, PublishEvent, PublishHistory

log = logging.getLogger("faq_bot.publishing")
#: The step said while another publish, preview or rollback of this index folder holds it.
WAITING = "ほかの公開・確認・切り替えが終わるのを待っています"
#: How going to a kept version is said (``Version.going``): back to an older one, or forward to a newer one.
GOING_BACK = {
    "do": "戻す",
    "if": "戻すと",
    "done": "戻した",
    "did": "戻しました",
    "without": "戻さず",
    "not": "戻していません",
}
GOING_FORWARD = {
    "do": "切り替える", "if": "切り替えると", "done": "切り替えた", "did": "切り替えました", "without": "切り替えず",
    "not": "切り替えていません",
}  # fmt: skip


@dataclass(frozen=True)
class Preview:
    """What publishing a FAQ would change."""

    faq: Faq
    changes: tuple[EntryChange, ...]
    regressions: tuple[RegressionChange, ...]
    regression_total: int  # the regression file's questions and the confirmed answers asked again
    lookalike: tuple[str, ...] = ()  # ids that differ only in look-alike characters (〜/～ …): not changes
    own_misses: tuple[OwnPhrasingMiss, ...] = ()  # new or edited entries' phrasings their entry would not answer
    drift: Drift | None = None  # a file made from an older version: what was published since that it undoes
    regression_confirmed: int = 0  # of ``regression_total``, the answers staff confirmed (確認済み) in the log
    confirmed_unread: bool = False  # the log could not be read: the confirmed answers were not asked
    regression_problem: str = ""  # the regression file is missing or unusable: why its questions were not asked
    order: OrderChange | None = None  # the entries kept, in another order (the category buttons' too, maybe)

    @property
    def unchanged(self) -> bool:
        """True when the new FAQ has exactly the live entries, in the same order."""
        return not self.changes and self.order is None

    @property
    def removed_ids(self) -> frozenset[str]:
        """The ids of the entries this publish deletes (a regression question expecting one cannot be answered)."""
        return frozenset(c.id for c in self.changes if c.kind == "removed")

    @property
    def worse_regressions(self) -> tuple[RegressionChange, ...]:
        """The regression set's questions this publish would stop answering right (悪化)."""
        return tuple(r for r in self.regressions if r.verdict == "悪化")

    @property
    def worse_own(self) -> tuple[OwnPhrasingMiss, ...]:
        """The edited entries' own phrasings the live FAQ answers with them and this publish would not."""
        return tuple(m for m in self.own_misses if m.worse)

    @property
    def worse(self) -> int:
        """How many questions answered right now would not be after this publish (both kinds above)."""
        return len(self.worse_regressions) + len(self.worse_own)

    def question(self, entry_id: str, before: bool = False) -> str | None:
        """An entry's question, as the new FAQ has it, or with ``before`` as the live one does (None if absent)."""
        return self._questions[1 if before else 0].get(entry_id)

    @functools.cached_property
    def _questions(self) -> tuple[dict[str, str], dict[str, str]]:
        """Id -> question in the new FAQ, and in the live one (built once: a preview's rows ask for many)."""
        after = {e.id: e.question for e in self.faq.entries}
        before = dict(after)
        for c in self.changes:
            if c.before is None:
                before.pop(c.id, None)
            else:
                before[c.id] = c.before.question
        return after, before

    def counts(self) -> dict[str, int]:
        """Added / removed / changed entry counts, and how many entries moved."""
        return change_counts(self.changes, self.order)


@dataclass(frozen=True)
class Version:
    """One kept FAQ version (a saved build and its TSV)."""

    build_id: str
    faq_version: str
    built_at: str
    entries: int
    source: str
    current: bool  # served by this process now
    problem: str | None = None  # why it is not served although CURRENT names it (a damaged build)
    newer: bool = False  # built after the one served now: going to it goes forward (a rollback undone)

    @property
    def built_seconds(self) -> float | None:
        """When it was built, in epoch seconds (None for a time that cannot be read)."""
        moment = parse_time(self.built_at)
        return moment.timestamp() if moment is not None else None

    @property
    def going(self) -> dict[str, str]:
        """How going to it is said (``GOING_BACK``, or ``GOING_FORWARD`` for a newer one: a rollback undone)."""
        return GOING_FORWARD if self.newer else GOING_BACK

    def newer_than(self, build_id: str | None) -> bool:
        """True when it was built after the build ``build_id`` (the live one: going to it goes forward). Build ids
        start with the time of the build, to the microsecond: the versions are listed newest first by them."""
        return build_id is not None and self.build_id > build_id


@dataclass(frozen=True)
class _Prepared:
    """A dry run's work: the build and the preview of exactly these bytes against exactly that live version."""

    sha256: str
    live_version: str
    built: FaqIndex
    loaded: Loaded  # the build made ready to answer (its adaptation and respeller): served as it is if published
    preview: Preview


@dataclass(frozen=True)
class PublishResult:
    """The result of a publish, dry run or not."""

    preview: Preview
    published: bool
    version: Version | None
    seconds: float
    warnings: tuple[FormatProblem, ...] = field(default=())
    replaced: str | None = None  # the saved build served until it was published (what undoes it: a rollback)


def alternate_source(entry_id: str) -> str:
    """How a version made by adding an alternate names its source."""
    return f"言い換えの追加（id {entry_id}）"


class Publisher:
    """The one way a FAQ gets published, rolled back or picked up by another worker."""

    def __init__(
        self,
        engine: Engine,
        regression_path: Path | None = None,
        shared: SharedVersions | None = None,
        confirmed: Callable[[], Sequence[LabelledQuery]] | None = None,
        history: PublishHistory | None = None,
    ) -> None:
        self.engine = engine
        self.history = history  # None: publishes and rollbacks are not recorded (``faq_bot.storage.history``)
        self.paths = engine.params.store
        self.regression_path = regression_path
        # The answers staff confirmed in the question log, asked again like the regression file's questions.
        self.confirmed = confirmed
        self.shared = shared  # None: this machine's index folder is the only store
        self._lock = threading.Lock()
        self._prepared: _Prepared | None = None  # the last dry run's build, for the publish that follows
        # The regression questions' outcomes on the live FAQ (its version, question -> outcome): the same until
        # it changes, so a preview asks each only of the FAQ it would publish.
        self._live_outcomes: tuple[str, Outcomes] = ("", {})
        self._swap = threading.Lock()  # moving the current version: a publish's last step, or following one
        self.last_error: str | None = None
        self.last_published: float | None = None
        # What CURRENT named that could not be followed (the key it was seen under, the problem):
        # logged once, and not reloaded every second.
        self.follow_error: tuple[tuple[str, int], str] | None = None

    @contextmanager
    def _exclusive(self, say: Progress = quiet) -> Iterator[None]:
        """One publish at a time, across threads and across processes sharing the index folder; ``say`` hears
        WAITING only when another publish, preview or rollback holds it (else the first step is the work's own)."""
        self.paths.index_dir.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire(blocking=False):
            say(Step(WAITING))
            self._lock.acquire()
        try:
            with (self.paths.index_dir / ".publish.lock").open("a") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # another process (a replica or the CLI) publishes into this folder
                    say(Step(WAITING))
                    fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _prepare(self, faq: Faq, progress: Progress) -> _Prepared:
        """The new FAQ's index, made ready, and what publishing it would change; a dry run's work is kept for its
        publish."""
        live = self.engine.current
        kept = self._prepared
        if kept is not None and kept.sha256 == faq.sha256 and kept.live_version == live.faq_version:
            progress(Step("確認済みの内容を使います", 1, 1))
            return replace(kept, preview=replace(kept.preview, faq=faq))
        built = self.engine.build(faq, progress)
        loaded = self._ready(built, progress)
        self._prepared = _Prepared(faq.sha256, live.faq_version, built, loaded, self._preview_of(faq, loaded, progress))
        return self._prepared

    def _ready(self, index: FaqIndex, progress: Progress) -> Loaded:
        """An index made ready to answer (``Engine.loaded_for``: the decision adapted to it)."""
        progress(Step("回答の判定をこのFAQに合わせています"))
        return self.engine.loaded_for(index)

    def _preview_of(self, faq: Faq, loaded: Loaded, progress: Progress) -> Preview:
        """What serving ``faq`` (its index made ready, ``loaded``) instead of the live FAQ would change: entries,
        and the regression set's answers."""
        live = self.engine.current
        regression_file = regression_set(self.regression_path)
        queries = list(regression_file.queries)
        asked = {q.asked for q in queries}
        kept = self._confirmed()
        # An answer confirmed with an entry the live FAQ no longer has cannot be right again: not asked
        confirmed = [q for q in kept or () if q.asked not in asked and all(live.entry(g) is not None for g in q.gold)]
        queries += confirmed
        progress(Step("回帰テストの質問を確認しています", 0, len(queries)))
        sources = frozenset(q.source for q in confirmed)
        if self._live_outcomes[0] != live.faq_version:
            self._live_outcomes = (live.faq_version, {})
        before = self._live_outcomes[1]
        changes = regression_changes(queries, live, loaded, self.engine.encode_prepared, sources, before)
        old, new = live.index.entries, faq.entries
        entry_changes = tuple(diff(old, new))
        touched = {c.id for c in entry_changes if c.kind != "removed"}
        progress(Step("追加・変更したFAQの質問を確認しています"))
        misses = own_phrasing_misses([e for e in new if e.id in touched], loaded, self.engine.bulk, live=live)
        return Preview(faq, entry_changes, tuple(changes), len(queries), tuple(lookalike_only(old, new)), tuple(misses),
                       regression_confirmed=len(confirmed), confirmed_unread=kept is None,
                       regression_problem=regression_file.problem, order=order_change(old, new))  # fmt: skip

    def _confirmed(self) -> Sequence[LabelledQuery] | None:
        """The answers staff confirmed, or None when the question log cannot be read (the publish goes on, and its
        preview says so)."""
        if self.confirmed is None:
            return []
        try:
            return self.confirmed()
        except LogUnavailableError as exc:
            log.warning("the confirmed answers are not checked in this preview: %s", exc)
            return None

    def publish_bytes(
        self,
        raw: bytes,
        source: str,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        origin: WorkbookOrigin | None = None,
        overwrite: bool = True,
    ) -> PublishResult:
        """Validate and build a FAQ from bytes; unless ``dry_run``, make it live and write it to disk.

        A publish right after the dry run of the same bytes (nothing published in between) reuses
        the dry run's build and regression check instead of doing them again. ``origin``: the FAQ
        version the file was made from (a downloaded workbook says it), for the preview's ``drift``;
        without ``overwrite``, a file that would undo what was published since is refused
        (``StaleFileError``).
        """
        say = progress or quiet
        started = time.perf_counter()
        try:
            with self._exclusive(say):
                say(Step("ファイルを検証しています"))
                faq = faq_table.read_bytes(raw, source, self.paths.max_faq_bytes)
                live = self.engine.current
                if faq.sha256 == live.index.manifest.tsv_sha256 and not dry_run:
                    preview = Preview(faq, (), (), 0)  # nothing to do: the same bytes are live
                    return PublishResult(
                        preview, False, self._live_version(), time.perf_counter() - started, faq.warnings
                    )
                drifted = None
                if origin is not None and origin.version != live.faq_version:
                    say(Step("ダウンロードした版からの変更を確認しています"))
                    drifted = self.drift_since(origin, faq.entries)
                    if not dry_run and not overwrite and drifted.harmful:  # refused before anything is built
                        raise StaleFileError([e.id for e in drifted.undone], [e.id for e in drifted.conflicts],
                                             known=drifted.known, order=drifted.order_undone)  # fmt: skip
                prepared = self._prepare(faq, say)
                built, preview = prepared.built, replace(prepared.preview, drift=drifted)
                if not dry_run:
                    say(Step("保存して切り替えています"))
                    self._prepared = None
                    folder = store.save(
                        built, self.paths.index_dir, self.paths.keep_versions, tsv=raw, make_current=False
                    )
                    self._go_live(built, raw, expected=_build_id(live.index), new=True, ready=prepared.loaded, say=say)
        except (FaqFormatError, StaleFileError):
            raise  # a file refused as it is was never published: the banner is for failed publishes
        except FaqBotError as exc:
            if not dry_run:
                self.last_error = str(exc)
            raise
        self.last_error = None  # a published or cleanly previewed file: the last failure is history
        if dry_run:
            return PublishResult(preview, False, None, time.perf_counter() - started, faq.warnings)
        self.last_published = time.time()
        log.info("published FAQ %s (%d entries) from %s", faq_version_of(built), len(faq.entries), source)
        self._record("publish", folder.name, built.manifest, preview.counts())
        return PublishResult(preview, True, self._version(folder.name, built.manifest), time.perf_counter() - started,
                       faq.warnings, replaced=_build_id(live.index))  # fmt: skip

    def publish_entries(
        self, entries: Sequence[FaqEntry], source: str, *, dry_run: bool = False, progress: Progress | None = None
    ) -> PublishResult:
        """Publish entries edited in place (the editor, add-as-alternate, a workbook) as canonical UTF-8 TSV."""
        return self.publish_bytes(faq_table.dump(entries).encode("utf-8"), source, dry_run=dry_run, progress=progress)

    def origin_entries(self, origin: WorkbookOrigin) -> tuple[tuple[FaqEntry, ...], str] | None:
        """The entries of the version a file was made from, and when it was built (empty when not known): the
        newest kept version of that content, else the copy the file carries; None if neither can be read (the
        database down, a damaged version, a file without its copy)."""
        try:
            versions = self.versions()
        except DatabaseError as exc:  # the copy in the file may still do
            log.warning("versions unreadable for a comparison: %s", exc)
            versions = []
        for version in versions:
            if version.faq_version != origin.version:
                continue
            try:
                raw = self._kept_tsv_bytes(version.build_id)
                return faq_table.read_bytes(raw, version.build_id).entries, version.built_at
            except (FaqBotError, OSError) as exc:  # a damaged or vanished version: try an older one
                log.warning("kept version %s unreadable for a comparison: %s", version.build_id, exc)
        if origin.tsv is not None:
            try:
                return faq_table.read_bytes(origin.tsv, "ダウンロードした版").entries, ""
            except FaqFormatError as exc:  # published once, so it was valid then: a rule since made stricter
                log.warning("the version a workbook carries is unreadable now: %s", exc)
        return None

    def _kept_tsv_bytes(self, build_id: str) -> bytes:
        """A kept version's TSV (with replicas, from the database: not its whole build)."""
        if self.shared is not None:
            raw = self.shared.tsv(build_id)
            if raw is None:
                raise VersionNotFoundError.unknown(build_id)
            return raw
        return self._kept_tsv(build_id).read_bytes()

    def drift_since(self, origin: WorkbookOrigin, entries: Sequence[FaqEntry]) -> Drift:
        """How ``entries``, made from the version ``origin``, relate to what was published since."""
        found = self.origin_entries(origin)
        if found is None:
            return unknown_drift(origin.version)
        before, built_at = found
        return drift(origin.version, before, self.engine.current.index.entries, entries, built_at)

    def merged_with_live(
        self, origin: WorkbookOrigin, entries: Sequence[FaqEntry], keep: Mapping[str, Keep] | None = None
    ) -> list[FaqEntry]:
        """The live entries with the changes ``entries`` made to ``origin``, each conflict as ``keep`` says
        (``VersionNotFoundError``: that version is neither kept nor in the file)."""
        return self.merge_onto_live(origin, entries, keep)[1]

    def merge_onto_live(
        self, origin: WorkbookOrigin, entries: Sequence[FaqEntry], keep: Mapping[str, Keep] | None = None
    ) -> tuple[Drift, list[FaqEntry]]:
        """The drift and the merge from one read of the origin (``VersionNotFoundError``: not known)."""
        found = self.origin_entries(origin)
        if found is None:
            raise VersionNotFoundError(
                "このファイルの元になった版はもう保存されていないため、変更だけを取り出せません。"
                "公開中のFAQをダウンロードし直して、同じ変更をしてからアップロードしてください。"
            )
        before, built_at = found
        live = self.engine.current.index.entries
        return drift(origin.version, before, live, entries, built_at), merged(before, live, entries, keep)

    def with_entry(self, edited: FaqEntry) -> list[FaqEntry]:
        """The live entries with one replaced (same id); ``EntryNotFoundError`` for an unknown id."""
        entries = list(self.engine.current.index.entries)
        pos = next((i for i, e in enumerate(entries) if e.id == edited.id), None)
        if pos is None:
            raise EntryNotFoundError(edited.id)
        entries[pos] = edited
        return entries

    def with_new_entry(self, entry: FaqEntry) -> list[FaqEntry]:
        """The live entries with a new one at the end (a taken id is a duplicate the validation reports)."""
        return [*self.engine.current.index.entries, entry]

    def without_entry(self, entry_id: str) -> list[FaqEntry]:
        """The live entries without one; ``EntryNotFoundError`` for an unknown id."""
        entries = list(self.engine.current.index.entries)
        if not any(e.id == entry_id for e in entries):
            raise EntryNotFoundError(entry_id)
        return [e for e in entries if e.id != entry_id]

    def with_alternate(self, entry_id: str, text: str) -> list[FaqEntry]:
        """The live entries with one more alternate for an entry; refused if the entry already has that phrasing."""
        e = self.engine.current.entry(entry_id)
        if e is None:
            raise EntryNotFoundError(entry_id)
        phrase = " ".join(text.split()).replace("|", "／")  # "|" separates alternates in the TSV
        key = alternate_key(phrase)
        if any(alternate_key(t) == key for t in (e.question, *e.alternates)):
            problem = FormatProblem(
                None, "言い換え", f"「{phrase[:40]}」はFAQ {entry_id} の質問か言い換えにすでにあります。"
            )
            raise FaqFormatError(alternate_source(entry_id), [problem])
        return self.with_entry(FaqEntry(e.id, e.category, e.question, e.answer, (*e.alternates, phrase)))

    def add_alternate(
        self, entry_id: str, text: str, *, dry_run: bool = False, progress: Progress | None = None
    ) -> PublishResult:
        """Publish the live FAQ with one more alternate phrasing for an entry (validated like any publish)."""
        entries = self.with_alternate(entry_id, text)
        return self.publish_entries(entries, alternate_source(entry_id), dry_run=dry_run, progress=progress)

    def reload(self, *, dry_run: bool = False, progress: Progress | None = None) -> PublishResult:
        """Publish the configured TSV file as it is on disk now."""
        path = self.paths.faq_path
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FaqFormatError(
                str(path), [FormatProblem(None, None, f"ファイルを読めません: {exc.strerror}")]
            ) from exc
        return self.publish_bytes(raw, str(path), dry_run=dry_run, progress=progress)

    def _disk_sha(self) -> str | None:
        try:
            return hashlib.sha256(self.paths.faq_path.read_bytes()).hexdigest()
        except OSError:
            return None

    def _go_live(
        self,
        index: FaqIndex,
        raw: bytes,
        *,
        expected: str | None,
        new: bool,
        ready: Loaded | None = None,
        say: Progress = quiet,
    ) -> None:
        """Serve a saved build: first in the shared store (compare-and-set on ``expected``), then here (``ready``:
        the build already made ready to answer, by its preview). The FAQ file on disk becomes the build's; edits
        made to it and never published are first copied aside (``_keep_unpublished``), not lost."""
        assert index.path is not None
        try:
            with self._swap:
                replace_file = self._unpublished_kept(raw, say)  # before anything goes live
                if self.shared is not None and new:
                    self.shared.publish(index, raw, expected=expected)
                elif self.shared is not None:
                    self.shared.make_current(index.path.name, expected=expected)
                if replace_file:
                    write_bytes_atomic(self.paths.faq_path, raw)
                store.set_current(self.paths.index_dir, index.path.name)
                self.engine.publish(index, ready)
        except (PublishConflictError, DatabaseError):
            if new:  # never current anywhere: not a version to keep (if it were, followers download it again)
                shutil.rmtree(index.path, ignore_errors=True)
            raise

    def _unpublished_kept(self, raw: bytes, say: Progress) -> bool:
        """Whether the FAQ file on disk is to be replaced by ``raw``; if it is and holds edits never published
        (it is not the served build's file), they are first copied aside."""
        on_disk = self._disk_sha()
        if on_disk == hashlib.sha256(raw).hexdigest():
            return False
        if on_disk is not None and on_disk != self.engine.current.index.manifest.tsv_sha256:
            self._keep_unpublished(say)
        return True

    def _keep_unpublished(self, say: Progress) -> None:
        """Copy the FAQ file on disk aside (it holds edits never published, about to be replaced) and say where."""
        path = self.paths.faq_path
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(100):  # a name no earlier copy has (two in one second: -1, -2, …)
            copy = path.with_name(f"{path.stem}.unpublished-{stamp}{f'-{n}' if n else ''}{path.suffix}")
            try:
                with copy.open("xb") as out:
                    out.write(path.read_bytes())
            except FileExistsError:
                continue
            except OSError as exc:  # a full disk, say: said, and the publish goes on (its version is kept)
                copy.unlink(missing_ok=True)
                log.warning("could not keep the unpublished edits of %s: %s", path, exc)
                why = exc.strerror or exc
                say(Step(f"ディスク上のFAQの公開していない編集を、別のファイルに残せませんでした（{why}）"))
                return
            log.warning("the FAQ file held unpublished edits: kept as %s", copy)
            say(Step(f"ディスク上のFAQに公開していない編集があったため、{copy.name} として残しました"))
            return

    def serves(self, build_id: str) -> bool:
        """True when the FAQ being served is that build, or another build of the same content."""
        live = self.engine.current
        if live.index.path is not None and live.index.path.name == build_id:
            return True
        return any(v.build_id == build_id and v.faq_version == live.faq_version for v in self.versions())

    def rollback(self, build_id: str, progress: Progress | None = None) -> Version:
        """Serve a kept version again (and put its TSV back on disk); the content being served already (a page
        sent again, a version named twice) changes nothing and is not recorded."""
        say = progress or quiet
        with self._exclusive(say):
            if self.serves(build_id):
                live = self.engine.current.index
                return self._version(live.path.name if live.path is not None else build_id, live.manifest)
            say(Step("保存されたバージョンを読み込んでいます"))
            tsv = self._kept_tsv(build_id)
            folder = tsv.parent
            loaded = store.load(folder)
            self._check_compatible(loaded)
            say(Step("切り替えています"))
            before = self.engine.current.index.entries
            self._go_live(loaded, tsv.read_bytes(), expected=_build_id(self.engine.current.index), new=False, say=say)
            self._prepared = None
        log.info("rolled back to %s", build_id)
        counts = change_counts(diff(before, loaded.entries), order_change(before, loaded.entries))
        self._record("rollback", build_id, loaded.manifest, counts)
        return self._version(build_id, loaded.manifest)

    def _record(self, action: Action, build_id: str, manifest: Manifest, counts: Mapping[str, int]) -> None:
        """Add a publish or rollback to the history; the FAQ is live whatever the database says (a warning)."""
        if self.history is None:
            return
        event = PublishEvent(
            action, build_id, manifest.tsv_sha256[:12], manifest.source, manifest.counts.get("entries", 0),
            counts.get("added", 0), counts.get("changed", 0), counts.get("removed", 0), counts.get("moved", 0),
        )  # fmt: skip
        try:
            self.history.record(event)
        except DatabaseError as exc:
            log.warning("the publish history did not record %s of %s: %s", action, build_id, exc)

    def recent(self, limit: int = 20) -> list[PublishEvent] | None:
        """The history's newest events (None: not kept; ``DatabaseError``: it cannot be read now)."""
        return self.history.recent(limit) if self.history is not None else None

    def _kept_tsv(self, build_id: str) -> Path:
        """The TSV file of a kept version (``VersionNotFoundError`` if there is no such version or it has none)."""
        if "/" in build_id or build_id.startswith("."):
            raise VersionNotFoundError.unknown(build_id)
        folder = self.paths.index_dir / "builds" / build_id
        if self.shared is not None:
            folder = self.shared.local(build_id)
        elif not (folder / "manifest.json").is_file():
            raise VersionNotFoundError.unknown(build_id)
        tsv = folder / store.TSV_FILE
        if not tsv.is_file():
            raise VersionNotFoundError(f"バージョン {build_id} にはTSVが保存されていないため戻せません。")
        return tsv

    def rollback_preview(self, build_id: str, progress: Progress | None = None) -> tuple[Version, Preview]:
        """What rolling back to a kept version would change in the FAQ being served, entries and the regression
        set's answers alike, as a publish's preview says it (nothing is changed)."""
        say = progress or quiet
        say(Step("保存されたバージョンを読み込んでいます"))
        tsv = self._kept_tsv(build_id)
        kept = faq_table.read_bytes(tsv.read_bytes(), build_id)
        version = self._version(build_id, store.read_manifest(tsv.parent))
        index = store.load(tsv.parent)
        self._check_compatible(index)  # a build the rollback would refuse is refused here already
        return version, self._preview_of(kept, self._ready(index, say), say)

    def _check_compatible(self, index: FaqIndex) -> None:
        """``IndexMismatchError`` for a build of another model or index settings (its vectors would not match)."""
        m = index.manifest
        wanted = index_settings(self.engine.params.index, self.engine.analyzer)
        store.check(m, tsv_sha256=m.tsv_sha256, model_id=self.engine.embedder.model_id, settings=wanted)

    def versions(self) -> list[Version]:
        """Kept versions, newest first."""
        kept = self.shared.builds() if self.shared is not None else store.list_builds(self.paths.index_dir)
        return [self._version(build_id, m) for build_id, m in kept]

    def _live_version(self) -> Version | None:
        path = self.engine.current.index.path
        return self._version(path.name, self.engine.current.index.manifest) if path else None

    def _version(self, build_id: str, manifest: Manifest) -> Version:
        path = self.engine.current.index.path
        served = path.name if path is not None else None  # (None: an index built in memory only)
        problem = None
        if self.follow_error is not None and self.follow_error[0][0] == build_id:
            problem = f"この版は壊れているため配信できません（公開中の版を配信し続けています）: {self.follow_error[1]}"
        version = Version(
            build_id,
            manifest.tsv_sha256[:12],
            manifest.built_at,
            manifest.counts.get("entries", 0),
            manifest.source,
            build_id == served,
            problem,
        )
        return replace(version, newer=version.newer_than(served))

    def current_tsv(self) -> bytes:
        """The TSV of the version being served."""
        path = self.engine.current.index.path
        if path is not None and (path / store.TSV_FILE).is_file():
            return (path / store.TSV_FILE).read_bytes()
        return self.paths.faq_path.read_bytes()

    def sync(self) -> bool:
        """Follow ``CURRENT`` (or the shared database's current version) if another process moved it.

        True when this process switched. A damaged ``CURRENT`` or build is logged once (not at
        every poll) and not retried until ``CURRENT`` is written again; the build being served
        keeps serving.
        """
        if self.shared is not None:
            return self._sync_shared(self.shared)
        path = self.paths.index_dir / store.CURRENT_FILE
        try:
            written = path.stat().st_mtime_ns
            current = store.current_build(self.paths.index_dir)
        except FileNotFoundError:
            return False
        except (IndexMismatchError, OSError) as exc:
            self._cannot_follow(("CURRENT", 0), str(exc))
            return False
        live = self.engine.current.index.path
        if current is None or (live is not None and current.name == live.name):
            self._followed()
            return False
        key = (current.name, written)
        if self.follow_error is not None and self.follow_error[0] == key:
            return False  # already tried and reported
        try:
            self.engine.publish(store.load(current))
        except FaqBotError as exc:
            self._cannot_follow(key, str(exc))
            return False
        self._followed()
        log.info("switched to %s published by another process", current.name)
        return True

    def _sync_shared(self, shared: SharedVersions) -> bool:
        """Serve the database's current version; the first replica of all makes its own build that version."""
        with self._swap:
            live = self.engine.current.index
            current = shared.current()
            if current is None and live.path is not None and (live.path / store.TSV_FILE).is_file():
                try:
                    shared.publish(live, (live.path / store.TSV_FILE).read_bytes(), expected=None)
                    log.info("no FAQ version in the database yet: published %s as the first", live.path.name)
                    return False
                except PublishConflictError as exc:  # another replica was first: follow it
                    current = exc.current
            if current is None or current == _build_id(live):
                self._followed()
                return False
            key = (current, 0)
            if self.follow_error is not None and self.follow_error[0] == key:
                return False  # already tried and reported
            try:
                folder = shared.local(current)
                loaded = store.load(folder)
                self._check_compatible(loaded)
                raw = (folder / store.TSV_FILE).read_bytes()
                if self._unpublished_kept(raw, quiet):  # another replica's publish: an editor's file is kept
                    write_bytes_atomic(self.paths.faq_path, raw)
                store.set_current(self.paths.index_dir, current)
                self.engine.publish(loaded)
                store.prune(self.paths.index_dir, self.paths.keep_versions)  # downloaded builds are a cache
            except (FaqBotError, OSError) as exc:
                self._cannot_follow(key, str(exc))
                return False
        self._followed()
        log.info("switched to %s published by another replica", current)
        return True

    def _cannot_follow(self, key: tuple[str, int], problem: str) -> None:
        known = self.follow_error is not None and self.follow_error[0][0] == key[0] and self.follow_error[1] == problem
        self.follow_error = (key, problem)
        if known:
            return  # the same build with the same problem: said once already
        served = self.engine.current.index.path
        log.error("cannot follow %s: %s; still serving %s", key[0], problem, served.name if served else "?")

    def _followed(self) -> None:
        if self.follow_error is not None:
            log.info("CURRENT is readable again (was: %s)", self.follow_error[1])
            self.follow_error = None


def _build_id(index: FaqIndex) -> str | None:
    """The saved build an index was loaded from (None for one never saved)."""
    return index.path.name if index.path is not None else None
