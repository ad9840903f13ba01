"""Reading a returned PDF form (an AcroForm) back into answers.

:func:`read_pdf_return` takes the bytes of a completed form made by
:mod:`generator.forms.pdf_form` and filled by whatever tool the organisation had (pypdf,
pdftk, PyPDFForm, a browser's viewer, Acrobat…) and returns a :class:`~generator.returns.model.Return`.

Two layers, as in the writer: :func:`_read_form` is the raw AcroForm mechanics (fields and
their values as found, text decoded, identity from the metadata); the rest maps those fields
onto the instrument by the names :mod:`generator.forms.fields` gives them.

What fillers do differently, and how each is read:

- A radio group's value (``/V``) is the chosen button's export value as a PDF name
  (``/bronze``); some write it as a string, some leave ``/V`` out (or ``/Off``) and switch on
  only the button's appearance state (``/AS``) — then the button shown selected is the answer.
  ``/V`` is trusted when it is set: it is the field's value, ``/AS`` only its look.
- A matrix form (the Appendix D charter's) has the same radio group per statement, one button
  in each level's column, exported as the level ids; and a text field ``rated_by_C_1``, read
  like a comment.
- A choice field (a dropdown, if the form was re-made with one) holds the option's export
  value, its label (PyPDFForm writes the label) or its index (a number, or digits that
  match no option); an index is looked up in ``/Opt``.  Of an option's export value and
  label, the one the answer normaliser reads as a level is passed to it; ``raw`` keeps the
  value as found.
- Text is decoded from its bytes: UTF-16 with a byte-order mark, UTF-8 with a byte-order mark
  (PDF 2.0), then UTF-8 without one when the bytes are valid UTF-8 (a common filler mistake),
  then PDFDocEncoding; bytes undecodable even so become U+FFFD, and the return says so.
  Line breaks ``\\r\\n`` and ``\\r`` (Acrobat) become ``\\n``; nothing else is changed.

Reading changes nothing and keeps no state, so it can run in a worker process with a time
limit (:mod:`generator.merge` does so), inside :func:`generator.returns.guards.pdf_limits`.  The file
is read with qpdf (through pikepdf), which parses an object only when it is first used: the
field tree (~80 objects on the V1.1 form, plus the first widget of each answer group, to tell
widgets from child fields) and the information dictionary, nothing of the pages' content.
qpdf reads a Python stream through a call back into Python for each read, so the bytes are
handed to it as an unnamed in-memory file that it maps.  Measured on the filled V1.1 form:
about 4 ms in all (opening 0.4 ms), against 15–30 ms with pypdf.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import pikepdf

from generator.errors import FlattenedPdfError, ReturnReadError
from generator.forms.fields import answer_field_name, comment_field_name, rated_by_field_name
from generator.forms.identity import (
    IDENTITY_FIELD,
    PROPERTY_FORM_ID,
    PROPERTY_INSTRUMENT,
    PROPERTY_LANGUAGE,
    PROPERTY_ORGANISATION,
    PROPERTY_VERSION,
)
from generator.model.instrument import Instrument
from generator.returns.answers import ReturnAnswers
from generator.returns.guards import LIMITS, Limits, pdf_limits
from generator.returns.matching import instrument_of_form
from generator.returns.model import FoundAnswer, Return, assemble_return

FORMAT = "pdf"

#: Cover field ids (``form.cover`` in the instrument data) that fill the Return's header.
COVER_ORGANISATION = "organisation"
COVER_RESPONDENT = "completed_by"
COVER_DATE = "date"
COVER_REVIEW_PERIOD = "review_period"
COVER_PROJECT = "work_assessed"
COVER_AGREED_WITH = "agreed_with"
#: Every cover field the Return is filled from.
COVER_READ = (COVER_ORGANISATION, COVER_RESPONDENT, COVER_DATE, COVER_REVIEW_PERIOD, COVER_PROJECT, COVER_AGREED_WITH)

_DAMAGED = "is a damaged or incomplete PDF{detail}: ask for it to be sent again"
_PASSWORD = (
    "is password-protected, so its answers cannot be read: ask for it to be sent again without a password "
    "(in Acrobat: File › Properties › Security › No Security)"
)
_FLATTENED = (
    "has no form fields{whose}, so there are no answers to read: it was flattened (saved or printed as a plain PDF) "
    "or printed and scanned; type the answers into a fresh form or enter them by hand"
)
_XFA = "is an XFA (LiveCycle Designer) form, not a coproduce checklist form: send them a fresh coproduce form"

_PUSHBUTTON = 1 << 16
_RADIO = 1 << 15
_MAX_DEPTH = 32  # field hierarchy levels: ours has two; a deeper one is hostile or broken
_LAST_PART = re.compile(r"(?:^|\.)([^.]+?)(?:\[\d+\])?$")  # "form1[0].achieved_1_1[0]" → "achieved_1_1"


# --- the raw form: fields and metadata as found ------------------------------------------------


@dataclass
class _PdfField:
    """One terminal field of the AcroForm, values decoded but not yet interpreted.

    ``value`` is text, a list of texts (a multi-select list), an int (a choice given by its
    index), or None; a PDF name is given without its "/".  ``options`` are (export value,
    label) pairs from ``/Opt``; ``selected`` the option indexes in ``/I``; ``states`` the
    appearance states (``/AS``) of the field's buttons that are switched on, read only for a
    button field without a value.
    """

    name: str
    kind: str
    flags: int = 0
    value: str | int | list[str] | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    selected: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)


@dataclass
class _PdfForm:
    """Everything the reader takes from the file."""

    fields: list[_PdfField]
    metadata: dict[str, str]
    has_xfa: bool = False
    notes: list[str] = field(default_factory=list)  # text that needed a fallback to decode


@contextlib.contextmanager
def _open(data: bytes, file: str) -> Iterator[pikepdf.Pdf]:
    """The PDF ``data``, opened with qpdf (through pikepdf), decrypted if it opens without a
    password; closed when the ``with`` block ends.

    Raises :class:`ReturnReadError` for an empty file, a file that is not a PDF, a PDF cut
    short (no end-of-file marker near its end) or one qpdf cannot open, and a PDF that
    needs a password.
    """
    if not data:
        raise ReturnReadError(file, "is empty (0 bytes): ask for the form to be sent again")
    if b"%PDF-" not in data[:1024]:
        raise ReturnReadError(file, "is not a PDF file (it does not start with '%PDF-'): coproduce reads .pdf forms")
    if b"%%EOF" not in data[-1024:]:
        # qpdf would rebuild the cross-reference table and read what is left, losing answers
        # without a word; a file that stops before its end-of-file marker was cut short
        raise ReturnReadError(file, _DAMAGED.format(detail=" (it stops before its end-of-file marker)"))
    with _memory_file(data) as stream:
        try:
            # The empty password opens forms "protected" against editing only; qpdf decrypts
            # RC4 and AES itself.  Warnings about repaired damage are kept, not printed.
            pdf = pikepdf.open(stream, password="", suppress_warnings=True, access_mode=pikepdf.AccessMode.mmap)
        except pikepdf.PasswordError as error:
            raise ReturnReadError(file, _PASSWORD) from error
        except Exception as error:  # qpdf raises PdfError, and a few others on a broken file
            raise ReturnReadError(file, _DAMAGED.format(detail=_reason(error))) from error
        with pdf:
            yield pdf


def _memory_file(data: bytes) -> IO[bytes]:
    """An unnamed file holding ``data``, for qpdf to map into memory: it reads a Python stream
    (io.BytesIO) through a call back into Python for every read, twice as slow in all."""
    if hasattr(os, "memfd_create"):  # Linux: a file in memory only
        stream: IO[bytes] = open(os.memfd_create("coproduce-return", os.MFD_CLOEXEC), "w+b")  # noqa: SIM115
    else:
        stream = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        stream.write(data)
        stream.seek(0)
    except BaseException:
        stream.close()
        raise
    return stream


def _reason(error: BaseException) -> str:
    """A short note on why qpdf failed, for the one-line message: " (…)" or ""."""
    if isinstance(error, RecursionError):
        return " (its objects are nested too deeply)"
    if not isinstance(error, pikepdf.PdfError):
        return ""
    text = " ".join(str(error).split())
    # qpdf names the stream it read ("<memory>: …", "empty PDF: …"); the message names the file
    text = re.sub(r"^[^:]*(?:memory|stream|PDF)[^:]*: ", "", text)
    return f" ({text[:120].rstrip('.')})" if text else ""


def _read_form(pdf: pikepdf.Pdf) -> _PdfForm:
    """The terminal fields of the form and the document's metadata.

    Fields are found from the AcroForm's ``/Fields``; where a tool dropped that list (some
    page-merging tools do) but left the widgets on the pages, from the widgets.  Only the
    field tree, the widgets a button field without a value needs, and the information
    dictionary are read: qpdf parses an object when it is first used.
    """
    notes: list[str] = []
    root = pdf.trailer.get("/Root")
    acroform = root.get("/AcroForm") if _is_dictionary(root) else None
    tops: list[Any] = []
    has_xfa = False
    if _is_dictionary(acroform):
        has_xfa = "/XFA" in acroform
        fields = acroform.get("/Fields")
        if isinstance(fields, pikepdf.Array):
            tops = list(fields)
    walker = _FieldWalker(notes)
    for top in tops:
        walker.walk(top)
    if not walker.found:
        for top in _widget_roots(pdf):
            walker.walk(top)
    return _PdfForm(walker.found, _metadata(pdf, notes), has_xfa, notes)


#: What a field or widget may be: a dictionary, or a stream (a dictionary with data).
_DICTIONARY_TYPES = (pikepdf.Dictionary, pikepdf.Stream)
#: The field type of buttons (check boxes and radio groups).
_BUTTON = pikepdf.Name("/Btn")


def _is_dictionary(value: Any) -> bool:
    """A dictionary, or a stream (a dictionary with data): what a field or widget may be."""
    return isinstance(value, _DICTIONARY_TYPES)


def _key(node: Any) -> tuple[int, int] | None:
    """What identifies an object of the file (its object and generation numbers); None for a
    direct object, which cannot be reached twice."""
    key = node.objgen
    return None if key == (0, 0) else key  # (0, 0): a direct object


#: What a field inherits from its parents in the field tree.
_INHERITED = frozenset(("/FT", "/Ff", "/V", "/Opt"))


class _FieldWalker:
    """Walks a field tree, collecting terminal fields with inherited type, flags and value."""

    def __init__(self, notes: list[str]):
        self.notes = notes
        self.found: list[_PdfField] = []
        self._seen: set[tuple[int, int]] = set()

    def walk(self, node: Any, parent_name: str = "", inherited: dict[str, Any] | None = None, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise ValueError("the form's fields are nested too deeply")
        if not isinstance(node, _DICTIONARY_TYPES):
            return
        key = node.objgen
        if key != (0, 0):  # (0, 0): a direct object, which cannot be reached twice
            if key in self._seen:
                return
            self._seen.add(key)
        keys = node.keys()  # one call into qpdf, then plain set lookups
        own = _INHERITED.intersection(keys)
        if own:  # a new dictionary: the parent's is shared by its other children
            inherited = dict(inherited) if inherited else {}
            for entry in own:
                inherited[entry] = node[entry]
        elif inherited is None:
            inherited = {}
        name = parent_name
        if "/T" in keys:
            part = _text(node["/T"], self.notes, "a field name")
            name = f"{parent_name}.{part}" if parent_name else part
        # qpdf parses an object when it is first used, and a radio group's widgets (one per
        # level) are not needed when the group has a value: they are not looked at then, nor is
        # the list of them (the children of a radio button field are its buttons); else only
        # the first is, to tell widgets from child fields.
        kids: Any = None
        if "/Kids" in keys:
            if _chosen_radio(own, inherited):
                kids = _NOT_READ
            elif (kids := _kids(node)) is not None and _is_dictionary(first := kids[0]) and "/T" in first:
                for kid in kids:
                    self.walk(kid, name, inherited, depth + 1)
                return
        if name:
            self.found.append(self._field(node, keys, name, inherited, kids))

    def _field(self, node: Any, keys: set[str], name: str, inherited: dict[str, Any], kids: Any) -> _PdfField:
        kind = inherited.get("/FT")
        flags = inherited.get("/Ff")
        result = _PdfField(name, str(kind) if kind is not None else "", _integer(flags) or 0)
        where = f"field {name}"
        result.value = _value(inherited.get("/V"), self.notes, where)
        options = inherited.get("/Opt")
        if isinstance(options, pikepdf.Array):
            for option in options:
                if isinstance(option, pikepdf.Array) and len(option) >= 2:
                    export, label = (_text(part, self.notes, where) for part in option[:2])
                    pair = (export, label)
                else:
                    pair = (_text(option, self.notes, where),) * 2
                result.options.append(pair)
        indexes = node["/I"] if "/I" in keys else None
        if isinstance(indexes, pikepdf.Array):
            result.selected = [i for i in (_integer(i) for i in indexes) if i is not None]
        if result.kind == "/Btn" and result.value in (None, "", "Off", "/Off"):
            # some fillers switch the button on (/AS) and leave the group's value unset
            if kids is _NOT_READ:
                kids = _kids(node)
            widgets = [node] if kids is None else kids
            for widget in widgets:
                state = widget.get("/AS") if _is_dictionary(widget) else None
                if state is not None and str(state) not in ("/Off", "Off", ""):
                    result.states.append(str(state).removeprefix("/"))
        return result


#: A field's children not looked at yet (see :meth:`_FieldWalker.walk`).
_NOT_READ = object()


def _kids(node: Any) -> Any:
    """The children (``/Kids``) of a field that has them: an array that is not empty, or None."""
    kids = node["/Kids"]
    return kids if isinstance(kids, pikepdf.Array) and len(kids) else None


def _chosen_radio(own: set[str], inherited: dict[str, Any]) -> bool:
    """Whether a field is, by its own entries, a radio button field with a button chosen."""
    if not {"/FT", "/Ff", "/V"} <= own or not isinstance(inherited["/V"], pikepdf.Name):
        return False
    flags = _integer(inherited["/Ff"])
    return inherited["/FT"] == _BUTTON and flags is not None and bool(flags & _RADIO) and inherited["/V"] != "/Off"


def _integer(value: Any) -> int | None:
    """A PDF integer as an int (qpdf gives Python's own); None for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _widget_roots(pdf: pikepdf.Pdf) -> list[Any]:
    """The top-level fields of every widget on the pages, each once."""
    roots: list[Any] = []
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if not isinstance(annotations, pikepdf.Array):
            continue
        for node in annotations:
            if not _is_dictionary(node) or node.get("/Subtype") != pikepdf.Name.Widget:
                continue
            for _ in range(_MAX_DEPTH):  # climb to the top of the field tree
                parent = node.get("/Parent")
                if not _is_dictionary(parent):
                    break
                node = parent
            key = _key(node)
            if key is None or key not in seen:
                if key is not None:
                    seen.add(key)
                roots.append(node)
    return roots


def _metadata(pdf: pikepdf.Pdf, notes: list[str]) -> dict[str, str]:
    """Our entries of the document information dictionary as name (without "/") → text."""
    info = pdf.trailer.get("/Info")
    if not _is_dictionary(info):
        return {}
    found = {}
    for key in info.keys():
        if not key.startswith("/coproduce_"):  # only ours: a garbled /Producer is no concern of a return
            continue
        value = info.get(key)
        if isinstance(value, (pikepdf.String, str)):
            found[key.removeprefix("/")] = _text(value, notes, f"the metadata entry {key}")
    return found


def _value(value: Any, notes: list[str], where: str) -> str | int | list[str] | None:
    """A field value as text, a list of texts, an option index, or None."""
    if isinstance(value, pikepdf.Name):
        return str(value).removeprefix("/")
    if isinstance(value, pikepdf.String):
        return _text(value, notes, where)
    if _integer(value) is not None:  # a choice given by its index
        return value
    if isinstance(value, pikepdf.Array):
        items = [_value(item, notes, where) for item in value]
        return [str(item) for item in items if item is not None and not isinstance(item, list)]
    if isinstance(value, pikepdf.Stream):  # a long value may be a text stream
        return _decode(value.read_bytes(), notes, where)
    return None


def _text(value: Any, notes: list[str], where: str) -> str:
    """A PDF string (or name) as text; see :func:`_decode`."""
    if isinstance(value, pikepdf.String):
        return _decode(bytes(value), notes, where)
    if isinstance(value, pikepdf.Name):
        return str(value).removeprefix("/")
    return "" if value is None else str(value)


_MARKED = ((codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF8, "utf-8"))
_PLAIN = re.compile(rb"[\x20-\x7e\t\n\r]*")
#: Bytes PDFDocEncoding leaves undefined that qpdf's "pdfdoc" codec passes through as they are.
_NOT_PDFDOC = b"\x00\x16"


def _decode(raw: bytes, notes: list[str], where: str) -> str:
    """Decode the bytes of a PDF text string.

    UTF-16 (big- or little-endian) or UTF-8 with a byte-order mark; otherwise UTF-16BE when it
    starts with a 0 byte and decodes as such; otherwise UTF-8 when the bytes are valid UTF-8
    and not plain ASCII; otherwise PDFDocEncoding.  Bytes that none of these can decode become
    U+FFFD, and a note in ``notes`` says where.
    """
    if _PLAIN.fullmatch(raw):  # printable ASCII: the same in PDFDocEncoding
        return raw.decode("ascii")
    for bom, codec in _MARKED:
        if raw.startswith(bom):
            body = raw[len(bom) :]
            try:
                return body.decode(codec)
            except UnicodeDecodeError:
                notes.append(f"{where}: the text is not valid {codec.upper()}; undecodable bytes shown as �")
                return body.decode(codec, errors="replace")
    if raw.startswith(b"\x00") and len(raw) % 2 == 0:  # UTF-16BE without its mark
        try:
            return raw.decode("utf-16-be")
        except UnicodeDecodeError:
            pass
    if not raw.isascii():
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if not any(byte in raw for byte in _NOT_PDFDOC):
        try:
            return raw.decode("pdfdoc")  # the codec pikepdf registers
        except UnicodeDecodeError:
            pass
    chars = [_pdfdoc_character(byte) for byte in raw]
    notes.append(f"{where}: some characters could not be decoded and are shown as �")
    return "".join(chars)


def _pdfdoc_character(byte: int) -> str:
    if byte in _NOT_PDFDOC:
        return "\ufffd"
    try:
        return bytes((byte,)).decode("pdfdoc")
    except UnicodeDecodeError:
        return "\ufffd"


# --- from fields to answers --------------------------------------------------------------------


@dataclass(frozen=True)
class _Identity:
    """What the form says about itself (metadata or the hidden identity field)."""

    instrument_id: str | None = None
    version: str | None = None
    form_id: str | None = None
    organisation: str | None = None
    language: str | None = None


def read_pdf_return(
    data: bytes, file: str, instruments: Mapping[str, Instrument], *, limits: Limits = LIMITS
) -> Return:
    """Read the completed PDF form ``data`` (named ``file`` in messages) into a :class:`Return`.

    The instrument is the one the form's identity names, looked up in ``instruments`` (id →
    Instrument); a form whose identity was stripped is recognised by its answer field names.
    Raises :class:`ReturnReadError` (one line: what is wrong and what to do) for a file that
    is not a PDF, is damaged or cut short, needs a password, has no form fields (flattened or
    scanned), is not a coproduce checklist, or was made for an instrument not available.
    """
    with pdf_limits(limits):  # the PDF library's limits, tightened to a returned form (generator.returns.guards)
        return _read_pdf_return(data, file, instruments)


def _read_pdf_return(data: bytes, file: str, instruments: Mapping[str, Instrument]) -> Return:
    with _open(data, file) as pdf:
        try:
            form = _read_form(pdf)
        except ReturnReadError:
            raise
        except Exception as error:  # a damaged object deep in the file: qpdf raises many kinds
            raise ReturnReadError(file, _DAMAGED.format(detail=_reason(error))) from error
        repaired = bool(pdf.get_warnings())  # qpdf met damage (and read around it)
    problems: list[str] = list(form.notes)
    by_name: dict[str, list[_PdfField]] = {}
    for found in form.fields:
        match = _LAST_PART.search(found.name)
        by_name.setdefault(match.group(1) if match else found.name, []).append(found)
    identity = _identity(form, by_name, problems)

    if not form.fields and form.has_xfa:
        raise ReturnReadError(file, _XFA)
    if not form.fields and repaired:  # the fields may be what the damage took
        raise ReturnReadError(file, _DAMAGED.format(detail=""))
    if not form.fields:
        whose = ""
        if identity.instrument_id:
            whose = f" left (it is a coproduce form of {identity.instrument_id}"
            whose += f" for {identity.organisation})" if identity.organisation else ")"
        raise FlattenedPdfError(file, _FLATTENED.format(whose=whose))
    instrument = _instrument(file, identity, by_name, instruments, form, problems)

    found_answers: list[FoundAnswer] = []
    raw_as_found: dict[str, str] = {}
    missing = []
    answers = ReturnAnswers(instrument.scale)
    for indicator in instrument.indicators:
        answer_fields = by_name.get(answer_field_name(indicator.id), [])
        comment_fields = by_name.get(comment_field_name(indicator.id), [])
        if not answer_fields:
            missing.append(indicator.id)
        comments = [c for c in (_comment(f) for f in comment_fields) if c is not None and c.strip()]
        comment = "\n".join(comments) if comments else None
        rated_by = None
        if instrument.columns.rated_by:
            raters = [r for r in (_comment(f) for f in by_name.get(rated_by_field_name(indicator.id), [])) if r]
            rated_by = "\n".join(r for r in raters if r.strip()) or None
        readings = [reading for reading in (_answer(f, answers) for f in answer_fields) if reading is not None]
        if not readings:  # blank, or no answer field at all: the comment still counts
            where = f"field {answer_field_name(indicator.id)}"
            found_answers.append(FoundAnswer(indicator.id, None, comment, where, rated_by))
        for n, (text, raw, where) in enumerate(readings):
            first = n == 0
            found_answers.append(
                FoundAnswer(indicator.id, text, comment if first else None, where, rated_by if first else None)
            )
            if n == 0 and raw != text:
                raw_as_found[indicator.id] = raw
    if missing and len(missing) < len(instrument.indicators):
        problems.append(
            f"the form has no answer field for {_list(missing)}: it may have been edited; check those answers by hand"
        )

    cover = {name: _cover_text(by_name.get(name, [])) for name in COVER_READ}
    result = assemble_return(
        instrument,
        file,
        FORMAT,
        found_answers,
        form_id=identity.form_id,
        organisation=cover[COVER_ORGANISATION] or identity.organisation,
        identity_organisation=identity.organisation,
        respondent=cover[COVER_RESPONDENT],
        date=cover[COVER_DATE],
        review_period=cover[COVER_REVIEW_PERIOD],
        project=cover[COVER_PROJECT],
        agreed_with=cover[COVER_AGREED_WITH],
        problems=problems,
        answers=answers,
    )
    for response in result.responses:
        if response.id in raw_as_found and response.raw is not None:
            response.raw = raw_as_found[response.id]
    return result


_IDENTITY_KEYS = (PROPERTY_INSTRUMENT, PROPERTY_VERSION, PROPERTY_FORM_ID, PROPERTY_ORGANISATION, PROPERTY_LANGUAGE)


def _property(properties: Mapping[str, Any], key: str) -> str | None:
    value = properties.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _identity(form: _PdfForm, by_name: dict[str, list[_PdfField]], problems: list[str]) -> _Identity:
    """The identity from the hidden field, else from the metadata; a problem when they differ."""
    from_metadata = _Identity(*(_property(form.metadata, key) for key in _IDENTITY_KEYS))
    from_field = _Identity()
    for identity_field in by_name.get(IDENTITY_FIELD, [])[:1]:
        text = identity_field.value if isinstance(identity_field.value, str) else ""
        try:
            properties = json.loads(text) if text.strip() else {}
        except (ValueError, RecursionError):
            properties = None
        if not isinstance(properties, dict):
            problems.append(f"the form's identity field ({IDENTITY_FIELD}) does not hold its identity; it was ignored")
            break
        from_field = _Identity(*(_property(properties, key) for key in _IDENTITY_KEYS))
    if from_field.instrument_id is None:
        return from_metadata
    for label, a, b in (
        ("instrument", from_field.instrument_id, from_metadata.instrument_id),
        ("form id", from_field.form_id, from_metadata.form_id),
    ):
        if a and b and a != b:
            problems.append(
                f"the form's identity field and its document properties name different {label}s "
                f"('{a}' and '{b}'); the field's was used"
            )
    return from_field


def _instrument(
    file: str,
    identity: _Identity,
    by_name: dict[str, list[_PdfField]],
    instruments: Mapping[str, Instrument],
    form: _PdfForm,
    problems: list[str],
) -> Instrument:
    """The instrument the form asks: named by its identity, or recognised by its answer fields."""
    answer_names = {name for name in by_name if name.startswith("achieved_")}
    available = ", ".join(sorted(instruments)) or "none"
    if identity.instrument_id:
        # A PDF's answers are level ids, in any language: the translation is read for its cover labels.
        instrument, problem = instrument_of_form(instruments, identity.instrument_id, identity.language)
        problems += [problem] if problem else []
        made_for = f"'{identity.instrument_id}'" + (f" version {identity.version}" if identity.version else "")
        if instrument is None:
            raise ReturnReadError(
                file,
                f"is a form of the instrument {made_for}, which is not available here (available: {available}); "
                "add its standards file (--standards) and read it again",
            )
        if not answer_names & {answer_field_name(i.id) for i in instrument.indicators}:
            raise ReturnReadError(
                file,
                f"is a coproduce form of {made_for} but has none of its answer fields (achieved_…): another program "
                "re-made it; type the answers into a fresh form or enter them by hand",
            )
        if identity.version and identity.version != instrument.version:
            problems.append(
                f"the form was made from version {identity.version} of {instrument.id}; "
                f"it was read against version {instrument.version}"
            )
        return instrument
    scored = []
    for instrument in instruments.values():
        if instrument.translation_of:  # the same fields as its original: the original is the candidate
            continue
        own = {answer_field_name(i.id) for i in instrument.indicators}
        if answer_names & own:
            scored.append((len(answer_names & own), -len(own - answer_names), instrument))
    scored.sort(key=lambda item: item[:2], reverse=True)
    if not scored:
        names = sorted(by_name)
        if form.has_xfa:
            raise ReturnReadError(file, _XFA)
        some = _list(names[:3]) + (", …" if len(names) > 3 else "")
        raise ReturnReadError(
            file,
            f"is a PDF form with {len(form.fields)} field(s) ({some}), but not a coproduce checklist: "
            "it has no checklist answer fields (achieved_…)",
        )
    if len(scored) > 1 and scored[0][:2] == scored[1][:2]:
        raise ReturnReadError(
            file,
            "carries no identity, and its answer fields fit more than one instrument "
            f"({scored[0][2].id}, {scored[1][2].id}): read it from a fresh form of the right one",
        )
    instrument = scored[0][2]
    problems.append(
        f"the form carries no coproduce identity (its document properties were removed): "
        f"recognised as {instrument.id} by its field names"
    )
    return instrument


def _answer(found: _PdfField, answers: ReturnAnswers) -> tuple[str, str, str] | None:
    """(text for the normaliser, raw value as found, where) for an answer field; None when blank.

    Several values (buttons switched on without a value that disagree, or a list that allows
    more than one choice) are joined with " / ", which the normaliser reports as ambiguous.
    """
    where = f"field {found.name}"
    value = found.value
    if found.kind == "/Btn" and found.flags & _PUSHBUTTON:
        return None
    values: list[str | int]
    if isinstance(value, list):
        values = list(value)
    elif value is None or value == "" or (found.kind == "/Btn" and value in ("Off", "/Off")):
        if found.kind == "/Ch" and found.selected:
            values = list(found.selected)
        elif found.states:
            values = list(dict.fromkeys(found.states))
            where = f"buttons of field {found.name}, shown selected with no value set"
        else:
            return None
    elif found.kind == "/Btn" and isinstance(value, str):
        values = [value.removeprefix("/")]  # pypdf (the filler) writes a button's value as the string "/bronze"
    else:
        values = [value]
    if not values:
        return None
    readings = [_option_text(item, found.options, answers) for item in values]
    return " / ".join(text for text, _ in readings), " / ".join(raw for _, raw in readings), where


def _option_text(value: str | int, options: list[tuple[str, str]], answers: ReturnAnswers) -> tuple[str, str]:
    """(text for the normaliser, raw value) for one value of a field that may have options.

    A value that is an option's export value or label, or an index into the options,
    stands for that option; of its export value and label, the first the normaliser reads
    as a level is used.
    """
    raw = str(value)
    if not options:
        return raw, raw
    option = next((o for o in options if raw in o), None)
    candidates = [raw]
    if option is None and re.fullmatch(r"\d{1,4}", raw.strip()) and int(raw) < len(options):
        option = options[int(raw)]  # an option index (PyPDFForm and others)
        candidates = []
    if option is not None:
        candidates += [option[0], option[1]] if raw != option[1] else [option[1], option[0]]
    for candidate in candidates:
        if answers.read(candidate).level is not None:
            return candidate, raw
    return candidates[0], raw


def _comment(found: _PdfField) -> str | None:
    """A comment field's text exactly, with Acrobat's "\\r" line breaks made "\\n"."""
    value = found.value
    if isinstance(value, list):
        value = "\n".join(value)
    if value is None:
        return None
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _cover_text(fields: list[_PdfField]) -> str | None:
    for found in fields:
        text = _comment(found)
        if text is not None and text.strip():
            return text
    return None


def _list(ids: list[str]) -> str:
    return ", ".join(ids)
