"""Users and their tokens: who is calling, with which roles, groups and jurisdictions (R8.3).

Tokens are random, shown once, and stored only as their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

# worker: a department's own system pulling its topics' external tasks (its groups: the departments)
ROLES = ("portal", "clerk", "analyst", "supervisor", "admin", "worker")


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[str]
    groups: frozenset[str]
    jurisdictions: tuple[str, ...]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def covers(self, division_code: str) -> bool:
        """Whether ``division_code`` lies in one of this user's jurisdictions (code prefixes)."""
        return any(division_code.startswith(prefix) for prefix in self.jurisdictions)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)
