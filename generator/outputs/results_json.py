"""results.json: the results as a file other tools read (shape: ``docs/results.md``).

The text is ``json.dumps(data, ensure_ascii=False, indent=2)`` of the results as data
(:func:`generator.model.results.to_data`) and a line break, in a fixed order with no run time
in it, so the same inputs always give the same file.  :func:`write_results_json` writes the
organisations one at a time, as they are scored, so a large merge is never all in memory;
:func:`load_results` reads a file back into the results model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from generator.atomic import write_atomically
from generator.errors import ResultsFileError
from generator.model.instrument import Instrument
from generator.model.results import (
    RESULTS_FORMAT,
    Counts,
    DecisionResult,
    ManifestEntry,
    OrganisationResult,
    RecipientsCheck,
    Results,
    ResultsHead,
    TrackerResult,
    from_data,
    to_data,
)


def _dumps(value: Any, indent: int) -> str:
    """``value`` as indented JSON text, its lines after the first indented by ``indent`` more spaces.
    A file name's byte that is not UTF-8 (Python holds it as a lone surrogate, which UTF-8
    cannot encode) is written ``\\xe9``, as :func:`generator.returns.guards.file_label` shows it."""
    text = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + " " * indent)
    return _SURROGATE.sub(_escaped_byte, text) if _SURROGATE.search(text) else text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped_byte(match: re.Match[str]) -> str:
    code = ord(match[0])
    # in JSON text: a backslash (written as two), then the byte
    return f"\\\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\\\u{code:04x}"


def write_results_json(
    head: ResultsHead,
    organisations: Iterable[OrganisationResult],
    manifest: list[ManifestEntry],
    path: Path,
    trackers: Sequence[TrackerResult] = (),
    decisions: Iterable[DecisionResult] = (),
    recipients: RecipientsCheck | None = None,
) -> Path:
    """Write results.json at ``path``, atomically: ``head``, then each of ``organisations`` as it
    comes (they may be scored as the file is written: an iterator is taken one at a time), then
    the counts, ``manifest``, ``trackers`` and ``decisions`` (taken once the organisations are
    written: the decisions no organisation used are known only then).  Nothing is at ``path``
    until the whole file is written."""

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="\n") as out:
            out.write("{\n")
            for key, value in to_data(head).items():
                out.write(f"  {json.dumps(key)}: {_dumps(value, 2)},\n")
            out.write('  "organisations": ')
            separator = "[\n    "
            for organisation in organisations:
                out.write(separator + _dumps(to_data(organisation), 4))
                separator = ",\n    "
            out.write("[]" if separator == "[\n    " else "\n  ]")
            tail = {"counts": Counts.of(manifest), "manifest": manifest, "trackers": list(trackers)}
            tail["decisions"] = list(decisions)
            if recipients is not None:  # (only when the merge was given the recipients list)
                tail["recipients"] = recipients
            for key, value in tail.items():
                out.write(f",\n  {json.dumps(key)}: {_dumps(to_data(value), 2)}")
            out.write("\n}\n")

    return write_atomically(path, write)


def write_results(results: Results, path: Path) -> Path:
    """Write ``results`` (all in memory) as results.json at ``path``, atomically."""
    return write_results_json(
        results.head,
        results.organisations,
        results.manifest,
        path,
        results.trackers,
        results.decisions,
        results.recipients,
    )


def load_results(path: Path, instruments: Mapping[str, Instrument] | None = None) -> Results:
    """Read a ``results.json`` written by ``coproduce merge``: a :class:`ResultsFileError` naming
    the file (and the place in it) if it cannot be read or is not one.  Given ``instruments``
    (id → instrument), each organisation is checked against its instrument too: that it is
    available, and that every level, section and indicator named is one of its own."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsFileError(f"{path}: cannot be read ({error.strerror or error})") from error
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ResultsFileError(f"{path}: is not a results.json written by coproduce merge ({reason})") from error
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise ResultsFileError(
            f"{path}: is not a results.json written by coproduce merge (run `coproduce merge` first)"
        )
    try:
        results = from_data(Results, data)
    except ValueError as error:
        raise ResultsFileError(
            f"{path}: is not a complete results.json ({error}); run `coproduce merge` again"
        ) from error
    for organisation in results.organisations if instruments is not None else ():
        instrument = instruments.get(organisation.instrument)
        if instrument is None:
            raise ResultsFileError(
                f"{path}: holds returns of the instrument '{organisation.instrument}', which is not available; "
                "add it with --standards"
            )
        try:
            organisation.check_against(instrument)
        except ValueError as error:
            raise ResultsFileError(f"{path}: does not fit the instrument it names ({error})") from error
    return results
