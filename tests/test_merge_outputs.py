"""`coproduce merge` killed midway (SIGKILL) over the outputs of an earlier run: each output is
either the earlier one, byte for byte, or a complete new one; never half a file under an
output name.  Re-running gives the same results.json, and inputs are never modified."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import resolve_instrument
from generator.atomic import LOCK_NAME, STAGING_PREFIX
from generator.cli import cli
from generator.demo import write_sample_returns
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.pipeline import unmatched_pair

V11 = resolve_instrument()
OUTPUTS = ("results.json", "consolidated.xlsx")
#: written beside the pair when there are answers to check (the earlier batch has some, the later none)
DECISIONS = "decisions.xlsx"
LINUX = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="watches processes through /proc")


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _merge_cli(inputs: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "merge", str(inputs), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """An earlier batch and its outputs, a bigger batch (distinct forms, then many copies that
    take time to read), and the complete outputs of the bigger batch, for comparison."""
    root = tmp_path_factory.mktemp("kill")
    earlier = root / "earlier"
    write_sample_returns(V11, earlier)
    batch = root / "batch"
    for n in range(24):
        fmt = ("docx", "xlsx")[n % 2]
        values = FormValues(answers={"1.1": ("bronze", "silver", "gold")[n % 3]}, cover={"respondent": f"Panel {n}"})
        write_form(fmt, V11, new_identity(V11, f"Organisation {n // 2}"), batch / f"return-{n:02d}.{fmt}", values)
    (batch / "copies").mkdir()
    for n in range(240):  # identical copies: superseded, but read all the same
        source = batch / f"return-{n % 24:02d}.{('docx', 'xlsx')[n % 2]}"
        shutil.copy(source, batch / "copies" / f"copy-{n:03d}{source.suffix}")
    for folder, inputs in (("old", earlier), ("new", batch)):
        assert subprocess.run(
            [sys.executable, "-m", "generator", "merge", str(inputs), "--out", str(root / folder)], capture_output=True
        ).returncode in (0, 1)
    return {"root": root, "earlier": earlier, "batch": batch, "old": root / "old", "new": root / "new"}


def _check_outputs(out: Path, runs: dict[str, Path]) -> dict[str, str]:
    """Each output is the earlier one or the complete new one; nothing else under a visible name."""
    state = {}
    for name in OUTPUTS:
        data = (out / name).read_bytes()
        if data == (runs["old"] / name).read_bytes():
            state[name] = "old"
        else:
            assert data == (runs["new"] / name).read_bytes(), (
                f"{name} is neither the earlier file nor a complete new one"
            )
            state[name] = "new"

    def decisions(folder: Path) -> bytes | None:
        return (folder / DECISIONS).read_bytes() if (folder / DECISIONS).exists() else None

    assert decisions(out) in (decisions(runs["old"]), decisions(runs["new"])), f"{DECISIONS}: neither old nor new"
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and p.name != DECISIONS)
    assert visible == sorted(OUTPUTS)
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]  # what the killed run left
    assert all(
        name == LOCK_NAME
        or name.startswith(STAGING_PREFIX)
        or (name.endswith(".tmp") and name[1:].startswith((*OUTPUTS, DECISIONS)))
        for name in leftovers
    ), leftovers
    json.loads((out / "results.json").read_text(encoding="utf-8"))
    return state


def _kill_when(runs: dict[str, Path], out: Path, ready) -> tuple[bool, list[int]]:
    """Run merge over the batch into ``out`` (holding the earlier outputs) and SIGKILL it as
    soon as ``ready(process, out)`` is true; (whether it was killed, its workers)."""
    shutil.copytree(runs["old"], out)
    process = _merge_cli(runs["batch"], out)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            workers = _children(process.pid) or workers
            if ready(process, out):
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True, workers
            time.sleep(0.002)
        return False, workers
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@LINUX
def test_killed_while_reading_leaves_the_earlier_outputs_and_stops_its_workers(runs, tmp_path):
    inputs = _digests(runs["batch"])
    started = {}

    def reading(process, out):  # its workers are up and have had a moment: it is reading
        if _children(process.pid):
            started.setdefault("at", time.monotonic())
        return "at" in started and time.monotonic() - started["at"] > 0.3 and bool(_children(process.pid))

    killed, workers = _kill_when(runs, tmp_path / "out", reading)
    assert killed, "merge finished before it could be killed while reading"
    assert workers
    assert _check_outputs(tmp_path / "out", runs) == {"results.json": "old", "consolidated.xlsx": "old"}
    deadline = time.monotonic() + 30
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers), "the workers of a killed merge went on running"
    assert _digests(runs["batch"]) == inputs


@LINUX
def test_killed_while_writing_leaves_each_output_old_or_complete(runs, tmp_path):
    inputs = _digests(runs["batch"])

    def writing(process, out):  # something in the folder the outputs are written in before they are moved out
        try:
            return any(p.name.startswith(STAGING_PREFIX) and any(p.iterdir()) for p in out.iterdir())
        except FileNotFoundError:  # the staging folder went as it was looked at
            return False

    for attempt in range(3):
        out = tmp_path / f"out-{attempt}"
        killed, _ = _kill_when(runs, out, writing)
        state = _check_outputs(out, runs)
        if killed:
            break
    assert killed, "merge finished before it could be killed while writing"
    # each old or new, whole either way; the two from different runs only if killed between the two
    # moves, and then their run ids say so
    assert (state["results.json"] != state["consolidated.xlsx"]) == (unmatched_pair(out) is not None)
    assert _digests(runs["batch"]) == inputs

    # the next run over the same folder puts complete outputs in place and removes the leftovers
    assert (
        subprocess.run([sys.executable, "-m", "generator", "merge", str(runs["batch"]), "--out", str(out)]).returncode
        == 0
    )
    assert _check_outputs(out, runs) == {"results.json": "new", "consolidated.xlsx": "new"}
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_merging_again_into_the_same_folder_gives_the_same_results_and_leaves_inputs_alone(tmp_path):
    inputs = tmp_path / "returns"
    write_sample_returns(V11, inputs)
    out = inputs / "output"  # the output folder among the inputs: never read as one
    before = _digests(inputs)
    first = CliRunner().invoke(cli, ["merge", str(inputs), "--out", str(out)], catch_exceptions=False)
    assert first.exit_code == 1  # the sample's damaged file
    results = (out / "results.json").read_bytes()
    workbook = (out / "consolidated.xlsx").read_bytes()
    second = CliRunner().invoke(cli, ["merge", str(inputs), "--out", str(out)], catch_exceptions=False)
    assert second.exit_code == 1
    assert second.stdout == first.stdout
    assert (out / "results.json").read_bytes() == results
    assert (out / "consolidated.xlsx").read_bytes() == workbook
    assert {k: v for k, v in _digests(inputs).items() if not k.startswith("output")} == before
    # no temporary left by a finished run (decisions.xlsx: the batch has answers to check)
    assert sorted(p.name for p in out.iterdir()) == sorted((*OUTPUTS, DECISIONS))


@LINUX
def test_ctrl_c_while_reading_stops_merge_and_its_workers_and_writes_nothing(runs, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(runs["old"], out)
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "merge", str(runs["batch"]), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (workers := _children(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert workers, "merge started no workers"
        time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
        _, errors = process.communicate(timeout=10)
        assert process.returncode != 0
        assert "Aborted" in errors.decode()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers)
    assert _check_outputs(out, runs) == {"results.json": "old", "consolidated.xlsx": "old"}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # an interrupted run cleans up after itself
