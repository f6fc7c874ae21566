"""Run it in production (issue 25, README "Run it in production"): ``deploy/``'s units started the way
systemd starts them -- their ExecStart commands, the environment file's variables and nothing else of the
test's environment, in the state directory -- on an empty database: the first starts prepare it, the
README's ``onething user add`` commands make the users, an application with an uploaded material goes
through to its end. The API instance runs no worker thread (the worker unit's process runs every service
task), and its ``/metrics`` shows the worker's counts (the units' one ``PROMETHEUS_MULTIPROC_DIR``). Behind the
reverse proxy, waitress believes its ``X-Forwarded-*`` headers from
``ONETHING_TRUSTED_PROXY`` only (the scheme, host and client address the app sees).

Also: the units pass ``systemd-analyze verify`` (where the machine has it), the compose file has the
services the README names (``docker compose config`` where it runs, else read as YAML), the environment
template and the README name every setting the service reads, and the commands print no migration
chatter unless asked (``-v``)."""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import FIXED_NOW
from tests.sample_files import pdf
from tests.support.databases import empty_database
from tests.support.http import Client
from tests.support.lifecycle import accounts, carry, drive
from tests.support.services import ROOT, free_port, onething, stop, wait_healthy

DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/onething/.venv/bin/onething"
UNITS = (
    "onething-api@.service",
    "onething-worker@.service",
    "onething.target",
    "onething-backup.service",
    "onething-backup.timer",
)


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's settings: section → key → values (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def exec_start(name: str, instance: str) -> list[str]:
    """The unit's command for ``instance`` (specifiers resolved), run from this checkout's Python."""
    [line] = unit(name)["Service"]["ExecStart"]
    argv = shlex.split(line.replace("%i", instance).replace("%H", "testhost").replace("%%", "%"))
    assert argv[0] == INSTALLED
    return onething(*argv[1:])


def environment_file() -> dict[str, str]:
    """The template's variables as systemd reads them (KEY=value lines; comments and blank lines skipped)."""
    found = {}
    for line in (DEPLOY / "onething.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def unit_environment(name: str, runtime: Path) -> dict[str, str]:
    """The unit's ``Environment=`` settings, ``/run/`` (its ``RuntimeDirectory=``) under ``runtime``."""
    found = {}
    for line in unit(name)["Service"].get("Environment", []):
        key, _, value = line.partition("=")
        found[key] = value.replace("/run/", f"{runtime}/")
    return found


def settings_read_by_the_service() -> set[str]:
    """Every environment variable the production code names (DATABASE_URL, ONETHING_*, MATERIALS_*)."""
    pattern = re.compile(r"""["'](DATABASE_URL|ONETHING_[A-Z_]+|MATERIALS_[A-Z_]+)["']""")
    return {
        match
        for package in ("engine", "api", "handlers", "forms")
        for path in (ROOT / package).rglob("*.py")
        for match in pattern.findall(path.read_text(encoding="utf-8"))
    }


@contextmanager
def started(argv: list[str], env: dict[str, str], cwd: Path, log: Path):
    """A process as systemd starts it: its environment only, its working directory; SIGTERM to stop."""
    with open(log, "ab") as out:
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield child
    finally:
        stop(child)


def cli(tmp_path: Path, env: dict[str, str], state: Path, *args: str) -> subprocess.CompletedProcess:
    """``deploy/onething-cli ARGS`` as the README runs it, with the environment file written out and the
    installed command standing for this checkout's."""
    env_file, program = tmp_path / "onething.env", tmp_path / "onething"
    if not env_file.exists():
        env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
        program.write_text(f'#!/bin/sh\nexec {shlex.join(onething())} "$@"\n')
        program.chmod(0o755)
    return subprocess.run(
        [str(DEPLOY / "onething-cli"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": env["PATH"],
            "ONETHING_ENV_FILE": str(env_file),
            "ONETHING_STATE_DIR": str(state),
            "ONETHING_BIN": str(program),
        },
    )


def test_the_units_run_the_service_from_an_empty_database(tmp_path):
    state = tmp_path / "var-lib-onething"  # WorkingDirectory= / StateDirectory=
    state.mkdir(mode=0o700)
    with empty_database(tmp_path) as url:
        env = {
            **environment_file(),
            "DATABASE_URL": url,
            "ONETHING_INSTANCE_DIR": str(state),
            "MATERIALS_DIR": str(state / "materials"),
            "ONETHING_CLOCK_START": FIXED_NOW.isoformat(),  # a rehearsal: the clock of the other tests
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(state),
            "PYTHONPATH": str(ROOT),
        }
        # the metrics directory every process of the machine shares, as the units set it; a scraper's token
        environment = unit_environment("onething-api@.service", tmp_path / "run")
        assert environment == unit_environment("onething-worker@.service", tmp_path / "run")
        env.update(environment, ONETHING_METRICS_TOKEN="the-scrapers-token")
        port = free_port()
        api_argv, worker_argv = (
            exec_start("onething-api@.service", str(port)),
            exec_start("onething-worker@.service", "1"),
        )
        assert "--no-worker" in api_argv  # the worker is a unit of its own
        api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
        with started(api_argv, env, state, api_log) as api, started(worker_argv, env, state, worker_log) as worker:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, api, api_log, timeout=120)

            tokens = {}
            for name, spec in accounts().items():  # the README's commands, through deploy/onething-cli
                args = ["user", "add", name] + [f"--role={r}" for r in spec["roles"]]
                args += [f"--group={g}" for g in spec["groups"]] + [
                    f"--jurisdiction={j}" for j in spec["jurisdictions"]
                ]
                done = cli(tmp_path, env, state, *args)
                assert done.returncode == 0, done.stderr[-2000:]
                assert "INFO" not in done.stdout + done.stderr  # no migration chatter
                tokens[name] = done.stdout.strip().splitlines()[-1]

            client = Client(base)
            outcome = drive([client], tokens, 1, FIXED_NOW, actions=0)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(
                "PUT",
                f"/api/process-instances/{outcome.instance_id}/materials/marriage_certificate",
                body=pdf("结婚证"),
                headers={"Authorization": f"Bearer {tokens['portal']}"},
            )
            assert connection.getresponse().status == 201
            connection.close()
            assert carry([client], tokens, 1, outcome).state == "completed"
            assert [p.name for p in (state / "materials").iterdir()]  # where the environment file says

            assert api.poll() is None and worker.poll() is None
            metrics = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # the worker's counts, by the API
            metrics.request("GET", "/metrics", headers={"Authorization": "Bearer the-scrapers-token"})
            scraped = metrics.getresponse().read().decode()
            metrics.close()
            assert re.search(r'onething_jobs_run_total\{[^}]*topic="police.register_birth"[^}]*\} [1-9]', scraped)
            worker.send_signal(signal.SIGTERM)  # the worker stops cleanly between jobs
            assert worker.wait(timeout=60) == 0

        api_said, worker_said = api_log.read_text(), worker_log.read_text()
        assert "with a background worker" not in api_said and "engine.worker" not in api_said
        assert re.search(r"worker testhost-worker-1: ran \d+ job", worker_said)
        assert "alembic" not in api_said + worker_said  # one line of ours says the schema was created
        assert "database schema created at revision" in api_said + worker_said


def seen_by_the_app(monkeypatch, trusted: str | None, headers: dict) -> dict:
    """What the app sees of a request through waitress as ``onething serve`` configures it."""
    from waitress.server import create_server

    from api.commands import _proxy_settings

    if trusted is None:
        monkeypatch.delenv("ONETHING_TRUSTED_PROXY", raising=False)
    else:
        monkeypatch.setenv("ONETHING_TRUSTED_PROXY", trusted)

    def app(environ, start_response):
        seen = {
            key: environ.get(key)
            for key in ("wsgi.url_scheme", "HTTP_HOST", "REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")
        }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(seen).encode()]

    server = create_server(app, host="127.0.0.1", port=0, threads=1, **_proxy_settings())

    def run() -> None:
        try:
            server.run()
        except OSError:  # its socket closed under its select() when the test is done
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
        connection.request("GET", "/", headers=headers)
        seen = json.loads(connection.getresponse().read())
        connection.close()
        return seen
    finally:
        for channel in list(server._map.values()):  # every channel closed: waitress's loop ends
            channel.handle_close()
        server.task_dispatcher.shutdown()
        thread.join(timeout=10)


PROXIED = {
    "Host": "127.0.0.1:8001",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "onething.example.gov.cn",
    "X-Forwarded-Port": "443",
    "X-Forwarded-For": "203.0.113.7",
}


def test_the_reverse_proxys_headers_are_believed_from_its_address_only(monkeypatch):
    """From ONETHING_TRUSTED_PROXY the app sees HTTPS, the public host and the client's address (what a
    same-origin check and a log need); from any other peer, or with no proxy named, the headers are
    not believed (and, named, are taken away)."""
    behind = seen_by_the_app(monkeypatch, "127.0.0.1", PROXIED)
    assert behind["wsgi.url_scheme"] == "https" and behind["HTTP_HOST"] == "onething.example.gov.cn"
    assert behind["REMOTE_ADDR"] == "203.0.113.7"
    elsewhere = seen_by_the_app(monkeypatch, "192.0.2.1", PROXIED)
    assert elsewhere["wsgi.url_scheme"] == "http" and elsewhere["REMOTE_ADDR"] == "127.0.0.1"
    assert elsewhere["HTTP_X_FORWARDED_FOR"] is None and elsewhere["HTTP_X_FORWARDED_PROTO"] is None
    unnamed = seen_by_the_app(monkeypatch, None, PROXIED)
    assert unnamed["wsgi.url_scheme"] == "http" and unnamed["REMOTE_ADDR"] == "127.0.0.1"
    assert environment_file()["ONETHING_TRUSTED_PROXY"] == "127.0.0.1"  # the proxy on the same machine


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_units(tmp_path):
    """``systemd-analyze verify`` on copies whose program path exists here (it checks it is executable);
    a warning (an unknown key, a bad specifier) fails the test as much as an error."""
    program = tmp_path / "onething"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    for name in UNITS:
        (tmp_path / name).write_text((DEPLOY / name).read_text(encoding="utf-8").replace(INSTALLED, str(program)))
    for name in (
        "onething-api@8001.service",
        "onething-worker@1.service",
        "onething.target",
        "onething-backup.service",
        "onething-backup.timer",
    ):
        done = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(tmp_path / name)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        ours = [line for line in (done.stdout + done.stderr).splitlines() if "onething" in line]
        assert done.returncode == 0 and not ours, f"{name}:\n{done.stdout}{done.stderr}"


def test_every_unit_runs_the_installed_command_with_the_environment_file():
    for name in ("onething-api@.service", "onething-worker@.service", "onething-backup.service"):
        service = unit(name)["Service"]
        assert service["EnvironmentFile"] == ["/etc/onething/onething.env"]
        assert service["User"] == ["onething"] and INSTALLED in service["ExecStart"][0]
    assert unit("onething-api@.service")["Install"]["WantedBy"] == ["onething.target"]
    assert unit("onething-worker@.service")["Install"]["WantedBy"] == ["onething.target"]
    assert "db backup" in unit("onething-backup.service")["Service"]["ExecStart"][0]


def test_the_environment_template_and_the_readme_name_every_setting():
    settings = settings_read_by_the_service()
    assert {"DATABASE_URL", "MATERIALS_DIR", "ONETHING_SECRET_KEY"} <= settings
    template = (DEPLOY / "onething.env").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(s for s in settings if not re.search(rf"^#?{s}=", template, re.M)) == []
    assert sorted(s for s in settings if f"`{s}`" not in readme) == []


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_the_compose_file_runs_the_api_the_worker_postgresql_and_the_proxy():
    services = compose()["services"]
    assert set(services) == {"db", "api", "worker", "proxy"}
    db, api, worker, proxy = (services[name] for name in ("db", "api", "worker", "proxy"))
    assert db["image"].split("/")[-1].startswith("postgres:") and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert (
        api["build"]["dockerfile"] == "deploy/Containerfile" and (DEPLOY.parent / api["build"]["dockerfile"]).is_file()
    )
    assert api["command"] == ["onething", "serve", "--no-worker"] and worker["command"] == ["onething", "worker"]
    assert api["image"] == worker["image"]  # one image, two processes
    for app in (api, worker):
        assert (
            app["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
            and "@db:5432/" in app["environment"]["DATABASE_URL"]
        )
        assert app["depends_on"]["db"]["condition"] == "service_healthy"
        assert app["env_file"] == ["onething.env"]
    assert worker["depends_on"]["api"]["condition"] == "service_healthy"
    assert "/api/health" in " ".join(api["healthcheck"]["test"])
    assert "ports" not in api and "ports" not in worker and "443:443" in proxy["ports"]
    assert any(volume.endswith("/etc/caddy/Caddyfile:ro") for volume in proxy["volumes"])
    assert (DEPLOY / "Caddyfile").is_file()


def test_the_containerfile_copies_what_exists_and_runs_the_api_without_a_worker():
    lines = (DEPLOY / "Containerfile").read_text(encoding="utf-8").splitlines()
    copied = [part for line in lines if line.startswith("COPY ") for part in line.split()[1:-1]]
    assert copied and all((ROOT / part).exists() for part in copied), copied
    assert 'CMD ["onething", "serve", "--no-worker"]' in lines
    assert any(line.startswith("USER ") and "root" not in line for line in lines)


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker is not installed here")
def test_docker_compose_accepts_the_compose_file(tmp_path):
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("docker compose is not available here (the YAML is checked above)")
    env = {**os.environ, "POSTGRES_PASSWORD": "x", "ONETHING_SECRET_KEY": "y", "ONETHING_DOMAIN": "example.org"}
    done = subprocess.run(
        ["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_commands_print_no_migration_chatter_unless_asked(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "PYTHONPATH": str(ROOT)}
    env.pop("ONETHING_LOG_LEVEL", None)

    def run(*args: str) -> str:
        done = subprocess.run(onething(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout + done.stderr

    helped = run("--help")
    assert "INFO" not in helped and "usage: onething" in helped and "-v, --verbose" in helped
    first = run("calendar", "list")  # creates the schema: one line of ours, none of Alembic's
    assert "alembic" not in first and "database schema created at revision" in first
    assert "alembic" not in run("db", "upgrade")
    assert "alembic.runtime.migration" in run("db", "current", "-v")
    assert "alembic.runtime.migration" in run("-v", "db", "current")
