"""The pages of ``coproduce serve``: a thin layer over :class:`generator.web.round.RoundFolder`.

Plain HTML forms, no script: every action is a form posted to the server, which does the work
with the library and answers with a page.  Uploading and merging answer with a page sent as
the work goes on (each file's fate as it is read, then the merge's progress), so a browser
shows it line by line.  Colours come from a style sheet made of the instruments' level
colours (:func:`level_styles`), always beside the level's word.
"""

from __future__ import annotations

import queue
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from generator.errors import CoproduceError
from generator.model.instrument import Instrument
from generator.model.results import EmailSource, OrganisationResult, Results
from generator.returns import guards
from generator.returns.model import Return
from generator.web.round import RoundFolder, UploadError
from generator.web.security import CSRF_FIELD, check_form, session_of

#: Most files one upload may hold.
MAX_UPLOAD_FILES = 200
_STATIC = Path(__file__).parent / "static"
_PLAIN_REFUSALS = {
    "Not Found": "There is no such page here: choose one of the pages above.",
    "Method Not Allowed": "This page cannot be sent to like that: go back and use its buttons.",
}
_FATE_WORDS = {
    "read": "Read",
    "merged": "Merged",
    "superseded": "Superseded",
    "rejected": "Rejected",
    "skipped": "Skipped",
}


@dataclass
class Event:
    """A line of the page sent while uploads are read and the round merged."""

    kind: str  # "file" (a file read: name, fate, text), "section" (a heading), "progress", "error", "done", "note"
    text: str
    name: str = ""
    fate: str = ""


def css_name(*parts: str) -> str:
    """A CSS class name made of ``parts`` (ids of instruments and levels)."""
    return "-".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts)


def _text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on ``hex_colour`` (WCAG relative luminance)."""
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def level_styles(instruments: Mapping[str, Instrument]) -> str:
    """A style sheet giving each instrument's levels their colours (class ``level-<instrument>-<level>``)."""
    rules = []
    for instrument in instruments.values():
        for level in instrument.scale.levels:
            if level.colour and re.fullmatch(r"#?[0-9A-Fa-f]{6}", level.colour):
                colour = "#" + level.colour.lstrip("#")
                rules.append(
                    f".{css_name('level', instrument.id, level.id)} {{ background: {colour}; "
                    f"color: {_text_colour(colour)}; }}"
                )
    return "\n".join(rules) + "\n"


class Pages:
    """The web page of one round folder: its routes, over ``round`` and ``instruments``."""

    def __init__(self, round_folder: RoundFolder, instruments: Mapping[str, Instrument]) -> None:
        self.round = round_folder
        self.instruments = instruments
        self.merging = threading.Lock()  # one merge at a time (the folder's lock says so to the CLI)
        self.templates = Environment(
            loader=PackageLoader("generator.web", "templates"), autoescape=select_autoescape(default=True)
        )
        from generator.outputs.summary import email_words

        # a file as the page names it (inside returns/), and the email it came in, in words
        self.templates.filters.update(shown=round_folder.shown, email_words=email_words)
        self._results: tuple[tuple[int, int], Results] | None = None
        self._charts: dict[tuple[str | None, int], bytes] = {}
        self.styles = level_styles(instruments)

    # --- helpers ---------------------------------------------------------------------------

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session = session_of(request)
        flash, session.flash = session.flash, []
        page = self.templates.get_template(template).render(
            csrf=session.csrf,
            csrf_field=CSRF_FIELD,
            flash=flash,
            folder=self.round.folder,
            path=request.url.path,
            **context,
        )
        return HTMLResponse(page, status_code=status)

    def results(self) -> Results | None:
        """The round's results, read again only when results.json changes."""
        path = self.round.results_file
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._results = None
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._results is None or self._results[0] != stamp:
            self._results = (stamp, self.round.results(self.instruments))
            self._charts.clear()
        return self._results[1]

    def organisation(self, number: int) -> tuple[Results, OrganisationResult]:
        results = self.results()
        if results is None or not 0 <= number < len(results.organisations):
            raise HTTPException(404, "No such organisation in this round's results.")
        return results, results.organisations[number]

    def level(self, instrument_id: str, level_id: str | None) -> dict[str, str]:
        """The word and style class of a level (a tier) of an instrument."""
        instrument = self.instruments[instrument_id]
        for level in instrument.scale.levels:
            if level.id == level_id:
                return {"word": level.label, "css": css_name("level", instrument_id, level.id)}
        return {"word": "", "css": "level-none"}

    # --- pages -----------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        results = await run_in_threadpool(self._results_or_error, request)
        to_check = sum(len(o.unclear) for o in results.organisations) if results else 0
        return self.render(request, "home.html", results=results, to_check=to_check, fates=_FATE_WORDS)

    def _results_or_error(self, request: Request) -> Results | None:
        try:
            return self.results()
        except CoproduceError as error:
            session_of(request).flash.append(("error", str(error)))
            return None

    async def results_page(self, request: Request) -> Response:
        results = await run_in_threadpool(self._results_or_error, request)
        grids = []
        if results is not None:
            for summary in results.instruments:
                rows = [
                    (n, organisation)
                    for n, organisation in enumerate(results.organisations)
                    if organisation.instrument == summary.id
                ]
                if rows:
                    grids.append((summary, rows))
        return self.render(request, "results.html", results=results, grids=grids, level=self.level)

    async def organisation_page(self, request: Request) -> Response:
        number = request.path_params["number"]
        results, organisation = self.organisation(number)
        instrument = self.instruments[organisation.instrument]
        titles = {indicator.id: indicator.title for indicator in instrument.indicators}
        return self.render(
            request,
            "organisation.html",
            results=results,
            organisation=organisation,
            number=number,
            instrument=instrument,
            titles=titles,
            level=self.level,
            chart_text=_chart_text(organisation),
        )

    async def chart(self, request: Request) -> Response:
        number = request.path_params["number"]
        results, organisation = self.organisation(number)
        key = (results.run_id, number)
        if key not in self._charts:
            self._charts[key] = await run_in_threadpool(_chart_png, organisation, results, self.instruments)
        return Response(self._charts[key], media_type="image/png")

    async def review(self, request: Request) -> Response:
        from generator.decisions import choices

        results = await run_in_threadpool(self._results_or_error, request)
        items = []
        if results is not None:
            for organisation in results.organisations:
                instrument = self.instruments[organisation.instrument]
                titles = {indicator.id: indicator.title for indicator in instrument.indicators}
                for answer in organisation.unclear:
                    image = Path(answer.image).name if answer.image else None
                    items.append(
                        {
                            "organisation": organisation,
                            "answer": answer,
                            "title": titles.get(answer.indicator, ""),
                            "choices": choices(instrument),
                            "image": image if image and self.round.scan_image(image) else None,
                        }
                    )
        decided = results.decisions if results is not None else []
        return self.render(
            request, "review.html", results=results, items=items, decided=decided, name=session_of(request).name
        )

    async def decide(self, request: Request) -> Response:
        from generator.decisions import choices

        form = await check_form(request)
        key, decision = str(form.get("key") or ""), str(form.get("decision") or "")
        by, note = " ".join(str(form.get("by") or "").split())[:200], " ".join(str(form.get("note") or "").split())
        session = session_of(request)
        results = self.results()
        question = None
        if results is not None:
            question = next(((o, a) for o in results.organisations for a in o.unclear if a.key and a.key == key), None)
        if question is None or decision not in choices(self.instruments[question[0].instrument]):
            session.flash.append(("error", "That answer is no longer waiting for a decision; nothing was changed."))
            return RedirectResponse("/review", status_code=303)
        session.name = by or session.name
        if not self.merging.acquire(blocking=False):
            session.flash.append(("error", "A merge is running: wait for it to finish, then decide again."))
            return RedirectResponse("/review", status_code=303)
        try:
            await run_in_threadpool(self.round.decide, key, decision, by or None, note[:500] or None, self.instruments)
        except CoproduceError as error:
            session.flash.append(("error", f"The decision was not saved: {error}"))
        else:
            organisation, answer = question
            who = answer.respondent or self.round.shown(answer.file)
            session.flash.append(
                (
                    "done",
                    f"Saved “{decision}” for {organisation.title}, indicator {answer.indicator} "
                    f"({who}) in decisions.xlsx, and merged the round again.",
                )
            )
        finally:
            self.merging.release()
        return RedirectResponse("/review", status_code=303)

    async def not_returned(self, request: Request) -> Response:
        def find():
            results = self._results_or_error(request)
            not_listed = results.recipients.not_listed if results is not None and results.recipients else []
            try:
                return self.round.not_returned(results), None, not_listed
            except CoproduceError as error:
                return None, str(error), []

        missing, problem, not_listed = await run_in_threadpool(find)
        return self.render(
            request,
            "not_returned.html",
            missing=missing,
            problem=problem,
            listed=self.round.recipients_file,
            not_listed=not_listed,
        )

    async def downloads(self, request: Request) -> Response:
        names = await run_in_threadpool(self.round.downloads)
        groups: dict[str, list[tuple[str, int]]] = {}
        for name in names:
            folder = name.rpartition("/")[0] or "(the round folder)"
            groups.setdefault(folder, []).append((name, (self.round.folder / name).stat().st_size))
        return self.render(request, "downloads.html", groups=groups)

    async def download(self, request: Request) -> Response:
        path = await run_in_threadpool(self.round.download, request.path_params["name"])
        if path is None:
            raise HTTPException(404, "No such file to download in this round folder.")
        return FileResponse(path, filename=path.name, content_disposition_type="attachment")

    async def scan(self, request: Request) -> Response:
        path = self.round.scan_image(request.path_params["name"])
        if path is None:
            raise HTTPException(404, "No such scan image in this round folder.")
        return FileResponse(path, media_type="image/png")

    async def styles_css(self, request: Request) -> Response:
        return Response(self.styles, media_type="text/css")

    async def upload_form(self, request: Request) -> Response:
        return self.render(request, "upload.html", max_files=MAX_UPLOAD_FILES, limit=self.round.limits.file_bytes)

    async def upload(self, request: Request) -> Response:
        form = await check_form(request, max_files=MAX_UPLOAD_FILES)
        files = [item for item in form.getlist("files") if hasattr(item, "filename") and item.filename]
        saved, events = [], []
        try:
            for item in files:
                outcome = await run_in_threadpool(self.round.save_upload, item.filename, item.file)
                if outcome.path is not None:
                    saved.append(outcome.path)
                else:
                    events.append(Event("file", outcome.reason or "", outcome.name, outcome.fate))
        except UploadError as error:
            events.append(Event("error", str(error)))
        finally:
            await form.close()
        if not files:
            events.append(Event("error", "No file was chosen: choose one or more returns to upload."))
        return self._working(request, "Uploading returns", self._read_and_merge(saved, events, bool(saved)))

    async def merge(self, request: Request) -> Response:
        await check_form(request)
        return self._working(request, "Merging the round", self._read_and_merge([], [], True))

    def _working(self, request: Request, title: str, events: Iterator[Event]) -> Response:
        session = session_of(request)
        page = self.templates.get_template("working.html").generate(
            title=title,
            events=events,
            csrf=session.csrf,
            csrf_field=CSRF_FIELD,
            flash=[],
            path=request.url.path,
            folder=self.round.folder,
        )
        return StreamingResponse(page, media_type="text/html; charset=utf-8")

    def _read_and_merge(self, saved: list[Path], before: list[Event], merge: bool) -> Iterator[Event]:
        """The lines of the upload page: files not added, each file saved as it is read (its
        fate, as ``coproduce read`` gives it), then the merge's progress and its summary."""
        yield from before
        if saved:
            yield Event("section", f"Reading the {len(saved)} file{'s' if len(saved) != 1 else ''} added")
            yield from self._read_each(saved)
        if not merge:
            return
        if not self.merging.acquire(blocking=False):
            yield Event("error", "Another merge is running: wait for it to finish, then merge again.")
            return
        try:
            yield from self._merge_events(saved)
        finally:
            self.merging.release()

    def _read_each(self, saved: list[Path]) -> Iterator[Event]:
        """Each file added read as ``coproduce read`` reads it: an email, a mailbox or a zip
        opened first, each attachment read (and shown with the email it came in), the rest as
        it is; what an email held and was not read, with its reason."""
        from generator.merge import skip_reason
        from generator.returns.batch import iter_read, unpack_containers
        from generator.returns.tracker_return import TrackerReturn

        to_read = []
        for path in saved:
            reason = skip_reason(path)
            if reason:
                yield Event("file", reason, path.name, "skipped")
            else:
                to_read.append(path)
        with tempfile.TemporaryDirectory(prefix="coproduce-attachments-") as folder:
            unpacked = unpack_containers(to_read, Path(folder), self.round.limits)
            for item in unpacked.not_read:
                yield Event("file", _with_email(item.reason or "", item.origin), self.round.shown(item.name), item.fate)
            names = unpacked.names
            read = iter_read(unpacked.files, self.instruments, limits=self.round.limits, trackers=True, names=names)
            with closing(read) as outcomes:
                for number, outcome in enumerate(outcomes, 1):
                    name = names.get(outcome.path) or guards.file_label(outcome.path)
                    came = _with_email("", unpacked.origins.get(name))
                    if outcome.failure is not None:
                        yield Event("file", outcome.failure.problem + came, self.round.shown(name), "rejected")
                    elif isinstance(outcome.result, TrackerReturn):
                        text = "an action tracker: its statuses are kept, not merged as answers"
                        yield Event("file", text + came, self.round.shown(name), "skipped")
                    else:
                        found = "; ".join(_return_words(result) for result in outcome.results)
                        where = f"{number} of {len(unpacked.files)}"
                        yield Event("file", f"{found}{came} ({where})", self.round.shown(name), "read")

    def _merge_events(self, saved: list[Path]) -> Iterator[Event]:
        """Merge the round in a thread, giving its progress as it goes, then its summary."""
        from generator.outputs.summary import merge_summary

        lines: queue.Queue = queue.Queue()
        outcome: dict[str, Any] = {}

        def progress(total: int):
            lines.put(Event("section", "Merging the round"))
            lines.put(Event("progress", f"Reading its {total} files…"))
            done = 0

            def tick() -> None:
                nonlocal done
                done += 1
                if done == total or done % max(1, total // 4) == 0:
                    lines.put(Event("progress", f"{done} of {total} files read"))

            return tick

        def work() -> None:
            try:
                outcome["output"] = self.round.merge(self.instruments, progress)
            except CoproduceError as error:
                outcome["error"] = str(error)
            except Exception as error:  # noqa: BLE001 - shown on the page; the server goes on
                outcome["error"] = f"the merge stopped: {error!r}; please report this"
            finally:
                lines.put(None)

        worker = threading.Thread(target=work, name="coproduce-merge", daemon=True)
        worker.start()
        while (line := lines.get()) is not None:
            yield line
        worker.join()
        if "error" in outcome:
            yield Event("error", f"Nothing was merged: {outcome['error']}")
            return
        output = outcome["output"]
        for note in output.notes:
            yield Event("note", note)
        added = tuple(guards.file_label(path) for path in saved)
        if added:
            yield Event("section", "What became of the files added")
        for entry in output.results.manifest:
            # a file added, or an attachment of an email added (named "<email>/<attachment>")
            if entry.file in added or entry.file.startswith(tuple(f"{name}/" for name in added)):
                text = entry.reason or _FATE_WORDS[entry.fate].lower()
                if entry.superseded_by:
                    text += f" (by {self.round.shown(entry.superseded_by)})"
                yield Event("file", _with_email(text, entry.email), self.round.shown(entry.file), entry.fate)
        yield Event("done", merge_summary(output.results))


def _return_words(result: Return) -> str:
    """A return read, in a few words: its organisation, respondent and how many problems it has."""
    words = result.organisation or "no organisation named"
    words += f" ({result.respondent})" if result.respondent else ""
    count = len(result.problems)
    return words + (f", {count} problem{'s' if count != 1 else ''}" if count else "")


def _with_email(text: str, source: EmailSource | None) -> str:
    """``text`` followed by the email a file came in (sender, date, subject), unless it names the sender already."""
    from generator.outputs.summary import email_words

    if source is None or (source.sender and source.sender in text):
        return text
    return f"{text} (by email {email_words(source)})"


def _chart_png(organisation: OrganisationResult, results: Results, instruments: Mapping[str, Instrument]) -> bytes:
    """The chart of the organisation's plan: points per section (levels per section for statements)."""
    from generator.plans import charts
    from generator.plans.context import organisation_plan
    from generator.scoring.rules import Roles

    context = organisation_plan(organisation, instruments[organisation.instrument], Roles.from_data(results.rules))
    if context.get("style") == "statements":
        return charts.section_levels_chart(context)
    return charts.section_points_chart(context)


def _chart_text(organisation: OrganisationResult) -> str:
    """The chart's words, for its alt text."""
    parts = [f"section {s.number}: {s.points} of {s.max_points} points" for s in organisation.sections]
    return "Points per section — " + "; ".join(parts) + "."


def create_app(round_folder: RoundFolder, instruments: Mapping[str, Instrument]) -> Starlette:
    """The Starlette app of the page (without :class:`generator.web.security.Guard`, which
    :func:`generator.web.serve.guarded_app` puts round it)."""
    pages = Pages(round_folder, instruments)

    async def not_found(request: Request, error: HTTPException) -> Response:
        # Starlette's own refusals say only "Not Found" or "Method Not Allowed": say it in words
        message = _PLAIN_REFUSALS.get(error.detail, error.detail)
        if "state" not in request.scope or "session" not in request.scope["state"]:
            return HTMLResponse(message, status_code=error.status_code)
        heading = "Not found" if error.status_code == 404 else "Refused"
        return pages.render(request, "error.html", status=error.status_code, heading=heading, message=message)

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)  # the page has no icon; a browser asks for one all the same

    routes = [
        Route("/", pages.home),
        Route("/upload", pages.upload_form, methods=["GET"]),
        Route("/upload", pages.upload, methods=["POST"]),
        Route("/merge", pages.merge, methods=["POST"]),
        Route("/results", pages.results_page),
        Route("/organisation/{number:int}", pages.organisation_page),
        Route("/chart/{number:int}.png", pages.chart),
        Route("/review", pages.review, methods=["GET"]),
        Route("/review", pages.decide, methods=["POST"]),
        Route("/not-returned", pages.not_returned),
        Route("/downloads", pages.downloads),
        Route("/download/{name:path}", pages.download),
        Route("/scan/{name}", pages.scan),
        Route("/levels.css", pages.styles_css),
        Route("/favicon.ico", no_icon),
        Mount("/static", StaticFiles(directory=_STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: not_found})
