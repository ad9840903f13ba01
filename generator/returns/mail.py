"""Returns that come as emails or archives: the forms attached to an ``.eml`` (Thunderbird,
Apple Mail, Outlook "save as"), an Outlook ``.msg`` (read by :mod:`generator.returns.msg`), a
whole ``.mbox``, or packed in a ``.zip``.

:func:`unpack` takes such a file's bytes and gives one :class:`Item` per thing found in it:
an attachment to read as a form (its bytes), or one that is not read (skipped or rejected, with
the reason), each named ``<container>/<attachment>`` (``reply.eml/riverside.pdf``,
``Inbox.mbox/message 3/scan.jpg``) and carrying where it came from (:class:`~generator.model.results.EmailSource`:
the sender's address, the date, the subject).  Forwarded emails (``message/rfc822`` parts, an
``.eml`` or ``.msg`` attached) and zips are opened in turn, within the limits of
:class:`generator.returns.guards.Limits` (each attachment's size, how many there are and
their total size) and :data:`MAX_DEPTH`; a zip's own limits (a zip bomb) are those of
:func:`generator.returns.guards.open_zip`.  Nothing here reads a form: the caller reads each
item as it reads any file (in a worker process, with a time limit: see
:func:`generator.returns.batch.iter_unpack`).
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.message
import email.policy
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from generator.errors import ReturnReadError, UnsafeFileError
from generator.model.results import EmailSource as EmailOrigin
from generator.returns.guards import DAMAGED_ZIP_ERRORS, LIMITS, Limits, open_zip
from generator.returns.msg import Attachment as MsgAttachment
from generator.returns.msg import Message, header_text, read_msg

#: The suffixes of the files opened as containers rather than read as forms.
CONTAINER_SUFFIXES = (".eml", ".msg", ".mbox", ".zip")
#: Emails and zips inside one another deeper than this are not opened (a forward of a
#: forward of a forward… is rarely more than 3 deep).
MAX_DEPTH = 8
#: An email's header block (before its first blank line) larger than this is refused: real
#: headers, long routing and all, are a few KB.
HEADER_BYTES = 1024 * 1024

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_MARK = "__substg1.0_".encode("utf-16-le")
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:[ \t]?")  # a header's name and colon (RFC 5322: printable, no ':')
_MAIL_HEADERS = re.compile(rb"^(from|date|subject|to|message-id|mime-version|received|return-path):", re.I | re.M)
_MBOX_FROM = re.compile(rb"(?:\A|\n)From [^\n]*\n")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Item:
    """One thing found in a container: an attachment to read as a form (``data``; ``fate`` None),
    or one not read, with its ``fate`` (``skipped`` or ``rejected``) and ``reason``.  ``time``
    is the email's date as a POSIX time (which of two returns is later), None when unknown."""

    name: str
    data: bytes | None = field(default=None, repr=False)
    fate: str | None = None
    reason: str | None = None
    origin: EmailOrigin | None = None
    time: float | None = None


@dataclass(frozen=True)
class _NotTaken:
    """An attachment that holds no file to read (a link to one, say): why."""

    reason: str


@dataclass
class _Mail:
    """An email as read from any of its formats: its attachments as (file name, bytes or a
    nested email or why there is no file, inline) and the parts of it that are not attachments
    but are no body text."""

    sender: str | None
    date: str | None
    time: float | None
    subject: str | None
    attachments: list[tuple[str, bytes | _Mail | _NotTaken, bool]] = field(default_factory=list)


def container_kind(data: bytes, name: str) -> str | None:
    """``eml``, ``msg``, ``mbox`` or ``zip`` when ``data`` (a file named ``name``) is one to open
    rather than read as a form; None otherwise.  An Office document is a zip too: only a zip
    that is not one is opened."""
    suffix = PurePosixPath(name.lower()).suffix
    if data.startswith(_OLE2):
        return "msg" if _MSG_MARK in data[: 1024 * 1024] else None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        head = data[: 64 * 1024]
        office = b"[Content_Types].xml" in head or b"mimetype" in head[:100]
        return None if office and suffix != ".zip" else "zip"
    if data.startswith(b"From ") and _MAIL_HEADERS.search(data[:65536]):
        return "mbox"
    if suffix == ".eml" or (_HEADER_LINE.match(data[:80]) and _MAIL_HEADERS.search(data[:65536])):
        return "eml" if b"%PDF-" not in data[:1024] else None
    return None


def unpack(data: bytes, file: str, limits: Limits = LIMITS) -> list[Item]:
    """The items in the container ``data`` (the file named ``file``): see the module.  Raises
    :class:`~generator.errors.ReturnReadError` naming ``file`` when it cannot be opened at all
    (a damaged email, a zip that is no zip), :class:`~generator.errors.UnsafeFileError` when it
    breaks a limit as a whole (too many attachments, too much in all, headers too large)."""
    kind = container_kind(data, file)
    if kind is None:
        raise ReturnReadError(file, "is not an email, a mailbox or a zip")
    unpacker = _Unpacker(file, limits)
    try:
        return unpacker.container(kind, data, file, 0, None)
    except RecursionError as error:
        raise UnsafeFileError(
            file, "has parts nested too deeply to be an email anyone sent: it was not read"
        ) from error


class _Unpacker:
    """One container's unpacking: counts what it finds against the limits."""

    def __init__(self, file: str, limits: Limits):
        self.file = file
        self.limits = limits
        self.count = 0
        self.total = 0

    def container(
        self, kind: str, data: bytes, name: str, depth: int, outer: _Mail | None, origin: EmailOrigin | None = None
    ) -> list[Item]:
        """The items of the container ``data`` of ``kind``, found in the email ``outer`` (whose
        origin is ``origin``) or not."""
        if kind == "zip":
            return self.zip_items(data, name, depth, outer, origin)
        if kind == "mbox":
            return self.mbox_items(data, name, depth)
        mail = _read_msg(data, name, self.limits) if kind == "msg" else _read_eml(data, name)
        return self.mail_items(mail, name, depth, outer)

    def mbox_items(self, data: bytes, name: str, depth: int) -> list[Item]:
        starts = [match.end() for match in _MBOX_FROM.finditer(data)]
        if not starts:
            raise ReturnReadError(name, "is a mailbox (.mbox) holding no emails")
        items = []
        for number, start in enumerate(starts, start=1):
            end = _MBOX_FROM.search(data, start)
            text = data[start : end.start() if end else len(data)]
            label = f"{name}/message {number}"
            try:
                mail = _read_eml(text.replace(b"\n>From ", b"\nFrom "), label)
            except ReturnReadError as error:
                items.append(self.item(Item(label, fate="rejected", reason=error.problem)))
                continue
            items += self.mail_items(mail, label, depth + 1, None)
        return items

    def mail_items(self, mail: _Mail, name: str, depth: int, outer: _Mail | None) -> list[Item]:
        """The items of ``mail``: each attachment's, or, when none is a form, one for the email
        itself saying what it held."""
        origin = EmailOrigin(
            self.file, mail.sender, mail.date, mail.subject, outer.sender if outer is not None else None
        )
        items: list[Item] = []
        used: set[str] = set()
        for number, (filename, content, inline) in enumerate(mail.attachments, start=1):
            label = f"{name}/{_unique(_safe_name(filename, number), used)}"
            if isinstance(content, _Mail):
                items += self.nested(
                    lambda content=content, label=label: self.mail_items(content, label, depth + 1, mail),
                    label,
                    depth,
                    origin,
                )
            elif isinstance(content, _NotTaken):
                items.append(
                    self.item(Item(label, fate="rejected", reason=content.reason, origin=origin, time=mail.time))
                )
            elif inline:
                items.append(
                    self.item(
                        Item(
                            label,
                            fate="skipped",
                            reason="a picture in the email's text (a logo or signature), not an attachment",
                            origin=origin,
                            time=mail.time,
                        )
                    )
                )
            else:
                items += self.attachment(content, label, depth, origin, mail.time, mail)
        if any(item.fate != "skipped" for item in items):
            return items
        who = f" from {mail.sender}" if mail.sender else ""
        about = f" ('{mail.subject}')" if mail.subject else ""
        if not mail.attachments:
            reason = f"an email{who}{about} with no attachment: no form to read"
        else:
            names = ", ".join(PurePosixPath(item.name).name for item in items)
            reason = f"an email{who}{about} whose attachments are not forms: {names}"
        # its items were counted; the email's one line replaces them
        return [Item(name, fate="skipped", reason=reason, origin=origin, time=mail.time)]

    def zip_items(
        self, data: bytes, name: str, depth: int, outer: _Mail | None, origin: EmailOrigin | None
    ) -> list[Item]:
        try:
            archive = open_zip(data, name, self.limits)
            names = [n for n in archive.names if not n.endswith("/")]
        except DAMAGED_ZIP_ERRORS as error:
            raise ReturnReadError(name, "is a damaged zip file: ask for it to be sent again") from error
        items: list[Item] = []
        for member in names:
            label = f"{name}/{'/'.join(_safe_name(part, 0) for part in member.split('/') if part)}"
            try:
                content = archive.read(member)
            except UnsafeFileError as error:
                items.append(self.item(Item(label, fate="rejected", reason=error.problem, origin=origin)))
                continue
            except DAMAGED_ZIP_ERRORS:
                items.append(
                    self.item(
                        Item(label, fate="rejected", reason="cannot be unpacked: the zip is damaged", origin=origin)
                    )
                )
                continue
            items += self.attachment(content, label, depth, origin, outer.time if outer else None, outer)
        if any(item.fate != "skipped" for item in items):
            return items
        listed = ", ".join(PurePosixPath(item.name).name for item in items) or "nothing"
        return [Item(name, fate="skipped", reason=f"a zip with no form in it (it holds {listed})", origin=origin)]

    def attachment(
        self, content: bytes, label: str, depth: int, origin: EmailOrigin | None, time: float | None, mail: _Mail | None
    ) -> list[Item]:
        from generator.merge import skip_reason  # (merge reads batches, which unpack with this module)

        if len(content) > self.limits.file_bytes:
            size, limit = len(content) / 1024 / 1024, self.limits.file_bytes // 1024 // 1024
            return [
                self.item(
                    Item(
                        label,
                        fate="rejected",
                        reason=f"is {size:.0f} MB; a returned form is at most {limit} MB",
                        origin=origin,
                        time=time,
                    )
                )
            ]
        kind = container_kind(content, label)
        if kind is not None and kind != "mbox":
            return self.nested(
                lambda: self.container(kind, content, label, depth + 1, mail, origin), label, depth, origin
            )
        reason = skip_reason(PurePosixPath(label))
        if reason:
            return [self.item(Item(label, fate="skipped", reason=reason, origin=origin, time=time))]
        self.total += len(content)
        if self.total > self.limits.total_bytes:
            raise UnsafeFileError(
                self.file,
                f"holds more than {self.limits.total_bytes // 1024 // 1024} MB of attachments in all: it was not read",
            )
        return [self.item(Item(label, content, origin=origin, time=time))]

    def nested(self, open_: Callable[[], list[Item]], label: str, depth: int, origin: EmailOrigin | None) -> list[Item]:
        """The items of an email or zip inside another, or one rejected item saying why not."""
        if depth + 1 > MAX_DEPTH:
            reason = (
                f"emails or zips inside one another more than {MAX_DEPTH} deep: not opened further "
                "(save the attachments and send them on their own)"
            )
            return [self.item(Item(label, fate="rejected", reason=reason, origin=origin))]
        try:
            return open_()
        except ReturnReadError as error:  # (an UnsafeFileError too: a zip bomb attached)
            if error.file == self.file:  # a limit of the whole file: it is refused
                raise
            return [self.item(Item(label, fate="rejected", reason=error.problem, origin=origin))]

    def item(self, item: Item) -> Item:
        self.count += 1
        if self.count > self.limits.zip_entries:
            raise UnsafeFileError(
                self.file,
                f"holds more than {self.limits.zip_entries} attachments, emails and files in all: it was not read",
            )
        return item


# --- reading one email --------------------------------------------------------------------------


def _read_eml(data: bytes, name: str) -> _Mail:
    """An email in Internet format (RFC 5322 / MIME), as :class:`_Mail`."""
    end = min((at for at in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if at >= 0), default=len(data))
    if end > HEADER_BYTES:
        raise UnsafeFileError(
            name, f"has {end / 1024 / 1024:.1f} MB of headers, more than any email has: it was not read"
        )
    # compat32: the older parser, lenient and quick; headers are decoded here, as needed.
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if not message.keys():
        raise ReturnReadError(name, "is not an email: it has no headers (From, Date, Subject)")
    mail = _mail_head(message.get("From"), message.get("Date"), message.get("Subject"))
    _collect(message, mail, name, 0)
    return mail


def _mail_head(sender: object, date: object, subject: object) -> _Mail:
    address = email.utils.parseaddr(header_text(sender))[1] or None if sender else None
    if address and ("\ufffd" in address or not address.isprintable()):
        address = None  # bytes that are no text: an unknown sender, not "from ��"
    when, time = None, None
    if date:
        try:
            parsed = email.utils.parsedate_to_datetime(header_text(date))
            when, time = parsed.isoformat(), parsed.timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            when = header_text(date)[:100] or None
    return _Mail(address, when, time, header_text(subject)[:300] or None if subject else None)


_MULTIPART_DEPTH = 300  # (a forward nests two or three levels: 8 forwards deep is about 25)


def _collect(part: email.message.Message, mail: _Mail, name: str, depth: int) -> None:
    """Add to ``mail`` the attachments found under ``part`` (a MIME tree)."""
    if depth > _MULTIPART_DEPTH:
        raise UnsafeFileError(name, f"has parts nested more than {_MULTIPART_DEPTH} deep: it was not read")
    content_type = part.get_content_type()
    if content_type == "message/rfc822" and part.is_multipart():
        inner = part.get_payload(0)
        forwarded = _mail_head(inner.get("From"), inner.get("Date"), inner.get("Subject"))
        _collect(inner, forwarded, name, depth + 1)
        filename = _filename(part) or f"{forwarded.subject or 'forwarded email'}.eml"
        mail.attachments.append((filename, forwarded, False))
        return
    if part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, email.message.Message):
                _collect(sub, mail, name, depth + 1)
        return
    filename = _filename(part)
    disposition = part.get_content_disposition()
    if filename is None and disposition != "attachment":
        if content_type.startswith("text/") or content_type.startswith("multipart/"):
            return  # the body
        filename = ""
    payload = part.get_payload(decode=True)
    inline = disposition != "attachment" and bool(part.get("Content-ID")) and content_type.startswith("image/")
    mail.attachments.append((filename or "", payload if isinstance(payload, bytes) else b"", inline))


def _filename(part: email.message.Message) -> str | None:
    try:
        found = part.get_filename()
    except (UnicodeError, LookupError, ValueError):
        return "attachment"
    return header_text(found) if found else None


def _read_msg(data: bytes, name: str, limits: Limits) -> _Mail:
    """An Outlook .msg (an OLE compound file), as :class:`_Mail`: see :mod:`generator.returns.msg`."""
    return _msg_mail(read_msg(data, name, limits, MAX_DEPTH))


def _msg_mail(message: Message) -> _Mail:
    mail = _Mail(
        message.sender_address or message.sender_name,
        message.date.isoformat() if message.date else None,
        message.date.timestamp() if message.date else None,
        (message.subject or "")[:300] or None,
    )
    for attachment in message.attachments:
        if attachment.message is not None:
            inner = _msg_mail(attachment.message)
            filename = attachment.file_name or attachment.display_name or inner.subject or "forwarded email"
            suffix = "" if filename.lower().endswith((".msg", ".eml")) else ".msg"  # (Outlook names one by its subject)
            mail.attachments.append((filename + suffix, inner, False))
            continue
        filename = attachment.file_name or attachment.display_name
        if attachment.problem is not None:
            mail.attachments.append((filename or "attachment", _NotTaken(attachment.problem), False))
        else:
            mail.attachments.append((filename, attachment.data or b"", _is_inline_picture(attachment)))
    return mail


def _is_inline_picture(attachment: MsgAttachment) -> bool:
    """Whether Outlook hides ``attachment`` as a picture in the email's text (a logo, a
    signature, a contact's photo): a hidden attachment that is no picture is still read."""
    picture = (attachment.mime_type or "").lower().startswith("image/") or PurePosixPath(
        attachment.file_name.lower()
    ).suffix in (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emz", ".wmz")
    return attachment.hidden and picture


# --- names --------------------------------------------------------------------------------------


def _safe_name(name: str, number: int) -> str:
    """A sender's file name as a part of a label: no slash, no control character, not too long."""
    cleaned = " ".join(_UNSAFE_NAME.sub("_", name).split())[:120].strip(". ")
    return cleaned or (f"attachment {number}" if number else "unnamed")


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate.casefold() in used:
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem} ({n}).{ext}" if dot and stem else f"{name} ({n})"
        n += 1
    used.add(candidate.casefold())
    return candidate
