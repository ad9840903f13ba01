"""Writing output files safely: all or nothing, and byte-stable when asked.

Every output is written to a temporary file beside its destination and moved into place
only when complete, so an interrupted run never leaves half a file under the real name.
A merge holds its output folder's lock (:func:`folder_lock`) while it writes there, and first
removes what an interrupted run left (:func:`remove_leftovers`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

#: The earliest time a zip entry can carry.
_ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=timezone.utc)
_CHUNK = 1 << 20
_CORE_PROPERTIES = "docProps/core.xml"
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then move it to ``path``.

    The folder is created if needed.  If ``write`` fails, ``path`` is left untouched and
    the temporary file removed.  Returns ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def restamp_zip(path: Path, when: datetime, *, properties: bool = False) -> None:
    """Rewrite the zip at ``path`` so every entry carries the time ``when``; with ``properties``,
    its Office core properties' "modified" time too.

    Office files are zips, and zip libraries stamp each entry with the current time; with
    a fixed time, the same input gives the same bytes.  Entry order, names and contents
    are kept.  The entries are copied a piece at a time, so a large file needs little memory.
    """
    when = max(when.astimezone(timezone.utc), _ZIP_EPOCH)
    stamp = when.timetuple()[:6]
    modified = f"{when:%Y-%m-%dT%H:%M:%SZ}".encode()
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".zip", dir=path.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(name, "w", allowZip64=True) as target:
            for info in source.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
                fixed.compress_type = zipfile.ZIP_DEFLATED
                fixed.external_attr = 0o644 << 16
                if properties and info.filename == _CORE_PROPERTIES:
                    target.writestr(fixed, _MODIFIED.sub(lambda m: m[1] + modified + m[2], source.read(info)))
                    continue
                fixed.file_size = info.file_size  # so a part over 2 GiB is written as ZIP64
                with source.open(info) as part, target.open(fixed, "w") as copy:
                    shutil.copyfileobj(part, copy, _CHUNK)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


# --- an output folder: one writer at a time, and what an interrupted one left ---------------------

#: The lock file a merge holds in its output folder while it writes there.
LOCK_NAME = ".coproduce-merge.lock"
#: The hidden folder results.json and consolidated.xlsx are written in before they are moved out.
STAGING_PREFIX = ".coproduce-staging-"
#: Our temporary files (``tempfile.mkstemp`` names from :func:`write_atomically` and :func:`restamp_zip`).
_LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.(?:tmp|zip)")


class FolderBusy(Exception):
    """The folder is locked by another process; ``since`` is what that process wrote in the lock."""

    def __init__(self, since: str):
        super().__init__(since)
        self.since = since


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the lock of ``folder`` (created if needed) while the block runs; raise :class:`FolderBusy`
    at once if another process holds it.  The lock is the operating system's on a file
    (:data:`LOCK_NAME`), so it is released when its process dies, however it dies; the file is
    removed when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(handle)
        except OSError:
            since = os.read(handle, 200).decode("utf-8", "replace").strip() or "just now"
            os.close(handle)
            raise FolderBusy(since) from None
        try:  # the file we locked may have been removed by its last holder: lock the one there now
            same = os.path.samestat(os.fstat(handle), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)
    os.ftruncate(handle, 0)
    os.write(handle, f"{datetime.now():%Y-%m-%d %H:%M}, process {os.getpid()}".encode())
    try:
        yield
    finally:
        try:
            path.unlink()
        except OSError:  # (Windows will not remove an open file: it stays, unlocked)
            pass
        os.close(handle)  # closing releases the lock


def _lock(handle: int) -> None:
    """Lock the open file ``handle`` without waiting: OSError if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove what an interrupted run left in ``folder`` (and its ``plans`` folder): our temporary
    files and staging folders.  Call it holding :func:`folder_lock`, so that no run is writing
    them.  Returns what was removed."""
    removed: list[Path] = []
    folders = [folder]
    plans = folder / "plans"
    if plans.is_dir() and not plans.is_symlink():
        folders += [p for p in plans.rglob("*") if p.is_dir() and not p.is_symlink()]
    for where in folders:
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
            elif _LEFTOVER.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


@contextmanager
def staging_folder(folder: Path) -> Iterator[Path]:
    """A new hidden folder inside ``folder`` to write files in before they are moved into place
    (on the same disk, so a move is a rename); removed, with what is left in it, afterwards."""
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
