"""Reading one returned file: check what it is, hand it to the reader for its format.

Readers are bytes-in functions (``read_<format>_return(data, file, instruments)``), imported
only when a file of their format turns up, so the command line starts fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from pathlib import Path

from ..errors import CoproduceError, ReturnReadError
from ..instrument import Instrument
from .detect import detect_format, extension_mismatch
from .model import Return

#: Returned forms are small; a bigger file is refused before it is read.
MAX_RETURN_BYTES = 50 * 1024 * 1024

_READERS = {
    "docx": ("generator.returns.docx_return", "read_docx_return"),
    "xlsx": ("generator.returns.xlsx_return", "read_xlsx_return"),
    "pdf": ("generator.returns.pdf_return", "read_pdf_return"),
}


def read_return(path: Path, instruments: Mapping[str, Instrument]) -> Return:
    """Read the completed form at ``path`` against the available ``instruments`` (id → Instrument).

    Raises :class:`ReturnReadError` with a one-line message naming the file for anything
    that cannot be read; never another exception.
    """
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_RETURN_BYTES:
            raise ReturnReadError(
                file,
                f"is {size / 1024 / 1024:.0f} MB; a returned form is at most {MAX_RETURN_BYTES // 1024 // 1024} MB",
            )
        data = path.read_bytes()
    except OSError as error:
        reason = "it is a folder" if path.is_dir() else (error.strerror or str(error)).lower()
        raise ReturnReadError(file, f"cannot be opened ({reason})") from error
    detected = detect_format(data, file)
    module, function = _READERS[detected.format]
    reader = getattr(import_module(module), function)
    try:
        result: Return = reader(data, file, instruments)
    except CoproduceError:
        raise
    except Exception as error:  # a reader bug or a file no check foresaw: the batch must go on
        raise ReturnReadError(
            file, f"could not be read ({type(error).__name__}: {error}); please report this with the file"
        ) from error
    note = extension_mismatch(detected, file)
    if note:
        result.problems.append(note)
    if detected.macro_enabled:
        result.problems.append("the file can hold macros: only its values were read, nothing in it was run")
    return result
