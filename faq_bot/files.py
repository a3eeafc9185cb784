"""Crash-safe file writes: a file or folder is either the old one or the whole new one.

Temporary files and folders are private while they are written (``mkstemp``: 0600, ``mkdtemp``: 0700);
what is renamed into place gets the mode an ordinary write would have given it: a replaced file keeps
its own, a new one the process's umask. Otherwise the first publish would make the editors' FAQ file
and the index unreadable to backups, deploy scripts and other service users.
"""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from pathlib import Path

_DEFAULT_UMASK = 0o022


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace a file's content all at once (temp file in the same folder, fsync, rename), keeping its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:  # a new file
        mode = 0o666 & ~umask()
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def temp_dir(parent: Path) -> Path:
    """A new folder in ``parent`` to fill and then rename into place, with an ordinary folder's mode."""
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=parent))
    tmp.chmod(0o777 & ~umask())
    return tmp


@functools.cache
def umask() -> int:
    """The process's umask, read without changing it (``os.umask`` would, for every thread at once)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return _DEFAULT_UMASK


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
