"""Generating packs: recipients CSVs as spreadsheets save them, safe folder names, and the
`generate` command end to end."""

import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator import load_instrument
from generator.cli import cli
from generator.forms.packs import (
    Recipient,
    RecipientsError,
    generate_pack,
    generate_packs,
    read_recipients,
    slugify,
)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Riverside Community Trust", "riverside-community-trust"),
        ("Café Łódź — Ŵales", "cafe-lodz-wales"),
        ("../../etc/passwd", "etc-passwd"),
        ("C:\\Windows\\System32", "c-windows-system32"),
        ("CON", "con-org"),
        ("   ", "organisation"),
        ("中文", "organisation"),
        ("A" * 200, "a" * 60),
    ],
)
def test_slugify_is_a_safe_name(name, slug):
    assert slugify(name) == slug


def _csv(tmp_path: Path, content: str | bytes, name: str = "orgs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_recipients_plain(tmp_path):
    path = _csv(
        tmp_path,
        "organisation,contact,email,region\n"
        "Riverside Community Trust,Asha Patel,asha@riverside.example,North\n"
        "\n"
        "  Hillview   Carers ,,,South\n",
    )
    assert read_recipients(path) == [
        Recipient("Riverside Community Trust", "Asha Patel", "asha@riverside.example", 2),
        Recipient("Hillview Carers", "", "", 4),
    ]


def test_recipients_as_excel_saves_them(tmp_path):
    # Excel on Windows: BOM or Windows-1252, semicolons in many locales, headers in any case
    bom = _csv(
        tmp_path,
        b"\xef\xbb\xbfOrganisation;Contact Name;E-mail\nCaf\xc3\xa9 \xc5\x81\xc3\xb3d\xc5\xba;Jo;jo@x.org\n",
        "a.csv",
    )
    assert read_recipients(bom) == [Recipient("Café Łódź", "Jo", "jo@x.org", 2)]
    cp1252 = _csv(tmp_path, b"ORGANIZATION,email\nCaf\xe9 Nord,n@x.org\r\n", "b.csv")
    assert read_recipients(cp1252) == [Recipient("Café Nord", "", "n@x.org", 2)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("name,email\n", "row 1 has no 'organisation' column"),
        ("organisation,email\n", "has a header row but no organisations"),
        ("organisation,email\nA,a@x.org\n,b@x.org\n", "row 3 has no organisation"),
        ("organisation,email\nA,not an email\n", "row 2: 'not an email' does not look like an email address"),
        ("organisation\nRiverside Trust\nriverside  trust\n", "row 3: 'riverside trust' would share the folder"),
        (b"PK\x03\x04\x00\x00binary", "is not a CSV text file"),
        ("organisation\nRiver\x07side\n", "row 2: 'River\x07side' holds a control character (U+0007)"),
    ],
)
def test_bad_recipients_name_the_file_and_row(tmp_path, content, message):
    path = _csv(tmp_path, content)
    with pytest.raises(RecipientsError) as caught:
        read_recipients(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


# --- the command, end to end, with the real writers ---------------------------------------

AUDIT = Path(__file__).parent / "fixtures" / "standards" / "audit-three-level.yaml"


def _run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_generate_blank_pack(tmp_path):
    result = _run("generate", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["coproduction-v1.1.docx", "coproduction-v1.1.pdf", "coproduction-v1.1.xlsx"]
    assert result.output.splitlines() == [
        str(tmp_path / n) for n in ("coproduction-v1.1.docx", "coproduction-v1.1.pdf", "coproduction-v1.1.xlsx")
    ]
    assert (tmp_path / "coproduction-v1.1.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "coproduction-v1.1.docx").read_bytes().startswith(b"PK")


def test_generate_one_format_for_one_organisation(tmp_path):
    result = _run("generate", "--format", "xlsx", "--organisation", "  Café  Łódź ", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    (written,) = tmp_path.iterdir()
    assert written.name == "coproduction-v1.1-cafe-lodz.xlsx"
    workbook = openpyxl.load_workbook(written)
    assert workbook.custom_doc_props["coproduce_organisation"].value == "Café Łódź"


def test_generate_for_recipients(tmp_path):
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("organisation,contact,email\nRiverside Trust,Asha,asha@r.example\nHillview Carers,,\n")
    out = tmp_path / "packs"
    result = _run("generate", "--recipients", str(orgs), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.*")) == [
        f"{slug}/coproduction-v1.1-{slug}.{ext}"
        for slug in ("hillview-carers", "riverside-trust")
        for ext in ("docx", "pdf", "xlsx")
    ]
    fields = PdfReader(out / "riverside-trust" / "coproduction-v1.1-riverside-trust.pdf").get_fields()
    assert fields["organisation"].get("/V") == "Riverside Trust"
    assert fields["contact_details"].get("/V") == "asha@r.example"


def test_bad_recipients_write_nothing(tmp_path):
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("organisation,email\nRiverside Trust,asha at r\n")
    out = tmp_path / "packs"
    result = _run("generate", "--recipients", str(orgs), "--out", str(out))
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {orgs}: row 2: 'asha at r' does not look like an email address"
    assert not out.exists()


def test_organisation_and_recipients_together_is_a_usage_error(tmp_path):
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("organisation\nA\n")
    result = _run("generate", "--organisation", "A", "--recipients", str(orgs), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "either --organisation or --recipients" in result.output


def test_byte_stable_with_fixed_seed_and_time(tmp_path):
    env = {"SOURCE_DATE_EPOCH": "1767225600"}
    for run in ("one", "two"):
        result = _run(
            "generate", "--form-id", "seed", "--organisation", "Riverside", "--out", str(tmp_path / run), env=env
        )
        assert result.exit_code == 0, result.output
    assert _digests(tmp_path / "one") == _digests(tmp_path / "two")
    other = _run("generate", "--form-id", "other", "--organisation", "Riverside", "--out", str(tmp_path / "3"), env=env)
    assert other.exit_code == 0
    assert set(_digests(tmp_path / "3").values()).isdisjoint(_digests(tmp_path / "one").values())


def test_each_form_has_its_own_form_id(tmp_path):
    assert _run("generate", "--out", str(tmp_path)).exit_code == 0
    import docx
    import openpyxl
    from pypdf import PdfReader

    ids = {
        docx.Document(tmp_path / "coproduction-v1.1.docx").core_properties
        and _docx_form_id(tmp_path / "coproduction-v1.1.docx"),
        openpyxl.load_workbook(tmp_path / "coproduction-v1.1.xlsx").custom_doc_props["coproduce_form_id"].value,
        PdfReader(tmp_path / "coproduction-v1.1.pdf").metadata["/coproduce_form_id"],
    }
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)


def _docx_form_id(path: Path) -> str:
    custom = zipfile.ZipFile(path).read("docProps/custom.xml").decode()
    match = re.search(r'name="coproduce_form_id"[^>]*>\s*<vt:lpwstr>([^<]+)</vt:lpwstr>', custom)
    assert match, custom
    return match.group(1)


def test_generate_second_instrument_by_path(tmp_path):
    result = _run("generate", "--instrument", str(AUDIT), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["venue-audit.docx", "venue-audit.pdf", "venue-audit.xlsx"]


def test_instrument_without_form_block_is_refused(tmp_path):
    text = AUDIT.read_text()
    start, end = text.index("form:\n"), text.index("sections:")
    bare = tmp_path / "bare.yaml"
    bare.write_text(text[:start] + text[end:])
    result = _run("generate", "--instrument", str(bare), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "has no 'form' block" in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_instrument(tmp_path):
    result = _run("generate", "--instrument", "nonesuch", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "There is no instrument 'nonesuch'" in result.output


def test_many_recipients_in_parallel_match_one_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    recipients = [Recipient(f"Org {n}", f"Contact {n}", f"c{n}@x.org", n + 2) for n in range(5)]
    instrument = load_instrument(AUDIT)
    packs = list(generate_packs(instrument, recipients, tmp_path / "parallel", ("pdf", "xlsx"), form_id_seed="s"))
    assert [p[0].parent.name for p in packs] == [f"org-{n}" for n in range(5)]
    for recipient in recipients:
        generate_pack(
            instrument, tmp_path / "serial" / slugify(recipient.organisation), ("pdf", "xlsx"), recipient, "s"
        )
    assert _digests(tmp_path / "parallel") == _digests(tmp_path / "serial")
