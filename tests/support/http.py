"""A small keep-alive JSON client over ``http.client`` (one per thread), timing every call it makes."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit


class Client:
    """Calls one server as the user whose token is given per call; ``timings`` collects seconds per call."""

    def __init__(self, base_url: str, timings: list[float] | None = None, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.timings = timings
        self._conn: http.client.HTTPConnection | None = None
        self.last_headers = http.client.HTTPMessage()  # the last answer's headers (ETag, Retry-After ...; any case)

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: dict | None = None,
        *,
        headers: dict[str, str] | None = None,
        timed: bool = True,
    ):
        """(status, decoded JSON body or None). ``timed=False``: not counted in ``timings`` (a long poll, whose
        time is the wait for a change, not the service's answer)."""
        headers = {"Accept": "application/json", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: reconnect once
            started = time.perf_counter()
            try:
                conn = self._connection()
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if self.timings is not None and timed:
                self.timings.append(time.perf_counter() - started)
            self.last_headers = response.headers
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            text = data.decode("utf-8") if data else ""
            return response.status, (json.loads(text) if text.startswith(("{", "[")) else None)
        raise AssertionError("unreachable")

    def get(self, path: str, token: str | None = None):
        return self.call("GET", path, token)

    def post(self, path: str, token: str | None = None, body: dict | None = None):
        return self.call("POST", path, token, body if body is not None else {})

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
