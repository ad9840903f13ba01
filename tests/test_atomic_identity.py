"""Atomic writes, byte-stable zips and form identities."""

import zipfile
from datetime import datetime, timezone

import pytest

from generator import resolve_instrument
from generator.atomic import restamp_zip, write_atomically
from generator.forms.identity import PROPERTY_FORM_ID, PROPERTY_ORGANISATION, creation_time, new_identity


def test_atomic_write_moves_a_complete_file_into_place(tmp_path):
    target = tmp_path / "deep" / "er" / "out.txt"
    assert write_atomically(target, lambda tmp: tmp.write_text("whole")) == target
    assert target.read_text() == "whole"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def half_then_fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, half_then_fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_restamp_zip_gives_identical_bytes(tmp_path):
    when = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)
    paths = []
    for name in ("a.zip", "b.zip"):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as archive:  # entries stamped with "now"
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document/>" * 50)
        restamp_zip(path, when)
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as archive:
        assert [i.filename for i in archive.infolist()] == ["[Content_Types].xml", "word/document.xml"]
        assert {i.date_time for i in archive.infolist()} == {(2026, 3, 14, 9, 30, 0)}
        assert archive.read("word/document.xml") == b"<w:document/>" * 50


def test_identity(monkeypatch):
    v11 = resolve_instrument()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert creation_time() == datetime(2026, 1, 1, tzinfo=timezone.utc)
    blank = new_identity(v11)
    assert (blank.instrument_id, blank.instrument_version) == ("coproduction-v1.1", "1.1")
    assert len(blank.form_id) == 32 and blank.form_id != new_identity(v11).form_id
    assert PROPERTY_ORGANISATION not in blank.as_properties()
    personal = new_identity(v11, organisation="Riverside", form_id="fixed")
    assert personal.as_properties()[PROPERTY_FORM_ID] == "fixed"
    assert personal.as_properties()[PROPERTY_ORGANISATION] == "Riverside"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert abs((creation_time() - datetime.now(tz=timezone.utc)).total_seconds()) < 5
