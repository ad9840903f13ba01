"""Generating packs: recipients CSVs as spreadsheets save them, safe folder names, and the
`generate` command end to end."""

from pathlib import Path

import pytest

from generator.generate import Recipient, RecipientsError, read_recipients, slugify


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
    ],
)
def test_bad_recipients_name_the_file_and_row(tmp_path, content, message):
    path = _csv(tmp_path, content)
    with pytest.raises(RecipientsError) as caught:
        read_recipients(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
