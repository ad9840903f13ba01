"""Writing output files safely: all or nothing, and byte-stable when asked.

Every output is written to a temporary file beside its destination and moved into place
only when complete, so an interrupted run never leaves half a file under the real name.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

#: The earliest time a zip entry can carry.
_ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=timezone.utc)


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


def restamp_zip(path: Path, when: datetime) -> None:
    """Rewrite the zip at ``path`` so every entry carries the time ``when``.

    Office files are zips, and zip libraries stamp each entry with the current time; with
    a fixed time, the same input gives the same bytes.  Entry order, names and contents
    are kept.
    """
    when = max(when.astimezone(timezone.utc), _ZIP_EPOCH)
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, data)
