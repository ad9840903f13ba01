"""Fuzzing the readers with mutated forms of each format (hypothesis).

Seeds are forms we generate and fill.  Each case mutates one, zip-aware for .docx and .xlsx
(the XML inside a part, the parts themselves: dropped, swapped, duplicated, renamed,
truncated, stored uncompressed) and object-aware for .pdf (numbers, names, strings, references
and whole objects), as well as raw bytes and truncation.  Every outcome must be a Return or
the project's own read error naming the file, never another exception and never the
catch-all "please report this" (a reader bug), within 5 seconds and 512 MiB.

The fuzz tests carry the ``fuzz`` marker.  A normal run makes ``COPRODUCE_FUZZ_EXAMPLES``
cases per format (default 100); a long campaign sets it higher (see the README).  The
property tests at the end carry any text through generate → fill → read → merge →
consolidated workbook.
"""

from __future__ import annotations

import io
import os
import re
import resource
import tempfile
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from generator import find_instruments, resolve_instrument, sheets
from generator.errors import ReturnReadError
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.forms.packs import slugify
from generator.merge import merge_returns
from generator.model.results import Counts, to_data
from generator.outputs.workbook import COMMENTS_SHEET, TEXT_CHANGES_SHEET, write_consolidated_workbook
from generator.returns.model import Return
from generator.returns.read import read_return
from generator.scoring.rules import load_rules
from generator.scoring.score import score_results

V11 = resolve_instrument()
CATALOGUE = find_instruments()
INSTRUMENTS = CATALOGUE.instruments
EXAMPLES = int(os.environ.get("COPRODUCE_FUZZ_EXAMPLES", "100"))
SECONDS_PER_CASE = 5.0
MEMORY_PER_CASE = 512 * 1024 * 1024
FIXTURES = Path(__file__).parent / "fixtures"

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # measured below, on every case (hypothesis' deadline is per-case noise-prone)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# --- the seeds ---------------------------------------------------------------------------------

_WORK = Path(tempfile.mkdtemp(prefix="coproduce-fuzz-"))


def _seed(kind: str) -> bytes:
    values = FormValues(
        cover={"organisation": "Riverside Community Trust", "completed_by": "Panel", "date": "14/03/2026"},
        answers={"1.1": "gold", "2.1": "bronze", "10.3": "silver"},
        comments={"1.1": "Yes — we do.\nSecond line", "3.2": "=1+1"},
    )
    identity = new_identity(V11, "Riverside Community Trust", form_id=f"fuzz-{kind}")
    return write_form(kind, V11, identity, _WORK / f"seed.{kind}", values).read_bytes()


SEEDS: dict[str, list[bytes]] = {kind: [_seed(kind)] for kind in ("docx", "xlsx", "pdf")}
SEEDS["docx"].append((FIXTURES / "returns-docx" / "legacy-v1.1-resaved-by-libreoffice.docx").read_bytes())


# --- checking one case ---------------------------------------------------------------------------


def _peak_rss() -> int:
    """This process's peak resident memory, in bytes: since :func:`_start_measuring` where Linux
    lets it be reset, else since the process began."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) * 1024  # kilobytes
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _start_measuring() -> int:
    """Reset the peak to what the process holds now (Linux), and return it: the tests run in
    worker processes that ran other tests before, whose peak must not count against a case."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _peak_rss()


#: What the process held when the first case began: each case's peak is measured from it, so
#: memory a case keeps counts against the cases after it.
_baseline: list[int] = []


def check(data: bytes, suffix: str) -> Return | ReturnReadError:
    """Read ``data`` as a returned file: a Return, or our read error in one line naming the
    file, within the time and memory allowed; anything else fails the case."""
    path = _WORK / f"case{suffix}"
    path.write_bytes(data)
    now = _start_measuring()
    if not _baseline:
        _baseline.append(now)
    baseline = _baseline[0]
    start = time.perf_counter()
    try:
        outcome: Return | ReturnReadError = read_return(path, INSTRUMENTS)
    except ReturnReadError as error:
        outcome = error
        message = str(error)
        assert message.startswith(f"{path}: ") and "\n" not in message, message
        assert "please report this" not in message, message  # the catch-all: a reader met what it did not foresee
    else:
        assert isinstance(outcome, Return)
        assert len(outcome.responses) == len(V11.indicators) or outcome.instrument != V11.id
    seconds = time.perf_counter() - start
    assert seconds < SECONDS_PER_CASE, f"{seconds:.1f} s"
    assert _peak_rss() - baseline < MEMORY_PER_CASE
    return outcome


# --- mutations --------------------------------------------------------------------------------------

#: Text worth inserting into XML or PDF: markup, entities, DOCTYPEs, huge numbers, odd Unicode.
NASTY_TEXT = [
    "<",
    ">",
    "&",
    "&amp;",
    "&lol;",
    "&#0;",
    "&#xD800;",
    "]]>",
    "<!--",
    "<?x?>",
    '"',
    "'",
    "\x00",
    "\x07",
    "\ud800",
    "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
    "<w:t>",
    "</w:t>",
    "<w:tbl>",
    "<c r='A1'>",
    "_x0007_",
    "99999999999999999999",
    "-1",
    "1e308",
    "NaN",
    "😀",
    "\u202e",
    "Gold",
    "Silver/Bronze",
    '=HYPERLINK("x")',
    "(",
    ")",
    "<<",
    ">>",
    "/Kids",
    "[",
    "]",
    "R",
    "0 R",
    "obj",
    "endobj",
    "/Length 999999999",
    "%%EOF",
    "\\",
]
nasty_text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40))


def mutate_bytes(data: bytes, draw) -> bytes:
    """One raw mutation of ``data``: overwrite, insert, delete, duplicate a slice, or truncate."""
    if not data:
        return draw(st.binary(max_size=64))
    kind = draw(st.sampled_from(["overwrite", "insert", "delete", "duplicate", "truncate", "bitflip"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "overwrite":
        patch = draw(st.binary(min_size=1, max_size=16))
        return data[:at] + patch + data[at + len(patch) :]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + draw(st.integers(1, 4096)) :]
    if kind == "duplicate":
        size = draw(st.integers(1, 4096))
        return data[: at + size] + data[at : at + size] + data[at + size :]
    if kind == "truncate":
        return data[:at]
    return data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]


_TEXT_NODE = re.compile(rb">([^<]{1,200})<")
_ATTRIBUTE = re.compile(rb'="([^"]{0,200})"')
_ELEMENT = re.compile(rb"<(\w+:)?\w+[^>]*/>|<((\w+:)?\w+)[^>]*>[^<]*</\2>")


def mutate_xml(xml: bytes, draw) -> bytes:
    """One XML-aware mutation: a text node, an attribute or an element changed, or raw bytes."""
    kind = draw(st.sampled_from(["text", "attribute", "drop element", "copy element", "insert", "bytes"]))
    pattern = {"text": _TEXT_NODE, "attribute": _ATTRIBUTE}.get(kind, _ELEMENT)
    matches = list(pattern.finditer(xml)) if kind != "insert" and kind != "bytes" else []
    if not matches:
        if kind == "bytes" or not xml:
            return mutate_bytes(xml, draw)
        at = draw(st.integers(0, len(xml)))
        return xml[:at] + draw(nasty_text).encode("utf-8", "surrogatepass") + xml[at:]
    match = matches[draw(st.integers(0, len(matches) - 1))]
    new = draw(nasty_text).encode("utf-8", "surrogatepass")
    if kind in ("text", "attribute"):
        return xml[: match.start(1)] + new + xml[match.end(1) :]
    if kind == "drop element":
        return xml[: match.start()] + xml[match.end() :]
    return xml[: match.end()] + match.group(0) + xml[match.end() :]


def mutate_zip(data: bytes, draw) -> bytes:
    """One container-aware mutation of a .docx/.xlsx: repacked, with a part or the parts changed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    kind = draw(
        st.sampled_from(["xml", "xml", "xml", "drop", "swap", "duplicate", "rename", "truncate part", "reorder"])
    )
    n = draw(st.integers(0, len(parts) - 1))
    name, body = parts[n]
    if kind == "xml":
        parts[n] = (name, mutate_xml(body, draw))
    elif kind == "drop":
        del parts[n]
    elif kind == "swap":
        m = draw(st.integers(0, len(parts) - 1))
        parts[n], parts[m] = (name, parts[m][1]), (parts[m][0], body)
    elif kind == "duplicate":
        twin = draw(st.sampled_from([name, name.upper(), "/" + name, name.replace("/", "\\")]))
        parts.insert(draw(st.integers(0, len(parts))), (twin, mutate_xml(body, draw) if draw(st.booleans()) else body))
    elif kind == "rename":
        parts[n] = (
            draw(st.sampled_from([name.upper(), name + "x", "", "../" + name, name.replace(".xml", ".XML")])),
            body,
        )
    elif kind == "truncate part":
        parts[n] = (name, body[: draw(st.integers(0, max(0, len(body) - 1)))])
    else:
        parts = draw(st.permutations(parts))
    stored = draw(st.booleans())
    out = io.BytesIO()
    with (
        warnings.catch_warnings(),
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z,
    ):
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name, and writes it
        for part_name, part_body in parts:
            z.writestr(part_name or "unnamed", part_body)
    return out.getvalue()


_PDF_OBJECT = re.compile(rb"(\d+) (\d+) obj\b(.*?)\bendobj", re.DOTALL)
_PDF_TOKEN = re.compile(rb"-?\d+(?:\.\d+)?|/[^\s/<>\[\]()]+|\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f]*>|\d+ \d+ R")


def mutate_pdf(data: bytes, draw) -> bytes:
    """One object-aware mutation of a PDF: a token of an object, an object, the xref or trailer."""
    objects = list(_PDF_OBJECT.finditer(data))
    kind = draw(st.sampled_from(["token", "token", "token", "drop object", "copy object", "swap objects", "trailer"]))
    if not objects:
        return mutate_bytes(data, draw)
    target = objects[draw(st.integers(0, len(objects) - 1))]
    if kind == "token":
        tokens = list(_PDF_TOKEN.finditer(data, target.start(3), target.end(3)))
        if not tokens:
            return mutate_bytes(data, draw)
        token = tokens[draw(st.integers(0, len(tokens) - 1))]
        new = draw(
            st.one_of(
                st.sampled_from(NASTY_TEXT).map(lambda t: t.encode("utf-8", "surrogatepass")),
                st.integers(-(2**63), 2**63).map(lambda i: str(i).encode()),
                st.sampled_from(
                    [
                        b"null",
                        b"true",
                        b"/Off",
                        b"/Btn",
                        b"/Tx",
                        b"/Ch",
                        b"1 0 R",
                        b"99999 0 R",
                        b"<FEFF>",
                        b"(\xfe\xff\xd8\x00)",
                        b"[]",
                        b"<<>>",
                        b"()",
                    ]
                ),
                st.binary(max_size=12),
            )
        )
        return data[: token.start()] + new + data[token.end() :]
    if kind == "drop object":
        return data[: target.start()] + data[target.end() :]
    if kind == "copy object":
        return data[: target.end()] + b"\n" + target.group(0) + data[target.end() :]
    if kind == "swap objects":
        other = objects[draw(st.integers(0, len(objects) - 1))]
        a, b = sorted([target, other], key=lambda m: m.start())
        if a.start() == b.start() or a.end() > b.start():
            return data
        return data[: a.start(3)] + b.group(3) + data[a.end(3) : b.start(3)] + a.group(3) + data[b.end(3) :]
    at = data.rfind(b"trailer")
    at = at if at >= 0 else max(0, len(data) - 200)
    return data[:at] + mutate_bytes(data[at:], draw)


def _draw_case(kind: str, data_strategy) -> tuple[bytes, str]:
    draw = data_strategy.draw
    data = SEEDS[kind][draw(st.integers(0, len(SEEDS[kind]) - 1))]  # (an index: hypothesis prints what it draws)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["structure", "structure", "structure", "bytes"]))
        if how == "bytes":
            data = mutate_bytes(data, draw)
        elif kind == "pdf":
            data = mutate_pdf(data, draw)
        else:
            try:
                data = mutate_zip(data, draw)
            except (zipfile.BadZipFile, ValueError, EOFError, KeyError, OSError, zlib.error):
                data = mutate_bytes(data, draw)  # an earlier mutation broke the zip: go on with bytes
    suffix = draw(st.sampled_from([f".{kind}", f".{kind}", ".bin", ".pdf" if kind != "pdf" else ".docx"]))
    return data, suffix


# --- the fuzz tests -----------------------------------------------------------------------------


@pytest.mark.fuzz
@pytest.mark.parametrize("kind", ["docx", "xlsx", "pdf"])
def test_mutated_forms_give_a_return_or_a_read_error(kind):
    outcomes: dict[str, int] = {"return": 0, "error": 0}

    @FUZZ
    @given(st.data())
    def case(data):
        outcome = check(*_draw_case(kind, data))
        outcomes["return" if isinstance(outcome, Return) else "error"] += 1

    start = time.perf_counter()
    case()
    seconds = time.perf_counter() - start
    total = sum(outcomes.values())
    print(f"\n{kind}: {total} cases in {seconds:.1f} s ({total / seconds:.0f}/s): {outcomes}")
    assert total >= min(EXAMPLES, 1000) * 0.9  # hypothesis may stop a little short when it runs out of ideas


def test_the_unmutated_seeds_read():
    for kind, seeds in SEEDS.items():
        for data in seeds:
            assert isinstance(check(data, f".{kind}"), Return)


# --- properties: text and names ------------------------------------------------------------------

#: Any text, control characters and emoji included; not lone surrogates, which no program a
#: person types in can produce.  Long texts (hypothesis draws at most a few thousand
#: characters) are a drawn piece repeated to a drawn length, up to 100,000.
_CHARACTERS = st.characters(exclude_categories=("Cs",))
any_text = st.one_of(
    st.text(_CHARACTERS, max_size=2000),
    st.tuples(st.text(_CHARACTERS, min_size=1, max_size=300), st.integers(2000, 100_000)).map(
        lambda piece: (piece[0] * (piece[1] // len(piece[0]) + 1))[: piece[1]]
    ),
)


# Hypothesis warns when the drawn comment's repr passes 30,000 characters, which long comments
# are meant to do; with warnings as errors that warning would fail the test, not the code.
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
@settings(
    max_examples=int(os.environ.get("COPRODUCE_PROPERTY_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each case merges in a worker: shrinking would take minutes
)
@given(comment=any_text)
@example(comment="\x08" * 4682)  # 4,682 characters, but 32,774 as an Excel cell writes them
@example(comment='=HYPERLINK("http://x")\x07 _x000D_ 😀\r\nend')
@example(comment="Evidence from the peer review. " * 2000)  # 62,000 characters: a repr past hypothesis's 30,000 warning
def test_any_comment_survives_the_whole_way_or_the_change_is_recorded(comment):
    """generate → fill → read → merge → consolidated workbook: the comment as typed (line
    breaks as "\\n"), or a Text changes entry saying what was done to it."""
    folder = Path(tempfile.mkdtemp(dir=_WORK))
    # An Excel form's cell holds 32,767 characters (its codes for control characters count
    # as written); a PDF field holds more.
    kind = "xlsx" if len(sheets.sheet_text(comment).parts) == 1 else "pdf"
    values = FormValues(answers={"1.1": "gold"}, comments={"1.1": comment})
    write_form(kind, V11, new_identity(V11, "Riverside"), folder / f"return.{kind}", values)
    rules = load_rules()
    merged = merge_returns([folder], INSTRUMENTS, rules)
    assert to_data(Counts.of(merged.manifest))["merged"] == 1, merged.manifest
    expected = comment.replace("\r\n", "\n").replace("\r", "\n")
    read = merged.organisations[0].respondents[0].result.responses[0].comment
    assert (read or "") == (expected if expected.strip() else "") or read == expected.strip(), (kind, read[:80])
    workbook = openpyxl.load_workbook(
        write_consolidated_workbook(score_results(merged, INSTRUMENTS, rules), folder / "c.xlsx")
    )
    from generator.returns.xlsx_workbook import _unescape

    cells = [c.value for c in workbook[COMMENTS_SHEET]["G"][1:] if c.value is not None]
    assert "".join(_unescape(text) for text in cells) == (read or "")
    if len(cells) > 1 or any(_unescape(text) != text for text in cells):
        assert TEXT_CHANGES_SHEET in workbook.sheetnames


_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


@settings(max_examples=500, deadline=None)
@given(name=st.text(max_size=300))
def test_any_organisation_name_gives_a_safe_file_name(name):
    slug = slugify(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
    assert len(slug) <= 64 and slug not in _RESERVED and ".." not in slug and "/" not in slug
