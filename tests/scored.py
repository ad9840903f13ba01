"""Scoring in tests: results as the data results.json holds, and back as the results model.

Many tests check the shape of results.json itself, or change a value in it before writing a
workbook or a plan: they work on the data (:func:`scored_data`) and turn it back into the
results model (:func:`as_results`, :func:`as_organisation`) with the one mapping the library uses.
"""

from __future__ import annotations

from typing import Any

from generator.model.results import OrganisationResult, Results, from_data, to_data
from generator.scoring.score import score_results


def scored_data(merged, instruments, rules) -> dict[str, Any]:
    """``merged`` scored by ``rules``, as results.json data."""
    return to_data(score_results(merged, instruments, rules))


def as_results(data: dict[str, Any]) -> Results:
    return from_data(Results, data)


def as_organisation(data: dict[str, Any]) -> OrganisationResult:
    return from_data(OrganisationResult, data)


def schema_errors(path) -> list[str]:
    """What is wrong with the results.json at ``path`` by docs/results.schema.json (none: [])."""
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "docs" / "results.schema.json").read_text(encoding="utf-8"))
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft202012Validator(schema).iter_errors(data)
    ]


def claims_to_be_results(path) -> bool:
    """Whether the file at ``path`` says it is a results.json of coproduce's (its ``format``)."""
    import json
    from pathlib import Path

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("format") == "coproduce-results/1"
