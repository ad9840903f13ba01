"""--time-limit and --max-file-size on `read`, `merge` and `run`, and `read` reading each file
in a worker process as merge does: a file made to hang a reader cannot hang `read`."""

import dataclasses
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import find_instruments, resolve_instrument
from generator.cli import cli
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.merge import merge_returns
from generator.model.results import Counts, to_data
from generator.returns import guards
from generator.returns import read as read_module
from generator.returns.batch import iter_read, read_files
from generator.scoring.rules import load_rules

V11 = resolve_instrument()
INSTRUMENTS = find_instruments().instruments
FORK = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="the stand-in reader reaches forked workers"
)
TOOK_MORE = (
    "took more than {} s to read, so reading it was stopped: it may be damaged or made to hang a reader; "
    "open it and save it again, or enter its answers by hand"
)


def hanging_pdf_reader(data: bytes, file: str, instruments, limits=None):
    """Stands in for the PDF reader (in the worker processes): a file named hang* never finishes."""
    if Path(file).name.startswith("hang"):
        time.sleep(600)
    from generator.returns.pdf_return import read_pdf_return

    return read_pdf_return(data, file, instruments)


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    write_form("pdf", V11, new_identity(V11, "Riverside"), folder / "good.pdf", FormValues(answers={"1.1": "gold"}))
    write_form(
        "docx", V11, new_identity(V11, "Northgate"), folder / "other.docx", FormValues(answers={"1.2": "silver"})
    )
    (folder / "hang.pdf").write_bytes((folder / "good.pdf").read_bytes())
    (folder / "big.pdf").write_bytes((folder / "good.pdf").read_bytes() + b"%pad\n" * 450_000)  # 2.2 MB
    return folder


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@FORK
def test_read_goes_through_the_workers_so_a_hanging_file_cannot_hang_it(forms, monkeypatch):
    monkeypatch.setitem(read_module._READERS, "pdf", (__name__, "hanging_pdf_reader"))
    start = time.perf_counter()
    result = _invoke("read", forms / "hang.pdf", forms / "good.pdf", forms / "other.docx", "--json", "--time-limit", 2)
    assert time.perf_counter() - start < 2 + 5
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {forms / 'hang.pdf'}: {TOOK_MORE.format(2)}",
        "1 of 3 file(s) could not be read.",
    ]
    read = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in read] == [str(forms / "good.pdf"), str(forms / "other.docx")]  # in argument order
    assert read[0]["responses"][0]["achieved"] == "gold"


def test_read_keeps_its_text_and_csv_output(forms):
    text = _invoke("read", forms / "good.pdf", forms / "other.docx")
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[0] == str(forms / "good.pdf")
    assert "1 of 36 answered" in text.stdout
    csv = _invoke("read", forms / "good.pdf", forms / "other.docx", "--csv")
    assert csv.exit_code == 0
    assert len(csv.stdout.splitlines()) == 1 + 2 * 36


def test_read_reports_a_folder_and_a_missing_file_as_before(forms, tmp_path):
    result = _invoke("read", tmp_path, tmp_path / "nope.pdf", forms / "good.pdf", "--json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {tmp_path}: cannot be opened (it is a folder)",
        f"Error: {tmp_path / 'nope.pdf'}: cannot be opened (no such file or directory)",
        "2 of 3 file(s) could not be read.",
    ]
    assert len(result.stdout.splitlines()) == 1


def test_a_tiny_time_limit_stops_each_file_and_the_batch_goes_on(forms, tmp_path):
    result = _invoke("read", forms / "good.pdf", forms / "other.docx", "--time-limit", "0.001")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {forms / 'good.pdf'}: {TOOK_MORE.format(0.001)}",
        f"Error: {forms / 'other.docx'}: {TOOK_MORE.format(0.001)}",
        "2 of 2 file(s) could not be read.",
    ]
    folder = tmp_path / "returns"
    folder.mkdir()
    for name in ("good.pdf", "other.docx"):
        (folder / name).write_bytes((forms / name).read_bytes())
    out = tmp_path / "out"
    result = _invoke("merge", folder, "--out", out, "--time-limit", "0.001")
    assert result.exit_code == 1
    # none could be read: nothing to merge, so nothing is written (issue 14)
    assert result.output.splitlines()[-1] == (
        f"Error: none of the 2 forms in {folder} could be read ({folder / 'good.pdf'}: {TOOK_MORE.format(0.001)}; "
        f"{folder / 'other.docx'}: {TOOK_MORE.format(0.001)}) — nothing was written"
    )
    assert not out.exists()


def test_a_tiny_size_limit_refuses_a_file_by_name(forms, tmp_path):
    result = _invoke("read", forms / "big.pdf", forms / "good.pdf", "--json", "--max-file-size", 1)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {forms / 'big.pdf'}: is 2 MB; a returned form is at most 1 MB",
        "1 of 2 file(s) could not be read.",
    ]
    assert [json.loads(line)["file"] for line in result.stdout.splitlines()] == [str(forms / "good.pdf")]
    assert "a returned form is at most" not in _invoke("read", forms / "big.pdf").output  # the default is 50 MB

    out = tmp_path / "out"
    result = _invoke("run", forms, "--out", out, "--max-file-size", 1)
    assert result.exit_code == 1
    manifest = {Path(e["file"]).name: e for e in json.loads((out / "results.json").read_text())["manifest"]}
    assert manifest["big.pdf"]["fate"] == "rejected"
    assert manifest["big.pdf"]["reason"] == "is 2 MB; a returned form is at most 1 MB"
    assert manifest["other.docx"]["fate"] == "merged"


def test_the_options_are_documented_with_their_defaults():
    for command in ("read", "merge", "run"):
        result = _invoke(command, "--help")
        assert result.exit_code == 0
        text = " ".join(result.stdout.split())
        assert "--time-limit SECONDS" in text and "[default: 60]" in text
        assert "--max-file-size MB" in text and "[default: 50]" in text


def test_bad_option_values_are_usage_errors(forms):
    for option, value in (("--time-limit", "0"), ("--time-limit", "-1"), ("--max-file-size", "0")):
        result = _invoke("read", forms / "good.pdf", option, value)
        assert result.exit_code == 2
        assert f"Invalid value for '{option}'" in result.output


def test_limits_reach_the_workers_without_changing_the_parents(forms):
    before = guards.LIMITS
    limits = dataclasses.replace(guards.LIMITS, file_bytes=1 * guards.MiB)
    outcomes = read_files([forms / "big.pdf", forms / "good.pdf"], INSTRUMENTS, limits=limits)
    assert str(outcomes[0].failure) == f"{forms / 'big.pdf'}: is 2 MB; a returned form is at most 1 MB"
    assert outcomes[1].result.responses[0].achieved == "gold"
    assert guards.LIMITS is before


@FORK
def test_files_queued_behind_a_hanging_one_are_read_by_another_worker(forms, tmp_path, monkeypatch):
    """A worker holds a few files at a time: those behind a file that hangs are not lost
    with it, and each file's time runs from when its worker starts on it."""
    monkeypatch.setitem(read_module._READERS, "pdf", (__name__, "hanging_pdf_reader"))
    monkeypatch.setattr(os, "cpu_count", lambda: 1)  # one worker: the hang holds up the files it was given
    files = [forms / "hang.pdf", *([forms / "good.pdf", forms / "other.docx"] * 3)]
    limits = dataclasses.replace(guards.LIMITS, read_seconds=1.5)
    ticks = []
    start = time.perf_counter()
    seen = list(iter_read(files, INSTRUMENTS, lambda: ticks.append(1), limits))
    assert time.perf_counter() - start < 1.5 + 5
    assert [outcome.path for outcome in seen] == files  # in order, every file once
    assert len(ticks) == len(files)
    assert str(seen[0].failure) == f"{forms / 'hang.pdf'}: {TOOK_MORE.format(1.5)}"
    assert all(outcome.failure is None and outcome.result is not None for outcome in seen[1:])


@FORK
def test_merge_with_one_hanging_file_among_many(forms, tmp_path, monkeypatch):
    monkeypatch.setitem(read_module._READERS, "pdf", (__name__, "hanging_pdf_reader"))
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "hang.pdf").write_bytes((forms / "hang.pdf").read_bytes())
    for n in range(12):
        write_form(
            "xlsx",
            V11,
            new_identity(V11, f"Org {n}"),
            folder / f"org-{n:02d}.xlsx",
            FormValues(answers={"1.1": "gold"}),
        )
    limits = dataclasses.replace(guards.LIMITS, read_seconds=1.5)
    merged = merge_returns([folder], INSTRUMENTS, load_rules(), limits=limits)
    counts = to_data(Counts.of(merged.manifest))
    assert counts == {"found": 13, "merged": 12, "superseded": 0, "rejected": 1, "skipped": 0}
    assert [e.file for e in merged.manifest] == sorted(str(p) for p in folder.iterdir())
