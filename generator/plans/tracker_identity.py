"""What the action tracker's writer and its reader share: its identity and the headings they
both go by.

The writer (:mod:`generator.plans.tracker`) stamps each tracker with custom document
properties and a hidden sheet holding the same pairs (both survive a re-save in Excel or
LibreOffice); the reader (:mod:`generator.returns.tracker_return`) finds them there, and
finds the table by its headings, so a tracker that people re-saved, re-ordered or added
rows to still reads.  This module imports nothing heavy: the reader starts fast.
"""

from __future__ import annotations

#: The custom property (and hidden-sheet key) saying what the workbook is, and its value.
PROPERTY_DOCUMENT = "coproduce_document"
TRACKER_DOCUMENT = "action-tracker"
#: The other identity keys; the instrument's, version's and organisation's as on forms.
PROPERTY_INSTRUMENT = "coproduce_instrument"
PROPERTY_VERSION = "coproduce_version"
PROPERTY_ORGANISATION = "coproduce_organisation"
PROPERTY_ROUND = "coproduce_round"
PROPERTY_PROJECT = "coproduce_project"
IDENTITY_KEYS = (
    PROPERTY_DOCUMENT,
    PROPERTY_INSTRUMENT,
    PROPERTY_VERSION,
    PROPERTY_ORGANISATION,
    PROPERTY_ROUND,
    PROPERTY_PROJECT,
)
#: The hidden sheet holding the identity: a header row, then one key and value a row.
IDENTITY_SHEET = "coproduce"
IDENTITY_HEADER = ("key", "value")

ACTIONS_SHEET = "Actions"
#: The Status dropdown's choices; the first is every action's starting value.
STATUSES = ("Not started", "In progress", "Done")
#: The columns people fill in, by heading (the same in every layout).
OWNER, BY_WHEN, STATUS, EVIDENCE, NOTES = "Owner", "By when", "Status", "Evidence", "Notes"
TRACKING = (OWNER, BY_WHEN, STATUS, EVIDENCE, NOTES)
#: The headings of the columns the reader needs besides those: the indicator id (V1.1's; a
#: plan of statements heads it "<Statement> id"), the tiers, the things to do.
INDICATOR_ID = "Indicator id"
ID_SUFFIX = " id"
SECTION, INDICATOR, NOW, NEXT, ACTION = "Section", "Indicator", "Now", "Next", "Action to take"
#: The title in cell A1 of the Actions sheet.
TITLE = "Action plan: {organisation}"
