"""Form writers: one module per format, each with a ``write_<format>_form`` function.

All take the same arguments (an :class:`~generator.model.instrument.Instrument`, a
:class:`~generator.forms.identity.FormIdentity`, the destination path and optional
:class:`FormValues` to pre-fill) and write the file atomically.  The format libraries
are imported only when a form of that format is written, so the command line starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import FormWriteError

if TYPE_CHECKING:
    from generator.forms.identity import FormIdentity
    from generator.forms.last_round import LastReview
    from generator.model.instrument import Instrument

#: Format key → (module, writer function); the key is also the file extension.
_WRITERS = {
    "docx": ("generator.forms.docx_form", "write_docx_form"),
    "pdf": ("generator.forms.pdf_form", "write_pdf_form"),
    "xlsx": ("generator.forms.xlsx_form", "write_xlsx_form"),
}
FORMATS: tuple[str, ...] = tuple(_WRITERS)


@dataclass
class FormValues:
    """Values to pre-fill: cover field id → text, indicator id → level id, indicator id → comment,
    indicator id → who rated it (forms with a "rated by" column); and last round's review, shown
    read-only beside each indicator (``generate --from``), never as an answer."""

    cover: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    rated_by: dict[str, str] = field(default_factory=dict)
    last_review: LastReview | None = None


def corrections_note(instrument: Instrument) -> str | None:
    """The line a form's cover prints when its text has the suggested corrections applied
    (``generate --apply-errata``), or None for the published text."""
    count = len(instrument.applied_errata)
    if not count:
        return None
    corrections = "correction" if count == 1 else "corrections"
    return (
        f"This form prints {count} suggested {corrections} to the published text: spelling, punctuation and "
        "typing mistakes put right. What the standards ask is unchanged."
    )


def form_writer(fmt: str) -> Callable[[Instrument, FormIdentity, Path, FormValues | None], Path]:
    """The writer function for ``fmt`` ("docx", "pdf" or "xlsx")."""
    if fmt not in _WRITERS:
        raise FormWriteError(f"Unknown form format '{fmt}'; choose from {', '.join(FORMATS)}.")
    module, function = _WRITERS[fmt]
    return getattr(import_module(module), function)


def write_form(
    fmt: str, instrument: Instrument, identity: FormIdentity, path: Path, values: FormValues | None = None
) -> Path:
    """Write one form of ``instrument`` in format ``fmt`` to ``path``; returns ``path``."""
    if instrument.form is None:
        raise FormWriteError(
            f"{instrument.source or instrument.id}: the instrument has no 'form' block (cover page and answer "
            "prompt), so no form can be made from it; see standards/coproduction-v1.1.yaml for an example."
        )
    return form_writer(fmt)(instrument, identity, path, values)
