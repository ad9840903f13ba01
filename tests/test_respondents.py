"""Who a return is from, and which round and project it is for: several people filling copies
of one pack, one generic form sent to several organisations, a pack typed over with another
organisation's name, a respondent sending their form again, two review rounds and two charter
projects of one organisation — all through `coproduce merge`, as a partnership lead runs it."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import find_instruments, resolve_instrument
from generator.cli import cli
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.returns.names import same_organisation

V11 = resolve_instrument()
CHARTER = find_instruments().instruments["charter-appendix-d"]
FORMATS = ("docx", "xlsx", "pdf")


def _all(level: str, instrument=V11) -> dict[str, str]:
    return {indicator.id: level for indicator in instrument.indicators}


def _fill(path: Path, identity, instrument=V11, level="bronze", **cover: str) -> Path:
    values = FormValues(
        cover={key: value for key, value in cover.items() if value is not None}, answers=_all(level, instrument)
    )
    return write_form(path.suffix[1:], instrument, identity, path, values)


def _merge(*args) -> tuple[object, dict]:
    result = CliRunner().invoke(cli, ["merge", *map(str, args)], catch_exceptions=False)
    out = Path(args[args.index("--out") + 1])
    data = json.loads((out / "results.json").read_text(encoding="utf-8")) if (out / "results.json").exists() else {}
    return result, data


def _fates(data: dict) -> dict[str, str]:
    return {Path(e["file"]).name: e["fate"] for e in data["manifest"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_copies_of_one_pack_filled_by_different_people_are_all_counted(fmt, tmp_path):
    pack = new_identity(V11, organisation="Delta Care")
    folder = tmp_path / "returns"
    folder.mkdir()
    _fill(folder / f"staff.{fmt}", pack, level="gold", completed_by="Practitioners' team (staff)")
    _fill(folder / f"panel.{fmt}", pack, level="bronze", completed_by="Service-user panel")
    _fill(folder / f"carers.{fmt}", pack, level="silver", completed_by="Carers' group")
    _fill(folder / f"leag.{fmt}", pack, level="silver", completed_by="Lived Experience Advisory Group")
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert set(_fates(data).values()) == {"merged"}
    assert "superseded: 0" in result.output
    (delta,) = data["organisations"]
    assert delta["name"] == "Delta Care"
    assert sorted((r["respondent"], r["role"]) for r in delta["respondents"]) == [
        ("Carers' group", "carer"),
        ("Lived Experience Advisory Group", "lived-experience"),
        ("Practitioners' team (staff)", "staff"),
        ("Service-user panel", "service-user"),
    ]
    assert delta["tier"] == "bronze"  # the lowest of the three: every respondent's answer counts
    assert delta["problems"] == []


def test_the_same_respondent_sending_again_supersedes_and_the_manifest_says_by_which_rule(tmp_path):
    pack = new_identity(V11, organisation="Delta Care")
    folder = tmp_path / "returns"
    folder.mkdir()
    _fill(folder / "first.docx", pack, level="bronze", completed_by="Asha Patel (staff)", date="01/03/2026")
    _fill(folder / "again.docx", pack, level="silver", completed_by="asha patel (Staff)", date="14/03/2026")
    _fill(folder / "panel.xlsx", pack, level="silver", completed_by="Service-user panel", date="02/03/2026")
    (folder / "copy-of-panel.xlsx").write_bytes((folder / "panel.xlsx").read_bytes())
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    entries = {Path(e["file"]).name: e for e in data["manifest"]}
    assert entries["first.docx"]["fate"] == "superseded"
    assert entries["first.docx"]["reason"] == "the same respondent (Asha Patel (staff)) sent the same form again later"
    assert Path(entries["first.docx"]["superseded_by"]).name == "again.docx"
    copies = [entries["panel.xlsx"], entries["copy-of-panel.xlsx"]]
    assert sorted(e["fate"] for e in copies) == ["merged", "superseded"]
    assert {e["reason"] for e in copies} == {None, "an identical copy of another file"}
    assert "the same respondent (Asha Patel (staff)) sent the same form again later" in result.output
    (delta,) = data["organisations"]
    assert len(delta["respondents"]) == 2
    assert delta["tier"] == "silver"


def test_two_copies_of_one_form_without_a_name_are_both_kept_and_the_doubt_is_said(tmp_path):
    pack = new_identity(V11, organisation="Delta Care")
    folder = tmp_path / "returns"
    folder.mkdir()
    _fill(folder / "a.docx", pack, level="bronze")
    _fill(folder / "b.pdf", pack, level="gold")
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    (delta,) = data["organisations"]
    assert len(delta["respondents"]) == 2
    (problem,) = delta["problems"]
    assert "a.docx" in problem and "b.pdf" in problem
    assert "give no 'Completed by': both are counted" in problem
    assert "give no 'Completed by': both are counted" in result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_generic_form_filled_by_several_organisations_gives_each_its_result(fmt, tmp_path):
    generic = new_identity(V11)  # `coproduce generate` without --organisation: one form id for all
    folder = tmp_path / "returns"
    folder.mkdir()
    for n, (name, who) in enumerate([("Alpha Trust", "Manager"), ("Beta Homes", "Manager"), ("Gamma CIC", "Staff")]):
        _fill(folder / f"return-{n}.{fmt}", generic, organisation=name, completed_by=who)
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert set(_fates(data).values()) == {"merged"}
    assert [o["name"] for o in data["organisations"]] == ["Alpha Trust", "Beta Homes", "Gamma CIC"]
    assert "Organisations: 3" in result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_pack_typed_over_with_another_organisations_name_is_counted_under_the_cover_and_reported(fmt, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    _fill(folder / f"delta.{fmt}", new_identity(V11, organisation="Delta Care"), completed_by="Delta staff")
    _fill(
        folder / f"epsilon.{fmt}",
        new_identity(V11, organisation="Delta Care"),
        organisation="Epsilon Services",
        completed_by="Epsilon staff",
    )
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert [o["name"] for o in data["organisations"]] == ["Delta Care", "Epsilon Services"]
    epsilon = data["organisations"][1]
    (problem,) = epsilon["problems"]
    assert "made for 'Delta Care' but its cover says 'Epsilon Services'" in problem
    assert "counted under 'Epsilon Services'" in problem
    assert "made for 'Delta Care' but its cover says 'Epsilon Services'" in result.output
    entry = next(e for e in data["manifest"] if e["file"].endswith(f"epsilon.{fmt}"))
    assert entry["organisation"] == "Epsilon Services"
    # `read` names the same organisation and says the same
    read = CliRunner().invoke(cli, ["read", str(folder / f"epsilon.{fmt}"), "--json"], catch_exceptions=False)
    (returned,) = json.loads(read.stdout) if read.stdout.lstrip().startswith("[") else [json.loads(read.stdout)]
    assert returned["organisation"] == "Epsilon Services"
    assert any("made for 'Delta Care' but its cover says 'Epsilon Services'" in p for p in returned["problems"])


def test_a_cover_naming_the_pack_organisation_another_way_is_no_conflict():
    assert same_organisation("Hillview Carers Network", "Hillview CN (north team)")
    assert same_organisation("Delta Care", "The Delta Care Ltd.")
    assert same_organisation("Smith & Sons Care", "smith and sons care")
    assert not same_organisation("Delta Care", "Epsilon Services")
    assert not same_organisation("Community Care", "Family Care")


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_review_rounds_of_one_organisation_are_two_results(fmt, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    last = new_identity(V11, organisation="Delta Care")
    this = new_identity(V11, organisation="Delta Care")
    _fill(folder / f"last-staff.{fmt}", last, level="bronze", completed_by="Staff", review_period="2024/25")
    _fill(
        folder / f"last-panel.{fmt}",
        last,
        level="bronze",
        completed_by="Panel",
        review_period="April 2024 - March 2025",
    )
    _fill(folder / f"this-staff.{fmt}", this, level="gold", completed_by="Staff", review_period="2025-26")
    _fill(folder / f"this-panel.{fmt}", this, level="gold", completed_by="Panel", review_period="2025/2026")
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    rounds = [
        (o["name"], o["round"], o["tier"], len(o["respondents"]), o["disagreements"]) for o in data["organisations"]
    ]
    assert rounds == [("Delta Care", "2024-25", "bronze", 2, 0), ("Delta Care", "2025-26", "gold", 2, 0)]
    assert "2024-25" in result.output and "2025-26" in result.output


def test_a_return_without_a_review_period_joins_the_only_round_and_stays_apart_from_two(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    pack = new_identity(V11, organisation="Delta Care")
    _fill(folder / "staff.docx", pack, completed_by="Staff", review_period="2025-26")
    _fill(folder / "panel.docx", pack, completed_by="Panel")
    _, data = _merge(folder, "--out", tmp_path / "one")
    (delta,) = data["organisations"]
    assert (delta["round"], len(delta["respondents"])) == ("2025-26", 2)

    _fill(folder / "last.docx", pack, completed_by="Staff", review_period="2024-25")
    result, data = _merge(folder, "--out", tmp_path / "two")
    assert result.exit_code == 0, result.output
    assert [(o["round"], len(o["respondents"])) for o in data["organisations"]] == [
        (None, 1),
        ("2024-25", 1),
        ("2025-26", 1),
    ]
    (problem,) = data["organisations"][0]["problems"]
    assert "panel.docx: gives no review period, and Delta Care has returns for 2024-25 and 2025-26" in problem


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_charter_projects_of_one_organisation_are_two_results(fmt, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    pack = new_identity(CHARTER, organisation="Delta Care")
    common = {"completed_by": "Joint group", "review_period": "2025-26"}
    _fill(folder / f"peer.{fmt}", pack, CHARTER, "met", work_assessed="Peer support project", **common)
    _fill(folder / f"housing.{fmt}", pack, CHARTER, "not-met", work_assessed="Housing advice review", **common)
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert set(_fates(data).values()) == {"merged"}
    projects = [(o["project"], o["tier"]) for o in data["organisations"]]
    assert projects == [("Housing advice review", "not-met"), ("Peer support project", "met")]


def test_returns_without_a_review_period_dated_a_year_apart_are_flagged(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    pack = new_identity(V11, organisation="Delta Care")
    _fill(folder / "old.docx", pack, completed_by="Staff", date="01/03/2025")
    _fill(folder / "new.xlsx", pack, completed_by="Panel", date="14/03/2026")
    result, data = _merge(folder, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    (delta,) = data["organisations"]
    (problem,) = delta["problems"]
    assert "dated 2025-03-01 to 2026-03-14" in problem
    assert "write the review period on their covers" in problem
