"""One full Gansu application over real HTTP, as the portal and the clerks do it: start, then until it
completes, claim and complete every open review (with the clerk of its group) and send every message it
waits for (``premium_paid``, ``hukou_page_printed``); the worker processes run the service tasks meanwhile.
While only the worker has work, the portal's look at the instance view is a long poll (``?wait=`` with the
``ETag`` it has): answered the moment the application changes, not asked again and again.

Calls go round-robin over the given clients (one per API process). With ``race=True`` the first claim of
each review is raced by two clerks of its group through two different clients at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.newborn.samples import approval_for, sample_application

from .http import Client

GROUPS = ("service_center", "midwifery", "police")
WAIT_S = 10  # the longest one long poll of the instance view waits
MESSAGES = {
    "premium_paid": {"channel": "微信", "amount": 400},
    "hukou_page_printed": {"police_station": "兰州市公安局城关分局庆阳路派出所"},
}


def accounts() -> dict[str, dict]:
    """The users to create: the portal, two clerks per group (``<group>`` and ``<group>-2``), a supervisor."""
    users = {
        "portal": dict(roles=["portal"], groups=[], jurisdictions=["62"]),
        "supervisor": dict(roles=["supervisor"], groups=[], jurisdictions=["62"]),
    }
    for group in GROUPS:
        users[group] = dict(roles=["clerk"], groups=[group], jurisdictions=["62"])
        users[f"{group}-2"] = dict(roles=["clerk"], groups=[group], jurisdictions=["6201"])
    return users


def application_for(seq: int, now: datetime) -> dict:
    """A full Gansu application (every item); window and online channels alternate; a newborn per ``seq``.

    Births are spread over 25 days and both sexes: a division issues at most 500 citizen ID numbers per
    birth date and sex (GB 11643), so 10,000 newborns of one day would exhaust the police's series.
    """
    application = sample_application(now, seq=seq, channel="window" if seq % 2 else "online")
    born = now.replace(microsecond=0) - timedelta(days=2 + seq % 25, seconds=seq)
    application["newborn"]["born_at"] = born.isoformat()
    application["newborn"]["sex"] = "female" if seq % 4 < 2 else "male"
    return application


@dataclass
class Outcome:
    instance_id: str = ""
    business_key: str = ""
    state: str = ""
    races: list[list[int]] = field(default_factory=list)  # statuses of each raced claim
    seconds: float = 0.0


class Stalled(AssertionError):
    pass


def drive(
    clients: list[Client],
    tokens: dict[str, str],
    seq: int,
    now: datetime,
    *,
    race: bool = False,
    deadline_s: float = 120,
    poll_s: float = 0.02,
    max_poll_s: float = 0.5,
    wait_s: int = WAIT_S,
    actions: int | None = None,
) -> Outcome:
    """Walk application ``seq`` to its end; raises :class:`Stalled` (an AssertionError) if it does not end.

    While only the worker has work, it waits for the application's next change with a long poll of up to
    ``wait_s`` seconds; when the service has no room for another waiter (503), it looks again after
    ``poll_s``, doubling the pause up to ``max_poll_s`` as a portal would. With ``actions``, it stops part of
    the way (see :func:`carry`)."""
    turn = itertools.cycle(clients)
    started = time.perf_counter()

    def call(method, path, user, body=None):
        return next(turn).call(method, path, tokens[user], body)

    status, body = call(
        "POST",
        "/api/process-definitions/newborn_birth/start",
        "portal",
        {"variables": {"application": application_for(seq, now)}},
    )
    if status != 201:
        raise Stalled(f"start {seq}: {status} {body}")
    outcome = Outcome(instance_id=body["id"], business_key=body["business_key"])
    return carry(
        clients,
        tokens,
        seq,
        outcome,
        race=race,
        deadline_s=deadline_s,
        poll_s=poll_s,
        max_poll_s=max_poll_s,
        wait_s=wait_s,
        started=started,
        turn=turn,
        actions=actions,
    )


def carry(
    clients: list[Client],
    tokens: dict[str, str],
    seq: int,
    outcome: Outcome,
    *,
    race: bool = False,
    deadline_s: float = 120,
    poll_s: float = 0.02,
    max_poll_s: float = 0.5,
    wait_s: int = WAIT_S,
    started: float | None = None,
    turn=None,
    actions: int | None = None,
) -> Outcome:
    """Walk the application of ``outcome`` (started already, as application ``seq``) on to its end, as
    :func:`drive` does; also one the service took over from elsewhere (a restored backup, an upgrade). With
    ``actions``, stop (state ``active``) once that many reviews were completed or messages delivered."""
    turn = turn or itertools.cycle(clients)
    started = time.perf_counter() if started is None else started

    def call(method, path, user, body=None):
        return next(turn).call(method, path, tokens[user], body)

    holder: dict[str, str] = {}  # task id -> the clerk who claimed it
    end = time.monotonic() + deadline_s
    pause = poll_s
    done = 0
    etag = None  # the instance view the portal has, while only the worker has work: wait for the next one
    refused = 0  # long polls refused in a row (503: no room for another waiter)
    while time.monotonic() < end:
        if actions is not None and done >= actions:
            outcome.state = "active"
            return outcome
        client, path = next(turn), f"/api/process-instances/{outcome.instance_id}"
        waited_for = etag
        if etag is None:
            status, instance = client.call("GET", path, tokens["portal"])
        else:
            wait = max(1, min(wait_s, int(end - time.monotonic())))
            status, instance = client.call(
                "GET", f"{path}?wait={wait}", tokens["portal"], headers={"If-None-Match": etag}, timed=False
            )
            if status == 304:  # nothing changed while it waited: wait again (with the tag of its revision now)
                etag = client.last_headers.get("ETag") or etag
                continue
            if status == 503:  # no room for another waiter there: another API process, else poll a little later
                refused += 1
                if refused < len(clients):
                    continue
                time.sleep(pause)
                pause = min(pause * 2, max_poll_s)
                etag = None
                continue
        if status != 200:
            raise Stalled(f"{outcome.business_key}: GET instance {status} {instance}")
        tag, etag, refused = client.last_headers.get("ETag"), None, 0
        if waited_for is not None and tag in (None, waited_for):  # a server that does not wait: poll
            time.sleep(pause)
            pause = min(pause * 2, max_poll_s)
        if instance["state"] != "active":
            outcome.state = instance["state"]
            outcome.seconds = time.perf_counter() - started
            return outcome
        for waiting in instance["waiting_for"]:
            if actions is not None and done >= actions:
                break
            name = waiting["message"]
            status, answer = call(
                "POST",
                "/api/messages",
                "portal",
                {"name": name, "business_key": outcome.business_key, "variables": MESSAGES.get(name, {})},
            )
            if status not in (200, 404, 409):  # 404/409: delivered or raced meanwhile: look again
                raise Stalled(f"{outcome.business_key}: message {name}: {status} {answer}")
            done += status == 200
        for step in instance["open_steps"]:
            if actions is not None and done >= actions:
                break
            task_id, group = step["task_id"], step["group"]
            if task_id not in holder:
                holder[task_id] = _claim(clients, tokens, task_id, group, outcome) if race else group
                if not race:
                    status, answer = call("POST", f"/api/tasks/{task_id}/claim", group)
                    if status != 200:
                        raise Stalled(f"{outcome.business_key}: claim {status} {answer}")
            clerk = holder[task_id]
            status, task = call("GET", f"/api/tasks/{task_id}", clerk)
            if status != 200:
                raise Stalled(f"{outcome.business_key}: GET task {status} {task}")
            status, answer = call(
                "POST", f"/api/tasks/{task_id}/complete", clerk, {"variables": approval_for(task["form_key"], seq)}
            )
            if status not in (200, 409):  # 409: a worker saved the instance meanwhile: look again
                raise Stalled(f"{outcome.business_key}: complete {status} {answer}")
            done += status == 200
        if not instance["waiting_for"] and not instance["open_steps"]:
            etag = tag  # the worker is running service tasks: wait for its next save
        else:
            pause = poll_s
    raise Stalled(f"{outcome.business_key} did not end within {deadline_s} s")


def _claim(clients: list[Client], tokens: dict[str, str], task_id: str, group: str, outcome: Outcome) -> str:
    """Two clerks of ``group`` claim the task at once through two clients; the winner's name."""
    clerks = [group, f"{group}-2"]
    barrier = threading.Barrier(2)
    statuses = [0, 0]

    def claim(n: int) -> None:
        barrier.wait()
        statuses[n] = clients[n % len(clients)].call("POST", f"/api/tasks/{task_id}/claim", tokens[clerks[n]])[0]

    racers = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    outcome.races.append(statuses)
    winners = [clerks[n] for n in (0, 1) if statuses[n] == 200]
    if len(winners) != 1:
        raise Stalled(f"{outcome.business_key}: claims of {task_id} answered {statuses}")
    return winners[0]
