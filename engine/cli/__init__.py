"""The ``onething`` command: worker, db upgrade/current/backup/restore, user add/passwd/revoke/enable,
deploy, calendar -- and the commands other packages add through the ``onething.commands`` entry points (the HTTP API
adds ``serve`` and ``demo``), so that ``onething worker`` never loads the web framework.

Every command but ``db`` prepares the database first (``engine.bootstrap.prepare``) and refuses one at an
older schema revision with how to upgrade it (``onething db upgrade``); ``serve`` and ``worker`` upgrade it
first when given ``--upgrade``. ``db backup`` and ``db restore`` change no schema (a backup before an
upgrade is taken at the old one). Libraries' progress lines (Alembic's) are shown with ``-v`` only.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

COMMANDS_GROUP = "onething.commands"


def _worker(args) -> int:
    import logging
    import signal
    import threading

    from engine import gc_tuning
    from engine.bootstrap import ready_context
    from engine.worker import Worker

    ctx = ready_context(upgrade=True if args.upgrade else None)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(ctx, name=args.name, lock_seconds=args.lock_seconds)
    gc_tuning.settle()
    logging.getLogger("onething").info("onething worker %s running (Ctrl-C to stop)", worker.name)
    worker.run_forever(stop, idle_wait=args.idle_wait)
    return 0


def _db_upgrade(args) -> int:
    from engine.persistence.database import create_schema, make_engine

    engine = make_engine()
    try:
        found = create_schema(engine, upgrade=True)
    finally:
        engine.dispose()
    if found.state == "current":
        print(f"database schema already at revision {found.head} (the newest)", flush=True)
    else:
        print(f"database schema upgraded from {found.current or found.state} to revision {found.head}", flush=True)
    return 0


def _db_current(args) -> int:
    from engine.persistence.database import make_engine, schema_status

    engine = make_engine()
    try:
        with engine.connect() as connection:
            status = schema_status(connection)
    finally:
        engine.dispose()
    print(f"{status.current or '(none)'}  {status.describe()}")
    return 0 if status.state == "current" else 1


def _progress(line: str) -> None:
    print(line, flush=True)


def _db_backup(args) -> int:
    from engine.backup import backup
    from engine.materials import configured_directory
    from engine.persistence.database import database_url

    return _reported(lambda: backup(database_url(), configured_directory(), Path(args.file), progress=_progress))


def _db_restore(args) -> int:
    from engine.backup import restore
    from engine.materials import configured_directory
    from engine.persistence.database import database_url

    return _reported(
        lambda: restore(database_url(), configured_directory(), Path(args.file), force=args.force, progress=_progress)
    )


def _reported(run) -> int:
    """Run a backup or a restore: an error in one line (exit 1), each warning in its own (exit 1 too)."""
    from engine.backup import BackupError

    try:
        outcome = run()
    except BackupError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 1
    for note in outcome.notes:
        print(f"warning: {note}", file=sys.stderr, flush=True)
    return 1 if outcome.notes else 0


def _read_password(prompt: str) -> str:
    """A new password: asked twice at a terminal (not echoed); one line of standard input otherwise."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _user_add(args) -> int:
    from engine.bootstrap import ready_context
    from engine.errors import EngineError
    from engine.usecases.accounts import add_user

    try:
        password = _read_password(f"password for {args.name}: ") if args.password else None
        token = add_user(ready_context(), args.name, args.role, args.group, args.jurisdiction, password=password)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except EngineError as err:
        print(f"error: {err} {getattr(err, 'errors', '')}", file=sys.stderr)
        return 2
    print(f"user {args.name} created; its token (shown once):")
    print(token)
    return 0


def _user_passwd(args) -> int:
    from engine.bootstrap import ready_context
    from engine.errors import EngineError
    from engine.usecases.accounts import set_password

    try:
        set_password(ready_context(), args.name, _read_password(f"new password for {args.name}: "))
    except (EngineError, ValueError) as err:
        print(f"error: {err} {getattr(err, 'errors', '') or ''}".rstrip(), file=sys.stderr)
        return 2
    print(f"user {args.name}: password set")
    return 0


def _user_revoke(args) -> int:
    from engine.bootstrap import ready_context
    from engine.errors import EngineError
    from engine.usecases.accounts import revoke

    try:
        revoke(ready_context(), args.name)
    except EngineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"user {args.name}: token revoked")
    return 0


def _user_enable(args) -> int:
    from engine.bootstrap import ready_context
    from engine.errors import EngineError
    from engine.usecases.accounts import enable

    try:
        changed = enable(ready_context(), args.name)
    except EngineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"user {args.name}: {'enabled again' if changed else 'was not disabled'}")
    return 0


def _deploy(args) -> int:
    from engine.bootstrap import ready_context
    from engine.errors import InvalidDeployment
    from engine.usecases.deployments import deploy_resources

    files = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"error: {name}: no such file", file=sys.stderr)
            return 2
        files.append((path.name, path.read_bytes()))
    try:
        done = deploy_resources(ready_context(), files, args.by, force=args.force)
    except InvalidDeployment as err:
        for problem in err.problems:
            where = f"{problem.file}:{problem.line}" if problem.line else problem.file
            element = f" [{problem.element}]" if problem.element else ""
            print(f"{where}{element}: {problem.message}", file=sys.stderr)
        return 1
    for definition in done["definitions"]:
        if definition["created"]:
            print(f"deployed {definition['key']} version {definition['version']}")
        else:
            print(
                f"{definition['key']} version {definition['version']} unchanged: its new instances run with "
                f"this deployment's decisions"
            )
    for decision in done["decisions"]:
        print(f"deployed decision {decision['key']} version {decision['version']}")
    for problem in done["deployment"]["forced_over"] or []:
        print(f"forced over: {problem['file']}: {problem['message']}", file=sys.stderr)
    return 0


def _calendar_import(args) -> int:
    """A bad file is one line on stderr (what is wrong with it, never a traceback) and a non-zero exit."""
    from engine import safejson
    from engine.bootstrap import ready_context
    from engine.calendar.notice import MAX_FILE_BYTES as MAX_CALENDAR_FILE  # the admins' page's limit too
    from engine.errors import InvalidInput
    from engine.usecases.calendar import import_notice

    path = Path(args.file)
    if not path.is_file():
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return 2
    if path.stat().st_size > MAX_CALENDAR_FILE:
        print(f"error: {args.file}: larger than {MAX_CALENDAR_FILE // 1024} KiB; not a holiday notice", file=sys.stderr)
        return 2
    try:
        data = safejson.loads(path.read_text(encoding="utf-8"), "the file")
    except OSError as err:
        print(f"error: {args.file}: cannot be read: {err.strerror or err}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"error: {args.file}: not JSON: not UTF-8 text", file=sys.stderr)
        return 1
    except ValueError as err:  # not JSON, or beyond the limits (nested too deep, a number too long)
        print(f"error: {args.file}: not JSON: {err}", file=sys.stderr)
        return 1
    try:
        result = import_notice(ready_context(), args.by, data)
    except InvalidInput as err:
        problems = getattr(err, "problems", None) or [str(err)]
        print(f"error: {args.file}: refused, nothing changed: {'; '.join(problems)}", file=sys.stderr)
        return 1
    print(
        f"{result['year']}: {result['outcome']} ({result['source']['title']}"
        f"{'，' + result['source']['number'] if result['source'].get('number') else ''}); "
        f"{result['recounted']} application(s) had their due dates counted again"
    )
    return 0


def _calendar_show(args) -> int:
    from engine.bootstrap import ready_context
    from engine.calendar.grid import render_year
    from engine.errors import EngineError
    from engine.usecases.calendar import show_year

    try:
        print(render_year(show_year(ready_context(), args.year)))
    except EngineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _calendar_list(args) -> int:
    from engine.bootstrap import ready_context
    from engine.calendar.grid import printable
    from engine.usecases.calendar import list_years

    listed = list_years(ready_context())
    for year in listed["years"]:
        number = f"（{printable(year['number'])}）" if year["number"] else ""
        print(
            f"{year['year']}  official  {printable(year['title'])}{number}"
            f"  {year['loaded_at']} {printable(year['loaded_by'])}"
        )
    for year in listed["provisional_years"]:
        print(f"{year}  provisional  statutory holidays only (no notice loaded)")
    for year in listed["uncovered_years"]:
        print(f"{year}  uncovered  no notice loaded and its statutory holidays cannot be computed")
    return 0


def _retention_run(args) -> int:
    from engine.bootstrap import ready_context
    from engine.usecases.retention import run

    report = run(ready_context(), by=args.by, dry_run=args.dry_run)
    verb = {
        "archive": "would archive" if args.dry_run else "archived",
        "erase": "would erase" if args.dry_run else "erased",
    }
    for touched in report.touched:
        print(
            f"{touched.business_key}  {touched.service}  {touched.state}  ended {touched.ended_at}  "
            f"{' and '.join(verb[action] for action in touched.actions)}"
        )
    for business_key in report.skipped:
        print(f"{business_key}  changed meanwhile: left for the next run")
    for name in report.unmanaged:
        print(f"service {name}: no retention policy, its applications are kept whole")
    what = "would touch" if args.dry_run else "touched"
    print(
        f"retention{' (dry run: nothing changed)' if args.dry_run else ''}: {what} {len(report.touched)} application(s)"
    )
    return 0


def _search_reindex(args) -> int:
    from engine.bootstrap import ready_context
    from engine.usecases.search import reindex

    def progress(done) -> None:
        print(f"  {done.instances} application(s), {done.keys} key(s) so far", flush=True)

    done = reindex(ready_context(), progress)
    print(
        f"search reindex: {done.instances} application(s), {done.keys} key(s) written ({done.erased} erased: no keys)"
    )
    return 0


def _retention_hold(args) -> int:
    from engine.bootstrap import ready_context
    from engine.errors import EngineError
    from engine.usecases.retention import set_hold
    from engine.users import Principal

    operator = Principal(name=args.by, roles=frozenset({"admin"}), groups=frozenset(), jurisdictions=("",))
    try:
        found = set_hold(
            ready_context(), operator, args.hold, getattr(args, "reason", None), business_key=args.business_key
        )
    except EngineError as err:
        print(f"error: {err} {getattr(err, 'errors', '') or ''}".rstrip(), file=sys.stderr)
        return 2
    print(f"{found['business_key']}: {'under a legal hold' if found['legal_hold'] else 'no legal hold'}")
    return 0


def _retention_policy(args) -> int:
    from engine.bootstrap import build_context
    from engine.usecases.retention import policy_view

    for policy in policy_view(build_context()):
        if policy["archive_after_days"] is None:
            print(f"{policy['service']}  kept whole (no policy)")
        else:
            print(
                f"{policy['service']}  archive after {policy['archive_after_days']} day(s), erase personal values "
                f"after {policy['erase_after_days']} day(s)  {policy['reasoning']}"
            )
    return 0


UPGRADE_HELP = "upgrade an older database schema first (as `onething db upgrade`; or ONETHING_AUTO_UPGRADE=1)"


BUILT_IN = ("worker", "db", "user", "deploy", "calendar", "retention", "search")


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line; the commands of other packages are loaded only when one of them (or the list of
    all, ``--help``) is asked for, so ``onething worker`` imports no web framework."""
    top = argparse.ArgumentParser(prog="onething", description="新生儿出生“一件事” workflow service")
    sub = top.add_subparsers(dest="command", required=True)

    worker = sub.add_parser("worker", help="run only the background worker (service tasks and timers)")
    worker.add_argument("--name", default=None)
    worker.add_argument(
        "--lock-seconds",
        type=int,
        default=30,
        help="how long a taken job stays locked without a heartbeat (kept alive while it runs; "
        "a dead worker's jobs are taken again after it)",
    )
    worker.add_argument("--idle-wait", type=float, default=1.0)
    worker.add_argument("--upgrade", action="store_true", help=UPGRADE_HELP)
    worker.set_defaults(run=_worker)

    db = sub.add_parser("db", help="the database schema (Alembic migrations)").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="upgrade the schema of DATABASE_URL to this release's").set_defaults(run=_db_upgrade)
    db.add_parser("current", help="print the schema revision of DATABASE_URL (exit 1 unless the newest)").set_defaults(
        run=_db_current
    )
    backup = db.add_parser(
        "backup",
        help="write the database of DATABASE_URL and the materials of MATERIALS_DIR "
        "to one archive, while the service runs (pg_dump / SQLite's backup)",
    )
    backup.add_argument("file", help="the archive to write (a new file; readable by its owner only)")
    backup.set_defaults(run=_db_backup)
    restore = db.add_parser(
        "restore",
        help="restore an archive of `db backup` into the empty database of "
        "DATABASE_URL and into MATERIALS_DIR (services stopped)",
    )
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="restore even into a database that holds tables: what it holds is replaced"
    )
    restore.set_defaults(run=_db_restore)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a user and print its token once")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True)
    add.add_argument("--group", action="append", default=[])
    add.add_argument("--jurisdiction", action="append", default=[])
    add.add_argument(
        "--password",
        action="store_true",
        help="also give a password (asked for; for people: Camunda Modeler's HTTP Basic)",
    )
    add.set_defaults(run=_user_add)
    passwd = user.add_parser(
        "passwd", help="set a user's password (asked for), unlock the account and end its sessions"
    )
    passwd.add_argument("name")
    passwd.set_defaults(run=_user_passwd)
    rev = user.add_parser("revoke", help="disable a user: its token, its password and its sessions")
    rev.add_argument("name")
    rev.set_defaults(run=_user_revoke)
    enable = user.add_parser("enable", help="enable a disabled user again (its token and password work again)")
    enable.add_argument("name")
    enable.set_defaults(run=_user_enable)

    dep = sub.add_parser("deploy", help="deploy .bpmn/.dmn files as a new version")
    dep.add_argument("files", nargs="+")
    dep.add_argument("--by", default="cli")
    dep.add_argument(
        "--force",
        action="store_true",
        help="deploy even when the dry run on workflows/samples finds a regression (recorded)",
    )
    dep.set_defaults(run=_deploy)

    cal = sub.add_parser("calendar", help="the working-day calendar: official and provisional years").add_subparsers(
        dest="calendar_command", required=True
    )
    imp = cal.add_parser("import", help="load a year's State Council holiday notice (JSON, see the README)")
    imp.add_argument("file")
    imp.add_argument("--by", default=os.environ.get("USER") or "cli", help="who loads it (recorded)")
    imp.set_defaults(run=_calendar_import)
    show = cal.add_parser("show", help="a year as month grids, days off (*) and make-up days (+) marked")
    show.add_argument("year", type=int)
    show.set_defaults(run=_calendar_show)
    cal.add_parser("list", help="the official years and the provisional ones near today").set_defaults(
        run=_calendar_list
    )

    ret = sub.add_parser(
        "retention",
        help="finished applications: archived, then their personal data erased, as each service's policy says",
    ).add_subparsers(dest="retention_command", required=True)
    ret_run = ret.add_parser("run", help="archive and erase what the policies say is due now (the workers do it daily)")
    ret_run.add_argument("--dry-run", action="store_true", help="only list what it would archive and erase")
    ret_run.add_argument("--by", default=os.environ.get("USER") or "cli", help="who runs it (recorded)")
    ret_run.set_defaults(run=_retention_run)
    hold = ret.add_parser("hold", help="keep one application as it is (a legal hold), whatever the policy")
    hold.add_argument("business_key")
    hold.add_argument("--reason", required=True, help="why (recorded in its history)")
    hold.add_argument("--by", default=os.environ.get("USER") or "cli", help="who sets it (recorded)")
    hold.set_defaults(run=_retention_hold, hold=True)
    release = ret.add_parser("release", help="end an application's legal hold")
    release.add_argument("business_key")
    release.add_argument("--reason", default=None)
    release.add_argument("--by", default=os.environ.get("USER") or "cli", help="who ends it (recorded)")
    release.set_defaults(run=_retention_hold, hold=False)
    ret.add_parser(
        "policy", help="each service's policy in force (ONETHING_RETENTION overrides the days)"
    ).set_defaults(run=_retention_policy)

    search = sub.add_parser("search", help="the search keys applications are found by").add_subparsers(
        dest="search_command", required=True
    )
    search.add_parser(
        "reindex",
        help="write every application's search keys again (after ONETHING_SEARCH_KEY or ONETHING_SECRET_KEY changed)",
    ).set_defaults(run=_search_reindex)

    asked = next((arg for arg in (sys.argv[1:] if argv is None else argv) if not arg.startswith("-")), None)
    if asked not in BUILT_IN:
        for command in entry_points(group=COMMANDS_GROUP):  # serve, demo (api), and any a service adds
            command.load()(sub)
    return top


VERBOSE_FLAGS = ("-v", "--verbose")
VERBOSE_HELP = "also print the libraries' progress lines (Alembic's migration steps)"


def _add_verbose(command: argparse.ArgumentParser, top: bool = True) -> None:
    """``-v``/``--verbose`` on ``command`` and every sub-command under it, so that it may be given anywhere
    (``onething -v db upgrade``, ``onething db upgrade -v``)."""
    command.add_argument(
        *VERBOSE_FLAGS, action="store_true", help=VERBOSE_HELP, default=False if top else argparse.SUPPRESS
    )
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_verbose(child, top=False)


def configure_logging(verbose: bool) -> None:
    """Our own lines at ``ONETHING_LOG_LEVEL`` (INFO by default), plain or one JSON object per line
    (``ONETHING_LOG_FORMAT``, ``engine.logs``); the libraries' chatter only when asked:
    SpiffWorkflow's per-task state changes at DEBUG, Alembic's set-up and migration steps (a dozen lines
    at every start) with ``-v`` or at DEBUG -- a schema change is still said, in one line of ours."""
    import logging

    from engine.logs import handler, log_format

    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: once
        root.setLevel(os.environ.get("ONETHING_LOG_LEVEL", "INFO").upper())
        root.addHandler(handler(log_format()))  # plain, or JSON lines (ONETHING_LOG_FORMAT=json)
    debug = logging.getLogger().level <= logging.DEBUG
    if not debug:  # SpiffWorkflow logs every task's every state change at INFO
        logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.NOTSET if verbose or debug else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    try:
        configure_logging(verbose=any(arg in VERBOSE_FLAGS for arg in arguments))  # before Alembic is imported
    except ValueError as err:  # a setting that is not one (ONETHING_LOG_FORMAT, ONETHING_LOG_LEVEL)
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 2
    from engine.metrics import forget_this_process_at_exit
    from engine.persistence.database import SchemaOutdated

    forget_this_process_at_exit()
    command = parser(argv)
    _add_verbose(command)
    args = command.parse_args(argv)
    from engine.retention import BadRetentionSetting

    try:
        return args.run(args)
    except (SchemaOutdated, BadRetentionSetting) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
