"""What a newborn application can be found by (:class:`engine.service.Search`): the parents' ID numbers,
names and phones, the newborn's name and, once registered, its citizen ID number, the applicant's and the
recipient's name and phone. Values are normalised here, alike for storing and for a typed query; the engine
keeps keyed digests of them only."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from forms.fields import MOBILE_RE, OTHER_ID_RE, normalize_id, normalize_phone

KINDS = {"id_number": "证件号码", "phone": "手机号码", "name": "姓名"}
_SPACES = re.compile(r"[\s\u00b7\u30fb\u2027\u2022.·-]+")


def name_key(text: str) -> str:
    """A name as compared: NFKC, no spaces or middle dots, letters in lower case (``Anna Li`` = ``annali``)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _person(part: Any, id_key: str = "id_number", phone_key: str = "phone", name_key_: str = "name"):
    if not isinstance(part, Mapping):
        return
    if part.get(id_key):
        yield "id_number", normalize_id(str(part[id_key]))
    if part.get(phone_key):
        yield "phone", normalize_phone(str(part[phone_key]))
    if part.get(name_key_):
        yield "name", name_key(str(part[name_key_]))


def start_keys(application: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The keys of a validated application."""
    keys: list[tuple[str, str]] = []
    for parent in ("mother", "father"):
        keys += _person(application.get(parent))
    keys += _person(application.get("applicant"))
    keys += _person(application.get("delivery"), "-", "recipient_phone", "recipient_name")
    newborn = application.get("newborn") or {}
    child = f"{newborn.get('surname') or ''}{newborn.get('given_name') or ''}"
    if child:
        keys.append(("name", name_key(child)))
    return tuple(dict.fromkeys(key for key in keys if key[1]))


class NewbornSearch:
    kinds = KINDS

    def keys_after_step(self, summary: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """The newborn's citizen ID number once the police registered it."""
        return tuple(
            ("id_number", normalize_id(str((item.get("result") or {})["citizen_id_number"])))
            for item in summary.get("items") or ()
            if isinstance(item.get("result"), Mapping) and item["result"].get("citizen_id_number")
        )

    def keys_of(self, variables: Mapping[str, Any], summary: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """The keys of its start (from the stored application) and of later steps."""
        application = variables.get("application")
        start = start_keys(application) if isinstance(application, Mapping) else ()
        return tuple(dict.fromkeys((*start, *self.keys_after_step(summary))))

    def read_query(self, text: str) -> tuple[tuple[str, str], ...]:
        compact = re.sub(r"[\s\-]", "", text)
        found: list[tuple[str, str]] = []
        if OTHER_ID_RE.fullmatch(normalize_id(compact)) and any(c.isdigit() for c in compact):
            found.append(("id_number", normalize_id(compact)))
        if MOBILE_RE.fullmatch(normalize_phone(compact)):
            found.append(("phone", normalize_phone(compact)))
        if not any(c.isdigit() for c in text) and name_key(text):
            found.append(("name", name_key(text)))
        return tuple(found)
