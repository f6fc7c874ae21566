"""Flask's session kept on the server (:mod:`engine.usecases.web_sessions`): the cookie carries a random id
and nothing else; what the session holds -- who signed in, Flask-WTF's CSRF token, the messages for the next
page -- is in the database. A cookie naming an unknown or ended session opens a new, empty one."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from engine.usecases import web_sessions
from engine.usecases.web_sessions import SessionPolicy

STATIC_PATHS = ("/static/", "/favicon.ico")  # our own files: served the same to anyone, signed in or not


class ServerSession(CallbackDict, SessionMixin):
    """``sid``: the id the cookie carried (None: not stored yet); ``expired``: the cookie named a session
    that has ended (a page says so); ``renew`` (see :meth:`renew_id`)."""

    def __init__(
        self,
        data: dict | None = None,
        sid: str | None = None,
        last_seen_at=None,
        expired: bool = False,
        untouched: bool = False,
    ) -> None:
        def changed(_self) -> None:
            _self.modified = True

        super().__init__(data, changed)
        self.sid, self.last_seen_at, self.expired = sid, last_seen_at, expired
        self.untouched = untouched  # a static file's request: the session is neither read nor written
        self.modified = self.renew = False

    def renew_id(self) -> None:
        """Signing in: the session gets a new id when it is stored, and the old one ends."""
        self.renew = self.modified = True


class ServerSessionInterface(SessionInterface):
    def __init__(self, policy: SessionPolicy) -> None:
        self.policy = policy

    @staticmethod
    def _ctx(app: Flask):
        return app.extensions["onething"]

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith(STATIC_PATHS):  # no database read, and no answer that ends the cookie: a
            return ServerSession(untouched=True)  # style sheet still loading must not race the next page
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 100:
            return ServerSession(expired=bool(sid))
        found = web_sessions.load(self._ctx(app), sid, self.policy)
        if found is None:
            return ServerSession(expired=True)
        return ServerSession(found.data, sid=sid, last_seen_at=found.last_seen_at)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        if session.untouched:
            return
        ctx = self._ctx(app)
        if session.modified:
            if session.sid and not session and not session.renew:  # emptied: signed out
                web_sessions.end(ctx, session.sid)
                self._forget(app, response)
                return
            if not session and not session.renew:
                return
            sid = web_sessions.store(ctx, session.sid, dict(session), self.policy, renew=session.renew)
            if sid is None:
                self._forget(app, response)
            elif sid != session.sid:
                self._give(app, response, sid)
            return
        if (
            session.sid
            and session.last_seen_at is not None
            and ctx.clock.now() - session.last_seen_at >= web_sessions.TOUCH_EVERY
        ):
            web_sessions.touch(ctx, session.sid, self.policy)
        elif session.expired and not session.sid:
            self._forget(app, response)

    def _give(self, app: Flask, response: Response, sid: str) -> None:
        response.vary.add("Cookie")
        response.set_cookie(
            self.get_cookie_name(app),
            sid,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )

    def _forget(self, app: Flask, response: Response) -> None:
        response.vary.add("Cookie")
        response.delete_cookie(
            self.get_cookie_name(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            httponly=self.get_cookie_httponly(app),
        )
