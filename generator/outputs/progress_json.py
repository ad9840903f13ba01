"""progress.json: the progress between two rounds as a file other tools read (shape: ``docs/progress.md``).

The text is ``json.dumps(data, ensure_ascii=False, indent=2)`` of the progress as data (results.py's
one mapping, :func:`~generator.model.results.to_data`) and a line break, with no run time in it,
so the same two results always give the same file.
"""

from __future__ import annotations

import json
from pathlib import Path

from generator.atomic import write_atomically
from generator.errors import ResultsFileError
from generator.model.progress import PROGRESS_FORMAT, Progress
from generator.model.results import from_data, to_data

PROGRESS_NAME = "progress.json"


def progress_text(progress: Progress) -> str:
    """``progress`` as the text of progress.json."""
    return json.dumps(to_data(progress), ensure_ascii=False, indent=2) + "\n"


def write_progress_json(progress: Progress, path: Path) -> Path:
    """Write ``progress`` as progress.json at ``path``, atomically; returns ``path``."""
    text = progress_text(progress)
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline="\n"))


def load_progress(path: Path) -> Progress:
    """Read a progress.json written by ``coproduce compare``; :class:`ResultsFileError` naming the
    file when it cannot be read or is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsFileError(f"{path}: cannot be read ({error.strerror or error})") from error
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ResultsFileError(f"{path}: is not a progress.json written by coproduce compare") from error
    if not isinstance(data, dict) or data.get("format") != PROGRESS_FORMAT:
        raise ResultsFileError(f"{path}: is not a progress.json written by coproduce compare")
    try:
        return from_data(Progress, data)
    except ValueError as error:
        raise ResultsFileError(f"{path}: is not a complete progress.json ({error})") from error
