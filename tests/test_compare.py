"""`coproduce compare`: two rounds made as a user makes them (forms filled in, merged), with known
changes (tests/rounds.py), compared through the command line; progress.json asserted movement by
movement and checked against docs/progress.schema.json.  Unhappy paths write nothing."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from rounds import PROJECT, make_round

from generator import find_instruments
from generator.cli import cli
from generator.compare import compare_results, load_round
from generator.outputs.progress_json import load_progress

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "progress.schema.json").read_text(encoding="utf-8"))
INSTRUMENTS = find_instruments().instruments


def schema_errors(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)]


@pytest.fixture(scope="module")
def rounds(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("rounds")
    return make_round("2024-25", base / "2024-25"), make_round("2025-26", base / "2025-26")


@pytest.fixture(scope="module")
def compared(rounds, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("compared") / "progress"
    last, this = rounds
    result = CliRunner().invoke(cli, ["compare", str(last), str(this / "results.json"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Compared 3 organisation(s) in both rounds; 2 in only one." in result.output
    return out, json.loads((out / "progress.json").read_text(encoding="utf-8"))


def _organisation(data: dict, name: str) -> dict:
    (found,) = [o for o in data["organisations"] if o["name"] == name]
    return found


def _moved(organisation: dict) -> dict[str, tuple]:
    return {
        i["id"]: (i["before"], i["after"], i["change"])
        for i in organisation["indicators"]
        if i["change"] != "same" or i["before"] is None
    }


def test_progress_json_is_valid_and_reads_back(compared):
    out, data = compared
    assert schema_errors(out / "progress.json") == []
    assert data["format"] == "coproduce-progress/1"
    assert load_progress(out / "progress.json").organisations[0].name == data["organisations"][0]["name"]


def test_every_indicator_moved_exactly_as_made(compared):
    _, data = compared
    riverside = _organisation(data, "Riverside Community Trust")
    assert _moved(riverside) == {
        "1.1": ("silver", "gold", "up"),
        "1.2": ("gold", "silver", "down"),
        "2.1": (None, "bronze", "new"),
        "3.1": ("silver", None, "gone"),
        "4.1": (None, None, "same"),  # blank both times: the same, both null
    }
    assert riverside["counts"] == {"up": 1, "down": 1, "same": 32, "new": 1, "gone": 1}
    assert len(riverside["indicators"]) == 36
    northgate = _organisation(data, "Northgate Housing")
    assert _moved(northgate) == {"5.1": ("silver", "gold", "up")}
    assert northgate["counts"] == {"up": 1, "down": 0, "same": 35, "new": 0, "gone": 0}


def test_sections_and_organisations_moved_exactly_as_made(compared):
    _, data = compared
    riverside = _organisation(data, "Riverside Community Trust")
    sections = {s["number"]: (s["before"], s["after"], s["change"]) for s in riverside["sections"]}
    assert sections[1] == ("bronze", "bronze", "same")  # 1.1 up and 1.2 down: still Bronze at its lowest
    assert sections[2] == (None, "bronze", "new")
    assert sections[3] == ("silver", None, "gone")
    assert sections[4] == (None, None, "same")
    assert riverside["section_counts"] == {"up": 0, "down": 0, "same": 8, "new": 1, "gone": 1}
    assert (riverside["before"]["tier"], riverside["after"]["tier"], riverside["tier_change"]) == (None, None, "same")
    assert (riverside["before"]["round"], riverside["after"]["round"]) == ("2024-25", "2025-26")
    # 1.1 +1, 1.2 -1, 2.1 +1 (Bronze), 3.1 -2 (Silver): one point less
    assert riverside["after"]["points"] - riverside["before"]["points"] == riverside["points_change"] == -1
    northgate = _organisation(data, "Northgate Housing")
    assert (northgate["before"]["tier"], northgate["after"]["tier"], northgate["tier_change"]) == (
        "silver",
        "silver",
        "same",
    )
    assert northgate["points_change"] == 1


def test_the_charter_is_matched_by_project(compared):
    _, data = compared
    harbour = _organisation(data, "Harbour Carers Forum")
    assert (harbour["instrument"], harbour["project"]) == ("charter-appendix-d", PROJECT)
    assert _moved(harbour) == {"C.1": ("partly-met", "met", "up"), "C.2": ("partly-met", "not-met", "down")}
    assert harbour["tier_change"] == "down"
    assert harbour["sections"][0]["change"] == "down"


def test_organisations_in_only_one_round_are_listed(compared):
    _, data = compared
    only = {(o["name"], o["found_in"], o["round"]) for o in data["only_in_one_round"]}
    assert only == {("Westbrook Care", "last", "2024-25"), ("Eastfield Trust", "this", "2025-26")}


def test_several_rounds_in_one_file_compare_the_latest_and_say_so(rounds, tmp_path):
    last, this = rounds
    both = tmp_path / "both"
    for folder in (last, this):
        shutil.copytree(folder.parent / "returns", both / folder.parent.name)
    merged = CliRunner().invoke(cli, ["merge", str(both), "--out", str(tmp_path / "merged")])
    assert merged.exit_code == 0, merged.output
    result = CliRunner().invoke(cli, ["compare", str(last), str(tmp_path / "merged"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Riverside Community Trust has rounds 2024-25, 2025-26; the latest, 2025-26, is compared" in result.output
    data = json.loads((tmp_path / "out" / "progress.json").read_text(encoding="utf-8"))
    assert _moved(_organisation(data, "Riverside Community Trust"))["1.1"] == ("silver", "gold", "up")
    assert any("the latest, 2025-26, is compared" in note for note in data["notes"])
    assert schema_errors(tmp_path / "out" / "progress.json") == []


# --- actions from returned trackers (the tracker reader is issue 15's Deliver 3: stand-ins here) ---


@dataclass
class Action:
    indicator: str
    action: str
    status: str
    raw_status: str | None


@dataclass
class Tracker:
    file: str
    organisation: str
    instrument: str
    round: str | None
    project: str | None
    actions: list[Action] = field(default_factory=list)


def test_actions_statuses_are_reported_per_organisation_and_indicator(rounds):
    (last_file, last), (this_file, this) = (load_round(path, INSTRUMENTS) for path in rounds)
    trackers = [
        Tracker("riverside-tracker.xlsx", "riverside  COMMUNITY trust", "coproduction-v1.1", "2024-25", None, [
            Action("1.1", "Held a listening event", "done", "Done ✓"),
            Action("1.2", "Census comparison", "in-progress", "In progress"),
            Action("3.1", "Peer review", "not-started", "Not started"),
            Action("3.2", "Something", "whatever", "?? maybe"),
        ]),
        Tracker("nobody.xlsx", "Nobody Ltd", "coproduction-v1.1", None, None, [Action("1.1", "x", "done", "Done")]),
    ]  # fmt: skip
    progress = compare_results(last, this, INSTRUMENTS, trackers=trackers)
    (riverside,) = [o for o in progress.organisations if o.name == "Riverside Community Trust"]
    statuses = {(a.indicator, a.status, a.raw_status) for a in riverside.actions}
    assert statuses == {
        ("1.1", "done", "Done ✓"),
        ("1.2", "in-progress", "In progress"),
        ("3.1", "not-started", "Not started"),
        ("3.2", "unclear", "?? maybe"),
    }
    counts = riverside.action_counts
    assert (counts.done, counts.in_progress, counts.not_started, counts.unclear) == (1, 1, 1, 1)
    assert [(t.file, t.organisation) for t in progress.trackers_not_matched] == [("nobody.xlsx", "Nobody Ltd")]
    (northgate,) = [o for o in progress.organisations if o.name == "Northgate Housing"]
    assert northgate.actions == []


# --- unhappy paths: a one-line message naming the file, exit 1, nothing written ------------------


def _fails(args: list[str], out: Path) -> str:
    result = CliRunner().invoke(cli, ["compare", *args, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_a_missing_file_is_named(rounds, tmp_path):
    last, _ = rounds
    message = _fails([str(last), str(tmp_path / "nowhere.json")], tmp_path / "out")
    assert message == f"Error: {tmp_path / 'nowhere.json'}: does not exist"


def test_a_folder_without_results_is_named(rounds, tmp_path):
    last, _ = rounds
    (tmp_path / "empty").mkdir()
    message = _fails([str(last), str(tmp_path / "empty")], tmp_path / "out")
    assert message.startswith(f"Error: {tmp_path / 'empty'}: this folder holds no results.json")


def test_a_file_that_is_not_results_is_named(rounds, tmp_path):
    last, _ = rounds
    other = tmp_path / "notes.json"
    other.write_text('{"hello": 1}', encoding="utf-8")
    message = _fails([str(other), str(last)], tmp_path / "out")
    assert message.startswith(f"Error: {other}: is not a results.json written by coproduce merge")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert _fails([str(last), str(broken)], tmp_path / "out").startswith(f"Error: {broken}: is not a results.json")


def test_two_rounds_with_nothing_in_common_are_refused(rounds, tmp_path):
    last, this = rounds

    def keep(source: Path, instrument: str, target: Path) -> Path:
        data = json.loads((source / "results.json").read_text(encoding="utf-8"))
        data["organisations"] = [o for o in data["organisations"] if o["instrument"] == instrument]
        target.write_text(json.dumps(data), encoding="utf-8")
        return target

    v11 = keep(last, "coproduction-v1.1", tmp_path / "v11.json")
    charter = keep(this, "charter-appendix-d", tmp_path / "charter.json")
    message = _fails([str(v11), str(charter)], tmp_path / "out")
    assert message == (
        f"Error: {v11} and {charter}: nothing to compare: the first holds returns of coproduction-v1.1, "
        "the second of charter-appendix-d"
    )
