"""The commands the HTTP API adds to ``onething`` (entry points ``onething.commands``): ``serve`` and
``demo``. Only these load Flask."""

from __future__ import annotations

import sys

from engine.cli import UPGRADE_HELP


def _serve(args) -> int:
    import threading

    from waitress import serve

    from engine.bootstrap import ready_context
    from engine.worker import start_background_worker

    from . import create_app
    from .public_url import BadPublicUrl

    ctx = ready_context(upgrade=True if args.upgrade else None)
    try:
        app = create_app(context=ctx)
    except BadPublicUrl as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 2
    stop = threading.Event()
    if not args.no_worker:
        start_background_worker(ctx, stop)
    print(f"onething serving on http://{args.host}:{args.port}/api (OpenAPI: /api/openapi.json)"
          f"{'' if args.no_worker else ', with a background worker'}", flush=True)
    try:
        serve(app, host=args.host, port=args.port, threads=args.threads)
    finally:
        stop.set()
    return 0


def register_serve(sub) -> None:
    serve = sub.add_parser("serve", help="run the API (DATABASE_URL, embedded SQLite by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-worker", action="store_true", help="serve the API only (run `onething worker`)")
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
