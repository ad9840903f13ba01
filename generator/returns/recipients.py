"""Who has not returned: the organisations of a recipients list (``generate --recipients``)
with no return in the results, and the organisations that returned without being on it.

Names are matched as merging matches them (:func:`generator.returns.names.same_organisation`):
"Riverside Community Trust" on the list and "Riverside Community Trust Ltd" on a form's cover
are one organisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from generator.forms.packs import Recipient
from generator.model.results import RecipientResult, RecipientsCheck, Results
from generator.returns.names import same_organisation


def not_returned(recipients: list[Recipient], results: Results) -> list[Recipient]:
    """The ``recipients`` (in their order) of which ``results`` hold no organisation."""
    return _not_returned(recipients, [organisation.name for organisation in results.organisations])


def not_listed(recipients: list[Recipient], results: Results) -> list[str]:
    """The organisations of ``results`` (each name once, in their order) that are none of ``recipients``."""
    return _not_listed(recipients, [organisation.name for organisation in results.organisations])


def recipients_check(recipients: list[Recipient], names: Iterable[str], file: Path | str) -> RecipientsCheck:
    """The check results.json records: who of ``recipients`` (read from ``file``) is not among
    the organisations ``names``, and who of those is not on the list."""
    names = list(names)
    missing = _not_returned(recipients, names)
    return RecipientsCheck(
        str(file),
        len(recipients),
        [RecipientResult(r.organisation, r.contact or None, r.email or None) for r in missing],
        _not_listed(recipients, names),
    )


def _not_returned(recipients: list[Recipient], names: list[str]) -> list[Recipient]:
    return [r for r in recipients if not any(same_organisation(r.organisation, name) for name in names)]


def _not_listed(recipients: list[Recipient], names: list[str]) -> list[str]:
    unlisted: list[str] = []
    for name in names:
        if name.startswith("(no organisation"):  # kept apart under its file name: not a name to list
            continue
        if name not in unlisted and not any(same_organisation(r.organisation, name) for r in recipients):
            unlisted.append(name)
    return unlisted
