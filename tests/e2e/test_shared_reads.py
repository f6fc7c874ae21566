"""One read transaction per request (issue 26, "authentication inside the request's unit of work"): the caller
is identified and the view read in one read-only transaction; a write, a wait or an error ends the sharing, so
nothing read later in the request is older than what was written or committed meanwhile. On both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from engine.persistence import shared_reads
from engine.usecases.accounts import add_user


@pytest.fixture
def transactions(ctx):
    """Counts the transactions begun on the test's database (read-only and writing)."""
    begun: list[int] = []
    listener = lambda _conn: begun.append(1)  # noqa: E731
    event.listen(ctx.sessions.engine, "begin", listener)
    yield begun
    event.remove(ctx.sessions.engine, "begin", listener)


def test_a_view_and_its_caller_are_read_in_one_transaction(api, application, transactions):
    started = api.start(application).get_json()
    transactions.clear()
    response = api.get(f"/api/process-instances/{started['id']}", "portal")
    assert response.status_code == 200
    assert len(transactions) == 1  # the token, the view's rows and its tag's revision: one transaction


def test_an_unknown_token_is_refused_in_the_same_single_transaction(api, transactions):
    transactions.clear()
    response = api.client.get("/api/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert len(transactions) == 1


def test_readers_share_one_unit_of_work_only_inside_the_block(ctx):
    with ctx.sharing_reads() as shared:
        with ctx.reader() as first:
            first.users.by_name("nobody")
        with ctx.reader() as second:
            second.users.by_name("nobody")
        assert first is second and shared.opened == 1
    with ctx.reader() as outside:
        assert outside is not first


def test_a_write_ends_the_sharing_and_a_later_read_sees_it(ctx):
    with ctx.sharing_reads() as shared:
        with ctx.reader() as before:
            assert before.users.by_name("newcomer") is None  # SQLite: the snapshot is taken here
        add_user(ctx, "newcomer", roles=["portal"], groups=[], jurisdictions=["62"])  # a writing unit of work
        assert shared.ended
        with ctx.reader() as after:
            assert after is not before
            assert after.users.by_name("newcomer") is not None


def test_a_reader_in_use_when_a_write_comes_is_closed_when_it_leaves(ctx):
    with ctx.sharing_reads() as shared:
        with ctx.reader() as reading:
            reading.users.by_name("nobody")
            add_user(ctx, "meanwhile", roles=["portal"], groups=[], jurisdictions=["62"])
            assert reading.users.by_name("nobody") is None  # still usable by the block that has it
            assert shared.opened == 1
        assert not reading.session.in_transaction()  # closed as its last reader left
        with ctx.reader() as fresh:
            assert fresh.users.by_name("meanwhile") is not None


def test_an_error_in_a_reader_ends_the_sharing(ctx):
    with ctx.sharing_reads() as shared:
        with pytest.raises(LookupError):
            with ctx.reader() as failing:
                failing.users.by_name("nobody")
                raise LookupError("a view's own error")
        assert shared.ended
        with ctx.reader() as next_one:
            assert next_one is not failing
            next_one.users.by_name("nobody")


def test_a_wait_ends_the_sharing_before_it_listens(ctx):
    with ctx.sharing_reads() as shared:
        with ctx.reader() as uow:
            uow.users.by_name("nobody")
        with ctx.notifier.listening(["instance:none"]):
            assert shared.ended and shared_reads.current(ctx.sessions) is None


def test_the_request_ends_the_sharing_however_it_ends(api, app):
    api.get("/api/tasks", "midwifery")
    assert shared_reads.current(app.extensions["onething"].sessions) is None
    api.client.get("/api/tasks", headers={"Authorization": "Bearer not-a-token"})  # refused inside the view
    assert shared_reads.current(app.extensions["onething"].sessions) is None
