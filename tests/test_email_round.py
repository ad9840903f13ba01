"""A round by email: packs with emails generated for a recipients list, forms filled and sent back
as .eml replies (one forwarded, one in a zip), an Outlook .msg and an .mbox, merged with
--recipients; and hostile emails.

The .msg is built here with extract-msg's OLE writer (``extract_msg.ole_writer.OleWriter``, test-only):
the MAPI property streams Outlook writes for a message (class, subject, transport headers, the
property stream) and one attachment storage (its data, long file name and attach method).
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import struct
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import resolve_instrument
from generator.cli import cli
from generator.errors import UnsafeFileError
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.forms.packs import Recipient
from generator.outputs.results_json import load_results
from generator.returns import mail
from generator.returns.guards import Limits
from generator.returns.recipients import not_returned
from tests.scored import schema_errors

V11 = resolve_instrument()
RECIPIENTS = """organisation,contact,email
Riverside Community Trust,Ann Lee,ann@riverside.org
Northgate Housing Ltd,Bob Marr,bob@northgate.org
Hillview Care,Cat Dunn,cat@hillview.org
Eastfield Trust,Dee Shaw,
Westbrook Care,Eli Park,eli@westbrook.org
"""


def _form(fmt: str, organisation: str, who: str, level: str) -> bytes:
    values = FormValues(
        cover={"organisation": organisation, "completed_by": who, "review_period": "2025-26"},
        answers={indicator.id: level for indicator in V11.indicators},
    )
    path = _FORMS / f"{organisation[:5]}-{who[:5]}.{fmt}"
    write_form(fmt, V11, new_identity(V11, organisation), path, values)
    return path.read_bytes()


def _email(sender: str, subject: str, date: str, attachments: list[tuple[str, bytes]]) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Date"] = sender, "lead@council.org", subject, date
    message.set_content("Please find our return attached.")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message


def _msg(sender: str, subject: str, date: str, name: str, data: bytes) -> bytes:
    """An Outlook .msg holding one attachment (see the module's docstring)."""
    from extract_msg.ole_writer import OleWriter

    def utf16(text: str) -> bytes:
        return text.encode("utf-16-le")

    writer = OleWriter()
    writer.addEntry("__substg1.0_001A001F", utf16("IPM.Note"))
    writer.addEntry("__substg1.0_0037001F", utf16(subject))
    writer.addEntry("__substg1.0_007D001F", utf16(f"From: {sender}\r\nDate: {date}\r\nSubject: {subject}\r\n\r\n"))
    writer.addEntry("__substg1.0_1000001F", utf16("Our return is attached."))
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    # header: reserved, next recipient id, next attachment id, recipients, attachments, reserved
    writer.addEntry("__properties_version1.0", b"\0" * 8 + struct.pack("<IIII", 0, 1, 0, 1) + b"\0" * 8)
    attachment = "__attach_version1.0_#00000000"
    writer.addEntry(attachment, storage=True)
    writer.addEntry(f"{attachment}/__substg1.0_37010102", data)
    writer.addEntry(f"{attachment}/__substg1.0_3707001F", utf16(name))
    method = struct.pack("<IIQ", (0x3705 << 16) | 0x0003, 6, 1)  # PR_ATTACH_METHOD: by value
    writer.addEntry(f"{attachment}/__properties_version1.0", b"\0" * 8 + method)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_FORMS = Path()


@pytest.fixture(scope="module")
def round_by_email(tmp_path_factory):
    """Packs and emails generated, returns sent back by email, merged with --recipients."""
    global _FORMS
    root = tmp_path_factory.mktemp("email-round")
    _FORMS = root / "filled"
    _FORMS.mkdir()
    (root / "orgs.csv").write_text(RECIPIENTS, encoding="utf-8")
    generated = CliRunner().invoke(
        cli,
        ["generate", "--recipients", str(root / "orgs.csv"), "--emails", "--deadline", "2026-03-17",
         "--format", "xlsx", "--out", str(root / "packs")],
    )  # fmt: skip
    returns = root / "returns"
    returns.mkdir()
    riverside = _form("xlsx", "Riverside Community Trust", "Staff team", "silver")
    (returns / "re-riverside.eml").write_bytes(
        bytes(
            _email("Ann Lee <ann@riverside.org>", "Re: checklist", "Tue, 10 Mar 2026 10:00:00 +0000",
                   [("riverside.xlsx", riverside), ("notes.txt", b"see you soon")])
        )
    )  # fmt: skip
    # Northgate's reply, a zip of its form, forwarded by a colleague
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("forms/northgate.docx", _form("docx", "Northgate Housing", "Staff", "bronze"))
    reply = _email(
        "bob@northgate.org", "Our forms", "Wed, 11 Mar 2026 09:00:00 +0000", [("forms.zip", packed.getvalue())]
    )
    forward = _email("colleague@council.org", "Fwd: Our forms", "Thu, 12 Mar 2026 08:00:00 +0000", [])
    forward.add_attachment(reply)
    (returns / "fwd-northgate.eml").write_bytes(bytes(forward))
    hillview = _form("xlsx", "Hillview Care", "Service user panel", "gold")
    (returns / "hillview.msg").write_bytes(
        _msg("Cat Dunn <cat@hillview.org>", "Our return", "Fri, 13 Mar 2026 09:00:00 +0000", "hillview.xlsx", hillview)
    )
    # an mbox: a second Riverside respondent, an email with no form, and a form from outside the list
    panel = _form("xlsx", "Riverside Community Trust", "Service user panel", "bronze")
    messages = [
        _email("panel@riverside.org", "Panel's answers", "Sat, 14 Mar 2026 11:00:00 +0000", [("panel.xlsx", panel)]),
        _email("eli@westbrook.org", "Will send next week", "Sat, 14 Mar 2026 12:00:00 +0000", []),
        _email("x@oakwood.org", "Ours too", "Sun, 15 Mar 2026 12:00:00 +0000",
               [("oakwood.xlsx", _form("xlsx", "Oakwood Trust", "Staff", "silver")), ("photo.heic", b"\0" * 10)]),
    ]  # fmt: skip
    (returns / "Inbox.mbox").write_bytes(
        b"".join(
            b"From MAILER-DAEMON Mon Mar 16 10:00:00 2026\n" + bytes(m).replace(b"\r\n", b"\n") + b"\n"
            for m in messages
        )
    )
    merged = CliRunner().invoke(
        cli, ["merge", str(returns), "--out", str(root / "results"), "--recipients", str(root / "orgs.csv")]
    )
    return root, generated, merged


def test_generate_writes_a_draft_email_per_organisation_with_its_pack(round_by_email):
    root, generated, _ = round_by_email
    assert generated.exit_code == 0, generated.output
    assert "no email address in the list for Eastfield Trust" in generated.output
    drafts = sorted((root / "packs").glob("*/email-to-*.eml"))
    assert len(drafts) == 5
    hillview = email.message_from_bytes(
        (root / "packs/hillview-care/email-to-hillview-care.eml").read_bytes(), policy=email.policy.default
    )
    assert hillview["To"] == "Cat Dunn <cat@hillview.org>"
    assert hillview["X-Unsent"] == "1"
    assert "17 March 2026" in hillview["Subject"]
    body = hillview.get_body(("plain",)).get_content()
    assert "Dear Cat Dunn" in body and "by 17 March 2026" in body and "reply to this email" in body
    assert [part.get_filename() for part in hillview.iter_attachments()] == ["coproduction-v1.1-hillview-care.xlsx"]
    eastfield = email.message_from_bytes((root / "packs/eastfield-trust/email-to-eastfield-trust.eml").read_bytes())
    assert eastfield["To"] is None


def test_every_attachment_is_accounted_for_with_its_sender(round_by_email):
    root, _, merged = round_by_email
    assert merged.exit_code == 0, merged.output
    data = json.loads((root / "results/results.json").read_text(encoding="utf-8"))
    assert schema_errors(root / "results/results.json") == []
    fates = {entry["file"].split("returns/", 1)[1]: entry for entry in data["manifest"]}
    assert {name: entry["fate"] for name, entry in fates.items()} == {
        "re-riverside.eml/riverside.xlsx": "merged",
        "re-riverside.eml/notes.txt": "skipped",
        "fwd-northgate.eml/Our forms.eml/forms.zip/forms/northgate.docx": "merged",
        "hillview.msg/hillview.xlsx": "merged",
        "Inbox.mbox/message 1/panel.xlsx": "merged",
        "Inbox.mbox/message 2": "skipped",
        "Inbox.mbox/message 3/oakwood.xlsx": "merged",
        "Inbox.mbox/message 3/photo.heic": "skipped",
    }
    northgate = fates["fwd-northgate.eml/Our forms.eml/forms.zip/forms/northgate.docx"]["email"]
    assert northgate["sender"] == "bob@northgate.org" and northgate["forwarded_by"] == "colleague@council.org"
    assert northgate["date"] == "2026-03-11T09:00:00+00:00" and northgate["file"].endswith("fwd-northgate.eml")
    assert fates["hillview.msg/hillview.xlsx"]["email"]["sender"] == "cat@hillview.org"
    assert "with no attachment" in fates["Inbox.mbox/message 2"]["reason"]
    assert "from ann@riverside.org, 2026-03-10, 'Re: checklist'" in merged.output
    riverside = next(o for o in data["organisations"] if o["name"] == "Riverside Community Trust")
    assert len(riverside["respondents"]) == 2


def test_who_has_not_returned(round_by_email):
    root, _, merged = round_by_email
    results = load_results(root / "results/results.json")
    assert [(r.organisation, r.email) for r in results.recipients.not_returned] == [
        ("Eastfield Trust", None),
        ("Westbrook Care", "eli@westbrook.org"),
    ]
    assert results.recipients.not_listed == ["Oakwood Trust"]
    assert "Not returned: 2 of the 5 organisations" in merged.output
    listed = [Recipient("Riverside Community Trust"), Recipient("Westbrook Care")]
    assert not_returned(listed, results) == [listed[1]]
    from openpyxl import load_workbook

    sheet = load_workbook(root / "results/consolidated.xlsx", read_only=True)["Not returned"]
    rows = [row for row in sheet.iter_rows(values_only=True) if any(row)]
    assert rows[1] == ("Organisation", "Contact", "Email")
    assert rows[2] == ("Eastfield Trust", "Dee Shaw", None)
    assert rows[-2:] == [("Returned but not on the list:",), ("Oakwood Trust",)]


def test_read_shows_the_forms_of_an_email(round_by_email):
    root, _, _ = round_by_email
    outcome = CliRunner().invoke(cli, ["read", str(root / "returns/hillview.msg"), "--json"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.output.splitlines()[0])
    assert data["organisation"] == "Hillview Care" and data["email"]["sender"] == "cat@hillview.org"


# --- hostile emails ---------------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    message = _email("a@b.org", "inner", "Mon, 16 Mar 2026 10:00:00 +0000", [("a.xlsx", b"PK\x03\x04junk")])
    for _ in range(depth):
        outer = _email("a@b.org", "Fwd", "Mon, 16 Mar 2026 10:00:00 +0000", [])
        outer.add_attachment(message)
        message = outer
    return bytes(message)


def test_forwards_nested_too_deep_are_not_opened():
    items = mail.unpack(_nested(50), "deep.eml")
    assert len(items) == 1 and items[0].fate == "rejected"
    assert f"more than {mail.MAX_DEPTH} deep" in items[0].reason


def test_huge_headers_and_too_many_attachments_are_refused():
    with pytest.raises(UnsafeFileError, match="headers"):
        mail.unpack(b"Subject: x\nX-Pad: " + b"a" * (mail.HEADER_BYTES + 10) + b"\n\nbody", "big.eml")
    many = _email("a@b.org", "many", "Mon, 16 Mar 2026 10:00:00 +0000", [(f"{n}.txt", b"x") for n in range(12)])
    with pytest.raises(UnsafeFileError, match="more than 10 attachments"):
        mail.unpack(bytes(many), "many.eml", Limits(zip_entries=10))


def test_a_zip_bomb_or_garbage_attached_is_rejected_with_a_reason():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.docx", b"\0" * (20 * 1024 * 1024))
    message = _email("a@b.org", "bomb", "Mon, 16 Mar 2026 10:00:00 +0000", [("forms.zip", bomb.getvalue())])
    items = mail.unpack(bytes(message), "bomb.eml")
    assert [item.fate for item in items] == ["rejected"] and "zip bomb" in items[0].reason
    garbage = (
        b"From: a@b.org\nSubject: g\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=X\n\n--X\n"
        b"Content-Type: application/pdf; name=f.pdf\nContent-Transfer-Encoding: base64\n"
        b"Content-Disposition: attachment; filename=f.pdf\n\n!!!not base64 at all***\n--X"
    )
    items = mail.unpack(garbage, "garbage.eml")
    assert [(item.name, item.fate) for item in items] == [("garbage.eml/f.pdf", None)]


def test_hostile_emails_in_a_merge_give_one_line_each(tmp_path):
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "deep.eml").write_bytes(_nested(50))
    (returns / "not-really.eml").write_bytes(b"\x00\x01\x02 binary")
    (returns / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "__substg1.0_".encode("utf-16-le") * 4)
    (returns / "good.xlsx").write_bytes(_form_bytes(tmp_path))
    outcome = CliRunner().invoke(cli, ["merge", str(returns), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 1, outcome.output
    assert "Traceback" not in outcome.output
    data = json.loads((tmp_path / "out/results.json").read_text(encoding="utf-8"))
    reasons = {Path(e["file"]).name: (e["fate"], e["reason"] or "") for e in data["manifest"]}
    assert reasons["broken.msg"][0] == "rejected" and "damaged Outlook message" in reasons["broken.msg"][1]
    assert reasons["not-really.eml"][0] == "rejected" and "not an email" in reasons["not-really.eml"][1]
    deep = [fate_reason for name, fate_reason in reasons.items() if "deep" in fate_reason[1]]
    assert deep and deep[0][0] == "rejected"


def _form_bytes(folder: Path) -> bytes:
    values = FormValues(cover={"organisation": "Riverside Community Trust", "completed_by": "Staff"})
    write_form("xlsx", V11, new_identity(V11, "Riverside Community Trust"), folder / "f.xlsx", values)
    return (folder / "f.xlsx").read_bytes()
