"""Starting the local page: a socket on 127.0.0.1, a token, the app behind its guard, uvicorn.

Starlette and uvicorn (with python-multipart for uploads) were chosen because they are small,
well kept and do no more than asked: plain ASGI, so the guard of :mod:`generator.web.security`
wraps every request and response, including refusals and static files; Jinja2 is the template
language coproduce already uses; and there is no JavaScript to build.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from generator.model.instrument import Instrument
from generator.web.round import RoundFolder

HOST = "127.0.0.1"
#: The most one request may send (an upload of several returns).
MAX_BODY_BYTES = 512 * 1024 * 1024


@dataclass
class LocalServer:
    """A page being served: its address (with the token) and the uvicorn server."""

    url: str
    port: int
    token: str
    server: object  # uvicorn.Server
    socket: socket.socket

    def run(self) -> None:
        """Serve until stopped (Ctrl-C, or ``server.should_exit``)."""
        self.server.run(sockets=[self.socket])


def guarded_app(round_folder: RoundFolder, instruments: Mapping[str, Instrument], token: str, port: int):
    """The page's app for ``round_folder`` behind its guard, answering at 127.0.0.1:``port``."""
    from generator.web.app import create_app
    from generator.web.security import Guard

    guard = Guard(
        create_app(round_folder, instruments), token, min(MAX_BODY_BYTES, 10 * round_folder.limits.file_bytes)
    )
    guard.listening_on(port)
    return guard


def local_server(
    round_folder: RoundFolder, instruments: Mapping[str, Instrument], port: int = 0, log: Callable | None = None
) -> LocalServer:
    """A server for ``round_folder`` on 127.0.0.1:``port`` (0: any free port), ready to :meth:`~LocalServer.run`."""
    import uvicorn

    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind((HOST, port))
    listening.listen(64)
    port = listening.getsockname()[1]
    token = secrets.token_urlsafe(32)
    app = guarded_app(round_folder, instruments, token, port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, date_header=False)
    return LocalServer(f"http://{HOST}:{port}/?token={token}", port, token, uvicorn.Server(config), listening)
