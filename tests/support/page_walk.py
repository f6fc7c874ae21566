"""Walking the workplace's pages in a browser the way a person clicks through them, and what must hold on each:
no code where a person reads Chinese, no horizontal scroll, no console error.

``walk(page, site, starts)`` follows every same-site link (not signing out, not downloads, not drawings)
from the start paths, breadth first, and calls ``check(page, path)`` on each page; it answers the paths seen.
``codes_shown(page, codes)`` lists the texts a person reads that are ASCII only and made of codes from
``codes`` (``clerk``, ``midwifery``, ``birth_certificate, hukou``...): text nodes, options and the inline
charts' texts -- except inside ``translate="no"`` (people's user names, which are not to be translated).
``horizontal_overflow(page)`` is how many pixels the page is wider than its window. ``ConsoleErrors``
collects a page's console errors and uncaught exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urljoin, urlparse

SKIPPED = re.compile(r"(/logout|\.csv|\.svg|/static/|/materials/|/diagram)(\?|$|/)")
TOKENS = re.compile(r"[\s,，、;；:：()（）/|]+")

_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, [translate="no"]')) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""


def codes_shown(page, codes: Iterable[str]) -> list[str]:
    """The ASCII-only texts on the page whose every word is one of ``codes``."""
    known = set(codes)
    found = []
    for text in page.evaluate(_TEXTS):
        words = [w for w in TOKENS.split(text) if w]
        if text.isascii() and words and all(w in known for w in words):
            found.append(text)
    return found


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


class ConsoleErrors:
    """The console errors and uncaught exceptions of a page from now on."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))


def links_of(page, site: str) -> list[str]:
    """The same-site paths (with their query) the page links to."""
    host = urlparse(site).netloc
    paths = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
        target = urlparse(urljoin(page.url, href))
        if target.netloc != host or target.scheme not in ("http", "https"):
            continue
        path = target.path + (f"?{target.query}" if target.query else "")
        if not SKIPPED.search(path):
            paths.append(path)
    return paths


def walk(page, site: str, starts: Iterable[str], check: Callable[[object, str], None], limit: int = 60) -> list[str]:
    """Visit ``starts`` and every page linked from them (breadth first, up to ``limit``); ``check`` each."""
    queue, seen = list(starts), []
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        response = page.goto(site + path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        check(page, path)
        queue.extend(p for p in links_of(page, site) if p not in seen and p not in queue)
    return seen
