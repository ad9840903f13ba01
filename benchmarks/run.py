"""Benchmark coproduce against the fastest peer readers, on a corpus it builds itself.

Usage: python benchmarks/run.py [--quick] [--sizes 1000,5000] [--recipients 300] [--keep DIR]

Measures, in one run, and prints a markdown table with medians, ratios and each target beside
the measured figure (issue 8):

1. reading one return per format, ours (``read_return``) against the fastest peer reader, side
   by side in the same process, for the project's forms and for LibreOffice-saved ones;
2. ``coproduce merge`` of 1,000 and 5,000 mixed returns: wall time, returns per second, peak RSS
   of the whole process tree; and a bare parse of the same files by the peer readers in a
   process pool on the same cores;
3. generation: one pack, and ``--recipients`` with 300 organisations;
4. CLI start-up: ``coproduce --help`` and ``coproduce read <one file>``, whole process.

The corpus: a handful of distinct filled forms per format written with
:func:`generator.forms.write_form` (plus LibreOffice re-saves of some Word and Excel ones when
``soffice`` is on the PATH), copied to reach the batch size.  Each copy gets its own form id
and organisation (four respondents per organisation) so that merge neither supersedes nor
lumps them: the identity is written with fixed-width placeholder tokens, the zip members that
carry them are stored uncompressed once per template, and each copy is the template with the
tokens replaced in place (same length) and the members' CRC-32 patched.  PDF strings are
patched in place the same way (same length, so no offset moves).  The visible cover name in
Word and Excel copies stays the template's; the form's identity (which merge groups by) differs.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO
from pathlib import Path

from lxml import etree

VENV_BIN = Path(sys.executable).parent
COPRODUCE = shutil.which("coproduce", path=str(VENV_BIN)) or shutil.which("coproduce")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
RESAVE_FILTERS = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML"}

FORM_TOKEN = b"benchform" + b"0" * 23  # 32 characters, the length of a uuid4 hex form id
ORG_PREFIX = b"Benchmark Organisation "
ORG_TOKEN = ORG_PREFIX + b"000000"
RESPONDENTS_PER_ORGANISATION = 4

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --- the corpus ----------------------------------------------------------------------------


def write_templates(folder: Path, per_format: int, seed: int = 8) -> dict[str, list[Path]]:
    """``per_format`` distinct filled forms per format, identity written with placeholder tokens."""
    from generator import find_instruments
    from generator.demo import SAMPLE, sample_values
    from generator.forms import write_form
    from generator.forms.identity import new_identity

    instrument = find_instruments().get("coproduction-v1.1")
    rng = random.Random(seed)
    top = len(instrument.scale.levels) - 1
    templates: dict[str, list[Path]] = {"docx": [], "xlsx": [], "pdf": []}
    for fmt in templates:
        for n in range(per_format):
            respondent = SAMPLE[n % len(SAMPLE)]
            standing = {i.id: rng.randint(0, top) for i in instrument.indicators}
            values = sample_values(instrument, respondent, rng, standing)
            values.cover["organisation"] = ORG_TOKEN.decode()
            identity = new_identity(instrument, ORG_TOKEN.decode(), form_id=FORM_TOKEN.decode())
            path = folder / "templates" / f"form-{n}.{fmt}"
            templates[fmt].append(write_form(fmt, instrument, identity, path, values))
    return templates


def resave_in_libreoffice(files: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """Open ``files`` in LibreOffice and save them again in the same format (one soffice run)."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                RESAVE_FILTERS[fmt],
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            capture_output=True,
            timeout=600,
            check=False,
        )
    return [outdir / f.name for f in files if (outdir / f.name).exists()]


class Template:
    """A form whose identity tokens can be replaced in place, cheaply, for each copy."""

    def __init__(self, path: Path, kind: str):
        self.kind = kind  # "docx", "xlsx", "pdf", "docx-lo", "xlsx-lo"
        self.suffix = path.suffix
        data = path.read_bytes()
        self.crc_slots: list[tuple[int, int, int, list[int]]] = []  # (data start, size, [crc offsets])
        if data[:2] == b"PK":
            data = self._store_token_members(data)
        self.data = data
        self.patchable = FORM_TOKEN in data

    def _store_token_members(self, data: bytes) -> bytes:
        """Rewrite the zip with every member that carries a token stored uncompressed, and note
        where each such member's bytes and CRC-32 fields are."""
        out = BytesIO()
        stored = []
        with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                member = source.read(info)
                carries = FORM_TOKEN in member or ORG_TOKEN in member
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.compress_type = zipfile.ZIP_STORED if carries else zipfile.ZIP_DEFLATED
                copy.external_attr = info.external_attr
                target.writestr(copy, member)
                if carries:
                    stored.append(info.filename)
        data = out.getvalue()
        with zipfile.ZipFile(BytesIO(data)) as packed:
            for name in stored:
                info = packed.getinfo(name)
                local = info.header_offset
                name_len, extra_len = struct.unpack("<HH", data[local + 26 : local + 30])
                start = local + 30 + name_len + extra_len
                self.crc_slots.append((start, info.file_size, [local + 14, _central_entry(data, name) + 16]))
        return data

    def copy(self, form_number: int, organisation_number: int) -> bytes:
        """The template with its own form id and organisation."""
        data = bytearray(self.data)
        form_id = FORM_TOKEN[:9] + b"%023d" % form_number
        organisation = ORG_PREFIX + b"%06d" % organisation_number
        for token, value in ((FORM_TOKEN, form_id), (ORG_TOKEN, organisation)):
            at = data.find(token)
            while at != -1:
                data[at : at + len(token)] = value
                at = data.find(token, at + len(token))
        for start, size, offsets in self.crc_slots:
            crc = struct.pack("<I", zlib.crc32(data[start : start + size]) & 0xFFFFFFFF)
            for offset in offsets:
                data[offset : offset + 4] = crc
        return bytes(data)


def _central_entry(data: bytes, name: str) -> int:
    """Offset of the central-directory entry of member ``name``."""
    end = data.rfind(b"PK\x05\x06")
    count, _, offset = struct.unpack("<HII", data[end + 10 : end + 20])
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[offset + 28 : offset + 34])
        if data[offset + 46 : offset + 46 + name_len].decode() == name:
            return offset
        offset += 46 + name_len + extra_len + comment_len
    raise KeyError(name)


def build_corpus(templates: list[Template], folder: Path, size: int, start_number: int = 0) -> list[Path]:
    """``size`` returns in ``folder``, cycling through ``templates`` (mixed formats)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for n in range(size):
        template = templates[n % len(templates)]
        number = start_number + n
        path = folder / f"return-{number:06d}-{template.kind}{template.suffix}"
        path.write_bytes(template.copy(number, number // RESPONDENTS_PER_ORGANISATION))
        written.append(path)
    return written


# --- the peer readers ----------------------------------------------------------------------


def peer_docx(path: Path) -> dict[str, str]:
    """Content-control tag → text of a Word return, and its custom properties: zip + lxml XPath."""
    with zipfile.ZipFile(path) as package:
        document = etree.fromstring(package.read("word/document.xml"), _PARSER)
        try:
            custom = etree.fromstring(package.read("docProps/custom.xml"), _PARSER)
        except KeyError:
            custom = None
    ns = {"w": _W}
    values = {}
    for sdt in document.xpath("//w:sdt[w:sdtPr/w:tag]", namespaces=ns):
        tag = sdt.xpath("string(w:sdtPr/w:tag/@w:val)", namespaces=ns)
        values[tag] = "".join(sdt.xpath("w:sdtContent//w:t/text()", namespaces=ns))
    if custom is not None:
        for prop in custom:
            values[prop.get("name", "")] = "".join(prop.itertext())
    return values


def _cell_index(ref: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789").replace("$", "")
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter.upper()) - 64
    return int(ref[len(letters) :].replace("$", "")) - 1, column - 1


def peer_xlsx_calamine(path: Path) -> dict[str, str]:
    """Each mapped input's value in an Excel return, by the hidden map sheet: python-calamine."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("coproduce").to_python()
    sheets: dict[str, list[list]] = {}
    values = {}
    for row in rows[1:]:
        key, value, sheet, cell = (list(row) + ["", "", "", ""])[:4]
        if not key:
            continue
        if not sheet:
            values[key] = str(value)
            continue
        if sheet not in sheets:
            sheets[sheet] = book.get_sheet_by_name(sheet).to_python()
        r, c = _cell_index(str(cell))
        grid = sheets[sheet]
        values[key] = str(grid[r][c]) if r < len(grid) and c < len(grid[r]) else ""
    return values


def peer_xlsx_lxml(path: Path) -> dict[str, str]:
    """Every cell value of every sheet of an Excel return: zip + lxml (no cell mapping)."""
    values = {}
    with zipfile.ZipFile(path) as package:
        shared = []
        if "xl/sharedStrings.xml" in package.namelist():
            root = etree.fromstring(package.read("xl/sharedStrings.xml"), _PARSER)
            shared = ["".join(si.itertext()) for si in root]
        for name in package.namelist():
            if name.startswith("xl/worksheets/sheet"):
                root = etree.fromstring(package.read(name), _PARSER)
                for cell in root.iter("{*}c"):
                    text = "".join(cell.itertext())
                    if cell.get("t") == "s" and text.isdigit():
                        text = shared[int(text)]
                    values[f"{name}!{cell.get('r')}"] = text
    return values


def peer_pdf(path: Path) -> dict[str, str]:
    """AcroForm field name → value of a PDF return, and its document info: pikepdf."""
    import pikepdf

    values = {}
    with pikepdf.open(path) as pdf:
        for key, value in pdf.docinfo.items():
            values[str(key)] = str(value)
        stack = list(pdf.Root.get("/AcroForm", {}).get("/Fields", []))
        while stack:
            field = stack.pop()
            if "/Kids" in field and "/T" in field and "/V" not in field:
                stack.extend(field.Kids)
            elif "/T" in field:
                values[str(field.T)] = str(field.get("/V", ""))
    return values


def peer_reader(path: Path):
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return peer_docx
    if suffix == ".xlsx":
        return peer_xlsx_calamine if HAVE_CALAMINE else peer_xlsx_lxml
    return peer_pdf


def peer_read(path: Path) -> int:
    return len(peer_reader(path)(path))


try:
    import python_calamine  # noqa: F401

    HAVE_CALAMINE = True
except ImportError:
    HAVE_CALAMINE = False


# --- measuring -----------------------------------------------------------------------------


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def measure_reads(files_by_kind: dict[str, list[Path]]) -> list[tuple[str, float, float]]:
    """Per kind: median ms per file, ours and peer, alternating file by file in this process."""
    from generator import find_instruments
    from generator.returns.read import read_return

    instruments = find_instruments().instruments
    rows = []
    for kind, files in files_by_kind.items():
        if not files:
            continue
        peer = peer_reader(files[0])
        read_return(files[0], instruments), peer(files[0])  # warm up: imports, caches
        ours, theirs = [], []
        for path in files:
            t = time.perf_counter()
            read_return(path, instruments)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            peer(path)
            theirs.append(time.perf_counter() - t)
        rows.append((kind, median_ms(ours), median_ms(theirs)))
    return rows


def tree_rss_kb(root_pid: int) -> int:
    """Resident memory (kB) of ``root_pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(args: list[str], cwd: Path | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``args``: (wall seconds, peak RSS of the process tree in MB sampled every 20 ms, result)."""
    # Output goes to files, not pipes: a merge of thousands prints more than a pipe holds, and
    # would wait for a reader that only reads once it has finished.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=out, stderr=err, cwd=cwd, text=True)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss_kb(process.pid))
            time.sleep(0.02)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return wall, peak / 1024, subprocess.CompletedProcess(args, process.returncode, out.read(), err.read())


_LIBRARY_MERGE = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from generator import find_instruments
from generator.merge import merge_returns
from generator.model.results import Counts, to_data
from generator.scoring.score import score_results
from generator.scoring.rules import load_rules
instruments = find_instruments().instruments
rules = load_rules(None)
t1 = time.perf_counter()
merged = merge_returns([Path(sys.argv[1])], instruments, rules)
t2 = time.perf_counter()
counts = to_data(Counts.of(merged.manifest))
results = score_results(merged, instruments, rules)
t3 = time.perf_counter()
print(json.dumps({"start": t1 - t0, "merge": t2 - t1, "results": t3 - t2, "counts": counts}))
"""


def bare_parse(files: list[Path], workers: int) -> float:
    """Wall seconds for the peer readers over ``files`` in a process pool (pool start included)."""
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(peer_read, files, chunksize=8):
            pass
    return time.perf_counter() - start


def measure_merge(folder: Path, files: list[Path], out: Path) -> dict:
    import json

    cli_wall, cli_peak, result = run_measured([COPRODUCE, "merge", str(folder), "--out", str(out)])
    lib_wall, lib_peak, lib = run_measured([sys.executable, "-c", _LIBRARY_MERGE, str(folder)])
    detail = json.loads(lib.stdout.strip().splitlines()[-1]) if lib.returncode == 0 else {"error": lib.stderr[-500:]}
    workers = os.cpu_count() or 1
    bare = bare_parse(files, workers)
    return {
        "n": len(files),
        "cli_wall": cli_wall,
        "cli_peak": cli_peak,
        "cli_rc": result.returncode,
        "cli_err": result.stderr[-300:],
        "lib_wall": lib_wall,
        "lib_peak": lib_peak,
        "detail": detail,
        "bare": bare,
        "workers": workers,
    }


def measure_startup(one_file: Path, runs: int) -> tuple[float, float]:
    def median_wall(args: list[str]) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(args, capture_output=True, check=False)
            times.append(time.perf_counter() - start)
        return median_ms(times)

    return median_wall([COPRODUCE, "--help"]), median_wall([COPRODUCE, "read", str(one_file)])


def measure_generation(folder: Path, recipients: int) -> dict:
    from generator import find_instruments
    from generator.forms.packs import Recipient, generate_pack

    instrument = find_instruments().get("coproduction-v1.1")
    generate_pack(instrument, folder / "warm", recipient=Recipient("Warm-up Trust"))
    times = []
    for n in range(3):
        start = time.perf_counter()
        generate_pack(instrument, folder / f"one-{n}", recipient=Recipient(f"Riverside Trust {n}"))
        times.append(time.perf_counter() - start)
    one_cli, _, _ = run_measured(
        [COPRODUCE, "generate", "--organisation", "Riverside Trust", "--out", str(folder / "cli-one")]
    )
    csv = folder / "recipients.csv"
    rows = [f"Organisation {n},Contact {n},c{n}@example.org" for n in range(recipients)]
    lines = ["organisation,contact,email", *rows]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch_wall, batch_peak, result = run_measured(
        [COPRODUCE, "generate", "--recipients", str(csv), "--out", str(folder / "batch")]
    )
    return {
        "one_warm": median_ms(times),
        "one_cli": one_cli * 1000,
        "batch_wall": batch_wall,
        "batch_peak": batch_peak,
        "recipients": recipients,
        "batch_rc": result.returncode,
    }


# --- the report ----------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


#: The table's first lines; the rows follow as each measurement finishes.
HEADER = ["| measure | ours | peer / baseline | ratio | target | within |", "|---|---|---|---|---|---|"]


def emit(lines: list[str]) -> None:
    """Print rows of the table now, so a long run shows its figures as it goes."""
    print("\n".join(lines), flush=True)


def read_rows(reads) -> list[str]:
    lines = []
    for kind, ours, peer in reads:
        ratio = ours / peer
        lines.append(
            f"| read {kind} (median per file) | {ours:.1f} ms | {peer:.1f} ms | {ratio:.1f}× | ≤ 2× "
            f"| {verdict(ratio <= 2)} |"
        )
    return lines


def merge_rows(m) -> list[str]:
    lines = []
    rate = m["n"] / m["cli_wall"]
    lines.append(
        f"| merge {m['n']} (CLI, wall) | {m['cli_wall']:.2f} s = {rate:.0f} returns/s | | | "
        f"≥ 500 returns/s | {verdict(rate >= 500)} |"
    )
    lines.append(
        f"| merge {m['n']} peak RSS (CLI, process tree) | {m['cli_peak']:.0f} MB | | | < 300 MB "
        f"| {verdict(m['cli_peak'] < 300)} |"
    )
    d = m["detail"]
    if "merge" in d:
        lib_rate = m["n"] / d["merge"]
        lines.append(
            f"| merge {m['n']} (library merge_returns) | {d['merge']:.2f} s = {lib_rate:.0f} returns/s "
            f"| bare parse {m['bare']:.2f} s ({m['workers']} processes) | {d['merge'] / m['bare']:.1f}× "
            f"| ≤ 2× | {verdict(d['merge'] / m['bare'] <= 2)} |"
        )
        lines.append(
            f"| merge {m['n']} breakdown (library) | start-up {d['start']:.2f} s, scoring "
            f"{d['results']:.2f} s, peak {m['lib_peak']:.0f} MB | | | | |"
        )
    cli_ratio = m["cli_wall"] / m["bare"]
    lines.append(
        f"| merge {m['n']} CLI vs bare parse | {m['cli_wall']:.2f} s | {m['bare']:.2f} s "
        f"| {cli_ratio:.1f}× | ≤ 3× | {verdict(cli_ratio <= 3)} |"
    )
    return lines


def generation_rows(g) -> list[str]:
    per = g["batch_wall"] / g["recipients"] * 1000
    return [
        f"| generate one pack (in process, warm, one core) | {g['one_warm']:.0f} ms | | | |  |",
        f"| generate one pack (CLI, whole process) | {g['one_cli']:.0f} ms | | | | |",
        f"| generate --recipients {g['recipients']} (CLI) | {g['batch_wall']:.1f} s = {per:.0f} ms per "
        f"organisation, peak {g['batch_peak']:.0f} MB | | | ≤ 250 ms | {verdict(per <= 250)} |",
    ]


def startup_rows(startup) -> list[str]:
    help_ms, read_ms = startup
    return [
        f"| `coproduce --help` (median) | {help_ms:.0f} ms | | | ≤ 150 ms | {verdict(help_ms <= 150)} |",
        f"| `coproduce read <one docx>` (median, whole process) | {read_ms:.0f} ms | | | | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run: 200 returns, 30 recipients, fewer repeats")
    parser.add_argument("--sizes", help="merge batch sizes, comma-separated (default 1000,5000)")
    parser.add_argument("--recipients", type=int, help="organisations in the --recipients batch (default 300)")
    parser.add_argument("--keep", type=Path, help="build the corpus in this folder and keep it")
    options = parser.parse_args()
    sizes = [int(s) for s in (options.sizes or ("200" if options.quick else "1000,5000")).split(",")]
    recipients = options.recipients or (30 if options.quick else 300)
    per_format, read_files, runs = (2, 15, 5) if options.quick else (4, 60, 10)
    notes = [
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}; xlsx peer: "
        + ("python-calamine" if HAVE_CALAMINE else "zip + lxml (python-calamine not installed)")
    ]

    work = options.keep or Path(tempfile.mkdtemp(prefix="coproduce-bench-"))
    try:
        start = time.perf_counter()
        made = write_templates(work, per_format)
        templates = [Template(p, fmt) for fmt, paths in made.items() for p in paths]
        if SOFFICE:
            for fmt in ("docx", "xlsx"):
                saved = resave_in_libreoffice(made[fmt][:2], fmt, work / "libreoffice" / fmt)
                templates += [Template(p, f"{fmt}-lo") for p in saved]
                if len(saved) < 2:
                    notes.append(f"LibreOffice re-saved only {len(saved)} of 2 {fmt} forms")
        else:
            notes.append("soffice not found: no LibreOffice-saved returns in the corpus")
        unpatched = [t.kind for t in templates if not t.patchable]
        if unpatched:
            notes.append(f"form id token not found in {unpatched}: their copies are identical (merge supersedes them)")
        notes.append(
            f"corpus templates: {len(templates)} ({', '.join(t.kind for t in templates)}); built in "
            f"{time.perf_counter() - start:.1f} s"
        )

        sample = build_corpus(templates, work / "sample", read_files * len(templates))
        by_kind: dict[str, list[Path]] = {}
        for path in sample:
            by_kind.setdefault(path.stem.split("-", 2)[2], []).append(path)
        gc.collect()
        emit(HEADER)
        emit(read_rows(measure_reads(by_kind)))
        for n, size in enumerate(sizes, 1):
            folder = work / f"batch-{size}"
            files = build_corpus(templates, folder, size, start_number=10**6 * n)
            merged = measure_merge(folder, files, work / f"results-{size}")
            emit(merge_rows(merged))
            if merged["cli_rc"] not in (0,):
                notes.append(f"merge {size} exited {merged['cli_rc']}: {merged['cli_err'].strip()}")
            notes.append(f"merge {size} counts: {merged['detail'].get('counts')}")
            if options.keep is None:
                shutil.rmtree(folder, ignore_errors=True)  # a big batch's copies are not needed again
        emit(generation_rows(measure_generation(work / "generate", recipients)))
        emit(startup_rows(measure_startup(by_kind["docx"][0], runs)))
        emit([""] + [f"- {note}" for note in notes])
    finally:
        if options.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
