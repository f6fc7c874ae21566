"""Walking the workplace's pages in a real browser (issue 22), for the clerks', supervisors' and admins' tests
alike: from a start page, every page of this site its links reach (GET only, never signing out), each checked
for what a person must never read -- a code of the engine or a service shown as it is (``gansu``,
``resident_id``, ``clerk``, ``620102``) -- for errors in the browser's console, and, at a phone's width, for a
page wider than the screen.

``known_codes(ctx)`` lists the codes: every code of the installed services (groups, items, materials, their
labels table, their forms' option values and field names), the engine's states, history kinds and roles, and
the users' jurisdictions. ``walk(page, start, codes)`` answers the pages it visited and every problem found,
as lines naming the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlparse

from marshmallow import fields as ma_fields

from engine.states import STATE_TEXT
from engine.users import ROLES

# every visible string of a page: text nodes (the inline charts' too) and what is read aloud or shown on hover,
# except inside translate="no" (people's user names)
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: (node) => {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, template, [translate="no"]')) return NodeFilter.FILTER_REJECT;
    return node.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
  }});
  while (walker.nextNode()) out.push(walker.currentNode.textContent.trim());
  for (const el of document.querySelectorAll('[alt], [title], [aria-label], [placeholder], [data-label]')) {
    if (el.closest('[translate="no"]')) continue;
    for (const name of ['alt', 'title', 'aria-label', 'placeholder', 'data-label']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.trim());
    }
  }
  out.push(document.title);
  return out;
}"""
LINKS = "() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth - window.innerWidth"
# the elements reaching past the screen's right edge, innermost first (what a too-wide page names)
PAST_THE_EDGE = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.querySelector('*'))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
                        + ' ' + JSON.stringify((e.textContent || '').trim().slice(0, 30)))"""
_TOKENS = re.compile(r"[\s,，、;；:：()（）/|·]+")
NOT_PAGES = (
    "/logout",
    "/static/",
    "/favicon",
    "/materials/",
    "diagram.svg",
    ".svg",
    ".csv",
    ".json",
    "/api/",
    "/engine-rest",
)


def known_codes(ctx, extra: Iterable[str] = ()) -> frozenset[str]:
    """Codes a person must never read as they are (see the module's text)."""
    codes: set[str] = set(extra)
    services = ctx.services
    codes.update(services.groups, services.item_names, services.materials, services.labels)
    for service in services.all:
        codes.add(service.name)
        codes.update(service.process_keys)
        codes.update(service.search.kinds)
        schema = getattr(service.start_form, "schema", None)
        if schema is not None:
            codes.update(_field_names(schema()))
    for key in services.task_forms.keys():
        for described in services.task_forms.get(key).describe()["fields"]:
            codes.add(described["id"])
            codes.update(option["id"] for option in described.get("options") or ())
        codes.add(key)
    codes.update(
        STATE_TEXT,
        ROLES,
        ("system", "approve", "return", "None", "none", "null", "True", "False", "true", "false", "No data"),
    )
    from api.web.texts import EVENTS  # the history's kinds

    codes.update(EVENTS)
    with ctx.reader() as uow:
        users = uow.users.all()
        for user in users:
            codes.update(user.jurisdictions)
        names = {user.name for user in users}  # a user called like a group (the API tests' clerks) is a name
    return frozenset(code for code in codes if code and code.isascii() and code not in names)


def _field_names(schema) -> set[str]:
    names: set[str] = set()
    for name, value in schema.fields.items():
        names.add(value.data_key or name)
        if isinstance(value, ma_fields.Nested):
            names.update(_field_names(value.schema))
    return names


def codes_in(texts: Iterable[str], codes: frozenset[str]) -> list[str]:
    """The ASCII-only texts that are, or hold as a word of their own, one of ``codes`` (a code beside its
    Chinese name, as in ``甘肃省兰州市城关区（620102）``, is read by name)."""
    return [
        text
        for text in texts
        if text.isascii() and (text in codes or any(token in codes for token in _TOKENS.split(text) if token))
    ]


class ConsoleErrors:
    """The console errors and uncaught exceptions of a page from now on (``errors``; ``clear()`` between pages)."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def clear(self) -> None:
        self.errors.clear()


@dataclass
class Walk:
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def walk(
    page,
    start: str,
    codes: frozenset[str],
    *,
    max_pages: int = 40,
    phone: bool = False,
    follow: Callable[[str], bool] = lambda url: True,
    extra: Iterable[str] = (),
) -> Walk:
    """Visit ``start`` and every page of its site its links reach (and the ``extra`` URLs), at most
    ``max_pages``; each page is checked for codes, console errors and (``phone``) a width beyond the screen.
    ``follow`` may refuse a URL (e.g. another role's pages)."""
    site = urlparse(start)
    result = Walk()
    console = ConsoleErrors(page)
    queue, seen = [start, *extra], set()
    while queue and len(result.visited) < max_pages:
        url = urldefrag(queue.pop(0))[0]
        if url in seen:
            continue
        seen.add(url)
        console.clear()
        response = page.goto(url)
        page.wait_for_load_state("load")
        result.visited.append(url)
        where = urlparse(url).path + (f"?{urlparse(url).query}" if urlparse(url).query else "")
        if response is None or response.status >= 400:
            result.problems.append(f"{where}: answered {response.status if response else 'nothing'}")
        for text in codes_in(page.evaluate(VISIBLE_TEXT), codes):
            result.problems.append(f"{where}: a code as it is: {text!r}")
        for message in console.errors:
            result.problems.append(f"{where}: console error: {message}")
        if phone:
            wider = page.evaluate(WIDER_THAN_SCREEN)
            if wider > 0:
                result.problems.append(
                    f"{where}: {wider}px wider than the screen: " + ", ".join(page.evaluate(PAST_THE_EDGE))
                )
        for link in page.evaluate(LINKS):
            target = urlparse(urljoin(url, link))
            if (target.scheme, target.netloc) != (site.scheme, site.netloc):
                continue
            if any(part in target.path for part in NOT_PAGES):
                continue
            absolute = urldefrag(target.geturl())[0]
            if absolute not in seen and follow(absolute):
                queue.append(absolute)
    return result
