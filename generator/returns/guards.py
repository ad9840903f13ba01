"""Guards for untrusted files: every returned file passes here before a parser sees its bytes.

Returns come from outside and may be broken or hostile.  Each guard lives here, once, and
the readers call it by meaning:

* :func:`read_untrusted` — a file's bytes, refused unread past a size limit; :func:`file_label`,
  its name as text any output can hold.
* :func:`open_zip` — a zip container (.docx, .xlsx) checked from its directory *before*
  anything is inflated: entry count, each part's and the total unpacked size, compression
  ratio (Apache POI's ZipSecureFile rule: below 1% past a small grace size is a bomb), no
  two part names equal ignoring case, no encrypted entries, only the compression methods
  Office writes.  :meth:`SafeZip.read` reads a part with :mod:`zipfile`, which unpacks no
  more than the size the directory declares and checks the CRC, so a directory that lies
  makes a part read as damaged.
* :func:`parse_xml` — XML with no DTD (the OOXML packaging rules call one an error; it is
  only ever there to play tricks with entities), no entity expansion, nothing fetched from
  the network, libxml2's default depth and text-size limits.
* :func:`pdf_limits` — qpdf's own limits (pikepdf reads PDFs), tightened to a returned form's size, and no
  external decoder run.

A file that breaks a limit raises :class:`UnsafeFileError` (a :class:`ReturnReadError`,
so one line naming the file).  A damaged container raises what :mod:`zipfile` raises
(:data:`DAMAGED_ZIP_ERRORS`), for each reader to word in its own terms.

The default limits are :data:`LIMITS` (a :class:`Limits`); a caller wanting others passes its
own down (``dataclasses.replace(LIMITS, …)``) to each function here, through the readers.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from generator.errors import UnsafeFileError

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class Limits:
    """What a returned file may be.  The defaults are far above any real form (ours are
    30-60 KB, and a part of one unpacks to under 1 MiB)."""

    #: a returned file, as stored
    file_bytes: int = 50 * MiB
    #: entries in a zip container (Apache POI's default)
    zip_entries: int = 1000
    #: bytes of the zip's central directory (read before the entries are counted)
    zip_directory_bytes: int = 4 * MiB
    #: one part of a zip container, unpacked
    part_bytes: int = 50 * MiB
    #: all parts of a zip container, unpacked, as far as they are read
    total_bytes: int = 200 * MiB
    #: compressed / unpacked size below which a part is a zip bomb (POI: 1%) ...
    min_ratio: float = 0.01
    #: ... once it has unpacked past this size (POI's grace size)
    ratio_grace_bytes: int = 100 * KiB
    #: seconds one file may take to read in a batch (see :mod:`generator.merge`)
    read_seconds: float = 60.0
    #: memory a batch's reader process may use beyond what it starts with (Linux only)
    read_memory_bytes: int = 1024 * MiB


#: The default limits; never reassigned: pass others down instead.
LIMITS = Limits()


#: What :mod:`zipfile` and :meth:`SafeZip.read` raise for a damaged container: a garbled
#: directory or entry, a bad deflate stream or CRC, a part cut short, a directory entry
#: asking for a zip version or feature zipfile lacks (NotImplementedError).
DAMAGED_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    ValueError,
    OSError,
    NotImplementedError,
)


def _mib(size: float) -> str:
    return f"{size / MiB:.0f} MiB" if size >= 10 * MiB else f"{size / MiB:.1f} MiB"


# --- files --------------------------------------------------------------------------------------


def file_label(path: Path | str) -> str:
    """``path`` as text any output can hold (results.json, a workbook, the terminal): the bytes
    of a name that are not UTF-8 (a zip made on Windows, say) shown as ``\\xe9``, the rest as it is."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def read_untrusted(path: Path, file: str, limits: Limits = LIMITS) -> bytes:
    """The bytes of the file at ``path`` (named ``file`` in messages), at most
    ``limits.file_bytes`` of them: a bigger file is refused without being read in full.

    Raises :class:`UnsafeFileError` for a file over the limit; :class:`OSError` when it
    cannot be opened.
    """
    limit = limits.file_bytes
    with path.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        data = stream.read(size + 1) if size <= limit else b""  # (read() sets aside what it is asked for)
    if size > limit or len(data) > limit:  # the size on disk, or a file that grew while read
        size = max(size, len(data))
        raise UnsafeFileError(
            file, f"is {size / 1024 / 1024:.0f} MB; a returned form is at most {limit // 1024 // 1024} MB"
        )
    return data


# --- zip containers -------------------------------------------------------------------------------

_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
_COMPRESSION_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 99: "AES"}


def _part_key(name: str) -> str:
    """A part name as OOXML compares them: case-insensitive, "/" or "\\", no leading "/"."""
    return name.replace("\\", "/").lstrip("/").casefold()


def _directory_size(data: bytes) -> tuple[int, int] | None:
    """(entries, directory bytes) as the end-of-directory record declares them, ZIP64 too;
    None when there is no such record (then :mod:`zipfile` says the file is damaged)."""
    at = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - 65535))
    if at < 0 or len(data) < at + 22:
        return None
    entries, directory = struct.unpack_from("<HL", data, at + 10)
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and data[at - 20 : at - 16] == _ZIP64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", data, at - 20 + 8)
        if offset + 56 <= len(data) and data[offset : offset + 4] == _ZIP64_END:
            entries, directory = struct.unpack_from("<QQ", data, offset + 32)
    return entries, directory


class SafeZip:
    """A zip container whose directory has passed the limits; parts read with :meth:`read`.

    Part names are looked up as OOXML compares them (case-insensitively), which is
    unambiguous because names equal in that sense are refused.
    """

    def __init__(self, data: bytes, file: str, limits: Limits = LIMITS):
        self.file = file
        self.limits = limits
        declared = _directory_size(data)
        if declared is not None:
            entries, directory = declared
            if entries > limits.zip_entries or directory > limits.zip_directory_bytes:
                # a central directory entry takes at least 46 bytes
                raise UnsafeFileError(
                    file, self._too_many(entries if entries > limits.zip_entries else directory // 46)
                )
        # reads the directory only; may raise DAMAGED_ZIP_ERRORS
        self.archive = archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > limits.zip_entries:
            raise UnsafeFileError(file, self._too_many(len(infos)))
        self.infos: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            key = _part_key(info.filename)
            if key in self.infos:
                other = self.infos[key].filename
                twice = "twice" if other == info.filename else f"twice, once as {info.filename}"
                raise UnsafeFileError(
                    file,
                    f"holds the part {other} {twice} (only one copy would be read, the other silently ignored): "
                    "it was not read; ask the sender to save it again in Word, Excel or LibreOffice",
                )
            self.infos[key] = info
            self._check_entry(info)
            total += info.file_size
        if total > limits.total_bytes:
            raise UnsafeFileError(file, self._too_big_in_all(total))

    def _too_many(self, count: int) -> str:
        return (
            f"is a zip container of {count} or more parts, more than the {self.limits.zip_entries} a Word or Excel "
            "form could have: it was not read"
        )

    def _too_big_in_all(self, total: int) -> str:
        return (
            f"unpacks to {_mib(total)} or more, more than the {_mib(self.limits.total_bytes)} a returned form "
            "may unpack to: it was not read"
        )

    def _bomb(self, name: str, unpacked: int, packed: int) -> str:
        return (
            f"holds a part ({name}) that unpacks to {_mib(unpacked)} or more from {packed / KiB:.0f} KiB, "
            f"more than {1 / self.limits.min_ratio:.0f} to 1: that is a zip bomb, not a form, and it was not read"
        )

    def _check_entry(self, info: zipfile.ZipInfo) -> None:
        """The limits a directory entry must keep, checked before anything is inflated."""
        limits, name = self.limits, info.filename
        if info.flag_bits & 0x1:
            raise UnsafeFileError(
                self.file,
                f"is password-protected (its part {name} is encrypted): ask the sender to remove the password "
                "and send it again",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _COMPRESSION_NAMES.get(info.compress_type, f"number {info.compress_type}")
            raise UnsafeFileError(
                self.file,
                f"holds a part ({name}) packed with {method} compression, which Word, Excel and LibreOffice never "
                "use: it was not read; ask the sender to save it again",
            )
        if info.file_size > limits.part_bytes:
            raise UnsafeFileError(
                self.file,
                f"holds a part ({name}) that unpacks to {_mib(info.file_size)}, more than the "
                f"{_mib(limits.part_bytes)} a part of a returned form may be: it was not read",
            )
        if (
            info.compress_type == zipfile.ZIP_DEFLATED
            and info.file_size > limits.ratio_grace_bytes
            and info.compress_size < info.file_size * limits.min_ratio
        ):
            raise UnsafeFileError(self.file, self._bomb(name, info.file_size, info.compress_size))

    # parts ------------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """The part names, as stored, in directory order."""
        return [info.filename for info in self.infos.values()]

    def info(self, name: str) -> zipfile.ZipInfo | None:
        """The directory entry of the part ``name`` (any case, "/" or "\\"), or None."""
        return self.infos.get(_part_key(name))

    def has(self, name: str) -> bool:
        return _part_key(name) in self.infos

    def read(self, name: str) -> bytes:
        """The unpacked bytes of the part ``name``, read with :mod:`zipfile`, which stops at
        the size the directory declares (checked against the limits above) and checks the
        CRC, so no more than that is ever unpacked: a directory that lies about a part's size
        makes it read as damaged.  Raises :class:`KeyError` for a part that is not there, and
        one of :data:`DAMAGED_ZIP_ERRORS` for a damaged one (bad deflate stream or CRC, cut
        short, or unpacking to another size than its directory says)."""
        info = self.info(name)
        if info is None:
            raise KeyError(name)
        with self.archive.open(info) as stream:
            # A size, never read() to the end: zipfile then inflates in one go whatever the
            # stream holds before cutting it to the declared size.  (Asked for 0 bytes, it
            # would not check the CRC.)
            data = stream.read(info.file_size or 1)
        if len(data) != info.file_size:
            raise zipfile.BadZipFile(
                f"{info.filename}: unpacks to {len(data)} bytes, its directory entry says {info.file_size}"
            )
        return data


def open_zip(data: bytes, file: str, limits: Limits = LIMITS) -> SafeZip:
    """The zip container ``data`` (named ``file`` in messages), its directory checked.

    Raises :class:`UnsafeFileError` for a container that breaks a limit, and one of
    :data:`DAMAGED_ZIP_ERRORS` for one that is not a readable zip.
    """
    return SafeZip(data, file, limits)


# --- XML ------------------------------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _declares_dtd(data: bytes) -> bool:
    """Whether the XML ``data`` has a ``<!DOCTYPE`` in its prolog (what comes before the
    root element: the XML declaration, comments, processing instructions)."""
    head, codec = data[: 64 * KiB], "utf-8"
    for bom, name in _BOMS:
        if head.startswith(bom):
            head, codec = head[len(bom) :], name
            break
    else:
        if head[:2] in (b"<\x00", b"\x00<"):  # UTF-16 without its byte-order mark
            codec = "utf-16-le" if head[0] == ord("<") else "utf-16-be"
    # A prolog is nearly always a short XML declaration: the first KiB tells, unless the prolog
    # runs on past it (a comment or processing instruction not closed there, or blanks to its end).
    after = _after_prolog(head[:KiB].decode(codec, errors="replace"))
    if len(after) < 9 or after.startswith(("<?", "<!--")):
        after = _after_prolog(head.decode(codec, errors="replace"))
    return after.upper() == "<!DOCTYPE"


def _after_prolog(text: str) -> str:
    """The first 9 characters of ``text`` after its prolog items (blanks, comments, processing
    instructions)."""
    at = 0
    while match := _PROLOG_ITEM.match(text, at):
        at = match.end()
    return text[at : at + 9]


def _dtd_refused(file: str, part: str) -> UnsafeFileError:
    return UnsafeFileError(
        file,
        f"holds XML that declares a DTD (in {part}), which Word, Excel and LibreOffice never write, so it was "
        "not read: ask the sender to save it again in Word, Excel or LibreOffice",
    )


#: libxml2's limits (kept: ``huge_tree`` is off), as its messages name them.
_XML_TEXT_LIMIT = 10_000_000
_XML_DEPTH_LIMIT = 256


def _beyond_xml_limits(message: str, part: str) -> str | None:
    """What to tell the sender when libxml2 stopped at one of its size limits (its ``message``
    says which), or None when the XML is damaged instead."""
    if "Text node too long" in message or "huge text node" in message:
        return (
            f"is too big to read, not damaged: it holds a text of more than {_XML_TEXT_LIMIT:,} characters in one "
            f"piece (in {part}), more than a returned form may hold; saving it again will not help: ask the sender "
            "to shorten it (a very long comment, say) and send it again"
        )
    if "Excessive depth" in message:
        return (
            f"is too big to read, not damaged: its XML (in {part}) is nested more than {_XML_DEPTH_LIMIT} levels "
            "deep, more than a returned form ever is; it was not read"
        )
    if "Resource limit exceeded" in message or "Huge input lookup" in message or "XML_PARSE_HUGE" in message:
        return (
            f"is too big to read, not damaged: a piece of its XML (in {part}) is over the XML reader's size limits, "
            "more than a returned form ever needs; saving it again will not help: ask the sender to shorten it"
        )
    return None


def xml_parser() -> etree.XMLParser:
    """An lxml parser that expands no entity, loads no DTD, fetches nothing from the network,
    and keeps libxml2's limits on depth and text size (``huge_tree`` off).  Comments and
    processing instructions are dropped.  Make one per file (a package keeps one for its
    parts): lxml parsers are not to be shared between threads."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,  # no lookups by xml:id: no table of them
    )


def parse_xml(data: bytes, file: str, part: str, parser: etree.XMLParser | None = None) -> etree._Element:
    """The root element of the XML ``data`` (the part ``part`` of ``file``), parsed safely.

    Raises :class:`UnsafeFileError` when the XML declares a DTD (checked on the bytes
    before parsing, and on the parsed document) or goes past one of libxml2's size limits (a
    text of over 10,000,000 characters, nesting over 256 deep: too big, which re-saving will
    not fix), and :class:`lxml.etree.XMLSyntaxError` when it is not well-formed, for the
    reader to report as damage.
    """
    if _declares_dtd(data):
        raise _dtd_refused(file, part)
    try:
        root = etree.fromstring(data, parser if parser is not None else xml_parser())
    except etree.XMLSyntaxError as error:
        beyond = _beyond_xml_limits(str(error), part)
        if beyond is not None:  # well-formed, maybe, but too big to read: re-saving will not help
            raise UnsafeFileError(file, beyond) from error
        raise
    if root.getroottree().docinfo.doctype:
        raise _dtd_refused(file, part)
    return root


# --- PDF ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def pdf_limits(limits: Limits = LIMITS) -> Iterator[None]:
    """While reading a PDF: qpdf's own limits (the reader is pikepdf), tightened to what a
    returned form can need: no stream inflating past the size of a part, no more than 1,000
    warnings before a file is given up, objects nested at most 499 deep (qpdf's default).
    qpdf's limits are process-wide, so the previous ones are put back afterwards; a batch
    reads each file in a worker process, where nothing else uses them."""
    try:
        from pikepdf.settings import set_qpdf_limits
    except ImportError:  # pragma: no cover - an older pikepdf: qpdf's built-in limits apply
        yield
        return
    previous = set_qpdf_limits(
        flate_max_memory=limits.part_bytes,
        run_length_max_memory=limits.part_bytes,
        png_max_memory=limits.part_bytes,
        tiff_max_memory=limits.part_bytes,
        dct_max_memory=limits.part_bytes,
        doc_max_warnings=1000,
    )
    try:
        yield
    finally:
        set_qpdf_limits(**previous)
