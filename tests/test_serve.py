"""`coproduce serve` through Starlette's test client: the token and cookie, CSRF, other
origins and hosts, paths out of the round folder, uploads (a hostile file gets the command
line's message), deciding an answer to check (saved in decisions.xlsx, as the command line
reads it), and every page answering with its security headers."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette", reason="the web page's packages are not installed")
pytest.importorskip("httpx2", reason="Starlette's test client needs httpx2 (in the test extra)")

from starlette.testclient import TestClient  # noqa: E402

from generator.cli import cli  # noqa: E402
from generator.decisions import DECISIONS_FILE, read_decisions  # noqa: E402
from generator.demo import write_sample_returns  # noqa: E402
from generator.model.catalogue import DEFAULT_INSTRUMENT, find_instruments  # noqa: E402
from generator.pipeline import merge_and_score  # noqa: E402
from generator.scoring.rules import load_rules  # noqa: E402
from generator.web.round import RoundFolder, safe_file_name  # noqa: E402
from generator.web.security import CONTENT_SECURITY_POLICY  # noqa: E402
from generator.web.serve import guarded_app  # noqa: E402

PORT = 8123
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-0123456789"
INSTRUMENTS = find_instruments().instruments


def _client(folder: Path, recipients: Path | None = None, token: bool = True) -> TestClient:
    app = guarded_app(RoundFolder(folder, recipients), INSTRUMENTS, TOKEN, PORT)
    client = TestClient(app, base_url=BASE, follow_redirects=False)
    if token:
        response = client.get(f"/?token={TOKEN}")
        assert response.status_code == 303
    return client


def _csrf(client: TestClient, page: str = "/upload") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(page).text)[1]


@pytest.fixture(scope="module")
def merged_round(tmp_path_factory) -> Path:
    """A round folder with the V1.1 sample returns merged (answers to check among them) and a recipients list."""
    folder = tmp_path_factory.mktemp("round")
    write_sample_returns(INSTRUMENTS[DEFAULT_INSTRUMENT], folder / "returns")
    (folder / "recipients.csv").write_text(
        "organisation,contact,email\nRiverside Community Trust,Ann,ann@example.org\n"
        "Westfield Day Centre,Bo,bo@example.org\n",
        encoding="utf-8",
    )
    merge_and_score([folder / "returns"], INSTRUMENTS, load_rules(), folder)  # (no plans: quicker)
    return folder


def test_the_token_is_exchanged_for_a_strict_cookie_and_nothing_is_served_without_it(merged_round):
    client = _client(merged_round, token=False)
    for path in ("/", "/results", "/download/results.json", "/static/style.css", "/?token=wrong"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "address that `coproduce serve` printed" in refused.text
        assert refused.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    first = client.get(f"/results?token={TOKEN}")
    assert first.status_code == 303 and first.headers["location"] == "/results"  # the token leaves the address bar
    cookie = first.headers["set-cookie"]
    assert f"coproduce_{PORT}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/results")
    assert page.status_code == 200 and "Riverside Community Trust" in page.text
    assert _client(merged_round, token=False).post("/merge", data={"csrf": "x"}).status_code == 403


def test_other_hosts_and_origins_are_refused(merged_round):
    client = _client(merged_round)
    # DNS rebinding: a name of another site pointed at 127.0.0.1, even with the token
    assert client.get(f"/?token={TOKEN}", headers={"host": f"attacker.example:{PORT}"}).status_code == 403
    assert client.get("/", headers={"host": "127.0.0.1:9999"}).status_code == 403
    csrf = _csrf(client)
    for headers in (
        {"origin": "http://attacker.example"},
        {"origin": "null"},
        {"origin": "null", "sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "cross-site"},
        {"origin": f"http://127.0.0.1:{PORT}", "sec-fetch-site": "same-site"},
    ):
        refused = client.post("/merge", data={"csrf": csrf}, headers=headers)
        assert refused.status_code == 403 and "another web site" in refused.text, headers
    # a form without its session's CSRF token, or another session's
    assert client.post("/review", data={"key": "k", "decision": "Gold"}).status_code == 403
    other = _client(merged_round)
    assert client.post("/review", data={"csrf": _csrf(other), "decision": "Gold"}).status_code == 403


def test_every_page_answers_with_its_security_headers(merged_round):
    client = _client(merged_round)
    for path in ("/", "/upload", "/results", "/organisation/0", "/review", "/not-returned", "/downloads", "/nope"):
        page = client.get(path)
        assert page.status_code == (404 if path == "/nope" else 200), path
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert '<html lang="en-GB">' in page.text
        assert "<script" not in page.text and " style=" not in page.text  # nothing the policy would block
        # every control has a label: each input with an id has its <label for>, buttons have words
        for control in re.findall(r'<input (?![^>]*type="hidden")[^>]*id="([^"]+)"', page.text):
            assert f'<label for="{control}"' in page.text, (path, control)
    assert client.get("/chart/0.png").headers["content-type"] == "image/png"


def test_results_show_tier_words_with_colours_and_who_has_not_returned(merged_round):
    client = _client(merged_round)
    grid = client.get("/results").text
    cells = re.findall(r'<td class="tier (level-[\w-]+)">([^<]+)</td>', grid)
    assert cells and all(word.strip() for _, word in cells)  # never a colour without its word
    assert {css for css, word in cells if word in ("Bronze", "Silver", "Gold", "Not yet")} <= {
        "level-coproduction-v1-1-not-yet",
        "level-coproduction-v1-1-bronze",
        "level-coproduction-v1-1-silver",
        "level-coproduction-v1-1-gold",
    }
    assert "level-coproduction-v1-1-bronze { background: #" in client.get("/levels.css").text
    page = client.get("/organisation/0").text
    assert "Why this tier" in page and "Overall" in page
    missing = client.get("/not-returned").text
    assert "Westfield Day Centre" in missing and "bo@example.org" in missing
    assert "Riverside Community Trust" not in missing


def test_no_path_leaves_the_round_folder(merged_round, tmp_path):
    secret = tmp_path / "secret.docx"
    secret.write_bytes(b"not for the page")
    link = merged_round / "link-out.docx"
    link.symlink_to(secret)
    try:
        client = _client(merged_round)
        listed = client.get("/downloads").text
        assert "results.json" in listed and "link-out" not in listed and "returns/" not in listed
        assert client.get("/download/results.json").headers["content-disposition"].startswith("attachment")
        for name in (
            "link-out.docx",
            "../secret.docx",
            "%2e%2e/%2e%2e/etc/passwd",
            "..%2f..%2fetc%2fpasswd",
            "returns/riverside-community-trust-1.docx",
            str(secret),
        ):
            assert client.get(f"/download/{name}").status_code == 404, name
        assert client.get("/scan/..%2fresults.json").status_code == 404
        (merged_round / "scans").mkdir(exist_ok=True)
        (merged_round / "scans" / "form-abc-3.2-marks-p4.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        crop = client.get("/scan/form-abc-3.2-marks-p4.png")  # a scan's cut-out mark, shown beside its question
        assert crop.status_code == 200 and crop.headers["content-type"] == "image/png"
    finally:
        link.unlink()


def test_a_hostile_upload_gets_the_command_lines_message_and_limits_hold(tmp_path):
    client = _client(tmp_path)
    csrf = _csrf(client)
    hostile = b"PK\x03\x04" + b"\x00" * 40 + b"not really a zip"
    page = client.post(
        "/upload",
        data={"csrf": csrf},
        files=[("files", ("../../evil name?.docx", io.BytesIO(hostile))), ("files", ("notes.txt", b"hello"))],
    )
    assert page.status_code == 200
    saved = tmp_path / "returns" / "evil name_.docx"  # no folder, no character Windows refuses
    assert saved.read_bytes() == hostile and not (tmp_path.parent / "evil name?.docx").exists()
    said = CliRunner().invoke(cli, ["read", str(saved)])
    assert said.exit_code == 1
    message = said.output.strip().splitlines()[0].removeprefix("Error: ").split(": ", 1)[1]
    assert f"<strong>{saved.name}</strong>: {message}".replace("'", "&#39;") in page.text
    assert "Nothing was merged" in page.text  # and the merge says why, as the command line does
    assert not (tmp_path / "results.json").exists()
    # too many bytes at once: refused before it is read
    too_big = client.post("/upload", data={"csrf": csrf}, headers={"content-length": str(10**12)}, content=b"x" * 10)
    assert too_big.status_code == 413
    too_many = client.post("/upload", data={"csrf": csrf}, files=[("files", (f"{n}.docx", b"x")) for n in range(201)])
    assert too_many.status_code == 400 and "Too many files" in too_many.text
    assert len(list((tmp_path / "returns").iterdir())) == 2  # the hostile file and the note only


def test_safe_file_names():
    assert safe_file_name("C:\\Users\\ann\\return.docx") == "return.docx"
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..") == "upload"
    assert safe_file_name(".hidden.pdf") == "hidden.pdf"
    assert safe_file_name("a\x00b\r\n.xlsx") == "a_b__.xlsx"


def test_a_decision_in_the_page_is_saved_where_the_command_line_reads_it(merged_round, tmp_path):
    folder = tmp_path / "round"
    shutil.copytree(merged_round, folder)
    client = _client(folder)
    review = client.get("/review").text
    key = re.search(r'name="key" value="([^"]+)"', review)[1].replace("&#34;", '"').replace("&amp;", "&")
    answered = client.post(
        "/review", data={"csrf": _csrf(client, "/review"), "key": key, "decision": "Silver", "by": "Priya Shah"}
    )
    assert answered.status_code == 303
    after = client.get(answered.headers["location"]).text
    assert "Saved “Silver”" in after and "Priya Shah" in after  # listed among the decisions made
    decisions = {d.key: d for d in read_decisions(folder / DECISIONS_FILE)}
    assert decisions[key].decision == "Silver" and decisions[key].by == "Priya Shah"
    page_results = (folder / "results.json").read_text(encoding="utf-8")
    assert '"status": "applied"' in page_results
    # the command line, merging the same folder, reads the decision and gets the same results
    # (the page merges with the folder's recipients.csv, as `merge --recipients` does: who has not returned)
    assert '"not_returned"' in page_results
    merge = ["merge", str(folder / "returns"), "--out", str(folder), "--recipients", str(folder / "recipients.csv")]
    again = CliRunner().invoke(cli, merge)
    assert again.exit_code == 1, again.output  # (the sample's damaged file is rejected, as ever)
    assert (folder / "results.json").read_text(encoding="utf-8") == page_results


def test_an_email_added_on_the_page_is_opened_as_the_command_line_opens_it(merged_round, tmp_path):
    """An .eml was once 'Rejected: is not a Word, Excel or PDF file' on the page while the merge read
    its attachment, whose fate was then never shown; and the page's merge left out who has not returned."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["Subject"] = "Ann <ann@example.org>", "Re: checklist"
    message["Date"] = "Tue, 10 Mar 2026 10:00:00 +0000"
    message.set_content("Our return is attached.")
    form = (merged_round / "returns" / "riverside-community-trust-3.xlsx").read_bytes()
    message.add_attachment(form, maintype="application", subtype="octet-stream", filename="ours.xlsx")
    message.add_attachment(b"see you soon", maintype="text", subtype="plain", filename="notes.txt")
    shutil.copy(merged_round / "recipients.csv", tmp_path / "recipients.csv")
    client = _client(tmp_path)
    page = client.post(
        "/upload", data={"csrf": _csrf(client)}, files=[("files", ("reply.eml", bytes(message)))]
    ).text.replace("&#39;", "'")
    sender = "(by email from ann@example.org, 2026-03-10, 'Re: checklist')"
    read, after = page.split("What became of the files added")
    assert "reply.eml</strong>: is not" not in read
    assert re.search(
        rf"Read</span> <strong>reply.eml/ours.xlsx</strong>: Riverside Community Trust[^<]*{re.escape(sender)}", read
    )
    assert re.search(r"Skipped</span> <strong>reply.eml/notes.txt</strong>: not a form", read)
    assert f"Merged</span> <strong>reply.eml/ours.xlsx</strong>: merged {sender}" in after
    assert "Skipped</span> <strong>reply.eml/notes.txt</strong>" in after
    home = client.get("/").text.replace("&#39;", "'")
    assert 'reply.eml/ours.xlsx<br><span class="hint">by email from ann@example.org' in home
    # merged as `run --recipients FOLDER/recipients.csv` merges: who has not returned, in results.json too
    assert "of the 2 organisations on the recipients list not returned yet" in home
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert [r["organisation"] for r in results["recipients"]["not_returned"]] == ["Westfield Day Centre"]
