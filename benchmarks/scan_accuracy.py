"""Accuracy and speed of reading scanned paper returns, on pages the scan simulator makes.

Usage: python benchmarks/scan_accuracy.py [--copies 7] [--seed 1] [--easy] [--keep DIR]

Prints the V1.1 form (20 pages) and the charter's (14 pages), ``--copies`` numbered copies of
each (7: 238 pages), marks every answer at random — 80% a clear mark (tick, cross, filled
circle, circle drawn around), 7% left blank, 13% a mark to flag (two marks, a mark scribbled
out, a faint dot) — and scans each page with random distortions (150–600 dpi, skew up to 10°,
15% upside down, scaling, blur, noise, black-and-white, JPEG), as ``tests/scans.py`` does.  The
pages are shuffled into scanned PDFs of 34 pages (one copy of each form: a batch holds whole
returns; a copy's pages split over two files are not put back together), which are read as
``merge`` reads them:
:func:`generator.returns.batch.iter_read`, one worker per core.

Reports: clear marks read right / flagged / wrong, marks to flag flagged / read as a level,
blanks, the wrong answers not flagged (the figure that must be 0), returns sorted back to the
right copy, and pages per second (reading only; the simulation is not timed).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import cv2  # noqa: E402
import scans  # noqa: E402

from generator import resolve_instrument  # noqa: E402
from generator.forms.identity import new_identity  # noqa: E402
from generator.forms.pdf_form import write_pdf_copies  # noqa: E402
from generator.returns.batch import iter_read  # noqa: E402
from generator.returns.scan_return import FLAGGED  # noqa: E402

CLEAR, BLANK, TO_FLAG = 0.80, 0.07, 0.13


def simulate(folder: Path, copies: int, rng: random.Random, easy: bool) -> tuple[dict, list[Path], int]:
    """Write the scanned files into ``folder``; return what each (form id, copy, answer) was
    marked with (style, level id or None), the files, and the number of pages."""
    expected: dict[tuple[str, int, str], tuple[str, str | None]] = {}
    by_copy: dict[int, list] = {}
    for instrument_id, form_id in (
        ("coproduction-v1.1", "b3c4d5e6f7a8b9c0"),
        ("charter-appendix-d", "0a1b2c3d4e5f6a7b"),
    ):
        instrument = resolve_instrument(instrument_id)
        printed = folder / f"{instrument_id}.pdf"
        write_pdf_copies(instrument, new_identity(instrument, form_id=form_id), printed, copies)
        for page in scans.print_form(printed, dpi=200):
            for answer in page.code.centres():
                roll = rng.random()
                if roll < CLEAR:
                    style = rng.choice(scans.CLEAR_STYLES)
                elif roll < CLEAR + BLANK:
                    style = "blank"
                else:
                    style = rng.choice(scans.FLAGGED_STYLES)
                scans.mark_answer(page, answer, style, rng, instrument.scale.ids)
                expected[(form_id[:12], page.code.copy, answer)] = (style, page.marked[answer])
                if rng.random() < 0.15:
                    scans.write_by_hand(page, scans.comment_area(page, answer), rng)
            scanner = scans.Scanner.random(rng, hard=not easy)
            image = scans.scan(page, scanner, rng)
            # a scanner's PDF holds each page at its own resolution; here, one per file: 200 dpi
            image = cv2.resize(image, None, fx=200 / scanner.dpi, fy=200 / scanner.dpi, interpolation=cv2.INTER_AREA)
            by_copy.setdefault(page.code.copy, []).append(image)
            page.image = None  # free the printed page
    files = []
    for copy, scanned in sorted(by_copy.items()):  # a batch: one copy of each form, shuffled
        rng.shuffle(scanned)
        path = folder / f"scan-{copy:02d}.pdf"
        path.write_bytes(scans.pdf_of_images(scanned, dpi=200, quality=85))
        files.append(path)
    return expected, files, sum(len(scanned) for scanned in by_copy.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--easy", action="store_true", help="straight 200 dpi scans (skew within 3 degrees)")
    parser.add_argument("--keep", type=Path, help="write the scans here (default: a temporary folder)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    instruments = {i.id: i for i in (resolve_instrument(), resolve_instrument("charter-appendix-d"))}
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        expected, files, pages = simulate(folder, args.copies, rng, args.easy)
        simulated = time.perf_counter() - started
        started = time.perf_counter()
        results, failures = [], []
        with closing(iter_read(files, instruments)) as outcomes:
            for outcome in outcomes:
                results.extend(outcome.results)
                if outcome.failure:
                    failures.append(str(outcome.failure))
        seconds = time.perf_counter() - started

    tally: Counter[str] = Counter()
    wrong_examples = []
    copies_right = Counter()
    for result in results:
        seen_pages = set()
        for response in result.responses:
            key = (result.form_id, result.copy, response.id)
            if key not in expected:
                tally["answers of a copy not in the scan"] += 1
                continue
            style, level = expected[key]
            flagged = response.achieved is None and any(FLAGGED in p or "missing" in p for p in response.problems)
            page_lost = response.page is None and any("page is missing from the scan" in p for p in response.problems)
            if response.page is not None:
                seen_pages.add(response.page)
            if style in scans.CLEAR_STYLES:
                kind = "clear"
                outcome = (
                    "right"
                    if response.achieved == level and not response.problems
                    else "flagged"
                    if flagged
                    else "wrong"
                )
                if page_lost:
                    outcome = "on a page not read"
            elif style == "blank":
                kind = "blank"
                outcome = (
                    "right"
                    if response.achieved is None and not response.problems
                    else "flagged"
                    if flagged
                    else "wrong"
                )
            else:
                kind = "to flag"
                outcome = "flagged" if flagged else "wrong" if response.achieved is not None else "blank, not flagged"
            tally[f"{kind}: {outcome}"] += 1
            if outcome in ("wrong", "blank, not flagged") or (outcome == "flagged" and kind == "clear"):
                tally[f"why: {style}: {'; '.join(response.problems)[:90]}"] += 0
            if outcome in ("wrong", "blank, not flagged") and len(wrong_examples) < 8:
                wrong_examples.append(f"{key} {style} expected {level} read {response.achieved} {response.problems}")
        copies_right[(result.form_id, result.copy)] += 1

    clear = sum(v for k, v in tally.items() if k.startswith("clear:"))
    to_flag = sum(v for k, v in tally.items() if k.startswith("to flag:"))
    blank = sum(v for k, v in tally.items() if k.startswith("blank:"))
    unflagged_wrong = tally["clear: wrong"] + tally["to flag: wrong"] + tally["blank: wrong"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"| scanned pages | {pages} in {len(files)} PDFs ({'easy' if args.easy else 'hard'} scans, seed {args.seed}) |"
    )
    print("|---|---|")
    print(f"| returns found | {len(results)} (expected {2 * args.copies}); files refused: {len(failures)} |")
    print(
        f"| clear marks read right | {tally['clear: right']} of {clear} "
        f"({100 * tally['clear: right'] / max(clear, 1):.2f}%) |"
    )
    print(f"| clear marks flagged for checking (on pages read) | {tally['clear: flagged']} |")
    readable = clear - tally["clear: on a page not read"]
    print(
        f"| clear marks on pages whose code was read: right | {tally['clear: right']} of {readable} "
        f"({100 * tally['clear: right'] / max(readable, 1):.2f}%) |"
    )
    print(
        "| clear marks on pages not read (QR code outside the scan or unreadable) | "
        f"{tally['clear: on a page not read']} |"
    )
    print(f"| clear marks read wrong | {tally['clear: wrong']} |")
    print(f"| marks to flag (double, scribble, faint) flagged | {tally['to flag: flagged']} of {to_flag} |")
    print(f"| faint marks lost in the scan (read blank) | {tally['to flag: blank, not flagged']} |")
    print(
        f"| blanks read blank / flagged / wrong | {tally['blank: right']} / {tally['blank: flagged']} / "
        f"{tally['blank: wrong']} of {blank} |"
    )
    print(f"| **wrong answers not flagged** | **{unflagged_wrong}** |")
    print(
        f"| reading speed | {pages / seconds:.1f} pages/s on {cores} cores ({seconds:.1f} s; "
        f"simulating took {simulated:.0f} s) |"
    )
    if os.environ.get("SCAN_BENCHMARK_WHY"):
        for key in sorted(tally):
            if key.startswith("why: "):
                print(key)
    for failure in failures:
        print(f"refused: {failure}")
    for example in wrong_examples:
        print(f"wrong: {example}")


if __name__ == "__main__":
    main()
