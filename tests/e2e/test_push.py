"""Progress pushed, not polled (issue 26): the application's event stream and the long poll of its views.

An event arrives soon after the change (within a second: a generous bound, not a measurement), whether the
change was made by this process or by another one on the same database (PostgreSQL's NOTIFY, SQLite's change
counter); a client that leaves leaves nothing waiting; the portal watches only its own applications; ``?wait``
answers 304 when nothing changed and 200 as soon as something did; a full house of waiters answers 503."""

from __future__ import annotations

import json
import threading
import time

import pytest

from api import create_app
from api import event_streams as push
from engine.bootstrap import build_context
from tests.support.databases import SPECS

QUICK = {"PUSH_BEAT_SECONDS": 0.3, "PUSH_STREAM_SECONDS": 20}


@pytest.fixture
def quick(app):
    app.config.update(QUICK)
    return app


@pytest.fixture
def started(api, application):
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    return {**body, "step": step}


class Stream:
    """An event stream read as the browser reads it: events (name, id, data) and heartbeats."""

    def __init__(self, response) -> None:
        self.response = response
        self.chunks = iter(response.response)
        self.buffer = ""

    def next(self) -> dict:
        """The next event or heartbeat: {"event", "id", "data"} or {"comment"}; {"end": True} at the end."""
        while "\n\n" not in self.buffer:
            try:
                chunk = next(self.chunks)
            except StopIteration:
                return {"end": True}
            self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        block, self.buffer = self.buffer.split("\n\n", 1)
        found: dict = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                found["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                found[name] = json.loads(value) if name == "data" else value
        return found

    def next_event(self) -> dict:
        while True:
            found = self.next()
            if "event" in found or "end" in found:
                return found

    def close(self) -> None:
        self.response.close()


def open_stream(client, path, token, **headers) -> Stream:
    response = client.get(path, headers={"Authorization": f"Bearer {token}", **headers}, buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/event-stream"
    stream = Stream(response)
    assert stream.next() == {"retry": str(push.RETRY_MS)}
    return stream


def later(seconds, action):
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_an_event_comes_at_once_then_within_a_second_of_each_change(quick, api, ctx, started):
    stream = open_stream(
        quick.test_client(), f"/api/applications/{started['business_key']}/events", api.tokens["portal"]
    )
    first = stream.next_event()
    assert first["event"] == "progress" and first["data"]["state"] == "active"
    assert first["data"]["business_key"] == started["business_key"] and first["id"] == first["data"]["revision"]
    assert push.waiters(quick).count == 1 and ctx.notifier.waiting == 1

    group = started["step"]["group"]
    claimed = time.monotonic()
    timer = later(0.2, lambda: api.post(f"/api/tasks/{started['step']['task_id']}/claim", group))
    second = stream.next_event()
    timer.join()
    print(f"\nthe claim's event came {(time.monotonic() - claimed - 0.2) * 1000:.0f} ms after it")
    assert time.monotonic() - claimed < 1.2
    assert second["event"] == "progress" and second["id"] != first["id"]
    stream.close()
    assert push.waiters(quick).count == 0 and ctx.notifier.waiting == 0


def test_a_change_made_by_another_process_comes_too(quick, api, database_url, started):
    """Another API process on the same database (its own connections, notifier and listener)."""
    other = build_context(database_url, specs=SPECS)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "tests", **QUICK}, context=other)
        stream = open_stream(
            app.test_client(), f"/api/applications/{started['business_key']}/events", api.tokens["portal"]
        )
        first = stream.next_event()
        time.sleep(0.5)  # the listener is connected (PostgreSQL) or has read the counter once (SQLite)
        claimed = time.monotonic()
        timer = later(0.2, lambda: api.post(f"/api/tasks/{started['step']['task_id']}/claim", started["step"]["group"]))
        second = stream.next_event()
        timer.join()
        print(f"\nthe other process's claim came {(time.monotonic() - claimed - 0.2) * 1000:.0f} ms after it")
        assert time.monotonic() - claimed < 1.2 and second["id"] != first["id"]
        stream.close()
        assert push.waiters(app).count == 0 and other.notifier.waiting == 0
    finally:
        other.notifier.close()
        other.sessions.engine.dispose()


def test_last_event_id_is_honoured_and_heartbeats_come_between(quick, api, started):
    path = f"/api/applications/{started['business_key']}/events"
    stream = open_stream(quick.test_client(), path, api.tokens["portal"])
    seen = stream.next_event()["id"]
    stream.close()
    again = open_stream(quick.test_client(), path, api.tokens["portal"], **{"Last-Event-ID": seen})
    assert "comment" in again.next()  # nothing newer than what the client had: a heartbeat first
    api.post(f"/api/tasks/{started['step']['task_id']}/claim", started["step"]["group"])
    assert again.next_event()["id"] != seen
    again.close()
    stale = open_stream(quick.test_client(), path, api.tokens["portal"], **{"Last-Event-ID": "1.old"})
    assert stale.next()["event"] == "progress"  # an older revision: the current one at once
    stale.close()
    assert push.waiters(quick).count == 0


def test_a_client_that_went_away_leaves_nothing_waiting(quick, api, ctx, started):
    gone = threading.Event()
    response = quick.test_client().get(
        f"/api/applications/{started['business_key']}/events",
        headers={"Authorization": f"Bearer {api.tokens['portal']}"},
        environ_base={"waitress.client_disconnected": gone.is_set},
        buffered=False,
    )
    stream = Stream(response)
    stream.next(), stream.next_event()
    assert ctx.notifier.waiting == 1
    gone.set()  # waitress says the client went: the stream ends within a moment, by itself
    ended = time.monotonic()
    while "end" not in stream.next():
        assert time.monotonic() - ended < 5
    assert ctx.notifier.waiting == 0
    response.close()
    assert push.waiters(quick).count == 0

    never_read = quick.test_client().get(  # one the client left before its first byte
        f"/api/applications/{started['business_key']}/events",
        headers={"Authorization": f"Bearer {api.tokens['portal']}"},
        buffered=False,
    )
    assert push.waiters(quick).count == 1
    never_read.close()
    assert push.waiters(quick).count == 0 and ctx.notifier.waiting == 0


def test_the_portal_watches_only_its_own_applications(quick, api, started):
    key, instance_id = started["business_key"], started["id"]
    for path in (
        f"/api/applications/{key}/events",
        f"/api/process-instances/{instance_id}?wait=1",
        f"/api/applications/{key}/progress?wait=1",
    ):
        other = api.get(path, "other_portal", headers={"If-None-Match": '"x"'})
        assert other.status_code == 404 and other.mimetype == "application/problem+json", path
        assert api.get(path.split("?")[0], "other_portal").status_code == 404  # as the view itself
    assert api.get("/api/applications/NO-SUCH-KEY/events", "portal").status_code == 404
    staff = open_stream(quick.test_client(), f"/api/applications/{key}/events", api.tokens["supervisor"])
    assert staff.next_event()["event"] == "progress"
    staff.close()
    far = api.get(f"/api/applications/{key}/events", "police_guizhou")  # a clerk of another province
    assert far.status_code == 404
    assert push.waiters(quick).count == 0


@pytest.mark.parametrize("view", ["instance", "progress"])
def test_wait_answers_304_when_nothing_changed_and_200_as_soon_as_something_did(api, quick, started, view):
    path = (
        f"/api/process-instances/{started['id']}"
        if view == "instance"
        else f"/api/applications/{started['business_key']}/progress"
    )
    first = api.get(path, "portal")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    assert api.get(path, "portal", headers={"If-None-Match": etag}).status_code == 304  # no wait: at once
    assert api.get(path + "?wait=2", "portal").status_code == 200  # nothing to compare with: at once

    asked = time.monotonic()
    unchanged = api.get(path + "?wait=1", "portal", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag
    assert time.monotonic() - asked >= 0.9  # it waited

    group = started["step"]["group"]
    changes = {
        "instance": lambda: api.post(f"/api/tasks/{started['step']['task_id']}/claim", group),
        "progress": lambda: api.approve(started["step"]["task_id"], group),  # the applicant's view moves on
    }
    asked = time.monotonic()
    timer = later(0.3, changes[view])
    changed = api.get(path + "?wait=20", "portal", headers={"If-None-Match": etag})
    timer.join()
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert time.monotonic() - asked < 10  # answered by the change, not by the time
    assert changed.get_json() == api.get(path, "portal").get_json()
    assert api.get(path + "?wait=0", "portal", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304
    assert api.get(path, "portal", headers={"If-None-Match": etag}).status_code == 200  # a stale tag

    assert api.get(path + "?wait=1", "portal", headers={"If-None-Match": 'W/"", "Y"'}).status_code == 200  # fuzz
    for bad in ("31", "-1", "soon"):
        assert api.get(f"{path}?wait={bad}", "portal").status_code == 422
    assert push.waiters(quick).count == 0


def test_a_full_house_of_waiters_answers_503(api, app, ctx, started):
    app.config[push.PUSH_WAITERS] = 1
    app.config.update(QUICK)
    stream = open_stream(app.test_client(), f"/api/applications/{started['business_key']}/events", api.tokens["portal"])
    refused = api.get(f"/api/applications/{started['business_key']}/events", "portal")
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    etag = api.get(f"/api/process-instances/{started['id']}", "portal").headers["ETag"]
    waiting = api.get(f"/api/process-instances/{started['id']}?wait=5", "portal", headers={"If-None-Match": etag})
    assert waiting.status_code == 503 and waiting.headers["Retry-After"]
    assert api.get(f"/api/process-instances/{started['id']}", "portal").status_code == 200  # no wait: answered
    stream.close()
    assert push.waiters(app).count == 0
    assert api.get(f"/api/applications/{started['business_key']}/progress?wait=1", "portal").status_code == 200


def test_a_clerks_queue_stream_tells_of_a_new_task_and_a_full_house_says_come_back_later(api, app, ctx, clock):
    from engine.usecases.accounts import add_user
    from handlers.newborn.samples import sample_application
    from tests.e2e.test_web_pages import PASSWORD, sign_in

    app.config[push.PUSH_WAITERS] = 1
    app.config.update(QUICK)
    add_user(ctx, "mw-web", ["clerk"], ["midwifery"], ["62"], password=PASSWORD)
    browser = app.test_client()
    assert sign_in(browser, "mw-web").status_code == 302
    page = browser.get("/tasks").get_data(as_text=True)
    assert 'data-events="/tasks/events?seen=' in page and "queue.js" in page
    stream = Stream(browser.get("/tasks/events", buffered=False))
    assert stream.response.mimetype == "text/event-stream"
    assert stream.next() == {"retry": str(push.RETRY_MS)}
    first = stream.next_event()  # nothing seen yet: the queue as it is
    assert first["event"] == "queue"

    filed = time.monotonic()
    timer = later(0.2, lambda: api.start(sample_application(clock.now(), seq=7)))  # a new midwifery review
    second = stream.next_event()
    timer.join()
    assert second["event"] == "queue" and second["id"] != first["id"] and time.monotonic() - filed < 5

    full = browser.get("/tasks/events")  # the only waiter's place is taken: come back later, not an error
    assert full.status_code == 200 and full.mimetype == "text/event-stream"
    assert full.get_data(as_text=True).startswith(f"retry: {push.RETRY_LATER_MS}\n")
    stream.close()
    assert push.waiters(app).count == 0 and ctx.notifier.waiting == 0
    assert app.test_client().get("/tasks/events").status_code == 302  # not signed in: to the sign-in page


def test_through_onething_serve_events_stream_out_and_a_closed_connection_frees_its_place(
    database_url, tmp_path, service_clock_pinned
):
    """waitress, as deployed: two API processes on one database, one waiter's place each. An event is written
    out as it happens (not held back until the stream ends), a change made through the other process comes
    within a second, and a client that closes its connection frees its place (the next is admitted)."""
    import http.client
    from urllib.parse import urlsplit

    from engine.usecases.accounts import add_user
    from engine.usecases.deployments import deploy_bundled_if_empty
    from handlers.newborn.samples import sample_application
    from tests.support.http import Client
    from tests.support.lifecycle import accounts
    from tests.support.services import services

    setup = build_context(database_url)
    deploy_bundled_if_empty(setup)
    tokens = {name: add_user(setup, name, **spec) for name, spec in accounts().items()}
    setup.sessions.engine.dispose()

    def connect(url: str, key: str):
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request(
            "GET", f"/api/applications/{key}/events", headers={"Authorization": f"Bearer {tokens['portal']}"}
        )
        return connection, connection.getresponse()

    def next_event(response) -> dict:
        block: list[str] = []
        while True:
            line = response.readline().decode().rstrip("\n")
            if line:
                block.append(line)
            elif any(item.startswith("event:") for item in block):
                return dict(item.split(": ", 1) for item in block if not item.startswith(":"))
            else:
                block = []

    env = {"ONETHING_PUSH_WAITERS": "1"}
    with services(database_url, tmp_path / "logs", apis=2, workers=1, threads=4, env=env) as running:
        here, there = Client(running.urls[0]), Client(running.urls[1])
        status, started = here.call(
            "POST",
            "/api/process-definitions/newborn_birth/start",
            tokens["portal"],
            {"variables": {"application": sample_application(setup.clock.now(), seq=1)}},
        )
        assert status == 201, started
        key = started["business_key"]
        deadline = time.monotonic() + 30
        while True:  # the worker makes the first review; then nothing changes until a clerk acts
            status, view = there.call("GET", f"/api/process-instances/{started['id']}", tokens["portal"])
            if view["open_steps"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        [step] = view["open_steps"]

        connection, response = connect(running.urls[0], key)
        assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
        first = next_event(response)  # read while the stream goes on: written out at once
        assert first["event"] == "progress"
        assert connect(running.urls[0], key)[1].status == 503  # its one place is taken

        claimed = time.monotonic()
        status, _ = there.call("POST", f"/api/tasks/{step['task_id']}/claim", tokens[step["group"]])
        assert status == 200
        second = next_event(response)  # the claim, made through the other process
        print(f"\nthrough waitress, the other process's claim came {(time.monotonic() - claimed) * 1000:.0f} ms after")
        assert second["id"] != first["id"] and time.monotonic() - claimed < 5

        response.close(), connection.close()  # the client goes: its place is free within a moment
        admitted = time.monotonic() + 10
        while connect(running.urls[0], key)[1].status != 200:
            assert time.monotonic() < admitted, "the closed stream's place was not freed"
            time.sleep(0.2)
        here.close(), there.close()


def test_a_storm_of_unknown_changes_is_looked_at_a_few_times_a_second_and_a_real_one_still_comes(
    api, quick, ctx, started, monkeypatch
):
    """On SQLite every commit of another process wakes every waiter of this process as "something changed"
    (ANY): a waiter looks at its application at most every UNKNOWN_INSTANCE_LOOK_SECONDS then, not at each."""
    from engine.persistence.revisions import Revisions
    from engine.persistence.signals import ANY
    from engine.usecases import watch

    looks = []
    of_instance = Revisions.of_instance
    monkeypatch.setattr(Revisions, "of_instance", lambda self, i: looks.append(i) or of_instance(self, i))
    path = f"/api/process-instances/{started['id']}"
    etag = api.get(path, "portal").headers["ETag"]
    stop = threading.Event()

    def storm():
        while not stop.is_set():
            ctx.notifier.publish([ANY])  # as the SQLite listener says of another process's commit
            time.sleep(0.001)

    storming = threading.Thread(target=storm, daemon=True)
    storming.start()
    try:
        looks.clear()
        asked = time.monotonic()
        unchanged = api.get(path + "?wait=1", "portal", headers={"If-None-Match": etag})
        waited = time.monotonic() - asked
        assert unchanged.status_code == 304
        assert len(looks) <= waited / watch.UNKNOWN_INSTANCE_LOOK_SECONDS + 3  # not one per wake (hundreds)
        group = started["step"]["group"]
        timer = later(0.3, lambda: api.post(f"/api/tasks/{started['step']['task_id']}/claim", group))
        changed = api.get(path + "?wait=20", "portal", headers={"If-None-Match": etag})
        timer.join()
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
    finally:
        stop.set()
        storming.join()
