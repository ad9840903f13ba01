"""Writing output files safely: all or nothing, and byte-stable when asked.

Every output is written to a temporary file beside its destination and moved into place
only when complete, so an interrupted run never leaves half a file under the real name.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
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
