"""What keeps the local page to the one person who started it: an ASGI layer round the app.

* Every request must name this server as it listens (``Host: 127.0.0.1:PORT`` or
  ``localhost:PORT``): a page on another site that points a name of its own at 127.0.0.1
  (DNS rebinding) is refused.
* The first visit carries the token printed by ``coproduce serve`` (``?token=…``, compared in
  constant time); it is exchanged for a session cookie (HttpOnly, SameSite=Strict, named for
  the port) and the browser sent on without the token in its address.  Any request with
  neither is refused (403).
* A POST from another origin (``Origin``, ``Sec-Fetch-Site``) is refused, and each form carries
  its session's CSRF token (:func:`check_form`); a request body bigger than ``max_body`` is
  refused (413) before it is all read.
* Every response, refusals included, says what the browser may do with it: a strict
  Content-Security-Policy (no script at all, nothing from elsewhere, no framing), no MIME
  sniffing, no referrer, no caching.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; img-src 'self'; style-src 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
#: Visits remembered at once (each new visit with the token starts one).
MAX_SESSIONS = 50
#: The name of the form field holding the CSRF token.
CSRF_FIELD = "csrf"
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_NO_TOKEN = (
    "Refused: open the address that `coproduce serve` printed (it carries a token), in the browser "
    "you want to use. This page is only for the person who started it."
)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"Refused: more than {limit // (1024 * 1024)} MB sent at once; send fewer files at a time."
        )


@dataclass
class Session:
    """One browser's visit: its CSRF token, the name it last decided under, a message to show once."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    name: str = ""
    flash: list[tuple[str, str]] = field(default_factory=list)


class Guard:
    """The ASGI layer round ``app`` (see the module's docstring).  :meth:`listening_on` must be
    called with the port once it is known, before requests are served."""

    def __init__(self, app: ASGIApp, token: str, max_body: int) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body
        self.sessions: dict[str, Session] = {}
        self.hosts: set[str] = set()
        self.origins: set[str] = set()
        self.cookie = "coproduce_session"

    def listening_on(self, port: int) -> None:
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}
        self.cookie = f"coproduce_{port}"  # cookies ignore ports: one per server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in dict(SECURITY_HEADERS)
                ] + SECURITY_HEADERS
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await PlainTextResponse(refusal[1], status_code=refusal[0])(scope, receive, send_with_headers)
            return
        session = self._session(headers)
        if session is None:
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            given = next((value for key, value in query if key == "token"), "")
            if scope["method"] != "GET" or not secrets.compare_digest(given.encode(), self.token.encode()):
                await PlainTextResponse(_NO_TOKEN, status_code=403)(scope, receive, send_with_headers)
                return
            session_id = secrets.token_urlsafe(32)
            while len(self.sessions) >= MAX_SESSIONS:  # the oldest visit goes first
                del self.sessions[next(iter(self.sessions))]
            self.sessions[session_id] = Session()
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), status_code=303)
            response.set_cookie(self.cookie, session_id, httponly=True, samesite="strict", path="/")
            await response(scope, receive, send_with_headers)
            return
        scope.setdefault("state", {})["session"] = session
        await self.app(scope, self._limited(receive), send_with_headers)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        """(status, why) when the request is refused whoever sends it, else None."""
        if headers.get("host", "").lower() not in self.hosts:
            return 403, "Refused: this page answers only at the address `coproduce serve` printed (127.0.0.1)."
        if scope["method"] in _UNSAFE_METHODS:
            # Under "Referrer-Policy: no-referrer" a browser sends a form's Origin as "null"; it is
            # taken only with the browser's own word that the form is of this page (Sec-Fetch-Site,
            # which no page can set).  Another origin, or another site, is refused.
            origin, fetched_from = headers.get("origin"), headers.get("sec-fetch-site")
            if origin == "null" and fetched_from != "same-origin":
                return 403, "Refused: a form sent from another web site."
            if origin not in (None, "null") and origin.lower() not in self.origins:
                return 403, "Refused: a form sent from another web site."
            if fetched_from not in (None, "same-origin", "none"):
                return 403, "Refused: a form sent from another web site."
            length = headers.get("content-length", "0")
            if not length.isdigit() or int(length) > self.max_body:
                return 413, BodyTooLarge(self.max_body).detail
        return None

    def _session(self, headers: dict[str, str]) -> Session | None:
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is no session
            return None
        morsel = cookies.get(self.cookie)
        return self.sessions.get(morsel.value) if morsel is not None else None

    def _limited(self, receive: Receive) -> Receive:
        """``receive``, refusing a body that grows past ``max_body`` (a chunked one has no length)."""
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        return limited


def session_of(request: Request) -> Session:
    """The visit :class:`Guard` let ``request`` in as."""
    return request.scope["state"]["session"]


async def check_form(request: Request, max_files: int = 0) -> FormData:
    """The form of a POST, parsed within limits, once its CSRF token is that of the session (else 403)."""
    try:
        form = await request.form(max_files=max_files, max_fields=50)
    except HTTPException:
        raise
    except Exception as error:  # noqa: BLE001 - python-multipart's errors for a malformed body
        raise HTTPException(400, f"Refused: the form sent could not be read ({error}).") from error
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not secrets.compare_digest(given.encode(), session_of(request).csrf.encode()):
        await form.close()
        raise HTTPException(403, "Refused: this form is out of date or was not sent from this page; reload the page.")
    return form
