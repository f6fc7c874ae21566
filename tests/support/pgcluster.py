"""A throwaway PostgreSQL server: ``initdb`` in a temp directory, started on a free loopback port, stopped
and removed afterwards (even on failure).

As a module::

    with cluster() as pg:          # pg.url: postgresql+psycopg://postgres@127.0.0.1:<port>/postgres
        ...

As a command (what ``make test`` uses)::

    python -m tests.support.pgcluster run -- pytest ...

starts the server, runs the command with ``DATABASE_URL`` and ``ONETHING_TEST_DATABASE_URL`` set to it,
stops the server and exits with the command's status. It prints its own lines before the command runs and
nothing after, so the command's last line stays the last line of the output.

Debian's ``postgresql`` package is installed with apt-get when ``initdb``/``pg_ctl`` are missing. Run as
root, the server runs as the ``postgres`` user (created if the package did not create it).
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

SERVER_USER = "postgres"

# Test settings: a throwaway cluster need not survive a power cut.
FAST = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
}  # minimal WAL: CREATE DATABASE copies faster
COMMON = {"max_connections": "300", "shared_buffers": "128MB", "log_min_messages": "warning"}


def _log(message: str) -> None:
    print(f"pgcluster: {message}", file=sys.stderr, flush=True)


def _bindir_of_path() -> Path | None:
    found = [shutil.which(name) for name in ("initdb", "pg_ctl")]
    if all(found):
        return Path(os.path.realpath(found[0])).parent
    return None


def _bindir_of_debian() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _install() -> None:
    if os.geteuid() != 0:
        raise RuntimeError("PostgreSQL (initdb, pg_ctl) is missing; install Debian's postgresql package")
    _log("initdb/pg_ctl not found: installing Debian's postgresql package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]
    if subprocess.run(install, env=env, stdout=sys.stderr).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=sys.stderr, check=True)
        subprocess.run(install, env=env, stdout=sys.stderr, check=True)


def find_bindir(install: bool = True) -> Path:
    """The directory of ``initdb`` and ``pg_ctl``; installs PostgreSQL first if allowed and needed."""
    bindir = _bindir_of_path() or _bindir_of_debian()
    if bindir is None and install:
        _install()
        bindir = _bindir_of_path() or _bindir_of_debian()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found (initdb, pg_ctl)")
    return bindir


def _server_account() -> tuple[int, int] | None:
    """(uid, gid) to run the server as: root may not; anyone else runs it as themselves."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER], check=True
        )
        entry = pwd.getpwnam(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Cluster:
    port: int
    directory: Path
    bindir: Path
    version: str

    def server_pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self.directory / "data" / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3) of ``database`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


class _Runner:
    def __init__(self, bindir: Path, account: tuple[int, int] | None) -> None:
        self.bindir = bindir
        self.account = account

    def __call__(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.account is not None:
            kwargs = dict(user=self.account[0], group=self.account[1], extra_groups=[])
        done = subprocess.run([str(self.bindir / program), *args], capture_output=True, text=True, cwd="/", **kwargs)
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done


@contextmanager
def cluster(durable: bool = False, settings: dict[str, str] | None = None, install: bool = True) -> Iterator[Cluster]:
    """Start a throwaway server; stop it and remove its directory on exit.

    ``durable=False`` (tests) turns fsync and synchronous commit off; ``durable=True`` keeps the defaults.
    """
    bindir = find_bindir(install=install)
    account = _server_account()
    run = _Runner(bindir, account)
    directory = Path(tempfile.mkdtemp(prefix="onething-pg-"))
    started = False
    try:
        if account is not None:
            os.chown(directory, *account)
        data = directory / "data"
        run(
            "initdb",
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        )
        options = {
            **COMMON,
            **({} if durable else FAST),
            **(settings or {}),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(directory),
        }
        for attempt in range(5):
            port = _free_port()
            flags = " ".join([f"-p {port}"] + [f"-c {k}={v}" for k, v in options.items()])
            started_run = run(
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(directory / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                flags,
                "start",
                check=False,
            )
            if started_run.returncode == 0:
                started = True
                break
            if attempt == 4:
                log = (directory / "server.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"pg_ctl start failed: {started_run.stderr}\n{log}")
        version = run("postgres", "--version").stdout.strip()
        yield Cluster(port=port, directory=directory, bindir=bindir, version=version)
    finally:
        if started:
            run("pg_ctl", "-D", str(directory / "data"), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(directory, ignore_errors=True)


def _run_command(command: list[str], durable: bool) -> int:
    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    with cluster(durable=durable) as pg:
        url = pg.url()
        _log(f"{pg.version} on 127.0.0.1:{pg.port} (data in {pg.directory}, removed afterwards)")
        env = {**os.environ, "DATABASE_URL": url, "ONETHING_TEST_DATABASE_URL": url}
        child = subprocess.Popen(command, env=env)
        try:
            return child.wait()
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.pgcluster", description="run a command against a throwaway PostgreSQL server"
    )
    sub = parser.add_subparsers(dest="verb", required=True)
    run = sub.add_parser("run", help="start a server, run the command with DATABASE_URL set, stop it")
    run.add_argument("--durable", action="store_true", help="keep fsync and synchronous commit on")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- command [args...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given (python -m tests.support.pgcluster run -- <command...>)")
    return _run_command(command, args.durable)


if __name__ == "__main__":
    sys.exit(main())
