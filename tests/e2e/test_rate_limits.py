"""Issue 19, finding 3: a rate limit per client on sign-in, HTTP Basic and the API, answered 429 with
``Retry-After`` in the shape of where it was sent (Camunda's error, problem+json, a Chinese page); the
client's address is the connection's unless ``ONETHING_TRUSTED_PROXIES`` says a proxy of ours is in front."""

from __future__ import annotations

import threading
import time

import limits.storage.memory as limits_memory
import limits.strategies as limits_strategies
import pytest

import api.rate_limits
from api import create_app
from api.rate_limits import DEFAULTS
from engine.usecases.accounts import add_user

from .test_sign_in_limits import basic, client_at, modeler_check
from .test_web_pages import PASSWORD, sign_in


class _WindowClock:
    """``time`` as the rate limiter reads it, shifted so that a test starts one second into a minute: the
    limits count in minute windows (sliding-window counters), and a burst that straddled two windows would
    be counted partly in each -- on a slow machine that made a test's fourth request pass."""

    def __init__(self) -> None:
        now = time.time()
        self.offset = 1.0 - now % 60

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture(autouse=True)
def minute_begins(monkeypatch):
    clock = _WindowClock()
    for module in (limits_memory, limits_strategies, api.rate_limits):
        monkeypatch.setattr(module, "time", clock)


def limited_app(ctx, **limits):
    return create_app({"TESTING": True, "SECRET_KEY": "tests", "RATE_LIMITS": limits}, context=ctx)


@pytest.fixture
def people(ctx):
    add_user(ctx, "analyst-web", ["analyst"], [], ["62"], password=PASSWORD)
    return {
        "portal": add_user(ctx, "portal-x", ["portal"], [], ["62"]),
        "other": add_user(ctx, "portal-y", ["portal"], [], ["62"]),
    }


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


def test_basic_requests_beyond_the_limit_get_camundas_429(ctx, people):
    app = limited_app(ctx, passwords="3 per minute")
    modeler = client_at(app, "192.0.2.10")
    assert [modeler_check(modeler, "analyst-web").status_code for _ in range(3)] == [200] * 3
    refused = modeler_check(modeler, "analyst-web")
    assert refused.status_code == 429 and 1 <= retry_after(refused) <= 60
    body = refused.get_json()
    assert set(body) == {"type", "message", "code"} and body["message"].startswith("Too many requests")
    assert refused.headers["Access-Control-Allow-Origin"]  # the Modeler's CORS answer still applies
    assert modeler_check(client_at(app, "192.0.2.11"), "analyst-web").status_code == 200  # per client
    bearer = modeler.get(
        "/engine-rest/deployment?maxResults=0", headers={"authorization": f"Bearer {people['portal']}"}
    )
    assert bearer.status_code != 429  # a token is not a password: only Basic counts here


def test_sign_ins_beyond_the_limit_get_a_chinese_page(ctx, people):
    app = limited_app(ctx, passwords="2 per minute")
    browser = client_at(app, "192.0.2.20")
    assert sign_in(browser, "analyst-web", "wrong password 1").status_code == 401
    assert sign_in(browser, "analyst-web", "wrong password 1").status_code == 401
    refused = sign_in(browser, "analyst-web")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "请求过于频繁" in text and "秒后再试" in text and retry_after(refused) >= 1
    assert browser.get("/login").status_code == 200  # looking at the page is not signing in


def test_api_calls_beyond_the_limit_get_problem_json_per_caller(ctx, people):
    app = limited_app(ctx, api="4 per minute")
    client = client_at(app, "192.0.2.30")
    portal = {"Authorization": f"Bearer {people['portal']}"}
    assert [client.get("/api/tasks", headers=portal).status_code for _ in range(4)] == [403] * 4
    refused = client.get("/api/tasks", headers=portal)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 429 and refused.get_json()["title"] == "Too Many Requests"
    assert retry_after(refused) >= 1
    other = {"Authorization": f"Bearer {people['other']}"}
    assert client.get("/api/tasks", headers=other).status_code == 403  # another caller behind the same address


def test_refused_credentials_beyond_the_limit_are_turned_away_whatever_token_they_try(ctx, people):
    app = limited_app(ctx, refused="3 per minute")
    guesser = client_at(app, "192.0.2.40")
    answers = [guesser.get("/api/tasks", headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(5)]
    assert answers == [401, 401, 401, 429, 429]
    assert guesser.get("/engine-rest/deployment", headers={"authorization": "Bearer guess-9"}).status_code == 429
    assert client_at(app, "192.0.2.41").get("/api/tasks", headers={"Authorization": "Bearer x"}).status_code == 401


def test_pages_beyond_the_limit_get_a_chinese_page_and_static_files_are_not_counted(ctx, people):
    app = limited_app(ctx, pages="3 per minute")
    browser = client_at(app, "192.0.2.50")
    assert [browser.get("/login").status_code for _ in range(3)] == [200] * 3
    assert browser.get("/static/web/style.css").status_code == 200
    refused = browser.get("/login")
    assert refused.status_code == 429 and "请求过于频繁" in refused.get_data(as_text=True)
    assert browser.get("/api/health").status_code == 200  # the API counts apart


def test_the_limits_are_configurable_and_checked_at_start(ctx, monkeypatch):
    monkeypatch.setenv("ONETHING_RATE_LIMIT_PAGES", "1 per minute")
    app = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx)
    browser = app.test_client()
    assert [browser.get("/login").status_code for _ in range(2)] == [200, 429]
    monkeypatch.setenv("ONETHING_RATE_LIMIT_API", "lots")
    with pytest.raises(ValueError, match="ONETHING_RATE_LIMIT_API"):
        create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx)
    assert set(DEFAULTS) == {"passwords", "refused", "api", "pages"}


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(ctx, people):
    direct = limited_app(ctx, passwords="2 per minute")
    client = client_at(direct, "192.0.2.60")
    for _ in range(2):
        modeler_check(client, "analyst-web")
    spoofed = client.get("/engine-rest/deployment", headers={**basic("analyst-web"), "X-Forwarded-For": "10.1.1.1"})
    assert spoofed.status_code == 429  # the header is anyone's to write: not believed

    proxied = create_app(
        {"TESTING": True, "SECRET_KEY": "tests", "TRUSTED_PROXIES": "1", "RATE_LIMITS": {"passwords": "2 per minute"}},
        context=ctx,
    )
    proxy = client_at(proxied, "127.0.0.1")
    first = {**basic("analyst-web"), "X-Forwarded-For": "198.51.100.7"}
    assert [proxy.get("/engine-rest/deployment", headers=first).status_code for _ in range(3)] == [200, 200, 429]
    second = {**basic("analyst-web"), "X-Forwarded-For": "198.51.100.8"}
    assert proxy.get("/engine-rest/deployment", headers=second).status_code == 200
    with pytest.raises(ValueError, match="ONETHING_TRUSTED_PROXIES"):
        create_app({"TESTING": True, "SECRET_KEY": "tests", "TRUSTED_PROXIES": "yes"}, context=ctx)


def test_counting_starts_no_thread_per_request(ctx, people, monkeypatch):
    """limits' MemoryStorage would start a timer thread for nearly every request; ours sweeps inline."""
    import limits.storage.memory

    app = limited_app(ctx)
    client = app.test_client()
    client.get("/api/health")
    started = []

    class CountedTimer(threading.Timer):
        def start(self):
            started.append(self)
            super().start()

    monkeypatch.setattr(limits.storage.memory.threading, "Timer", CountedTimer)
    for _ in range(20):
        time.sleep(0.02)  # each after the timer MemoryStorage would have started has finished
        assert client.get("/api/health").status_code == 200
    assert started == []
