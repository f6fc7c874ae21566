"""The commands the HTTP API adds to ``onething`` (entry points ``onething.commands``): ``serve`` and
``demo``. Only these load Flask.

``serve`` runs the app in waitress, a production WSGI server in pure Python: it reads each request whole
before a thread handles it (a slow client holds no thread), it serves from one process with threads (so
the process's SQLite writer queue, connection pool and parsed-spec cache are shared and nothing is forked
after they were made), and it runs where Python runs. More processes -- more cores -- are more
``onething serve --no-worker`` instances on other ports behind the reverse proxy (``deploy/``). Behind
that proxy, ``ONETHING_TRUSTED_PROXY`` names its address: only from there are ``X-Forwarded-For``,
``-Proto``, ``-Host`` and ``-Port`` believed (the links the service gives out then say ``https://`` and the
public host name).
"""

from __future__ import annotations

import logging
import os
import sys

from engine.cli import UPGRADE_HELP


def _serve(args) -> int:
    import threading

    from waitress import serve

    from engine import gc_tuning
    from engine.bootstrap import ready_context
    from engine.worker import start_background_worker

    from . import create_app
    from .engine_rest.external_task import LONG_POLLS
    from .event_streams import PUSH_WAITERS, limit_from
    from .public_url import BadPublicUrl

    ctx = ready_context(upgrade=True if args.upgrade else None)
    try:
        app = create_app(context=ctx)
        app.config[PUSH_WAITERS] = max(1, args.threads // 2)  # pages waiting for progress leave threads to the rest
        limit_from(app)  # ONETHING_PUSH_WAITERS, if set, is a number
    except (BadPublicUrl, ValueError) as err:  # a setting that is not one (ONETHING_METRICS_ADDRESSES …)
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 2
    app.config[LONG_POLLS] = max(1, args.threads // 2)  # external workers' long polls leave threads to the rest
    stop = threading.Event()
    gc_tuning.settle()
    if not args.no_worker:
        start_background_worker(ctx, stop)
    logging.getLogger("onething").info(
        "onething serving on http://%s:%s/api (OpenAPI: /api/openapi.json)%s",
        args.host,
        args.port,
        "" if args.no_worker else ", with a background worker",
    )
    try:
        # the lookahead keeps reading a connection while its request runs: a long poll whose client went is
        # seen (environ["waitress.client_disconnected"]) and locks nothing
        serve(
            app, host=args.host, port=args.port, threads=args.threads, channel_request_lookahead=5, **_proxy_settings()
        )
    finally:
        stop.set()
    return 0


FORWARDED_HEADERS = "x-forwarded-for x-forwarded-host x-forwarded-proto x-forwarded-port"


def _proxy_settings() -> dict:
    """waitress's settings for the reverse proxy at ``ONETHING_TRUSTED_PROXY`` (none: no header believed)."""
    proxy = os.environ.get("ONETHING_TRUSTED_PROXY", "").strip()
    if not proxy:
        return {}
    return {
        "trusted_proxy": proxy,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": FORWARDED_HEADERS,
        "clear_untrusted_proxy_headers": True,
    }


def register_serve(sub) -> None:
    # defaults from the environment are given as text: argparse reads them with `type`, so a bad value is
    # a usage error naming the option, not a traceback
    serve = sub.add_parser("serve", help="run the API (DATABASE_URL, embedded SQLite by default)")
    serve.add_argument(
        "--host",
        default=os.environ.get("ONETHING_HOST") or "127.0.0.1",
        help="address to listen on (ONETHING_HOST; default 127.0.0.1: behind a reverse proxy)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=os.environ.get("ONETHING_PORT") or "8000",
        help="port to listen on (ONETHING_PORT; default 8000)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=os.environ.get("ONETHING_THREADS") or "8",
        help="requests served at once (ONETHING_THREADS; default 8)",
    )
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="serve the API only, without the background worker thread: when `onething worker` "
        "runs as a service of its own (the units and containers of deploy/)",
    )
    serve.add_argument("--upgrade", action="store_true", help=UPGRADE_HELP)
    serve.set_defaults(run=_serve)


def _demo(args) -> int:
    from .demo import run_demo

    state = run_demo(service_name=args.service)
    return 0 if state == "completed" else 1


def register_demo(sub) -> None:
    demo = sub.add_parser("demo", help="walk a service's sample application through every step")
    demo.add_argument("--service", help="the installed service whose demo to run (default: the first with one)")
    demo.set_defaults(run=_demo)
