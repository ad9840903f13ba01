"""One round folder, as the local web page sees it: returns in, results out.

The layout is the one ``coproduce demo`` makes and ``coproduce run FOLDER/returns --out FOLDER``
writes, so the page and the command line work on the same files::

    FOLDER/
      returns/          the returns (forms, scans, emails): what the page's uploads add to
      recipients.csv    (optional) who the packs went to: the page lists who has not returned
      results.json, consolidated.xlsx, decisions.xlsx, plans/, partnership-plan*.docx, scans/
      anything else     (packs, emails, progress reports…) offered for download by name

:class:`RoundFolder` does everything the page does, without the web: saving an upload
(:meth:`RoundFolder.save_upload`), merging (:meth:`RoundFolder.merge`, the library's
:func:`generator.pipeline.merge_and_score` with the action plans, as ``coproduce run`` does),
deciding an answer to check (:meth:`RoundFolder.decide`: the decision goes into the decisions
file through the same merge as ``coproduce run --decisions FILE``), the files to download and who
has not returned.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from generator.atomic import STAGING_PREFIX
from generator.errors import CoproduceError
from generator.model.instrument import Instrument
from generator.model.results import Results
from generator.returns import guards

RETURNS_FOLDER = "returns"
RECIPIENTS_FILE = "recipients.csv"
RESULTS_FILE = "results.json"
#: What the page offers to download: the documents and data a round folder holds.
DOWNLOAD_SUFFIXES = frozenset({".docx", ".xlsx", ".pdf", ".eml", ".msg", ".json", ".csv", ".zip", ".png", ".yaml"})
#: Longest name an upload is saved under (characters, before the suffix).
_NAME_LENGTH = 120
_CHUNK = 1 << 20


class UploadError(CoproduceError):
    """An uploaded file was not saved (too big, or the folder cannot be written)."""


@dataclass(frozen=True)
class SavedUpload:
    """What became of one uploaded file: the path it was saved at, or None with the reason and
    its fate as a merge's manifest would say it (a file too big is rejected, as the command line
    rejects it; an empty one, or one already there, skipped)."""

    name: str
    path: Path | None
    reason: str | None = None
    fate: str = "skipped"


def safe_file_name(name: str) -> str:
    """A name to save an upload under: the last part of what the browser sent (no folder, no
    ``..``), without control characters or characters Windows refuses, not hidden, and not too long."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join("_" if unicodedata.category(c).startswith("C") or c in '<>:"|?*' else c for c in base)
    base = base.strip().strip(".").strip() or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = base, ""
    stem = stem[:_NAME_LENGTH].strip() or "upload"
    return f"{stem}.{suffix}" if suffix else stem


class RoundFolder:
    """The round folder at ``folder`` (see the module's docstring for its layout)."""

    def __init__(self, folder: Path, recipients: Path | None = None, limits: guards.Limits = guards.LIMITS):
        self.folder = folder.resolve()
        self.returns = self.folder / RETURNS_FOLDER
        self.limits = limits
        self._recipients = recipients

    @property
    def results_file(self) -> Path:
        return self.folder / RESULTS_FILE

    @property
    def recipients_file(self) -> Path | None:
        """The recipients CSV given, else ``FOLDER/recipients.csv`` if there is one."""
        if self._recipients is not None:
            return self._recipients
        found = self.folder / RECIPIENTS_FILE
        return found if found.is_file() else None

    # --- uploads ---------------------------------------------------------------------------

    def save_upload(self, name: str, stream: BinaryIO) -> SavedUpload:
        """Save one uploaded file into ``returns/`` under a safe form of ``name``, never over a
        file already there (a different file of that name is saved as "name (2).ext"; the same
        bytes again are not saved twice).  A file bigger than the limits' ``file_bytes`` is not
        saved: the command line would refuse it unread."""
        shown = safe_file_name(name)
        self.returns.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=self.returns)
        tmp = Path(temporary)
        try:
            size = 0
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.limits.file_bytes:
                        return SavedUpload(
                            shown,
                            None,
                            f"is bigger than {self.limits.file_bytes // guards.MiB} MB, the most a returned form may "
                            "be (--max-file-size): it was not added",
                            "rejected",
                        )
                    out.write(chunk)
            if size == 0:
                return SavedUpload(shown, None, "is empty (0 bytes): it was not added")
            return self._place(tmp, shown)
        except OSError as error:
            raise UploadError(f"{shown}: could not be saved in {self.returns} ({error.strerror or error})") from error
        finally:
            tmp.unlink(missing_ok=True)

    def _place(self, tmp: Path, name: str) -> SavedUpload:
        """Link ``tmp`` into ``returns/`` as ``name``, or "name (2)" and so on; never replacing a file."""
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        content = tmp.read_bytes()
        for n in range(1, 1000):
            candidate = self.returns / (name if n == 1 else f"{stem} ({n}){dot}{suffix}")
            if candidate.is_file() and candidate.read_bytes() == content:
                return SavedUpload(candidate.name, None, "is already in the round's returns: it was not added again")
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            return SavedUpload(candidate.name, candidate)
        raise UploadError(f"{name}: too many files of this name in {self.returns}")

    # --- merging ---------------------------------------------------------------------------

    def merge(
        self,
        instruments: Mapping[str, Instrument],
        progress: Callable[[int], Callable[[], None]] | None = None,
        decisions: Path | None = None,
    ):
        """Merge ``returns/`` into the folder and write the action plans, as
        ``coproduce run FOLDER/returns --out FOLDER [--recipients CSV] [--decisions FILE]`` does
        (the recipients CSV of :attr:`recipients_file`, if any, so results.json and the workbook
        say who has not returned); the :class:`~generator.pipeline.PipelineOutput`.  Raises what
        the merge raises (nothing to merge, a decisions file or recipients list that cannot be
        read, another merge writing here)."""
        from generator.pipeline import PlanOptions, merge_and_score
        from generator.scoring.rules import load_rules

        return merge_and_score(
            [self.returns],
            instruments,
            load_rules(),
            self.folder,
            PlanOptions(),
            progress,
            self.limits,
            False,
            decisions,
            self.recipients_file,
        )

    def decide(
        self,
        key: str,
        decision: str,
        by: str | None,
        note: str | None,
        instruments: Mapping[str, Instrument],
        today: date | None = None,
    ):
        """Record the decision ``decision`` (a level's label, or "Leave blank") about the answer to
        check ``key`` and merge again: the decision is given to the merge as a decisions file of
        one row, as ``--decisions`` gives one, so it is applied and written into
        ``decisions.xlsx`` with every other decision.  The merge's output."""
        import yaml

        row = {"key": key, "decision": decision, "by": by, "date": (today or date.today()).isoformat(), "note": note}
        with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX) as folder:
            path = Path(folder) / "decision.yaml"
            path.write_text(yaml.safe_dump([row], allow_unicode=True), encoding="utf-8")
            return self.merge(instruments, decisions=path)

    # --- what the folder holds -------------------------------------------------------------

    def results(self, instruments: Mapping[str, Instrument]) -> Results | None:
        """The round's results (``results.json``), or None before the first merge."""
        from generator.outputs.results_json import load_results

        if not self.results_file.is_file():
            return None
        return load_results(self.results_file, instruments)

    def downloads(self) -> list[str]:
        """The files offered for download: each document or data file under the folder (not the
        returns, nor hidden or temporary files, nor a link leading out of the folder), as a
        path relative to the folder with ``/`` between its parts, sorted."""
        found = []
        for root, folders, files in os.walk(self.folder):
            here = Path(root)
            folders[:] = sorted(
                f
                for f in folders
                if not f.startswith((".", STAGING_PREFIX)) and not (here == self.folder and f == RETURNS_FOLDER)
            )
            for name in files:
                path = here / name
                if name.startswith((".", "~$")) or path.suffix.lower() not in DOWNLOAD_SUFFIXES:
                    continue
                if self.inside(path):
                    found.append(path.relative_to(self.folder).as_posix())
        return sorted(found)

    def download(self, name: str) -> Path | None:
        """The file listed by :meth:`downloads` as ``name``, or None when no such file is listed."""
        if name not in self.downloads():
            return None
        path = self.folder / name
        return path if self.inside(path) and path.is_file() else None

    def scan_image(self, name: str) -> Path | None:
        """A picture the merge cut out of a scanned return (``scans/<name>.png``), or None."""
        if not re.fullmatch(r"[\w.-]+\.png", name) or name.startswith("."):
            return None
        path = self.folder / "scans" / name
        return path if self.inside(path) and path.is_file() else None

    def shown(self, file: str) -> str:
        """A file as the merge names it (``/…/FOLDER/returns/reply.eml/form.xlsx``), as the page
        shows it: from inside ``returns/`` (``reply.eml/form.xlsx``), so an email's attachment
        keeps the email it came in."""
        prefix = guards.file_label(self.returns) + "/"
        return file.removeprefix(prefix) if file.startswith(prefix) else file.rpartition("/")[2]

    def inside(self, path: Path) -> bool:
        """Whether ``path``, with its links followed, is in the round folder."""
        try:
            return path.resolve().is_relative_to(self.folder)
        except (OSError, RuntimeError):
            return False

    def not_returned(self, results: Results | None):
        """The recipients who have not returned (None when there is no recipients CSV)."""
        from generator.forms.packs import read_recipients
        from generator.returns.recipients import not_returned

        listed = self.recipients_file
        if listed is None:
            return None
        recipients = read_recipients(listed)
        if results is None:
            return recipients
        return not_returned(recipients, results)
