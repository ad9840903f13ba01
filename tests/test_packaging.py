"""The wheel carries the standards data: a plain (non-editable) install must find it."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (in the test extra)")
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "coproduce"
    # build from a copy so no build artefacts land in the checkout
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "output", "__pycache__", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("coproduce-*.whl")
    return built


def test_wheel_contains_the_standards(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "generator/standards/coproduction-v1.1.yaml" in names
    assert "generator/standards/charter-appendix-d.yaml" in names
    assert "generator/standards/scoring.yaml" in names
    assert "generator/standards/plain-words.yaml" in names
    templates = {
        "action-plan.docx",
        "partnership-plan.docx",
        "action-plan-statements.docx",
        "partnership-plan-statements.docx",
        "you-said-we-did.docx",
        "you-said-we-did-easy-read.docx",
    }
    assert {f"generator/templates/{name}" for name in templates} <= set(names)
    assert {"generator/web/templates/base.html", "generator/web/static/style.css"} <= set(names)  # serve's pages
    assert "generator/fonts/DejaVuSans.ttf" in names
    assert "generator/cli.py" in names
    assert not any(name.startswith("tests/") for name in names)


def test_installed_wheel_lists_both_instruments_from_its_packaged_data(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("COPRODUCE_STANDARDS", None)
    result = subprocess.run(
        [sys.executable, "-m", "generator", "instruments"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert set(rows) == {"charter-appendix-d", "coproduction-v1.1"}
    assert rows["coproduction-v1.1"].split()[6:8] == ["10", "36"]
    assert all(str(site / "generator" / "standards") in row for row in rows.values())


def test_installed_wheel_finds_its_templates(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from generator.plans.documents import default_template; print(default_template('organisation'))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(site / "generator" / "templates" / "action-plan.docx")
