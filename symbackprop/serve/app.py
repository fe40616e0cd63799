"""The web app: the page, its assets and the JSON API, each route a few lines.

    GET  /                 the page
    GET  /assets/NAME      its scripts, styles and the vendored editor
    GET  /api/examples     the built-in examples (``symbackprop list``)
    POST /api/check        ``check --format json`` of code, or of formulas against a model
    POST /api/explain      an explanation: a page with KaTeX, Markdown and LaTeX
    POST /api/pdf          the explanation as a PDF, base64 (where pdflatex is installed)
    POST /api/generate     a NumPy training module

A POST's work runs in a worker process (:mod:`symbackprop.serve.pool`); every refusal is
``{"error": ONE LINE, "kind": KIND}`` with its status (:mod:`symbackprop.serve.refusals`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from symbackprop import api
from symbackprop.serve import jobs, page
from symbackprop.serve.payloads import check_request, model_request, read_json
from symbackprop.serve.pool import Job, WorkerPool
from symbackprop.serve.refusals import NotFound, Refusal
from symbackprop.serve.settings import ServeSettings

log = logging.getLogger("symbackprop.serve")

LOCAL_NAMES = ["127.0.0.1", "localhost", "[::1]"]


def create_app(
    settings: ServeSettings,
    on_ready: Callable[[], None] = lambda: None,
    pool: WorkerPool | None = None,
) -> Starlette:
    """The app; its workers start with it, unless ``pool`` has started them already, and stop
    with it; ``on_ready`` is called when it takes requests."""
    pool = pool or WorkerPool(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if not pool.started:
            pool.start()
        on_ready()
        try:
            yield
        finally:
            pool.close()

    def work(job: Job, validate: Callable[[dict], dict]) -> Callable:
        async def endpoint(request: Request) -> Response:
            return await _answer(pool, job, validate, request)

        return endpoint

    routes = [
        Route("/", index),
        Route("/assets/{name:path}", asset),
        Route("/api/examples", examples),
        Route("/api/check", work(jobs.check_job, check_request), methods=["POST"]),
        Route("/api/explain", work(jobs.explain_job, model_request), methods=["POST"]),
        Route("/api/pdf", work(jobs.pdf_job, model_request), methods=["POST"]),
        Route("/api/generate", work(jobs.generate_job, model_request), methods=["POST"]),
    ]
    # Served on this machine only, the page answers to its own names alone: a site whose
    # name is made to point here (DNS rebinding) gets no answer to read.
    local = [Middleware(TrustedHostMiddleware, allowed_hosts=LOCAL_NAMES)]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
        middleware=local if settings.loopback else [],
    )


async def _answer(pool: WorkerPool, job: Job, validate: Callable, request: Request) -> Response:
    """Read, validate, run in a worker; log the outcome, never the user's text."""
    started = time.perf_counter()
    try:
        content_type = request.headers.get("content-type", "")
        body = await read_json(request.stream(), content_type, pool.settings.max_body_bytes)
        answer = JSONResponse(await pool.run(job, validate(body)))
    except Refusal as refusal:
        answer = JSONResponse(refusal.to_data(), status_code=refusal.status)
        if refusal.status == 503:
            answer.headers["Retry-After"] = "5"
        if refusal.status == 500:  # ours to look into; its message is ours, not the user's text
            log.warning("%s: %s", request.url.path, refusal.message)
    seconds = time.perf_counter() - started
    log.info("%s %d in %.2f s", request.url.path, answer.status_code, seconds)
    return answer


async def index(request: Request) -> Response:
    return _asset_response("index.html")


async def asset(request: Request) -> Response:
    return _asset_response(request.path_params["name"])


def _asset_response(name: str) -> Response:
    content = page.asset(name)
    if content is None:
        missing = NotFound(f"no such file: {name[:100]}")
        return JSONResponse(missing.to_data(), status_code=missing.status)
    return Response(content, media_type=page.MEDIA_TYPES[name], headers=page.HEADERS)


async def examples(request: Request) -> Response:
    """The built-in examples, by name and summary."""
    return JSONResponse(
        {"examples": [{"name": e.name, "summary": e.summary} for e in api.examples()]}
    )


async def http_error(request: Request, error: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method) in the API's shape."""
    assert isinstance(error, HTTPException)
    kind = "not found" if error.status_code == 404 else "bad request"
    return JSONResponse({"error": str(error.detail), "kind": kind}, status_code=error.status_code)
