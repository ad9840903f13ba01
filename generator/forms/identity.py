"""A form's identity: which instrument it asks, which form it is, for whom.

Every generated form carries its identity where re-saving keeps it (DESIGN.md): Word
and Excel custom document properties, PDF metadata plus a read-only field, and an Excel
hidden sheet.  The names below are the contract between the form writers and the
return readers; change them only with both.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.model.instrument import Instrument

#: Custom document property names (docx, xlsx) and PDF metadata keys (with a leading "/").
PROPERTY_INSTRUMENT = "coproduce_instrument"
PROPERTY_VERSION = "coproduce_version"
PROPERTY_FORM_ID = "coproduce_form_id"
PROPERTY_ORGANISATION = "coproduce_organisation"
PROPERTY_CREATED = "coproduce_created"
#: The language of a form made from a translation (a BCP 47 tag); absent on the original's forms.
PROPERTY_LANGUAGE = "coproduce_language"
#: The round a pack was pre-filled from (``generate --from``): shown, never read as answers.
PROPERTY_PREFILLED_FROM = "coproduce_prefilled_from"

#: The documents coproduce writes that are not forms (plans, the results workbook, the decisions
#: file, reports) say so in their core properties' category, "coproduce output: action plan":
#: merged by mistake with the returns (last year's output folder), they are left out, saying what
#: they are, never read as a form.
OUTPUT_CATEGORY = "coproduce output"


def output_category(what: str) -> str:
    """The category of a document coproduce writes that is ``what`` ("action plan")."""
    return f"{OUTPUT_CATEGORY}: {what}"


#: Name of the read-only PDF field and of the hidden Excel sheet that carry the identity.
IDENTITY_FIELD = "coproduce_identity"
IDENTITY_SHEET = "coproduce"


@dataclass(frozen=True)
class FormIdentity:
    """Who a generated form belongs to.  ``organisation`` is None for a blank form.

    A form made from a translation names the original instrument (its id and version), so
    that its returns merge with the original's, and the translation's ``language``; None on
    the original's own forms."""

    instrument_id: str
    instrument_version: str
    form_id: str
    created: datetime
    organisation: str | None = None
    #: the round of the last review the form shows ("2025-26"), None when it shows none
    prefilled_from: str | None = None
    language: str | None = None

    def as_properties(self) -> dict[str, str]:
        """The identity as name → text pairs, the names above; organisation only when set."""
        properties = {
            PROPERTY_INSTRUMENT: self.instrument_id,
            PROPERTY_VERSION: self.instrument_version,
            PROPERTY_FORM_ID: self.form_id,
            PROPERTY_CREATED: self.created.isoformat(),
        }
        if self.organisation:
            properties[PROPERTY_ORGANISATION] = self.organisation
        if self.prefilled_from:
            properties[PROPERTY_PREFILLED_FROM] = self.prefilled_from
        if self.language:
            properties[PROPERTY_LANGUAGE] = self.language
        return properties


def creation_time() -> datetime:
    """Now, in UTC, to the second; or the time in ``SOURCE_DATE_EPOCH`` when that is set
    (the reproducible-builds convention), so output can be made byte-stable."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(tz=timezone.utc).replace(microsecond=0)


def new_identity(
    instrument: Instrument,
    organisation: str | None = None,
    form_id: str | None = None,
    created: datetime | None = None,
    prefilled_from: str | None = None,
) -> FormIdentity:
    """A fresh identity for a form of ``instrument``: a random form id unless one is given.
    A translation's form names its original, and its language."""
    return FormIdentity(
        instrument_id=instrument.original_id,
        instrument_version=instrument.version,
        form_id=form_id or uuid.uuid4().hex,
        created=created or creation_time(),
        organisation=organisation or None,
        prefilled_from=prefilled_from or None,
        language=instrument.language if instrument.translation_of else None,
    )
