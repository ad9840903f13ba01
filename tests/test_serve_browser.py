"""A whole round through `coproduce serve` in a real browser: Debian's Chromium driven by
Playwright (no browser download), the server started and stopped inside the test on a free port.

Upload the sample returns, see the results and an organisation's page (its chart drawn), decide
an answer to check with one button, download a plan; every page keyboard-reachable, nothing
asked of any other address, no Content-Security-Policy violation.  Screenshots go to
$COPRODUCE_SCREENSHOTS if set (else pytest's temporary folder): look at them.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest

from generator.demo import write_sample_returns
from generator.model.catalogue import DEFAULT_INSTRUMENT, find_instruments

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`coproduce serve` of an empty round folder, on a free port, in a thread; stopped afterwards."""
    pytest.importorskip("uvicorn", reason="the web page's packages are not installed")
    from generator.web.round import RoundFolder
    from generator.web.serve import local_server

    folder = tmp_path_factory.mktemp("round")
    (folder / "recipients.csv").write_text(
        "organisation,contact,email\nRiverside Community Trust,Ann,ann@example.org\n"
        "Westfield Day Centre,Bo,bo@example.org\n",
        encoding="utf-8",
    )
    server = local_server(RoundFolder(folder), find_instruments().instruments, port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.server.started
    yield server, folder
    server.server.should_exit = True
    thread.join(timeout=10)


def test_a_whole_round_in_chromium(served, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    server, folder = served
    shots = Path(os.environ.get("COPRODUCE_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    written = write_sample_returns(find_instruments().get(DEFAULT_INSTRUMENT), tmp_path / "to-upload")
    # one organisation's returns (two answers to check among them), a damaged file and a note: one plan to write
    returns = [path for path in written if path.name.startswith(("riverside", "damaged", "notes"))]
    base = f"http://127.0.0.1:{server.port}"
    asked, violations = [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
            page.on("request", lambda request: asked.append(request.url))
            page.on(
                "console",
                lambda message: violations.append(message.text) if "Content Security" in message.text else None,
            )

            page.goto(server.url)
            assert page.url == f"{base}/"  # the token was exchanged for the cookie
            # keyboard first: Tab reaches the skip link, then the pages' links
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to the page's content"
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Add returns"
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline == "solid"  # focus is visible
            page.screenshot(path=shots / "1-start-focus.png")
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/upload")

            page.get_by_label("Returns to add").set_input_files([str(path) for path in returns])
            page.get_by_role("button", name="Add and merge").click()
            page.get_by_role("heading", name="What to do next").wait_for(timeout=60_000)
            assert page.get_by_text("damaged-return.docx").first.is_visible()  # its fate and reason shown
            assert "Rejected" in page.content() and "Merged" in page.content()
            page.screenshot(path=shots / "2-uploaded.png", full_page=True)

            page.get_by_role("link", name="See the results").click()
            grid = page.get_by_role("table").first
            assert (
                grid.get_by_role("cell", name="Bronze").count() + grid.get_by_role("cell", name="Not yet").count() > 0
            )
            page.screenshot(path=shots / "3-results.png", full_page=True)
            page.set_viewport_size({"width": 400, "height": 800})  # a phone: the grid scrolls, the page does not
            assert page.evaluate("document.documentElement.scrollWidth") <= 400
            page.screenshot(path=shots / "3-results-phone.png", full_page=True)
            page.set_viewport_size({"width": 1200, "height": 900})

            page.get_by_role("link", name="Riverside Community Trust (2025-26)").click()
            page.get_by_role("heading", name="Why this tier").wait_for()
            page.wait_for_load_state("load")  # the chart too
            chart = page.get_by_role("img")
            assert chart.evaluate("image => image.naturalWidth") > 0
            page.screenshot(path=shots / "4-organisation.png", full_page=True)

            page.get_by_role("link", name="Answers to check").click()
            questions = page.locator("form.question")
            before = questions.count()
            assert before > 0
            first = questions.first
            first.get_by_label("Decided by").fill("Priya Shah")
            first.get_by_label("Note (why; optional)").fill("Asked the panel")
            page.screenshot(path=shots / "5-to-check.png", full_page=True)
            first.get_by_role("button", name="Silver").click()
            page.get_by_text("Saved “Silver”").wait_for(timeout=60_000)
            assert page.locator("form.question").count() == before - 1
            assert page.get_by_role("cell", name="Priya Shah").is_visible()
            page.screenshot(path=shots / "6-decided.png", full_page=True)

            page.get_by_role("link", name="Not returned").click()
            assert page.get_by_role("cell", name="Westfield Day Centre").is_visible()
            assert page.get_by_role("cell", name="Riverside Community Trust").count() == 0
            page.screenshot(path=shots / "7-not-returned.png", full_page=True)

            page.get_by_role("link", name="Downloads").click()
            page.screenshot(path=shots / "8-downloads.png", full_page=True)
            with page.expect_download() as download:
                page.get_by_role("link", name="riverside-community-trust-action-plan.docx").click()
            saved = tmp_path / "plan.docx"
            download.value.save_as(saved)
            assert zipfile.is_zipfile(saved) and "word/document.xml" in zipfile.ZipFile(saved).namelist()
        finally:
            browser.close()
    assert all(url.startswith(base) for url in asked), [u for u in asked if not u.startswith(base)]
    assert not violations
    assert "Priya Shah" in (folder / "results.json").read_text(encoding="utf-8")
