"""The headers every response carries (issue 19, OWASP ASVS V14.4), set in one place after each request.

* ``Content-Security-Policy``: pages run only our own script files and style sheets (no inline script, no
  inline event handler; the pygal charts' ``<style>`` carries the request's nonce, :func:`style_nonce`),
  load nothing from elsewhere and cannot be framed (``frame-ancestors 'none'``); an SVG gets
  :data:`SVG_POLICY` (nothing but its own inline styles: a script in a drawing never runs, even opened
  on its own); any other answer (JSON, a material) ``default-src 'none'`` unless it set its own policy.
* ``X-Frame-Options: DENY`` (browsers without ``frame-ancestors``), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin``.
* ``Cache-Control: no-store`` on every dynamic answer: task pages, materials, search results, timelines
  and the API carry personal data, and nothing generated is worth keeping in a shared cache; only our
  static files (script, style sheet) may be cached.
* ``Strict-Transport-Security`` when ``ONETHING_SECURE_COOKIES=1`` (the service is behind HTTPS).

A response that sets one of these itself keeps it (a material embedded in a task page is ``SAMEORIGIN``).
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, Response, g, request

SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
FIXED = (  # (lower-case name, name, value): set unless the response set its own
    ("x-frame-options", "X-Frame-Options", "DENY"),
    ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
    ("referrer-policy", "Referrer-Policy", "same-origin"),
)


def page_policy(nonce: str | None) -> str:
    """The pages' policy: our own files only; ``object-src 'self'`` for a PDF material shown in its task page."""
    styles = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return (
        "default-src 'none'; script-src 'self'; style-src " + styles + "; img-src 'self'; "
        "object-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def style_nonce() -> str:
    """This response's nonce for an inline ``<style>`` element we generate (the charts')."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def svg_response(svg: str) -> Response:
    """A drawing we made, as an image: its strict policy, never sniffed as anything else."""
    return Response(
        svg,
        mimetype="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY, "X-Content-Type-Options": "nosniff"},
    )


def _policy(response: Response) -> str:
    if response.mimetype == "image/svg+xml":
        return SVG_POLICY
    if response.mimetype == "text/html":
        return page_policy(g.get("csp_nonce"))
    return OTHER_POLICY


def _static_file() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def register(app: Flask) -> None:
    secure = os.environ.get("ONETHING_SECURE_COOKIES") == "1"

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        present = {key.lower() for key, _value in headers}  # one pass, not one scan of the headers per name
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", _policy(response))
        for lower, name, value in FIXED:
            if lower not in present:
                headers.add(name, value)
        if not _static_file() or response.status_code >= 400:
            headers["Cache-Control"] = "no-store"
        if secure and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", HSTS)
        return response
