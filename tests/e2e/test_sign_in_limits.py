"""Issue 19, finding 3: wrong passwords are counted per account and client address, per address and per
account, atomically -- a burst of 8 sign-ins or 16 Basic requests gets at most five checks of the password --
and the lock of one source never locks the account for its owner elsewhere; an unknown name, a wrong
password and a locked source answer alike, each after one hash verification; the lock is told in Beijing
time."""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from engine.usecases import accounts, sign_in_limits
from engine.usecases.accounts import add_user
from tests.support.services import free_port, onething, process, wait_healthy

from .test_engine_rest_server import request
from .test_web_pages import PASSWORD, sign_in, token

BASE = "/engine-rest"
WRONG = "用户名或密码错误"
REAL_USER, ATTACKER = "10.20.30.40", "203.0.113.66"


class CountingHasher:
    """The real argon2id hasher, noting which hash each verification was against."""

    def __init__(self, real) -> None:
        self.real, self.verified, self._lock = real, [], threading.Lock()

    def verify(self, hash_, password):
        with self._lock:
            self.verified.append(hash_)
        return self.real.verify(hash_, password)

    def hash(self, password):
        return self.real.hash(password)

    def check_needs_rehash(self, hash_):
        return self.real.check_needs_rehash(hash_)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(accounts._HASHER)
    monkeypatch.setattr(accounts, "_HASHER", counting)
    return counting


@pytest.fixture
def people(ctx):
    add_user(ctx, "admin-web", ["admin"], [], ["62"], password=PASSWORD)  # the pages and Camunda Modeler
    add_user(ctx, "mw-web", ["clerk"], ["midwifery"], ["62"], password=PASSWORD)
    return ctx


def stored_hash(ctx, name):
    with ctx.reader() as uow:
        return uow.users.by_name(name).password_hash


def client_at(app, address="127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def basic(user, password=PASSWORD):
    return {
        "authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
        "accept": "application/json",
    }


def modeler_check(client, user, password=PASSWORD):
    """Camunda Modeler's connection check."""
    return client.get(f"{BASE}/deployment?maxResults=0", headers=basic(user, password))


def at_once(count, act):
    """Run ``act(n)`` in ``count`` threads released together; their results."""
    barrier, results, lock = threading.Barrier(count), [], threading.Lock()

    def run(n):
        barrier.wait()
        result = act(n)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def lock_time(text):
    found = re.search(r"请于(\d\d):(\d\d)后再试", text)
    return found and (int(found.group(1)), int(found.group(2)))


def test_eight_concurrent_sign_ins_get_at_most_five_password_checks(app, people, hasher, ctx):
    browsers = [app.test_client() for _ in range(8)]
    forms = [token(browser.get("/login")) for browser in browsers]

    def guess(n):
        response = browsers[n].post(
            "/login", data={"name": "mw-web", "password": f"wrong guess {n}", "csrf_token": forms[n]}
        )
        return response.status_code, response.get_data(as_text=True)

    answers = at_once(8, guess)
    assert hasher.verified.count(stored_hash(ctx, "mw-web")) == 5
    assert len(hasher.verified) == 8  # the other three cost the same work, against no one's password
    assert [status for status, _ in answers] == [401] * 8
    assert sum(WRONG in text for _, text in answers) == 5
    assert sum(bool(lock_time(text)) for _, text in answers) == 3
    assert lock_time(sign_in(app.test_client(), "mw-web").get_data(as_text=True))  # the right one too, from here


def test_sixteen_concurrent_basic_requests_get_at_most_five_password_checks(app, people, hasher, ctx):
    answers = at_once(16, lambda n: modeler_check(app.test_client(), "admin-web", f"wrong guess {n}"))
    assert hasher.verified.count(stored_hash(ctx, "admin-web")) == 5 and len(hasher.verified) == 16
    assert [a.status_code for a in answers] == [401] * 16
    assert all(a.headers["WWW-Authenticate"].startswith("Basic") for a in answers)
    messages = [a.get_json()["message"] for a in answers]
    assert messages.count("Credentials do not match") == 5
    assert sum(m.startswith("too many wrong passwords: try again after") for m in messages) == 11


def test_a_flood_of_wrong_basic_passwords_leaves_the_account_to_its_owner(app, people):
    """Before, five anonymous requests locked an admin out of both the pages and the Modeler."""
    owner_browser = client_at(app, REAL_USER)
    assert sign_in(owner_browser, "admin-web").status_code == 302
    attacker = client_at(app, ATTACKER)
    flood = [modeler_check(attacker, "admin-web", f"guess {n}").status_code for n in range(40)]
    assert set(flood) == {401, 429}  # locked after five, then turned away by the rate limit
    assert owner_browser.get("/admin").status_code == 200  # the session goes on
    owner = client_at(app, REAL_USER)
    assert modeler_check(owner, "admin-web").status_code == 200  # the Modeler from the owner's address
    assert sign_in(client_at(app, REAL_USER), "admin-web").status_code == 302  # a new sign-in too
    assert sign_in(client_at(app, "10.20.30.41"), "admin-web").status_code == 302  # and from anywhere else
    still = sign_in(client_at(app, ATTACKER), "admin-web")  # only the attacker's address is locked
    assert still.status_code in (401, 429)


def test_unknown_names_wrong_passwords_and_locked_sources_answer_alike_after_one_hash_each(
    app, people, hasher, ctx, clock
):
    add_user(ctx, "gone", ["clerk"], ["midwifery"], ["62"], password=PASSWORD)
    accounts.revoke(ctx, "gone")
    browser = app.test_client()
    answers = {name: sign_in(browser, name, "wrong password 1") for name in ("nobody-at-all", "mw-web", "gone")}
    assert {r.status_code for r in answers.values()} == {401}
    assert len({re.sub(r'value="[^"]+"', "", r.get_data(as_text=True)) for r in answers.values()}) == 1
    assert WRONG in answers["mw-web"].get_data(as_text=True)
    assert len(hasher.verified) == 3  # one verification each, known or not
    for _ in range(4):
        sign_in(browser, "nobody-at-all", "wrong password 1")
        sign_in(browser, "mw-web", "wrong password 1")
    fifth = clock.now()
    hasher.verified.clear()
    locked = {
        name: sign_in(browser, name, PASSWORD if name == "mw-web" else "anything 1")
        for name in ("nobody-at-all", "mw-web")
    }
    assert {r.status_code for r in locked.values()} == {401}
    texts = [re.sub(r'value="[^"]+"', "", r.get_data(as_text=True)) for r in locked.values()]
    assert texts[0] == texts[1]  # "locked" tells nothing about whether the name exists either
    hours, minutes = lock_time(texts[0])
    end = fifth + timedelta(minutes=15)  # Beijing time (the service clock is 10:0x in Beijing, 02:0x UTC)
    assert (hours, minutes) in {
        (end.hour, end.minute),
        ((end + timedelta(minutes=1)).hour, (end + timedelta(minutes=1)).minute),
    }
    assert len(hasher.verified) == 2 and stored_hash(ctx, "mw-web") not in hasher.verified  # same work, no guess

    unknown = modeler_check(app.test_client(), "nobody-else", "wrong password 1")
    wrong = modeler_check(app.test_client(), "admin-web", "wrong password 1")
    assert unknown.status_code == wrong.status_code == 401 and unknown.get_json() == wrong.get_json()
    assert modeler_check(app.test_client(), "nobody-at-all").get_json()["message"].startswith("too many wrong")


def test_a_lock_ends_after_15_minutes_and_a_new_password_ends_it_at_once(app, people, clock, ctx):
    browser = client_at(app, REAL_USER)
    for _ in range(5):
        sign_in(browser, "mw-web", "wrong password 1")
    assert lock_time(sign_in(browser, "mw-web").get_data(as_text=True))
    admin = client_at(app, "10.9.9.9")
    assert sign_in(admin, "admin-web").status_code == 302
    assert "部分来源已锁定" in admin.get("/admin/users").get_data(as_text=True)
    clock.advance(timedelta(minutes=15, seconds=61))
    assert sign_in(client_at(app, REAL_USER), "mw-web").status_code == 302
    for _ in range(5):
        sign_in(browser, "mw-web", "wrong password 1")
    page = admin.get("/admin/users/mw-web")
    admin.post(
        "/admin/users/mw-web/password",
        data={"pw-password": "a new password 1", "pw-again": "a new password 1", "csrf_token": token(page)},
    )
    assert sign_in(client_at(app, REAL_USER), "mw-web", "a new password 1").status_code == 302
    assert stored_hash(ctx, "mw-web").startswith("$argon2id$")


def test_many_addresses_guessing_one_account_lock_it_except_where_its_owner_signs_in(app, people, monkeypatch):
    monkeypatch.setattr(sign_in_limits, "ACCOUNT_LIMIT", 8)  # 100 in an hour in production
    assert sign_in(client_at(app, REAL_USER), "mw-web").status_code == 302  # the owner's known address
    for n in range(4):
        botnet = client_at(app, f"198.51.100.{n + 1}")
        for _ in range(2):  # below the pair's limit of five
            assert sign_in(botnet, "mw-web", "wrong password 1").status_code == 401
    assert lock_time(sign_in(client_at(app, "198.51.100.99"), "mw-web").get_data(as_text=True))
    assert modeler_check(client_at(app, "198.51.100.99"), "mw-web").get_json()["message"].startswith("too many")
    assert sign_in(client_at(app, REAL_USER), "mw-web").status_code == 302  # the owner still gets in
    assert sign_in(client_at(app, "198.51.100.99"), "admin-web").status_code == 302  # other accounts too


def test_one_address_trying_many_names_is_locked_for_every_name(app, people, monkeypatch):
    monkeypatch.setattr(sign_in_limits, "ADDRESS_LIMIT", 6)  # 30 in production
    sprayer = client_at(app, ATTACKER)
    for name in ("mw-web", "admin-web", "nobody-1"):
        for _ in range(2):
            assert WRONG in sign_in(sprayer, name, "Spring2026!!").get_data(as_text=True)
    assert lock_time(sign_in(sprayer, "nobody-2", "Spring2026!!").get_data(as_text=True))
    assert lock_time(sign_in(sprayer, "mw-web").get_data(as_text=True))
    assert sign_in(client_at(app, REAL_USER), "mw-web").status_code == 302


def test_an_ipv6_client_is_counted_by_its_64_network(app, people):
    for n in range(5):
        sign_in(client_at(app, f"2001:db8:1:2::{n + 1}"), "mw-web", "wrong password 1")
    assert lock_time(sign_in(client_at(app, "2001:db8:1:2:ffff::9"), "mw-web").get_data(as_text=True))
    assert sign_in(client_at(app, "2001:db8:1:3::1"), "mw-web").status_code == 302


def test_address_keys():
    key = sign_in_limits.address_key
    assert key("192.0.2.7") == "192.0.2.7" and key("::ffff:192.0.2.7") == "192.0.2.7"
    assert key("2001:db8:1:2:3:4:5:6") == key("2001:db8:1:2::9") == "2001:db8:1:2::/64"
    assert key(key("2001:db8:1:2::9")) == "2001:db8:1:2::/64"
    assert key(None) == key("") == key("not an address") == "unknown"


def test_bursts_against_onething_serve_get_five_checks_each(people, database_url, tmp_path):
    """The same bursts over real connections to ``onething serve`` (waitress's threads, the database's own
    concurrency: on PostgreSQL nothing queues the writers)."""
    port = free_port()
    log = tmp_path / "serve.log"
    with process(
        onething("serve", "--port", str(port), "--no-worker"),
        database_url,
        log,
        env={"ONETHING_SECRET_KEY": "a key for this test only"},
    ) as child:
        wait_healthy(f"http://127.0.0.1:{port}", child, log)

        def modeler(n):
            status, _, body = request(
                port, "GET", f"{BASE}/deployment?maxResults=0", basic("admin-web", f"wrong guess {n}")
            )
            return status, json.loads(body)["message"]

        answers = at_once(16, modeler)
        assert [status for status, _ in answers] == [401] * 16
        messages = [message for _, message in answers]
        assert messages.count("Credentials do not match") == 5
        assert sum(m.startswith("too many wrong passwords") for m in messages) == 11

        forms = []
        for _ in range(8):
            _, headers, body = request(port, "GET", "/login", {})
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body.decode()).group(1)
            forms.append((headers["set-cookie"].split(";")[0], csrf))

        def sign_in_over_http(n):
            cookie, csrf = forms[n]
            form = urlencode({"name": "mw-web", "password": f"wrong guess {n}", "csrf_token": csrf}).encode()
            status, _, body = request(
                port, "POST", "/login", {"cookie": cookie, "content-type": "application/x-www-form-urlencoded"}, form
            )
            return status, body.decode()

        answers = at_once(8, sign_in_over_http)
        assert [status for status, _ in answers] == [401] * 8
        assert sum(WRONG in text for _, text in answers) == 5
        assert sum(bool(lock_time(text)) for _, text in answers) == 3
