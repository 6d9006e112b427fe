"""The explorer's web server: a Starlette app served by uvicorn on 127.0.0.1 only.

Every request but the page's own script and style (files shipped in the package) must
carry the run's token (``?token=`` or the ``X-Harness-Token`` header), or it is refused
with 403.  The work (Keras, the hypotheses, the checker) runs one request at a time on
one thread, :class:`Jobs`: the command's main thread, where a timer can stop a formula
that never returns, or a background thread in a notebook's kernel.
"""

from __future__ import annotations

import json
import queue
import secrets
import socket
import threading
import webbrowser
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from harness.errors import HarnessError
from harness.explorer.state import Explorer
from harness.untrusted import SENTENCE, cut

#: Most bytes one request may send (a whole case of the largest layer fits easily).
MAX_BODY = 256 * 1024
#: Seconds a request waits for its answer (the full check included) before giving up.
WAIT = 120.0
HOST = "127.0.0.1"
#: Seconds uvicorn waits for open connections (a browser's keep-alive) when it stops.
SHUTDOWN = 3


class Jobs:
    """Work handed to one thread, in order; ``call`` waits for its result."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self.stop = threading.Event()

    def call(self, work: Callable[[], Any], timeout: float = WAIT) -> Any:
        future: Future[Any] = Future()
        self._queue.put((work, future))
        return future.result(timeout)

    def run(self) -> None:
        """Do the work handed over until :attr:`stop` is set."""
        while not self.stop.is_set():
            try:
                work, future = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as exc:  # handed back to the request
                future.set_exception(exc)
                if isinstance(exc, KeyboardInterrupt):
                    raise


def build_app(explorer: Explorer, token: str, jobs: Jobs) -> Any:
    """The Starlette app: the page, ``/api/layer``, ``/api/evaluate``, ``/api/check``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    def allowed(request: Request) -> bool:
        given = request.query_params.get("token") or request.headers.get("x-harness-token", "")
        return secrets.compare_digest(given.encode(), token.encode())

    def refused() -> Response:
        return JSONResponse({"ok": False, "message": "This address needs the token the "
                             "harness explore command printed."}, status_code=403)

    async def page(request: Request) -> Response:
        if not allowed(request):
            return refused()
        return HTMLResponse(_static("index.html"))

    async def layer(request: Request) -> Response:
        if not allowed(request):
            return refused()
        return await _answer(jobs, explorer.layer_json)

    async def evaluate(request: Request) -> Response:
        if not allowed(request):
            return refused()
        body = await _body(request)
        return await _answer(jobs, lambda: explorer.evaluate(body))

    async def check(request: Request) -> Response:
        if not allowed(request):
            return refused()
        body = await _body(request)
        key = body.get("key") if isinstance(body, dict) else None
        return await _answer(jobs, lambda: explorer.check(str(key)))

    static = StaticFiles(directory=str(resources.files("harness.explorer") / "static"))
    return Starlette(routes=[
        Route("/", page), Route("/api/layer", layer),
        Route("/api/evaluate", evaluate, methods=["POST"]),
        Route("/api/check", check, methods=["POST"]),
        Mount("/static", static, name="static")])


def _static(name: str) -> str:
    return (resources.files("harness.explorer") / "static" / name).read_text(encoding="utf-8")


async def _body(request: Any) -> Any:
    """The JSON a request sent, read up to :data:`MAX_BODY` bytes (None for anything
    else: :meth:`Explorer.read_case` says what is wrong)."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


async def _answer(jobs: Jobs, work: Callable[[], Any]) -> Any:
    """Run ``work`` on the jobs thread; anything that goes wrong becomes a message for
    the page (never a traceback)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse

    try:
        return JSONResponse(await run_in_threadpool(jobs.call, work))
    except HarnessError as exc:
        return JSONResponse({"ok": False, "message": cut(exc, SENTENCE)})
    except FutureTimeout:
        return JSONResponse({"ok": False, "message": "The server took too long on this (a "
                             "hypothesis that never returns?). Fix the file; the page "
                             "reads it again when it changes."})
    except Exception as exc:  # noqa: BLE001 - a message for the page, never a traceback
        return JSONResponse({"ok": False, "message": cut(
            f"Keras or the harness could not compute this ({type(exc).__name__}: {exc}). "
            "Try other numbers.", SENTENCE)})


@dataclass
class Running:
    """A server started by :func:`start`: its address, and how to stop it."""

    url: str
    port: int
    token: str
    jobs: Jobs
    server: Any
    sock: socket.socket | None = None  # where it listens
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.port) if self.sock is None else self.sock.getsockname()

    def stop(self) -> None:
        """Stop serving and wait for the server's thread to end: its event loop must close
        (uvicorn waits at most ``SHUTDOWN`` seconds for open connections), because that is
        what ends AnyIO's worker threads, which are not daemons and would otherwise keep
        the process alive after Ctrl-C."""
        self.server.should_exit = True
        self.jobs.stop.set()
        for thread in self.threads:
            thread.join(timeout=SHUTDOWN * 10)
        if self.sock is not None:
            self.sock.close()


def start(explorer: Explorer, port: int = 0, *, case: dict[str, Any] | None = None,
          work_in_background: bool = True) -> Running:
    """Serve ``explorer`` on 127.0.0.1 (``port`` 0: a free one) from a background thread;
    the work runs on another background thread unless ``work_in_background`` is False
    (then the caller runs ``running.jobs.run()``)."""
    import uvicorn

    token = secrets.token_urlsafe(24)
    jobs = Jobs()
    sock = _bind(port)
    config = uvicorn.Config(build_app(explorer, token, jobs), log_level="warning",
                            access_log=False, lifespan="off",
                            timeout_graceful_shutdown=SHUTDOWN)
    server = uvicorn.Server(config)
    bound = int(sock.getsockname()[1])
    query = {"token": token, **({"case": json.dumps(case)} if case is not None else {})}
    running = Running(f"http://{HOST}:{bound}/?{urlencode(query)}", bound, token, jobs, server,
                      sock)
    serving = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                               name="harness-explore-server", daemon=True)
    serving.start()
    running.threads.append(serving)
    if work_in_background:
        worker = threading.Thread(target=jobs.run, name="harness-explore-work", daemon=True)
        worker.start()
        running.threads.append(worker)
    return running


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise HarnessError(f"port {port} on {HOST} cannot be used ({exc.strerror}). Give "
                           "another --port, or leave it out to take a free one.") from None
    sock.listen(64)
    return sock


def serve(explorer: Explorer, port: int = 0, *, browser: bool = True,
          case: dict[str, Any] | None = None,
          say: Callable[[str], None] = lambda _: None) -> None:
    """``harness explore``: serve until Ctrl-C, the work in this (the main) thread."""
    running = start(explorer, port, case=case, work_in_background=False)
    say(running.url)
    if browser:
        webbrowser.open(running.url)
    try:
        running.jobs.run()
    finally:
        running.stop()
