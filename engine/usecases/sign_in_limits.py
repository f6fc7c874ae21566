"""How many wrong passwords, from where (OWASP ASVS V2.2.1): a password check is counted as a failure *before*
the password is verified (a right one gives it back), atomically, so no burst of concurrent requests gets
more checks than the limit. Failures count for three sources, each locked on its own when it reaches its
limit:

- an account from one client address: 5 in a row (each within 15 minutes of the one before) lock that pair
  for 15 minutes: someone guessing from one place never locks the account for its owner elsewhere;
- a client address, whatever the accounts: 30 lock the address for 15 minutes (one place trying many names);
- an account from anywhere: 100 within an hour lock it for an hour (many places guessing one account), except
  from the addresses where that account signed in with its password in the last 30 days.

The account is the name typed, whether a user has it or not, so an unknown name counts and locks exactly as
a known one: the answers never tell which names exist. An IPv6 address counts by its /64 network (one
machine holds a whole one).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..persistence.unit_of_work import UnitOfWork

PAIR_LIMIT, PAIR_WINDOW = 5, timedelta(minutes=15)
ADDRESS_LIMIT, ADDRESS_WINDOW = 30, timedelta(minutes=15)
ACCOUNT_LIMIT, ACCOUNT_WINDOW = 100, timedelta(hours=1)
KNOWN_FOR = timedelta(days=30)
ANYWHERE = ""  # the address of an account's own count; the account of an address's own count


def account_key(name: str) -> str:
    """What a typed name is counted under (its SHA-256: a password typed into the name field is not kept)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(address: str | None) -> str:
    """A client address as it is counted: IPv4 as it is (also when mapped into IPv6), IPv6 by its /64."""
    try:
        parsed = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        try:  # already counted: a /64 network
            return str(ipaddress.IPv6Network(address or "", strict=False).supernet(new_prefix=64))
        except ValueError:
            return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


@dataclass(frozen=True)
class Reservation:
    account: str
    address: str
    known: bool  # the account signed in from this address lately: its own count does not apply
    locked_until: datetime | None  # a source at its limit: nothing was counted, nothing may be verified


def reserve(uow: UnitOfWork, name: str, address: str | None, now: datetime) -> Reservation:
    """Count one check of ``name``'s password from ``address`` against every limit (commit it unless
    ``locked_until``); the rows are taken in one order (pair, address, account), so concurrent reservations
    never wait for each other in a circle."""
    account, source = account_key(name), address_key(address)
    throttles = uow.sign_in_throttles
    locked = throttles.reserve(account, source, PAIR_LIMIT, PAIR_WINDOW, now)
    if locked is None:
        locked = throttles.reserve(ANYWHERE, source, ADDRESS_LIMIT, ADDRESS_WINDOW, now)
    succeeded_at = throttles.succeeded_at(account, source)
    known = succeeded_at is not None and succeeded_at >= now - KNOWN_FOR
    if locked is None and not known:
        locked = throttles.reserve(account, ANYWHERE, ACCOUNT_LIMIT, ACCOUNT_WINDOW, now)
    return Reservation(account, source, known, locked)


def succeeded(uow: UnitOfWork, reservation: Reservation, now: datetime) -> None:
    """The password was right: the pair's failures are forgotten (the address is now known), the address's
    and the account's reserved check given back."""
    throttles = uow.sign_in_throttles
    throttles.succeeded(reservation.account, reservation.address, now)
    throttles.give_back(ANYWHERE, reservation.address)
    if not reservation.known:
        throttles.give_back(reservation.account, ANYWHERE)


def forget(uow: UnitOfWork, name: str) -> None:
    """Unlock an account (a new password): its counts from every address and its own start again."""
    uow.sign_in_throttles.forget_failures(account_key(name))


def locks(uow: UnitOfWork, now: datetime) -> dict[str, str]:
    """Accounts (by :func:`account_key`) locked now: ``everywhere`` (its own count) or ``somewhere`` (from
    an address)."""
    found: dict[str, str] = {}
    for account, address, failures in uow.sign_in_throttles.locked(now):
        if account == ANYWHERE:
            continue
        if address == ANYWHERE and failures >= ACCOUNT_LIMIT:
            found[account] = "everywhere"
        elif address != ANYWHERE and failures >= PAIR_LIMIT:
            found.setdefault(account, "somewhere")
    return found


def prune(uow: UnitOfWork, now: datetime) -> int:
    """Drop counts whose window is over and that remember no recent right password."""
    return uow.sign_in_throttles.delete_stale(now, now - KNOWN_FOR)
