"""Outlook .msg files read with generator/returns/msg.py: a forwarded email inside a .msg, the
sender and date Outlook keeps when there are no Internet headers, attachments that hold no file,
and damaged or hostile files (each one line naming the file).

The .msg files are built here as [MS-OXMSG] lays them out, with extract-msg's OLE writer
(``extract_msg.ole_writer.OleWriter``, a test-only dependency): property streams
``__substg1.0_IIIITTTT``, the fixed-size properties in ``__properties_version1.0``, attachment
storages ``__attach_version1.0_#NNNNNNNN``, an attached email in ``__substg1.0_3701000D``.
"""

from __future__ import annotations

import io
import struct
from datetime import datetime, timezone
from pathlib import Path

import pytest

from generator.errors import ReturnReadError, UnsafeFileError
from generator.returns import mail
from generator.returns.guards import Limits
from generator.returns.msg import TEXT_BYTES, read_msg

MiB = 1024 * 1024
SUBMITTED = datetime(2026, 3, 12, 8, 30, tzinfo=timezone.utc)


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=timezone.utc)).total_seconds()) * 10_000_000


def _write(writer, at: str, message: dict, header: int) -> None:
    """Add to ``writer``, under the storage path ``at`` ("" or "…/"), the streams of ``message``:
    ``text`` {property id: str} (UTF-16), ``text8`` {property id: bytes} (8-bit), ``fixed``
    [(property tag, value)] and ``attachments`` (dicts of the same, plus ``data`` bytes or an
    attached ``message``)."""
    for prop, text in message.get("text", {}).items():
        writer.addEntry(f"{at}__substg1.0_{prop:04X}001F", text.encode("utf-16-le"))
    for prop, text in message.get("text8", {}).items():
        writer.addEntry(f"{at}__substg1.0_{prop:04X}001E", text)
    attachments = message.get("attachments", [])
    counts = struct.pack("<IIII", 0, len(attachments), 0, len(attachments)) if header > 8 else b""
    fixed = b"".join(struct.pack("<IIQ", tag, 6, value) for tag, value in message.get("fixed", []))
    if header:
        writer.addEntry(f"{at}__properties_version1.0", bytes(8) + counts + bytes(header - 8 - len(counts)) + fixed)
    for number, attachment in enumerate(attachments):
        where = f"{at}__attach_version1.0_#{number:08X}"
        writer.addEntry(where, storage=True)
        _write(writer, f"{where}/", attachment, 8 if attachment.get("fixed") else 0)
        if "data" in attachment:
            writer.addEntry(f"{where}/__substg1.0_37010102", attachment["data"])
        if "message" in attachment:
            writer.addEntry(f"{where}/__substg1.0_3701000D", storage=True)
            _write(writer, f"{where}/__substg1.0_3701000D/", attachment["message"], 24)


def _msg(message: dict) -> bytes:
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    writer.addEntry("__substg1.0_001A001F", "IPM.Note".encode("utf-16-le"))
    _write(writer, "", message, 32)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _by_value(name: str, data: bytes, **more) -> dict:
    return {"text": {0x3707: name}, "fixed": [(0x37050003, 1), *more.get("fixed", [])], "data": data}


def _forwarded(depth: int = 1) -> dict:
    """An email from Bob with a form and a logo, forwarded ``depth`` times."""
    inner = {
        "text": {
            0x0037: "Our forms",
            0x007D: "From: Bob Marr <bob@northgate.org>\r\nDate: Wed, 11 Mar 2026 09:00:00 +0000\r\n\r\n",
        },
        "attachments": [
            _by_value("northgate.pdf", b"%PDF-1.7 the form"),
            {**_by_value("image001.png", b"\x89PNG"), "fixed": [(0x37050003, 1), (0x7FFE000B, 1)]},
        ],
    }
    for _ in range(depth):
        inner = {
            "text": {0x0C1A: "Colleague", 0x5D01: "colleague@council.org"},
            "text8": {0x0037: "Fwd: Réponse".encode("cp1252")},
            "fixed": [(0x00390040, _filetime(SUBMITTED)), (0x3FFD0003, 1252)],
            "attachments": [
                {"text": {0x3001: inner["text"].get(0x0037, "Fwd")}, "fixed": [(0x37050003, 5)], "message": inner}
            ],
        }
    return inner


def test_a_forwarded_email_inside_a_msg_is_read_with_its_sender():
    data = _msg(_forwarded())
    message = read_msg(data, "fwd.msg")
    assert (message.sender_address, message.sender_name) == ("colleague@council.org", "Colleague")
    assert message.subject == "Fwd: Réponse" and message.date == SUBMITTED
    items = mail.unpack(data, "fwd.msg")
    assert [(item.name, item.fate) for item in items] == [
        ("fwd.msg/Our forms.msg/northgate.pdf", None),
        ("fwd.msg/Our forms.msg/image001.png", "skipped"),
    ]
    assert items[0].data == b"%PDF-1.7 the form" and "picture in the email's text" in items[1].reason
    origin = items[0].origin
    assert (origin.sender, origin.forwarded_by, origin.subject) == (
        "bob@northgate.org",
        "colleague@council.org",
        "Our forms",
    )
    assert origin.date == "2026-03-11T09:00:00+00:00"


def test_a_msg_saved_by_outlook_with_an_email_attached():
    data = (Path(__file__).parent / "fixtures/msg/outlook-inner-mail.msg").read_bytes()
    items = mail.unpack(data, "outer.msg")
    assert [item.name for item in items] == [
        "outer.msg/OUTER 1.pdf",
        "outer.msg/OUTER 2.pdf",
        "outer.msg/Inner mail.msg/INNER 1.pdf",
        "outer.msg/Inner mail.msg/INNER 2.pdf",
    ]
    assert all(item.fate is None and item.data.startswith(b"%PDF-") for item in items)
    assert items[0].origin.subject == "Outer mail" and items[0].origin.date == "2023-02-15T05:46:05.206000+00:00"
    assert items[2].origin.subject == "Inner mail" and items[2].time < items[0].time


def test_attachments_that_hold_no_file_are_rejected_with_a_reason():
    message = {
        "text": {0x0037: "links"},
        "attachments": [
            {"text": {0x3707: "shared.xlsx"}, "fixed": [(0x37050003, 4)]},  # by reference: a path, no bytes
            {"text": {0x3707: "empty.docx"}},  # its streams missing: no method, no data
            _by_value("big.pdf", b"%PDF-" + bytes(2 * MiB)),
            _by_value("ok.pdf", b"%PDF-1.7"),
        ],
    }
    items = mail.unpack(_msg(message), "links.msg", Limits(file_bytes=MiB))
    fates = {item.name: (item.fate, item.reason) for item in items}
    assert fates["links.msg/ok.pdf"] == (None, None)
    assert (
        fates["links.msg/shared.xlsx"][0] == "rejected" and "attached by reference" in fates["links.msg/shared.xlsx"][1]
    )
    assert fates["links.msg/empty.docx"][0] == "rejected" and "holds no file" in fates["links.msg/empty.docx"][1]
    assert fates["links.msg/big.pdf"] == ("rejected", "is 2 MB; a returned form is at most 1 MB")


def _fat_loop(data: bytes) -> bytes:
    """``data`` (an OLE file of 512-byte sectors) with the directory's chain of sectors pointing
    back to its own first sector."""
    first_directory, first_fat = struct.unpack_from("<I", data, 48)[0], struct.unpack_from("<I", data, 76)[0]
    looped = bytearray(data)
    struct.pack_into("<I", looped, 512 * (first_fat + 1) + 4 * first_directory, first_directory)
    return bytes(looped)


def _not_a_message() -> bytes:
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    writer.addEntry("WordDocument", bytes(5000))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda good: good[: len(good) // 2], ReturnReadError, "is a damaged Outlook message (.msg)"),
        (_fat_loop, UnsafeFileError, "loop back on themselves"),
        (lambda good: _not_a_message(), ReturnReadError, "not an Outlook message"),
        (lambda good: _msg({"text": {0x0037: "x" * TEXT_BYTES}}), UnsafeFileError, "more than any email's"),
        (lambda good: _msg(_forwarded(depth=2)), UnsafeFileError, "more than 3 attachments"),
    ],
    ids=["cut short", "sector loop", "a Word 97 file", "huge subject", "too many attachments"],
)
def test_damaged_or_hostile_msg_files_give_one_line_naming_the_file(make, error, words):
    data = make(_msg(_forwarded()))
    with pytest.raises(error) as raised:
        read_msg(data, "bad.msg", Limits(zip_entries=3))
    assert str(raised.value).startswith("bad.msg: ") and words in str(raised.value)
    assert "\n" not in str(raised.value)


def test_emails_attached_inside_one_another_too_deep_are_not_opened():
    items = mail.unpack(_msg(_forwarded(depth=mail.MAX_DEPTH + 2)), "deep.msg")
    assert [item.fate for item in items] == ["rejected"]
    assert f"more than {mail.MAX_DEPTH} deep" in items[0].reason
