"""The email that goes with each organisation's pack (``generate --recipients orgs.csv --emails``).

:func:`write_pack_email` writes a ready-to-send ``.eml`` beside the pack: To from the recipients
list, a subject and a plain-English body from a template the user can edit, and the pack's forms
attached.  It is marked ``X-Unsent: 1``, so Outlook opens it as a draft to send; Thunderbird and
Apple Mail open it too ("Edit as new").  Nothing is sent by coproduce.

The template is a text file (``templates/pack-email.txt``): the first line is ``Subject: …``,
then a blank line, then the body; ``{{ name }}`` tags are filled in with Jinja, in a sandbox
(a template is a file from outside) and strict (a misspelt name is an error, not a blank).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from importlib import resources
from pathlib import Path

from jinja2 import StrictUndefined
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment

from generator.atomic import write_atomically
from generator.errors import TemplateError
from generator.forms.packs import Recipient
from generator.model.instrument import Instrument

#: The built-in template's file name, in templates/ (a wheel carries it as generator/templates/).
EMAIL_TEMPLATE = "pack-email.txt"
#: Many mail servers refuse an email larger than this (attachments grow by a third when sent).
LARGE_EMAIL_BYTES = 10 * 1024 * 1024
#: The variables a template may use.
TEMPLATE_VARIABLES = ("organisation", "contact", "deadline", "attachments", "instrument")
_MAX_TEMPLATE_BYTES = 256 * 1024


@dataclass(frozen=True)
class PackEmail:
    """An email written: its file, to whom (None: no address in the list), and its size."""

    path: Path
    to: str | None
    size: int


def default_email_template() -> Path:
    """The built-in email template: in the wheel, or at the top of a source checkout."""
    packaged = Path(str(resources.files("generator"))) / "templates" / EMAIL_TEMPLATE
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates" / EMAIL_TEMPLATE


def deadline_words(day: date) -> str:
    """A date as a letter writes it: "17 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def load_email_template(path: Path | None = None) -> tuple[Path, str]:
    """The template at ``path`` (default: the built-in one) and its text, checked: a
    :class:`TemplateError` naming the file when it cannot be read, has no subject line or breaks
    Jinja's rules."""
    path = path or default_email_template()
    try:
        raw = path.read_bytes()[: _MAX_TEMPLATE_BYTES + 1]
        text = raw.decode("utf-8-sig")
    except OSError as error:
        raise TemplateError(path, f"cannot be read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise TemplateError(path, "is not a text file saved as UTF-8: save it as plain text (UTF-8)") from error
    if len(raw) > _MAX_TEMPLATE_BYTES:
        raise TemplateError(path, "is larger than an email template ever is (256 KB)")
    if not re.match(r"\s*Subject:", text, re.IGNORECASE):
        raise TemplateError(path, "must start with a line 'Subject: …', then a blank line, then the body")
    try:
        _environment().parse(text)
    except JinjaTemplateError as error:
        raise TemplateError(path, f"line {getattr(error, 'lineno', '?')}: {error.message}") from error
    return path, text


def write_pack_email(
    instrument: Instrument,
    recipient: Recipient,
    forms: Sequence[Path],
    out: Path,
    deadline: date | None = None,
    template: tuple[Path, str] | None = None,
) -> PackEmail:
    """Write to ``out`` (.eml) the email taking ``forms`` (the pack's files) to ``recipient``,
    from ``template`` (as :func:`load_email_template` gives it; default: the built-in one)."""
    path, text = template or load_email_template()
    values = {
        "organisation": recipient.organisation,
        "contact": recipient.contact,
        "deadline": deadline_words(deadline) if deadline else "",
        "attachments": [form.name for form in forms],
        "instrument": {
            "title": instrument.title,
            "subtitle": instrument.subtitle,
            "version": instrument.version,
            "sections": len(instrument.sections),
            "levels": [level.label for level in instrument.scale.levels],
        },
    }
    try:
        rendered = _environment().from_string(text).render(values)
    except JinjaTemplateError as error:
        raise TemplateError(path, f"cannot be filled in: {error}") from error
    first, _, body = rendered.lstrip().partition("\n")
    message = EmailMessage(policy=SMTP)
    message["Subject"] = " ".join(first.split(":", 1)[1].split())
    if recipient.email:
        message["To"] = formataddr((recipient.contact, recipient.email))
    message["X-Unsent"] = "1"  # Outlook opens it as a draft, ready to send
    message.set_content(body.strip("\n") + "\n")
    for form in forms:
        kind, _ = mimetypes.guess_type(form.name)
        main, sub = (kind or "application/octet-stream").split("/")
        message.add_attachment(form.read_bytes(), maintype=main, subtype=sub, filename=form.name)
    data = message.as_bytes()
    write_atomically(out, lambda tmp: tmp.write_bytes(data))
    return PackEmail(out, recipient.email or None, len(data))


def _environment() -> SandboxedEnvironment:
    # Plain text: nothing to escape (the email package encodes the body and headers).
    return SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
