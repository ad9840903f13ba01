"""Outlook ``.msg`` files, read with :mod:`olefile` (BSD): what :mod:`generator.returns.mail`
needs of a message, and nothing else — who sent it, when, its subject, and its attachments
(each file's name and bytes; an attached email as a :class:`Message` read the same way).

A ``.msg`` is an OLE compound file laid out as [MS-OXMSG] says: each MAPI property of the
message is a stream named ``__substg1.0_IIIITTTT`` (the property's id and type, in hex: type
``001F`` is UTF-16LE text, ``001E`` 8-bit text in the message's code page, ``0102`` bytes),
except fixed-size ones (numbers, times, flags), which are 16-byte entries of the stream
``__properties_version1.0`` after its header (32 bytes for a message, 24 for an attached one,
8 for an attachment).  Each attachment is a storage ``__attach_version1.0_#NNNNNNNN`` laid out
the same way; its bytes are the stream ``__substg1.0_37010102``, or, for an attached email,
the storage ``__substg1.0_3701000D``, a message of its own.

The file is untrusted: :func:`read_msg` walks every chain of sectors before reading it (so a
chain that loops is refused, not followed for ever), reads no stream larger than the limits of
:class:`~generator.returns.guards.Limits` allow, counts attachments and their bytes across the
attached emails too, and goes no deeper than ``max_depth`` attached emails.  Everything wrong
with the file as a whole is one :class:`~generator.errors.ReturnReadError` naming it.
"""

from __future__ import annotations

import codecs
import email.errors
import email.header
import email.parser
import email.policy
import email.utils
import io
import re
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import olefile

from generator.errors import ReturnReadError, UnsafeFileError
from generator.returns.guards import LIMITS, Limits

#: A property, header or name stream larger than this is refused: Outlook's are a few KB (the
#: transport headers of a much-routed email some tens of KB).
TEXT_BYTES = 1024 * 1024

# MAPI property ids ([MS-OXPROPS])
_SUBJECT = 0x0037
_CLIENT_SUBMIT_TIME = 0x0039
_SENT_REPRESENTING_NAME = 0x0042
_SENT_REPRESENTING_ADDRESS_TYPE = 0x0064
_SENT_REPRESENTING_ADDRESS = 0x0065
_TRANSPORT_HEADERS = 0x007D
_SENDER_NAME = 0x0C1A
_SENDER_ADDRESS_TYPE = 0x0C1E
_SENDER_ADDRESS = 0x0C1F
_MESSAGE_DELIVERY_TIME = 0x0E06
_DISPLAY_NAME = 0x3001
_ATTACH_DATA = 0x3701
_ATTACH_FILENAME = 0x3704
_ATTACH_METHOD = 0x3705
_ATTACH_LONG_FILENAME = 0x3707
_ATTACH_MIME_TAG = 0x370E
_INTERNET_CODEPAGE = 0x3FDE
_MESSAGE_CODEPAGE = 0x3FFD
_SENDER_SMTP_ADDRESS = 0x5D01
_SENT_REPRESENTING_SMTP_ADDRESS = 0x5D02
_ATTACHMENT_HIDDEN = 0x7FFE
_ATTACHMENT_CONTACT_PHOTO = 0x7FFF

# property types
_LONG, _BOOLEAN, _TIME = 0x0003, 0x000B, 0x0040
_TEXT_UNICODE, _TEXT_8BIT, _BINARY, _OBJECT = 0x001F, 0x001E, 0x0102, 0x000D

# PR_ATTACH_METHOD values: what an attachment holds
_BY_VALUE, _EMBEDDED_MESSAGE, _OLE_OBJECT = 1, 5, 6
_NOT_A_FILE = {
    2: "is a link to a file (attached by reference), not the file itself: ask for the file to be attached",
    3: "is a link to a file (attached by reference), not the file itself: ask for the file to be attached",
    4: "is a link to a file (attached by reference), not the file itself: ask for the file to be attached",
    _OLE_OBJECT: "is an object pasted into the email (OLE), not a file: ask for the file to be attached",
    7: "is a link to a file in the cloud (OneDrive, SharePoint), not the file itself: ask for the file to be attached",
}

_MESSAGE_HEADER, _ATTACHED_MESSAGE_HEADER, _ATTACHMENT_HEADER = 32, 24, 8
_PROPERTIES = "__properties_version1.0"
_ATTACHMENT_STORAGE = re.compile(r"__attach_version1\.0_#[0-9A-Fa-f]{8}")
_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=timezone.utc)

_Entry = olefile.olefile.OleDirectoryEntry  # a storage or stream of the compound file


@dataclass
class Attachment:
    """One attachment: a file (``data``), an attached email (``message``), or neither, with the
    ``problem`` that kept it from being taken.  ``file_name`` is the long file name, else the
    8.3 one, "" when it has none (an attached email rarely has); ``display_name`` what Outlook
    shows.  ``hidden`` when Outlook hides it (a picture in the email's text)."""

    file_name: str
    display_name: str
    data: bytes | None = field(default=None, repr=False)
    message: Message | None = None
    hidden: bool = False
    mime_type: str | None = None
    problem: str | None = None


@dataclass
class Message:
    """A message as read: ``date`` is when it was sent (or delivered), None when unknown.
    ``opened`` is False for an attached email deeper than the reader went (nothing read)."""

    sender_address: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    date: datetime | None = None
    attachments: list[Attachment] = field(default_factory=list)
    opened: bool = True


#: What olefile (and the struct reads here) raise for a damaged compound file.
_DAMAGED_OLE_ERRORS = (OSError, ValueError, IndexError, KeyError, EOFError, OverflowError, struct.error)


def read_msg(data: bytes, file: str, limits: Limits = LIMITS, max_depth: int = 8) -> Message:
    """The Outlook message ``data`` (the file named ``file``), its attached emails read to
    ``max_depth`` levels.  Raises :class:`~generator.errors.ReturnReadError` naming ``file``
    when it is no readable .msg, :class:`~generator.errors.UnsafeFileError` when it breaks a
    limit (more attachments, or bytes of them, than ``limits`` allow; a looping file)."""
    try:
        # DEFECT_INCORRECT: a sector out of range, a stream cut short or read twice is an error, not
        # a note olefile keeps while it reads on (Outlook's own files have none of these).
        with _CompoundFile(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT) as ole:
            reader = _Reader(ole, file, limits, max_depth)
            if not reader.is_message(ole.root):
                raise ReturnReadError(file, "is an Office file of the old kind, not an Outlook message (.msg)")
            return reader.message(ole.root, [], _MESSAGE_HEADER, 0)
    except _SectorLoop as error:
        raise UnsafeFileError(
            file, "is an Outlook message (.msg) whose parts loop back on themselves: it was not read"
        ) from error
    except RecursionError as error:
        raise UnsafeFileError(
            file, "is an Outlook message (.msg) with parts nested too deeply to be an email: it was not read"
        ) from error
    except ReturnReadError:
        raise
    except _DAMAGED_OLE_ERRORS as error:
        detail = f" ({error})" if isinstance(error, olefile.olefile.OleFileError) else ""
        problem = f"is a damaged Outlook message (.msg){detail}: ask for it to be sent again"
        raise ReturnReadError(file, problem) from error


class _SectorLoop(Exception):
    """A chain of sectors that comes back to a sector it has passed."""


class _CompoundFile(olefile.OleFileIO):
    """olefile's reader, each chain of sectors walked before a stream is read: olefile reads a
    stream of unknown size (the directory) until the chain ends, and a chain that loops would
    be read, round and round, to the size of the whole sector table (some hundred times the
    file's size)."""

    def _open(self, start, size=olefile.UNKNOWN_SIZE, force_FAT=False):  # (olefile's signature)
        if force_FAT or size >= self.minisectorcutoff:
            _check_chain(self.fat, start)
        return super()._open(start, size, force_FAT)


def _check_chain(table, start: int) -> None:
    """Raise :class:`_SectorLoop` when the chain of sectors from ``start`` in the sector table
    ``table`` comes back to a sector it has passed.  (A chain that leaves the table is left to
    olefile, which calls the file damaged.)"""
    seen: set[int] = set()
    sector = start
    while 0 <= sector < len(table):
        if sector in seen:
            raise _SectorLoop("a chain of sectors loops")
        seen.add(sector)
        sector = table[sector] & 0xFFFFFFFF


class _Reader:
    """One file's reading: counts attachments and their bytes against the limits."""

    def __init__(self, ole: olefile.OleFileIO, file: str, limits: Limits, max_depth: int):
        self.ole = ole
        self.file = file
        self.limits = limits
        self.max_depth = max_depth
        self.count = 0
        self.total = 0

    # the storage tree -----------------------------------------------------------------------
    @staticmethod
    def child(storage: _Entry, name: str) -> _Entry | None:
        """The entry named ``name`` (any case) directly in ``storage``, or None."""
        name = name.casefold()
        return next((kid for kid in storage.kids if kid.name.casefold() == name), None)

    def is_message(self, storage: _Entry) -> bool:
        return any(kid.name.startswith(("__substg1.0_", "__attach_version1.0_")) for kid in storage.kids)

    def stream(self, storage: _Entry, path: list[str], name: str, limit: int, what: str) -> bytes | None:
        """The bytes of the stream ``name`` in ``storage`` (at ``path``), None when there is none;
        one larger than ``limit`` bytes (``what`` it holds) is refused."""
        entry = self.child(storage, name)
        if entry is None or entry.entry_type != olefile.STGTY_STREAM:
            return None
        if entry.size > limit:
            raise UnsafeFileError(
                self.file,
                f"is an Outlook message (.msg) whose {what} takes {entry.size / 1024 / 1024:.1f} MB, "
                "more than any email's: it was not read",
            )
        return self.ole.openstream([*path, entry.name]).read()

    # properties -------------------------------------------------------------------------------
    def properties(self, storage: _Entry, path: list[str], header: int) -> dict[int, bytes]:
        """The fixed-size properties of ``storage``: the 8-byte value of each, by tag."""
        data = self.stream(storage, path, _PROPERTIES, TEXT_BYTES, "list of properties") or b""
        found = {}
        for at in range(header, len(data) - 15, 16):
            (tag,) = struct.unpack_from("<I", data, at)
            found[tag] = data[at + 8 : at + 16]
        return found

    def text(self, storage: _Entry, path: list[str], prop: int, codec: str) -> str | None:
        """The text property ``prop`` of ``storage``, its blanks run together; None when it has
        none or it is blank."""
        return " ".join(self.raw_text(storage, path, prop, codec).split()) or None

    def raw_text(self, storage: _Entry, path: list[str], prop: int, codec: str) -> str:
        """The text property ``prop`` of ``storage`` as stored (to its first NUL); "" when none."""
        raw = self.stream(storage, path, f"__substg1.0_{prop:04X}{_TEXT_UNICODE:04X}", TEXT_BYTES, "text")
        if raw is not None:
            found = raw.decode("utf-16-le", "replace")
        else:
            raw = self.stream(storage, path, f"__substg1.0_{prop:04X}{_TEXT_8BIT:04X}", TEXT_BYTES, "text")
            found = raw.decode(codec, "replace") if raw is not None else ""
        return found.split("\0", 1)[0]

    def smtp_sender(self, storage: _Entry, path: list[str], codec: str) -> str | None:
        """The sender's Internet address as Outlook keeps it: the mailbox it was sent for (the
        From line), else the person who sent it.  (An Exchange sender's own address is an X.500
        path, no use to anyone here.)"""
        for smtp, address, kind in (
            (_SENT_REPRESENTING_SMTP_ADDRESS, _SENT_REPRESENTING_ADDRESS, _SENT_REPRESENTING_ADDRESS_TYPE),
            (_SENDER_SMTP_ADDRESS, _SENDER_ADDRESS, _SENDER_ADDRESS_TYPE),
        ):
            found = self.text(storage, path, smtp, codec)
            if not found and (self.text(storage, path, kind, codec) or "").upper() == "SMTP":
                found = self.text(storage, path, address, codec)
            if found:
                return found
        return None

    # a message and its attachments --------------------------------------------------------------
    def message(self, storage: _Entry, path: list[str], header: int, depth: int) -> Message:
        """The message stored in ``storage`` (at ``path``); ``depth`` attached emails down."""
        props = self.properties(storage, path, header)
        codec = _codec(props)
        headers = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(
            self.raw_text(storage, path, _TRANSPORT_HEADERS, codec)
        )
        name, address = email.utils.parseaddr(header_text(headers.get("From", "")))
        message = Message(
            sender_address=address or self.smtp_sender(storage, path, codec),
            sender_name=name
            or self.text(storage, path, _SENT_REPRESENTING_NAME, codec)
            or self.text(storage, path, _SENDER_NAME, codec),
            subject=self.text(storage, path, _SUBJECT, codec),
            date=_time(props.get(_tag_of(_CLIENT_SUBMIT_TIME, _TIME)))
            or _time(props.get(_tag_of(_MESSAGE_DELIVERY_TIME, _TIME)))
            or _header_date(headers.get("Date")),
        )
        storages = sorted(
            (kid for kid in storage.kids if kid.entry_type == olefile.STGTY_STORAGE), key=lambda kid: kid.name
        )
        for kid in storages:
            if _ATTACHMENT_STORAGE.fullmatch(kid.name):
                message.attachments.append(self.attachment(kid, [*path, kid.name], codec, depth))
        return message

    def attachment(self, storage: _Entry, path: list[str], codec: str, depth: int) -> Attachment:
        self.count += 1
        if self.count > self.limits.zip_entries:
            raise UnsafeFileError(
                self.file,
                f"holds more than {self.limits.zip_entries} attachments, emails and files in all: it was not read",
            )
        props = self.properties(storage, path, _ATTACHMENT_HEADER)
        found = Attachment(
            self.text(storage, path, _ATTACH_LONG_FILENAME, codec)
            or self.text(storage, path, _ATTACH_FILENAME, codec)
            or "",
            self.text(storage, path, _DISPLAY_NAME, codec) or "",
            hidden=_flag(props.get(_tag_of(_ATTACHMENT_HIDDEN, _BOOLEAN)))
            or _flag(props.get(_tag_of(_ATTACHMENT_CONTACT_PHOTO, _BOOLEAN))),
            mime_type=self.text(storage, path, _ATTACH_MIME_TAG, codec),
        )
        method = _long(props.get(_tag_of(_ATTACH_METHOD, _LONG)))
        data = self.child(storage, f"__substg1.0_{_ATTACH_DATA:04X}{_BINARY:04X}")
        inner = self.child(storage, f"__substg1.0_{_ATTACH_DATA:04X}{_OBJECT:04X}")
        if data is not None and data.entry_type == olefile.STGTY_STREAM:
            if data.size > self.limits.file_bytes:
                size, limit = data.size / 1024 / 1024, self.limits.file_bytes // 1024 // 1024
                found.problem = f"is {size:.0f} MB; a returned form is at most {limit} MB"
            else:
                found.data = self.attachment_bytes([*path, data.name], data.size)
        elif inner is not None and inner.entry_type == olefile.STGTY_STORAGE and method in (_EMBEDDED_MESSAGE, None):
            if depth + 1 > self.max_depth:
                found.message = Message(opened=False)
            else:
                found.message = self.message(inner, [*path, inner.name], _ATTACHED_MESSAGE_HEADER, depth + 1)
        else:
            found.problem = _NOT_A_FILE.get(
                method, "holds no file (Outlook stored nothing for it): ask for it to be attached again"
            )
        return found

    def attachment_bytes(self, path: list[str], size: int) -> bytes:
        """The bytes of the attachment stream at ``path`` (``size`` of them), counted against
        the limit of all attachments' bytes."""
        self.total += size
        if self.total > self.limits.total_bytes:
            raise UnsafeFileError(
                self.file,
                f"holds more than {self.limits.total_bytes // 1024 // 1024} MB of attachments in all: it was not read",
            )
        return self.ole.openstream(path).read()


# --- values ------------------------------------------------------------------------------------


def _tag_of(prop: int, kind: int) -> int:
    return prop << 16 | kind


def _long(value: bytes | None) -> int | None:
    return struct.unpack_from("<I", value)[0] if value else None


def _flag(value: bytes | None) -> bool:
    return bool(value) and struct.unpack_from("<H", value)[0] != 0


def _time(value: bytes | None) -> datetime | None:
    """A MAPI time (a FILETIME: 100-nanosecond steps since 1601, UTC), None when unset or absurd."""
    if not value:
        return None
    (ticks,) = struct.unpack_from("<Q", value)
    if ticks == 0:
        return None
    try:
        return _EPOCH_1601 + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None


def _codec(props: dict[int, bytes]) -> str:
    """The codec of the message's 8-bit texts: its code page, else Windows Western (cp1252)."""
    for prop in (_MESSAGE_CODEPAGE, _INTERNET_CODEPAGE):
        page = _long(props.get(_tag_of(prop, _LONG)))
        if page:
            name = "utf-8" if page == 65001 else f"cp{page}"
            try:
                return codecs.lookup(name).name
            except LookupError:
                continue
    return "cp1252"


def header_text(value: object) -> str:
    """A header's text, its encoded words (``=?utf-8?q?…?=``) decoded; never raises."""
    text = str(value)
    try:
        text = str(email.header.make_header(email.header.decode_header(text)))
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        pass
    return " ".join(text.split())


def _header_date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(header_text(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
