"""Atomic writes keep the modes an ordinary write would give: the first publish must not lock others out."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from faq_bot.files import temp_dir, umask, write_bytes_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umasks(tmp_path: Path) -> None:
    faq = tmp_path / "faq.tsv"
    faq.write_bytes(b"old")
    faq.chmod(0o664)
    write_bytes_atomic(faq, b"new")
    assert faq.read_bytes() == b"new" and _mode(faq) == 0o664
    fresh = tmp_path / "sub" / "CURRENT"
    write_bytes_atomic(fresh, b"x")
    assert _mode(fresh) == 0o666 & ~umask()
    assert _mode(fresh) & stat.S_IROTH == (0 if umask() & 0o004 else stat.S_IROTH)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_the_umask_is_the_processs_own(tmp_path: Path) -> None:
    old = os.umask(0o027)
    os.umask(old)
    assert umask() == old  # read from /proc, never by setting it


def test_a_temporary_build_folder_gets_an_ordinary_folders_mode(tmp_path: Path) -> None:
    folder = temp_dir(tmp_path)
    assert folder.parent == tmp_path and folder.name.startswith(".tmp-")
    assert _mode(folder) == 0o777 & ~umask()
