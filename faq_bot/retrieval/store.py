"""The on-disk build store: ``builds/<build id>/`` folders and a ``CURRENT`` file naming the one in use.

A build is written to a temporary folder and renamed into place, then ``CURRENT`` is
replaced atomically: a crash at any point leaves the previous build serving and no
half-written one in use.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from faq_bot.content.faq import FaqEntry
from faq_bot.errors import IndexMismatchError
from faq_bot.files import fsync_dir, temp_dir, write_bytes_atomic
from faq_bot.retrieval.index import FORMAT_VERSION, FaqIndex, Manifest
from faq_bot.retrieval.lexical import Bm25

log = logging.getLogger("faq_bot.index")
CURRENT_FILE = "CURRENT"
_BUILD_ID = re.compile(r"[0-9A-Za-z_-][0-9A-Za-z_.-]{0,127}")  # never "." or "..": no way out of builds/
TSV_FILE = "faq.tsv"
KEEP_BUILDS = 3


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
    tmp = temp_dir(builds)
    try:
        faiss.write_index(index.vectors, str(tmp / "vectors.faiss"))
        with (tmp / "vector_meta.npz").open("wb") as fh:
            np.savez(
                fh, entry=index.vector_entry, kind=index.vector_kind, sub=index.vector_sub, centroid=index.centroid,
                background=np.asarray(index.own_background or (0.0, 0.0), dtype=np.float64),
            )  # fmt: skip
        index.words.save(tmp / "words.npz")
        index.readings.save(tmp / "readings.npz")
        _write_json(tmp / "entries.json", [_entry_to_json(e) for e in index.entries])
        if tsv is not None:
            write_bytes_atomic(tmp / TSV_FILE, tsv)
        _write_json(tmp / "manifest.json", asdict(index.manifest))  # last: its presence marks a whole build
        fsync_dir(tmp)
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
    """The id of the build in use; None when there is none or ``CURRENT`` is damaged."""
    try:
        folder = current_build(index_dir)
    except IndexMismatchError:
        return None
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


def prune(index_dir: Path, keep: int = KEEP_BUILDS) -> None:
    """Remove all but the newest ``keep`` builds (never the current one) and stale temporary folders."""
    builds = index_dir / "builds"
    current = current_id(index_dir)
    if builds.is_dir() and current is not None:
        _prune(builds, current, keep)


def _prune(builds: Path, current: str, keep: int) -> None:
    done = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    # The newest `keep` builds stay, and the current one always (it may be an older one after a rollback).
    for old in [p for p in done[: max(0, len(done) - keep)] if p.name != current]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in builds.glob(".tmp-*"):  # left by a crash mid-build
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def read_current(index_dir: Path) -> str | None:
    """The build id ``CURRENT`` names; None without ``CURRENT``; ``IndexMismatchError`` when it is damaged."""
    path = index_dir / CURRENT_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexMismatchError(f"{path} is unreadable: {exc.strerror}") from exc
    try:
        build_id = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        build_id = None
    if build_id is None or not _BUILD_ID.fullmatch(build_id):
        # Never echo the bytes: they are not ours and may be anything.
        raise IndexMismatchError(f"{path} is damaged ({len(raw)} bytes that are not a build id)")
    return build_id


def current_build(index_dir: Path) -> Path | None:
    """The folder of the build in use; None if there is none; ``IndexMismatchError`` if ``CURRENT`` is damaged."""
    build_id = read_current(index_dir)
    if build_id is None:
        return None
    folder = index_dir / "builds" / build_id
    return folder if (folder / "manifest.json").is_file() else None


def newest_build(index_dir: Path, accept: Callable[[str, Manifest], bool]) -> tuple[str, FaqIndex] | None:
    """The newest whole, loadable build ``accept`` takes (by id and manifest); damaged ones are logged and skipped."""
    for build_id, manifest in list_builds(index_dir):
        if not accept(build_id, manifest):
            continue
        try:
            return build_id, load(index_dir / "builds" / build_id)
        except IndexMismatchError as exc:
            log.warning("index build %s is damaged, not served: %s", build_id, exc)
    return None


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
            # (builds older than the topic model have none: it is computed from the vectors)
            kept = [float(v) for v in meta["background"]] if "background" in meta else None
        background = (kept[0], kept[1]) if kept is not None and len(kept) == 2 else None
        words = Bm25.load(folder / "words.npz")
        readings = Bm25.load(folder / "readings.npz")
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexMismatchError(
            f"index in {folder} is damaged: {exc}. Rebuild it with `faq-bot build-index`."
        ) from exc
    if vectors.ntotal != len(entry) or len(entries) != manifest.counts.get("entries"):
        raise IndexMismatchError(f"index in {folder} is inconsistent. Rebuild it with `faq-bot build-index`.")
    return FaqIndex(entries, vectors, entry, kind, sub, centroid, words, readings, manifest, folder,
                    own_background=background)  # fmt: skip
