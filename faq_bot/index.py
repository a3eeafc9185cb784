"""The search index of one FAQ: FAISS vectors, BM25 statistics, entries and a manifest.

On disk an index directory holds ``builds/<build id>/`` folders and a ``CURRENT``
file naming the one in use. A build is written to a temporary folder and
renamed into place, then ``CURRENT`` is replaced atomically: a crash at any
point leaves the previous build serving and no half-written one in use.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from faq_bot.config import Settings
from faq_bot.embed import Embedder
from faq_bot.errors import IndexMismatchError
from faq_bot.faq import Faq, FaqEntry
from faq_bot.lexical import Bm25
from faq_bot.text import STOP_WORDS, TextAnalyzer, reading_bigrams

FORMAT_VERSION = 1
#: What each vector of an entry was made from.
KIND_QUESTION, KIND_ALTERNATE, KIND_QUESTION_ANSWER = 0, 1, 2
KIND_NAMES = {KIND_QUESTION: "question", KIND_ALTERNATE: "alternate", KIND_QUESTION_ANSWER: "answer"}
CURRENT_FILE = "CURRENT"
TSV_FILE = "faq.tsv"
#: Questions and alternates are embedded like visitor questions (a symmetric, question-to-question
#: match); question+answer as a passage. Changing this changes every vector.
VECTOR_SCHEME = "question,alternates:query;question+answer:passage"
KEEP_BUILDS = 3


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; loading compares it with the live FAQ, model and settings."""

    model_id: str
    tsv_sha256: str
    settings: dict[str, Any]
    built_at: str
    build_seconds: float
    counts: dict[str, int]
    source: str = ""
    format_version: int = FORMAT_VERSION


def index_settings(settings: Settings, analyzer: TextAnalyzer) -> dict[str, Any]:
    """The settings that change what is stored in an index."""
    return {
        "index_type": settings.index_type,
        "hnsw_m": settings.hnsw_m if settings.index_type == "hnsw" else None,
        "hnsw_ef_construction": settings.hnsw_ef_construction if settings.index_type == "hnsw" else None,
        "bm25_k1": settings.bm25_k1,
        "bm25_b": settings.bm25_b,
        "synonyms": _short_hash(analyzer.synonyms.fingerprint),
        "stop_words": _short_hash(" ".join(sorted(STOP_WORDS))),
        "vectors": VECTOR_SCHEME,
    }


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class FaqIndex:
    """Everything the retriever needs to search one FAQ."""

    entries: tuple[FaqEntry, ...]
    vectors: faiss.Index
    vector_entry: npt.NDArray[np.int32]  # vector position -> entry position
    vector_kind: npt.NDArray[np.int8]
    vector_sub: npt.NDArray[np.int16]  # which alternate, for KIND_ALTERNATE
    centroid: npt.NDArray[np.float32]  # mean of all vectors: q . centroid = q's mean cosine to the FAQ
    words: Bm25
    readings: Bm25
    manifest: Manifest
    path: Path | None = None
    _category_vectors: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        by_category: dict[str, list[int]] = {}
        categories = [e.category for e in self.entries]
        for pos, entry_pos in enumerate(self.vector_entry.tolist()):
            by_category.setdefault(categories[entry_pos], []).append(pos)
        self._category_vectors = {c: np.asarray(v, dtype=np.int64) for c, v in by_category.items()}

    @property
    def categories(self) -> list[str]:
        """Categories in FAQ order."""
        return list(dict.fromkeys(e.category for e in self.entries if e.category))

    def vectors_in(self, categories: Sequence[str]) -> npt.NDArray[np.int64]:
        """Vector positions of the entries in the given categories."""
        parts = [self._category_vectors[c] for c in categories if c in self._category_vectors]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def phrasing(self, vector_pos: int) -> tuple[str, str]:
        """(kind name, text) of the phrasing a vector was made from."""
        entry = self.entries[int(self.vector_entry[vector_pos])]
        kind = int(self.vector_kind[vector_pos])
        if kind == KIND_ALTERNATE:
            return KIND_NAMES[kind], entry.alternates[int(self.vector_sub[vector_pos])]
        if kind == KIND_QUESTION_ANSWER:
            return KIND_NAMES[kind], entry.answer
        return KIND_NAMES[kind], entry.question


def lexical_words(entry: FaqEntry, analyzer: TextAnalyzer) -> list[str]:
    """Content words of an entry's question, alternates and answer."""
    words: list[str] = []
    for text in (entry.question, *entry.alternates, entry.answer):
        words += analyzer.analyze(text).words
    return words


def lexical_readings(entry: FaqEntry, analyzer: TextAnalyzer) -> list[str]:
    """Reading bigrams of an entry's question and alternates (answers are too long to help)."""
    grams: list[str] = []
    for text in (entry.question, *entry.alternates):
        grams += reading_bigrams(analyzer.analyze(text).reading)
    return grams


def _phrasings(entries: Sequence[FaqEntry], analyzer: TextAnalyzer) -> list[tuple[int, int, int, str]]:
    """(entry position, kind, alternate number, prepared text) for every vector of every entry."""
    out: list[tuple[int, int, int, str]] = []
    for pos, e in enumerate(entries):
        out.append((pos, KIND_QUESTION, 0, analyzer.prepare(e.question)))
        out += [(pos, KIND_ALTERNATE, i, analyzer.prepare(alt)) for i, alt in enumerate(e.alternates)]
        out.append((pos, KIND_QUESTION_ANSWER, 0, analyzer.prepare(e.question + "\n" + e.answer)))
    return out


def _embed(embedder: Embedder, batch: Sequence[tuple[int, int, int, str]]) -> npt.NDArray[np.float32]:
    """Vectors for a batch of phrasings, in order: questions as queries, the rest as passages."""
    out = np.zeros((len(batch), embedder.dim), dtype=np.float32)
    as_query = np.array([kind != KIND_QUESTION_ANSWER for _, kind, _, _ in batch])
    for mask, encode in ((as_query, embedder.encode_queries), (~as_query, embedder.encode_passages)):
        if mask.any():
            out[mask] = encode([batch[i][3] for i in np.flatnonzero(mask).tolist()])
    return out


def new_vector_index(dim: int, settings: Settings) -> faiss.Index:
    """An empty FAISS index for normalised vectors (inner product = cosine)."""
    if settings.index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        return index
    return faiss.IndexFlatIP(dim)


def build(
    faq: Faq,
    embedder: Embedder,
    analyzer: TextAnalyzer,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> FaqIndex:
    """Embed and index every entry of a validated FAQ (in memory)."""
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    entries = faq.entries
    phrasings = _phrasings(entries, analyzer)
    say(f"{len(entries)}件のFAQから{len(phrasings)}本のベクトルを作成します…")
    index = new_vector_index(embedder.dim, settings)
    total = np.zeros(embedder.dim, dtype=np.float64)
    step = max(settings.encode_batch_size * 8, 256)
    for start in range(0, len(phrasings), step):
        vectors = _embed(embedder, phrasings[start : start + step])
        index.add(vectors)
        total += vectors.sum(axis=0, dtype=np.float64)
        say(f"  ベクトル {min(start + step, len(phrasings))}/{len(phrasings)}")
    say("BM25の統計を作成します…")
    words = Bm25.build([lexical_words(e, analyzer) for e in entries], settings.bm25_k1, settings.bm25_b)
    readings = Bm25.build([lexical_readings(e, analyzer) for e in entries], settings.bm25_k1, settings.bm25_b)
    arr = np.asarray([p[:3] for p in phrasings], dtype=np.int64).reshape(-1, 3)
    manifest = Manifest(
        model_id=embedder.model_id,
        tsv_sha256=faq.sha256,
        settings=index_settings(settings, analyzer),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
        counts={"entries": len(entries), "vectors": len(phrasings), "categories": len(faq.categories)},
        source=faq.source,
    )
    return FaqIndex(
        entries=entries,
        vectors=index,
        vector_entry=arr[:, 0].astype(np.int32),
        vector_kind=arr[:, 1].astype(np.int8),
        vector_sub=arr[:, 2].astype(np.int16),
        centroid=(total / max(len(phrasings), 1)).astype(np.float32),
        words=words,
        readings=readings,
        manifest=manifest,
    )


def _entry_to_json(e: FaqEntry) -> dict[str, Any]:
    return {"id": e.id, "category": e.category, "question": e.question, "answer": e.answer,
            "alternates": list(e.alternates), "line": e.line}  # fmt: skip


def save(
    index: FaqIndex, index_dir: Path, keep: int = KEEP_BUILDS, tsv: bytes | None = None, make_current: bool = True
) -> Path:
    """Write the index (and the TSV it came from) as a new build; make it current, atomically."""
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + index.manifest.tsv_sha256[:8]
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=builds))
    try:
        faiss.write_index(index.vectors, str(tmp / "vectors.faiss"))
        with (tmp / "vector_meta.npz").open("wb") as fh:
            np.savez(
                fh, entry=index.vector_entry, kind=index.vector_kind, sub=index.vector_sub, centroid=index.centroid
            )
        index.words.save(tmp / "words.npz")
        index.readings.save(tmp / "readings.npz")
        _write_json(tmp / "entries.json", [_entry_to_json(e) for e in index.entries])
        if tsv is not None:
            write_bytes_atomic(tmp / TSV_FILE, tsv)
        _write_json(tmp / "manifest.json", asdict(index.manifest))  # last: its presence marks a whole build
        _fsync_dir(tmp)
        final = builds / build_id
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    index.path = final
    if make_current:
        set_current(index_dir, build_id)
    _prune(builds, current_id(index_dir) or build_id, keep)
    return final


def set_current(index_dir: Path, build_id: str) -> None:
    """Make a saved build the one in use (an atomic replace of ``CURRENT``)."""
    if not (index_dir / "builds" / build_id / "manifest.json").is_file():
        raise IndexMismatchError(f"no build {build_id} in {index_dir}")
    write_bytes_atomic(index_dir / CURRENT_FILE, (build_id + "\n").encode())


def current_id(index_dir: Path) -> str | None:
    """The id of the build in use."""
    folder = current_build(index_dir)
    return folder.name if folder else None


def list_builds(index_dir: Path) -> list[tuple[str, Manifest]]:
    """Whole saved builds, newest first, with their manifests."""
    builds = index_dir / "builds"
    if not builds.is_dir():
        return []
    out = []
    for folder in sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True):
        try:
            out.append((folder.name, read_manifest(folder)))
        except IndexMismatchError:
            continue  # not a whole build
    return out


def _write_json(path: Path, obj: object) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace a file's content all at once (temp file in the same folder, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(builds: Path, current: str, keep: int) -> None:
    done = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    # The newest `keep` builds stay, and the current one always (it may be an older one after a rollback).
    for old in [p for p in done[: max(0, len(done) - keep)] if p.name != current]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in builds.glob(".tmp-*"):  # left by a crash mid-build
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def current_build(index_dir: Path) -> Path | None:
    """The folder of the build in use, or None if there is none."""
    try:
        build_id = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = index_dir / "builds" / build_id
    return folder if build_id and (folder / "manifest.json").is_file() else None


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a build folder."""
    try:
        return Manifest(**json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexMismatchError(f"index manifest in {folder} is unreadable: {exc}") from exc


def check(manifest: Manifest, *, tsv_sha256: str, model_id: str, settings: dict[str, Any]) -> None:
    """Raise ``IndexMismatchError`` saying what differs between an index and what it should serve."""
    wrong = []
    if manifest.format_version != FORMAT_VERSION:
        wrong.append(f"format {manifest.format_version} (expected {FORMAT_VERSION})")
    if manifest.tsv_sha256 != tsv_sha256:
        wrong.append(f"FAQ file (index built from sha256 {manifest.tsv_sha256[:12]}…, file is {tsv_sha256[:12]}…)")
    if manifest.model_id != model_id:
        wrong.append(f"model (index: {manifest.model_id}, configured: {model_id})")
    changed = sorted(k for k in set(settings) | set(manifest.settings) if settings.get(k) != manifest.settings.get(k))
    if changed:
        wrong.append("settings " + ", ".join(changed))
    if wrong:
        raise IndexMismatchError(
            "the index does not match: " + "; ".join(wrong) + ". Rebuild it with `faq-bot build-index`."
        )


def load(folder: Path) -> FaqIndex:
    """Read one build folder."""
    manifest = read_manifest(folder)
    try:
        entries = tuple(
            FaqEntry(d["id"], d["category"], d["question"], d["answer"], tuple(d["alternates"]), d["line"])
            for d in json.loads((folder / "entries.json").read_text(encoding="utf-8"))
        )
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
        with np.load(folder / "vector_meta.npz") as meta:
            entry, kind, sub, centroid = meta["entry"], meta["kind"], meta["sub"], meta["centroid"]
        words = Bm25.load(folder / "words.npz")
        readings = Bm25.load(folder / "readings.npz")
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexMismatchError(
            f"index in {folder} is damaged: {exc}. Rebuild it with `faq-bot build-index`."
        ) from exc
    if vectors.ntotal != len(entry) or len(entries) != manifest.counts.get("entries"):
        raise IndexMismatchError(f"index in {folder} is inconsistent. Rebuild it with `faq-bot build-index`.")
    return FaqIndex(entries, vectors, entry, kind, sub, centroid, words, readings, manifest, folder)
