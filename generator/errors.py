"""The exceptions coproduce raises.

Each message is a sentence a non-programmer can act on: it names the file and the place
in it.  The command line catches :class:`CoproduceError` once and prints the message.
"""

from __future__ import annotations

from pathlib import Path


class CoproduceError(Exception):
    """Base class of every error coproduce reports to its user."""


class InstrumentFileError(CoproduceError):
    """An instrument definition (a YAML file in a standards folder) cannot be used."""

    def __init__(self, path: Path | str, problem: str, *, place: str = "", line: int | None = None):
        self.path = Path(path)
        self.problem = problem
        self.place = place
        self.line = line
        where = [str(self.path)]
        if line is not None:
            where.append(f"line {line}")
        if place:
            where.append(place)
        super().__init__(f"{', '.join(where)}: {problem}")


class UnknownInstrumentError(CoproduceError):
    """No instrument with the requested id is available."""


class UnknownSectionError(CoproduceError):
    """The instrument has no section with the requested number."""


class ReturnReadError(CoproduceError):
    """A returned file cannot be read as a form.  The message starts with the file name and
    says what to do about it."""

    def __init__(self, file: str, problem: str):
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


class OwnOutputError(ReturnReadError):
    """The file is one coproduce wrote that is not a form (a plan, the results workbook): it is
    left out of a merge (skipped), not rejected."""


class FlattenedPdfError(ReturnReadError):
    """A PDF has no form fields: flattened, or printed and scanned (then the scan reader tries it)."""


class ScanNotOursError(ReturnReadError):
    """A scanned file (a PDF of images, PNG, JPEG, TIFF) has no page holding a coproduce page code."""


class TemplateError(CoproduceError):
    """A plan template cannot be used: a broken tag, an unknown variable, or not a .docx file.
    The message names the template file and the tag."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class ScoringRulesError(CoproduceError):
    """The scoring rules file cannot be used."""


class UnsafeFileError(ReturnReadError):
    """A returned file breaks one of the safety limits: it is refused, not read."""


class ResultsFileError(CoproduceError):
    """A results file cannot be used to make plans."""


class CompareError(CoproduceError):
    """Two results cannot be compared: they have no instrument in common."""


class NothingToMergeError(CoproduceError):
    """A merge stopped before writing anything: a path given does not exist, or there is no form
    to merge (none found, or none could be read).  Earlier results are left as they were."""


class OutputFolderBusyError(CoproduceError):
    """Another coproduce merge is writing into the same output folder."""


class DemoFolderError(CoproduceError):
    """The demo's output folder holds a ``returns`` folder the demo did not make."""


class RecipientsError(CoproduceError):
    """The recipients CSV cannot be used."""


class FormWriteError(CoproduceError):
    """A form could not be written."""


# --- signals inside the readers: never shown as they are; each reader words them as a ReturnReadError ---


class DamagedPart(Exception):
    """The part ``part`` is missing, cannot be unpacked or is not well-formed XML: ``reason``
    says which ("is missing", "cannot be unpacked: …", "is not well-formed XML: …")."""

    def __init__(self, part: str, reason: str):
        super().__init__(f"{part} {reason}")
        self.part = part
        self.reason = reason


class DamagedWorkbook(Exception):
    """An .xlsx package is not a well-formed workbook (the message says where, for debugging)."""


class NotAWorkbook(Exception):
    """A zip package holds no workbook (a Word document, say)."""


class PlainWordsError(CoproduceError):
    """The plain-words file (the glossary of the summaries for respondents) cannot be used."""


class DecisionsFileError(CoproduceError):
    """A decisions file (docs/decisions.md) cannot be read: the merge stops before writing
    anything, so that no decision typed in it is lost."""
