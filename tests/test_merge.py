"""Merging a folder of mixed returns: every file accounted for, superseded forms, grouping."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from scored import scored_data

from generator import find_instruments, resolve_instrument
from generator import merge as merge_module
from generator.demo import write_sample_returns
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.merge import merge_returns
from generator.model.results import Counts, to_data
from generator.returns.model import Return
from generator.returns.read import read_return
from generator.scoring.rules import load_rules

V11 = resolve_instrument()
INSTRUMENTS = find_instruments().instruments
RULES = load_rules()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(V11, folder)
    return folder


def _copy(sample: Path, tmp_path: Path) -> Path:
    target = tmp_path / "returns"
    shutil.copytree(sample, target)
    return target


def _digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_file_is_accounted_for(sample):
    before = _digests(sample)
    merged = merge_returns([sample], INSTRUMENTS, RULES)
    fates = {Path(e.file).name: e.fate for e in merged.manifest}
    assert fates == {
        "damaged-return.docx": "rejected",
        "notes.txt": "skipped",
        "riverside-community-trust-1.docx": "superseded",
        "riverside-community-trust-1-v2.docx": "merged",
        "riverside-community-trust-2.pdf": "merged",
        "riverside-community-trust-3.xlsx": "merged",
        "hillview-carers-network-4.xlsx": "merged",
        "hillview-carers-network-5.pdf": "merged",
        "northgate-housing-association-6.docx": "merged",
        "northgate-housing-association-7.docx": "merged",
    }
    counts = to_data(Counts.of(merged.manifest))
    assert counts == {"found": 10, "merged": 7, "superseded": 1, "rejected": 1, "skipped": 1}
    assert counts["found"] == sum(v for k, v in counts.items() if k != "found") == len(list(sample.rglob("*.*")))
    rejected = next(e for e in merged.manifest if e.fate == "rejected")
    assert rejected.reason.startswith("is damaged or incomplete")
    superseded = next(e for e in merged.manifest if e.fate == "superseded")
    assert superseded.superseded_by.endswith("resent/riverside-community-trust-1-v2.docx")
    assert all(e.sha256 and len(e.sha256) == 64 for e in merged.manifest if e.fate != "skipped")
    assert [(g.name, len(g.respondents)) for g in merged.organisations] == [
        ("Hillview Carers Network", 2),
        ("Northgate Housing Association", 2),
        ("Riverside Community Trust", 3),
    ]
    assert _digests(sample) == before  # inputs never modified


def test_results_are_the_same_every_time_and_in_parallel(sample, monkeypatch):
    first = json.dumps(scored_data(merge_returns([sample], INSTRUMENTS, RULES), INSTRUMENTS, RULES))
    monkeypatch.setattr(merge_module.os, "cpu_count", lambda: 1)  # read one file at a time
    second = json.dumps(scored_data(merge_returns([sample], INSTRUMENTS, RULES), INSTRUMENTS, RULES))
    assert first == second


def test_identical_copy_and_names_written_differently(sample, tmp_path):
    folder = _copy(sample, tmp_path)
    shutil.copy(folder / "northgate-housing-association-6.docx", folder / "copy-of-northgate.docx")
    values = FormValues(cover={"organisation": "  northgate   HOUSING association "}, answers={"1.1": "gold"})
    write_form("pdf", V11, new_identity(V11), folder / "typed-name.pdf", values)
    write_form("xlsx", V11, new_identity(V11), folder / "no-organisation.xlsx", FormValues(answers={"1.1": "gold"}))
    merged = merge_returns([folder, folder / "missing.pdf"], INSTRUMENTS, RULES)
    fate = {Path(e.file).name: e for e in merged.manifest}
    pair = [fate["copy-of-northgate.docx"], fate["northgate-housing-association-6.docx"]]
    assert sorted(e.fate for e in pair) == ["merged", "superseded"]
    assert [e.reason for e in pair if e.fate == "superseded"] == ["an identical copy of another file"]
    assert fate["missing.pdf"].fate == "rejected" and fate["missing.pdf"].reason == "does not exist"
    northgate = next(g for g in merged.organisations if g.name == "Northgate Housing Association")
    assert len(northgate.respondents) == 3
    assert "typed-name.pdf" in {Path(r.result.file).name for r in northgate.respondents}
    alone = next(g for g in merged.organisations if "no-organisation.xlsx" in g.name)
    assert "gives no organisation" in alone.problems[0]
    counts = to_data(Counts.of(merged.manifest))
    assert counts["found"] == counts["merged"] + counts["superseded"] + counts["rejected"] + counts["skipped"]


def test_output_folder_inside_the_inputs_is_not_read(sample, tmp_path):
    folder = _copy(sample, tmp_path)
    out = folder / "output"
    out.mkdir()
    (out / "consolidated.xlsx").write_bytes(b"PK whatever")
    merged = merge_returns([folder], INSTRUMENTS, RULES, exclude=[out])
    assert not any(Path(e.file).parent == out for e in merged.manifest)
    assert to_data(Counts.of(merged.manifest))["found"] == 10


def test_a_personalised_form_groups_by_its_identity_whatever_is_typed_on_the_cover(sample, tmp_path):
    folder = _copy(sample, tmp_path)
    identity = new_identity(V11, organisation="Hillview Carers Network")
    values = FormValues(cover={"organisation": "Hillview CN (north team)"}, answers={"1.1": "gold"})
    write_form("docx", V11, identity, folder / "hillview-north.docx", values)
    merged = merge_returns([folder], INSTRUMENTS, RULES)
    hillview = next(g for g in merged.organisations if g.name == "Hillview Carers Network")
    assert "hillview-north.docx" in {Path(r.result.file).name for r in hillview.respondents}
    assert len(merged.organisations) == 3


def test_merged_returns_wait_outside_memory_and_come_back_whole(tmp_path):
    """A batch of any size merges in little memory: each return is kept in the merge's
    temporary file until it is scored, and read back as it was read."""
    folder = tmp_path / "returns"
    folder.mkdir()
    values = FormValues(answers={"1.1": "gold", "1.2": "silver"}, comments={"1.2": "Yes, we do\nand more"})
    for n in range(4):
        write_form("xlsx", V11, new_identity(V11, f"Org {n}"), folder / f"org-{n}.xlsx", values)
    merged = merge_returns([folder], INSTRUMENTS, RULES)
    respondents = [g.respondents[0] for g in merged.organisations]
    assert len(respondents) == 4
    assert not any(isinstance(r.stored, Return) for r in respondents)  # none held in memory
    for respondent in respondents:
        result = respondent.result
        assert result.as_data() == read_return(Path(result.file), INSTRUMENTS).as_data()
        assert [result.responses[0].achieved, result.responses[1].comment] == ["gold", "Yes, we do\nand more"]
