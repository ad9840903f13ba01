"""The command line, through Click's CliRunner: exit code first, then the output."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

AUDIT_DIR = Path(__file__).parent / "fixtures" / "standards"


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("COPRODUCE_STANDARDS", raising=False)

    def invoke(*args, env=None):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def test_help_lists_commands(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "instruments" in result.output and "show" in result.output
    assert "COPRODUCE_STANDARDS" in result.output


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.startswith("coproduce, version ")


def test_instruments_lists_v11_with_counts(run):
    result = run("instruments")
    assert result.exit_code == 0
    header, *rows = result.output.splitlines()
    assert header.split()[:6] == ["ID", "TITLE", "VERSION", "LANGUAGE", "SECTIONS", "INDICATORS"]
    assert [row.split()[0] for row in rows] == ["charter-appendix-d", "coproduction-v1.1"]
    row = rows[1]
    assert "Co-Production Quality Standards" in row
    assert row.split()[4:8] == ["1.1", "en", "10", "36"]
    assert rows[0].split()[-5:-1] == ["1.0", "en", "4", "97"]


def test_instruments_json(run):
    result = run("instruments", "--json")
    assert result.exit_code == 0
    entries = {entry["id"]: entry for entry in map(json.loads, result.output.splitlines())}
    assert set(entries) == {"charter-appendix-d", "coproduction-v1.1"}
    assert (entries["coproduction-v1.1"]["sections"], entries["coproduction-v1.1"]["indicators"]) == (10, 36)
    assert (entries["charter-appendix-d"]["sections"], entries["charter-appendix-d"]["indicators"]) == (4, 97)


def test_user_folder_by_option_and_by_environment(run):
    for result in (
        run("--standards", str(AUDIT_DIR), "instruments"),
        run("instruments", env={"COPRODUCE_STANDARDS": str(AUDIT_DIR)}),
    ):
        assert result.exit_code == 0
        rows = {line.split()[0]: line for line in result.output.splitlines()[1:]}
        assert set(rows) == {"charter-appendix-d", "coproduction-v1.1", "venue-audit"}
        assert "Venue Accessibility Audit" in rows["venue-audit"]


def test_broken_user_file_is_reported_and_the_rest_listed(run, tmp_path):
    (tmp_path / "ours.yaml").write_text("id: ours\ntitle: Ours\nversion: 2\n")
    result = run("--standards", str(tmp_path), "instruments")
    assert result.exit_code == 1
    assert "coproduction-v1.1" in result.stdout
    assert "ours.yaml" in result.stderr and "missing key 'scale'" in result.stderr


def test_missing_standards_folder_is_a_usage_error(run, tmp_path):
    result = run("--standards", str(tmp_path / "nope"), "instruments")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_show_default_is_v11_readable(run):
    result = run("show")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("Co-Production Quality Standards\nHow are we doing? V1.1")
    assert "10. Raising Awareness and Training Indicator" in out
    assert "1.1  People report feeling included" in out
    assert "Bronze:" in out and "Gold:" in out
    assert "• Training is being led/co-led by service-users." in out


def test_show_one_section(run):
    result = run("show", "--section", "6")
    assert result.exit_code == 0
    assert "6. Communication, transparency and being heard" in result.output
    assert "5. Accessibility" not in result.output and "7. Contribution" not in result.output


def test_show_unknown_section(run):
    result = run("show", "--section", "11")
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == "Error: coproduction-v1.1 has no section 11; its sections are 1, 2, 3, 4, 5, 6, 7, 8, 9, 10."
    )


def test_show_unknown_instrument(run):
    result = run("show", "nonesuch")
    assert result.exit_code == 1
    assert "There is no instrument 'nonesuch'. Available: charter-appendix-d, coproduction-v1.1." in result.output
    assert "Traceback" not in result.output


def test_show_json_is_the_design_shape(run):
    result = run("show", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["id"] == "coproduction-v1.1"
    assert data["version"] == "1.1"
    assert data["scale"][0] == {"id": "not-yet", "label": "Not yet"}
    assert [lv["id"] for lv in data["scale"]] == ["not-yet", "bronze", "silver", "gold"]
    assert [len(s["indicators"]) for s in data["sections"]] == [5, 4, 4, 2, 5, 3, 3, 3, 4, 3]
    first = data["sections"][0]
    assert set(first) >= {"number", "title", "prompt", "indicators"}
    indicator = first["indicators"][0]
    assert indicator["id"] == "1.1" and indicator["title"] == "People report feeling included"
    assert list(indicator["criteria"]) == ["bronze", "silver", "gold"]
    assert indicator["criteria"]["silver"] == [
        "70-80% of service users agree they feel included during annual satisfaction survey."
    ]


def test_show_json_one_section(run):
    data = json.loads(run("show", "--json", "--section", "8").output)
    assert [s["number"] for s in data["sections"]] == [8]
    assert data["sections"][0]["indicators"][2]["id"] == "8.3"


def test_show_errata_and_apply(run):
    listed = run("show", "--errata")
    assert listed.exit_code == 0
    assert "published: 75%% report satisfaction" in listed.output
    assert "suggested: 75% report satisfaction" in listed.output
    plain = run("show", "--section", "6").output
    corrected = run("show", "--section", "6", "--apply-errata").output
    assert "75%%" in plain and "75%%" not in corrected and "75% report" in corrected


def test_second_instrument_shows_through_the_same_code(run):
    by_id = run("--standards", str(AUDIT_DIR), "show", "venue-audit")
    by_path = run("show", str(AUDIT_DIR / "audit-three-level.yaml"))
    for result in (by_id, by_path):
        assert result.exit_code == 0
        assert "Venue Accessibility Audit" in result.output
        assert "A.1  The venue is on a bus route" in result.output
        assert "Partly met:" in result.output and "Met:" in result.output
    data = json.loads(run("show", str(AUDIT_DIR / "audit-three-level.yaml"), "--json").output)
    assert [lv["id"] for lv in data["scale"]] == ["not-met", "partly-met", "met"]
    assert data["cumulative"] is False


def test_show_broken_file_by_path(run, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(
        "id: x\ntitle: X\nversion: '1'\nscale: {levels: [{id: a, label: A}, {id: b, label: B}]}\n"
        "columns: {indicator: I, answer: A, comments: C}\nsections: []\n"
    )
    result = run("show", str(path))
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {path}, line 6: 'sections' is an empty list"


def test_python_dash_m_generator():
    result = subprocess.run([sys.executable, "-m", "generator", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "Usage: coproduce" in result.stdout
