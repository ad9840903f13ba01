"""What a returned file really is, judged by its content, not its name.

People send back what they have: the form as we sent it, a re-saved copy in another
program's format, an old ``.doc``, a password-protected file, a scan.  Each kind that
cannot be read gets a message that says what it is and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.errors import DamagedPart, OwnOutputError, ReturnReadError
from generator.returns.guards import DAMAGED_ZIP_ERRORS, LIMITS, Limits
from generator.returns.package import Package

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
#: The document's core properties, and the category in them (Dublin Core's namespace for OOXML's cp:).
_CORE_PROPERTIES = "docProps/core.xml"
_CATEGORY = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}category"
_CONVERT = 'soffice --headless --convert-to {ext} "{file}"'

#: Human names of the formats, for messages.
FORMAT_NAMES = {"docx": "a Word document", "xlsx": "an Excel workbook", "pdf": "a PDF", "scan": "a scanned image"}
_EXTENSIONS = {
    "docx": (".docx", ".docm", ".dotx", ".dotm"),
    "xlsx": (".xlsx", ".xlsm", ".xltx", ".xltm"),
    "pdf": (".pdf",),
    "scan": (".png", ".jpg", ".jpeg", ".tif", ".tiff"),
}
#: How a scanned page's image starts: PNG, JPEG, TIFF (either byte order).
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class Detected:
    """The format of a file (``docx``, ``xlsx``, ``pdf`` or ``scan``: an image of scanned
    pages) and whether it may hold macros; for a zip container, the package as opened to tell
    (for its reader: opened once); whether the workbook is an action tracker coproduce wrote
    rather than a form."""

    format: str
    macro_enabled: bool = False
    package: Package | None = field(default=None, compare=False, repr=False)
    tracker: bool = False


def detect_format(data: bytes, file: str, limits: Limits = LIMITS) -> Detected:
    """Tell which reader ``data`` needs; a zip container is opened within ``limits``.  Raises
    :class:`ReturnReadError` for anything that is not a Word, Excel or PDF form, saying what it
    is and what to do."""
    if not data:
        raise ReturnReadError(file, "is empty (0 bytes): ask for the form to be sent again")
    if b"%PDF-" in data[:1024]:
        return Detected("pdf")  # a scanned PDF (no form fields, our page codes) is told apart by reading it
    if data.startswith(_IMAGE_SIGNATURES):
        return Detected("scan")
    if data.startswith(_OLE2):
        raise ReturnReadError(file, _ole2_problem(data, file))
    if data.startswith(_ZIP) or data.startswith(b"PK\x05\x06"):
        return _detect_zip(data, file, limits)
    if data.lstrip()[:5].lower() in (b"<html", b"<!doc") or data.startswith(b"{\\rtf"):
        raise ReturnReadError(
            file,
            "is a web page or RTF document, not a form: open it in Word or LibreOffice and save it as .docx "
            f"(or run: {_CONVERT.format(ext='docx', file=file)})",
        )
    raise ReturnReadError(
        file,
        "is not a Word, Excel or PDF file: coproduce reads .docx, .xlsx and .pdf forms, and scans of printed forms "
        "(PDF, PNG, JPEG, TIFF)",
    )


def extension_mismatch(detected: Detected, file: str) -> str | None:
    """A note when the file's name says another format than its content, else None."""
    lower = file.lower()
    if lower.endswith(_EXTENSIONS[detected.format]):
        return None
    dot = lower.rfind(".")
    ext = lower[dot:] if dot > max(lower.rfind("/"), lower.rfind("\\")) else "(no extension)"
    return f"the file is named {ext} but is {FORMAT_NAMES[detected.format]}; it was read as one"


def _detect_zip(data: bytes, file: str, limits: Limits) -> Detected:
    # The container's limits (entries, sizes, ratio, duplicate parts) are checked here, before
    # any part is inflated: a zip bomb is refused before a reader sees it.
    try:
        package = Package.open(data, file, limits)
        mimetype = package.read("mimetype").decode("ascii", "replace").strip() if package.has("mimetype") else ""
        content_types = package.content_types()
    except (DamagedPart, *DAMAGED_ZIP_ERRORS) as error:
        raise ReturnReadError(
            file, "is damaged or incomplete (its zip container cannot be opened): ask for it to be sent again"
        ) from error
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        if "spreadsheet" in mimetype:
            kind, ext = "an OpenDocument spreadsheet (.ods)", "xlsx"
        else:
            kind, ext = "an OpenDocument text (.odt)", "docx"
        raise ReturnReadError(
            file,
            f"is {kind}: open it in LibreOffice and save it as .{ext}, or run: {_CONVERT.format(ext=ext, file=file)}",
        )
    what = _own_output(package)
    if what is not None:
        raise OwnOutputError(file, f"is {_article(what)} {what} that coproduce wrote, not a return: left out")
    macro = any("macroEnabled" in content_type for content_type in content_types)
    if package.has("word/document.xml"):
        return Detected("docx", macro, package)
    if package.has("xl/workbook.xml"):
        return Detected("xlsx", macro, package, tracker=_is_tracker(package))
    if package.has("ppt/presentation.xml"):
        raise ReturnReadError(file, "is a PowerPoint presentation, not a form")
    raise ReturnReadError(
        file, "is a zip file but not a Word or Excel document: coproduce reads .docx, .xlsx and .pdf forms"
    )


def _own_output(package: Package) -> str | None:
    """What the document in ``package`` is when coproduce wrote it and it is not a form (its
    core properties' category says "coproduce output: action plan"), else None."""
    from generator.forms.identity import OUTPUT_CATEGORY

    if not package.has(_CORE_PROPERTIES):
        return None
    try:
        root = package.xml(_CORE_PROPERTIES)
    except DamagedPart:
        return None  # the reader says what is wrong with the document, if it matters
    category = root.find(_CATEGORY)
    text = " ".join((category.text or "").split()) if category is not None else ""
    prefix = f"{OUTPUT_CATEGORY}: "
    if not text.startswith(prefix):
        return None
    return text[len(prefix) :][:60] or None


def _article(what: str) -> str:
    return "an" if what[:1].lower() in "aeiou" else "a"


def _is_tracker(package: Package) -> bool:
    """Whether the workbook in ``package`` is an action tracker (a damaged one is left to the
    form reader to describe)."""
    from generator.errors import DamagedWorkbook, NotAWorkbook
    from generator.returns.tracker_return import is_tracker
    from generator.returns.xlsx_workbook import Workbook

    try:
        return is_tracker(Workbook(package))
    except (DamagedWorkbook, NotAWorkbook):
        return False


def _ole2_problem(data: bytes, file: str) -> str:
    """The message for an OLE2 compound file: an encrypted Office file, or an old .doc/.xls."""
    head = data[: 1024 * 1024]
    if "EncryptedPackage".encode("utf-16-le") in head:
        return "is password-protected: ask the sender to remove the password (File > Info > Protect) and send it again"
    if "WordDocument".encode("utf-16-le") in head:
        return (
            "is an old Word 97-2003 document (.doc): open it in Word or LibreOffice and save it as .docx, "
            f"or run: {_CONVERT.format(ext='docx', file=file)}"
        )
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return (
            "is an old Excel 97-2003 workbook (.xls): open it in Excel or LibreOffice and save it as .xlsx, "
            f"or run: {_CONVERT.format(ext='xlsx', file=file)}"
        )
    return "is an old Microsoft Office file that coproduce cannot read: save it as .docx or .xlsx"
