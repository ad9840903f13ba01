"""Test helpers that drive real office software: LibreOffice (headless) and poppler.

Tests that need LibreOffice carry ``@pytest.mark.libreoffice``; conftest skips them with a
reason where ``soffice`` is absent.  CI installs it, so there they run.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")

#: LibreOffice filter names for a re-save in the same format ("open in LibreOffice, save").
RESAVE_FILTERS = {
    "docx": "docx:MS Word 2007 XML",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
}


def convert(source: Path, target: str, outdir: Path, timeout: int = 240) -> Path:
    """Convert ``source`` with LibreOffice: ``target`` is an extension ("pdf") or
    "ext:filter".  Each call has its own user profile so parallel runs cannot collide.
    Returns the converted file; raises AssertionError with LibreOffice's output on failure."""
    assert SOFFICE, "LibreOffice (soffice) is not installed"
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        result = subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    produced = outdir / f"{source.stem}.{target.split(':')[0]}"
    assert result.returncode == 0 and produced.exists(), (
        f"LibreOffice could not convert {source.name} to {target}:\n{result.stdout}\n{result.stderr}"
    )
    return produced


def resave(source: Path, outdir: Path) -> Path:
    """Open ``source`` (.docx or .xlsx) in LibreOffice and save it again in the same format."""
    return convert(source, RESAVE_FILTERS[source.suffix.lstrip(".")], outdir)


def render_pages(
    pdf: Path, outdir: Path, first: int | None = None, last: int | None = None, dpi: int = 70
) -> list[Path]:
    """Render PDF pages to PNG with poppler's pdftoppm; returns the PNG files in page order."""
    assert PDFTOPPM, "poppler's pdftoppm is not installed"
    outdir.mkdir(parents=True, exist_ok=True)
    args = [PDFTOPPM, "-png", "-r", str(dpi)]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    subprocess.run([*args, str(pdf), str(outdir / pdf.stem)], check=True, capture_output=True, timeout=240)
    return sorted(outdir.glob(f"{pdf.stem}*.png"))
