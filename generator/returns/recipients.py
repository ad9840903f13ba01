"""Who has not returned yet: the recipients of a round matched against the organisations merged."""

from __future__ import annotations

from generator.forms.packs import Recipient
from generator.model.results import Results
from generator.returns.names import same_organisation


def not_returned(recipients: list[Recipient], results: Results) -> list[Recipient]:
    """The ``recipients`` (rows of a recipients CSV) none of whose names matches an organisation
    of ``results`` (:func:`generator.returns.names.same_organisation`), in the CSV's order."""
    merged = [organisation.name for organisation in results.organisations]
    return [r for r in recipients if not any(same_organisation(r.organisation, name) for name in merged)]
