"""Odd files (issue 14): names that are not UTF-8, links, pipes and sockets, big comments, parts
too big to read, organisation names too long for a form — each through the command line, none
sinking the batch or ending in a traceback."""

import json
import os
import random
import shutil
import socket
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator import resolve_instrument
from generator.cli import cli
from generator.demo import SAMPLE, sample_values, write_sample_returns
from generator.forms import write_form
from generator.forms.identity import new_identity
from generator.forms.packs import MAX_ORGANISATION_CHARACTERS

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="links, pipes and byte names as POSIX has them")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(resolve_instrument(), folder)
    return folder


def _invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


def _manifest(out: Path) -> dict[str, dict]:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert sum(data["counts"][fate] for fate in ("merged", "superseded", "rejected", "skipped")) == len(
        data["manifest"]
    )
    return {entry["file"]: entry for entry in data["manifest"]}


def _return_with_comment(folder: Path, comment: str, name: str = "big.docx") -> Path:
    instrument = resolve_instrument()
    values = sample_values(instrument, SAMPLE[0], random.Random(1), {i.id: 1 for i in instrument.indicators})
    values.comments["1.1"] = comment
    identity = new_identity(instrument, "Big Comment Trust", form_id="big-comment")
    return write_form("docx", instrument, identity, folder / name, values)


def _random_text(characters: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz     .,\n") -> str:
    rng = random.Random(5)  # letters at random: a zip holds them without looking like a bomb
    return "".join(rng.choices(alphabet, k=characters))


@posix_only
def test_a_name_that_is_not_utf8_is_kept_and_shown_escaped(sample, tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    source = next(sample.glob("*.docx"))
    try:
        Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9-return.docx")).write_bytes(source.read_bytes())
    except OSError:
        pytest.skip("this file system takes only UTF-8 names")
    out = tmp_path / "out"
    result = _invoke("merge", folder, "--out", out)
    assert result.exit_code == 0, result.output
    shown = f"{folder}/caf\\xe9-return.docx"
    assert _manifest(out)[shown]["fate"] == "merged"
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["organisations"][0]["respondents"][0]["file"] == shown
    sheet = openpyxl.load_workbook(out / "consolidated.xlsx", read_only=True)["Manifest"]
    assert shown in [row[0] for row in sheet.iter_rows(min_row=6, values_only=True)]


@posix_only
def test_every_entry_of_a_folder_is_in_the_manifest_and_none_is_opened(sample, tmp_path):
    folder = tmp_path / "returns"
    shutil.copytree(sample, folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(next(sample.glob("*.xlsx")), elsewhere / "shared-drive.xlsx")
    os.symlink("nowhere.docx", folder / "dangling.docx")
    os.symlink("loop-b", folder / "loop-a")
    os.symlink("loop-a", folder / "loop-b")
    os.symlink(".", folder / "this-folder")  # a link back up: followed once, never round and round
    os.symlink(elsewhere, folder / "linked-folder")  # a link to a folder elsewhere: searched
    first = sorted(p.name for p in sample.glob("*.docx") if "damaged" not in p.name)[0]
    os.symlink(first, folder / "link-to-a-return.docx")
    os.mkfifo(folder / "pipe.docx")  # opened, it would wait for a writer forever
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "socket.docx"))
    except OSError:  # a path too long for a socket's address
        sock.close()
        sock = None
    out = tmp_path / "out"
    try:
        result = _invoke("merge", folder, "--out", out)
    finally:
        if sock is not None:
            sock.close()
    assert result.exit_code == 1  # the damaged sample return, the dangling link and the loop are rejected
    manifest = _manifest(out)

    def fate(name: str) -> tuple[str, str]:
        entry = manifest[str(folder / name)]
        return entry["fate"], entry["reason"]

    assert fate("dangling.docx") == ("rejected", "a link to something that does not exist")
    assert fate("loop-a")[0] == fate("loop-b")[0] == "rejected"
    assert "a loop of links" in fate("loop-a")[1]
    assert fate("pipe.docx") == ("skipped", "not a file (a named pipe): it was not opened")
    if sock is not None:
        assert fate("socket.docx") == ("skipped", "not a file (a socket): it was not opened")
    assert fate("this-folder") == ("skipped", f"a link to a folder already searched ({folder}), not followed again")
    assert fate("linked-folder/shared-drive.xlsx")[0] in ("merged", "superseded")
    assert fate("link-to-a-return.docx") == (
        "skipped",
        f"the same file as {folder / first} (a link to it), listed once",
    )
    assert manifest[str(folder / first)]["fate"] in ("merged", "superseded")
    summary = result.stdout
    assert f"{folder / 'dangling.docx'}: a link to something that does not exist" in summary


def test_a_5_mb_comment_merges_in_seconds_and_its_split_is_said(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    comment = _random_text(5 * 1024 * 1024)
    _return_with_comment(folder, comment)
    out = tmp_path / "out"
    started = time.monotonic()
    result = _invoke("merge", folder, "--out", out)
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert took < 20, f"a 5 MB comment took {took:.1f} s to merge (77 s before it was made linear)"
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    (first,) = [i for i in data["organisations"][0]["indicators"] if i["id"] == "1.1"]
    assert len(first["answers"][0]["comment"]) == len(comment)
    book = openpyxl.load_workbook(out / "consolidated.xlsx", read_only=True)
    changes = [row for row in book["Text changes"].iter_rows(min_row=2, values_only=True)]
    # the comment is whole, over 161 rows, and the workbook says where
    assert any(r[0] == "Comments" and "5,242,880 characters" in r[2] and "split over 161 rows" in r[2] for r in changes)


def test_a_part_too_big_to_read_is_called_too_big_not_damaged(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    path = _return_with_comment(folder, _random_text(10_100_000, "abcdefghijklmnopqrstuvwxyz .,"))
    result = _invoke("read", path)
    assert result.exit_code == 1
    message = result.stderr.splitlines()[0]
    assert message.startswith(f"Error: {path}: is too big to read, not damaged: it holds a text of more than ")
    assert "10,000,000 characters in one piece (in word/document.xml)" in message
    assert "saving it again will not help" in message
    assert "damaged." not in message


def test_an_organisation_name_too_long_for_a_form_stops_generate_before_any_pack(tmp_path):
    recipients = tmp_path / "orgs.csv"
    long_name = "The " + "Very " * 50 + "Long Name Trust"
    recipients.write_text(
        f"organisation,contact,email\nShort Trust,Ann,ann@example.org\n{long_name},Bob,bob@example.org\n",
        encoding="utf-8",
    )
    out = tmp_path / "packs"
    result = _invoke("generate", "--recipients", recipients, "--out", out)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: {recipients}: row 3: the organisation name is {len(long_name)} characters long; a form holds at "
        f"most {MAX_ORGANISATION_CHARACTERS} (its title and properties carry it): shorten it, e.g. without its "
        "strapline — no pack was written"
    )
    assert not out.exists()
    result = _invoke("generate", "--organisation", long_name, "--out", out)
    assert result.exit_code == 1
    assert "the organisation name is" in result.output and "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("instrument", ["coproduction-v1.1", "charter-appendix-d"])
def test_the_longest_organisation_name_allowed_makes_every_format(tmp_path, instrument):
    name = ("Northgate Community Housing and Care Partnership " * 4)[:MAX_ORGANISATION_CHARACTERS]
    result = _invoke("generate", "--instrument", instrument, "--organisation", name, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".docx", ".pdf", ".xlsx"]
    read = _invoke("read", *sorted(tmp_path.iterdir()), "--json")
    assert read.exit_code == 0, read.output
    assert {json.loads(line)["organisation"] for line in read.stdout.splitlines()} == {name.strip()}


@posix_only
def test_read_never_opens_a_named_pipe(tmp_path):
    pipe = tmp_path / "pipe.docx"
    os.mkfifo(pipe)
    started = time.monotonic()
    result = _invoke("read", pipe)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"Error: {pipe}: is not a file (a named pipe, a socket or a device): it was not opened"
    )
    assert time.monotonic() - started < 10
