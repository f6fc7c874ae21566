"""Police (公安部门 / 派出所): household (hukou) birth registration (申报出生登记).

``police.register_birth`` comes second (R2.2): it needs the birth certificate (R2.1) and its result feeds the
social security card and medical insurance enrolment (R2.5). It returns a registration number (``HJ`` +
yyyymmdd + 6 digits), the newborn's citizen ID number (公民身份号码, GB 11643) and the police station.

The citizen ID number is the 6-digit division code of the hukou (GB/T 2260), the 8-digit birth date, a
3-digit sequence whose last digit is odd for a boy and even for a girl, and the check digit
(``stdnum.cn.ric.calc_check_digit``). The sequence comes from the ledger, one series per division, birth date
and sex; 996-999 are left unused (conventionally reserved for centenarians).

The police station (R3.4-R3.6): the station of the parent the child follows, except that when one parent has
a student collective hukou (学生集体户口) and the other a family hukou the child is registered at the family
hukou's station (R3.5), and when one parent is active-duty military at the civilian parent's station (R3.6).
The process decides this with the decision table ``police_station_rule`` (``workflows/police_station.dmn``)
and passes its result as ``station_rule`` (``{"parent", "rule"}``; no parent when R3.5 and R3.6 disagree);
the handler follows it (no Python copy of the table: a process version without it gives no ``station_rule``,
and the clerk must then enter the station). A station the clerk enters in ``reviews.hukou_review.police_station``
overrides all of this. Where the rules give no station or another than the application's, and the clerk
entered none, the step is refused with the business error ``police_station_required``: the process sends the
application back to the police review for the clerk to enter it.

After approval the applicant is told to visit the station as the region profile says (R2.8 Gansu: once,
within 3 working days, with the originals; R2.9 Guizhou: print the hukou page when convenient). The ID
number is personal data: it is returned in the result but never logged or put into a notice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from typing import Callable, Mapping, Protocol

from stdnum.cn import ric

from engine.handlers import (
    PROVISIONAL_MARK,
    BusinessError,
    HandlerError,
    HandlerRegistry,
    HandlerResult,
    Ledger,
    Notice,
    ServiceCall,
    WorkingDays,
)
from forms.newborn.regions import PoliceVisit

from .common import application, bind, birth_date, once, region_profile, review, section, serial, today

log = logging.getLogger(__name__)

DEPARTMENT = "police"
ITEM = "hukou_registration"
REVIEW = "hukou_review"

SEXES = {"male": 1, "female": 0}  # parity of the sequence's last digit
MAX_SEQUENCE = 995
PARENTS = ("father", "mother")
PARENT_NAMES = {"father": "父亲", "mother": "母亲"}
POLICE_STATION_REQUIRED = "police_station_required"  # the errorCode the process catches
RULE_TEXT = {
    "R3.5": "父母一方为学生集体户口的，在家庭户口所在地登记",
    "R3.6": "父母一方为现役军人的，在非军人一方的户籍地登记",
}


@dataclass(frozen=True)
class Station:
    """Where the birth is registered."""

    name: str | None
    division_code: str
    parent: str | None  # "father" / "mother" whose hukou the child joins, None when the clerk set it
    rule: str  # "R3.4" (parent followed), "R3.5", "R3.6" or "hukou_review"


def _enter_the_station(why: str) -> BusinessError:
    """The police clerk must enter the station in the review (the business error the process catches)."""
    return BusinessError(POLICE_STATION_REQUIRED, f"{why}，请在“登记派出所”一栏填写派出所后重新提交")


def decided_parent(station_rule: Mapping) -> tuple[str, str]:
    """The parent and rule the ``police_station_rule`` decision gave; ``police_station_required`` when it
    names no parent."""
    parent, rule = station_rule.get("parent"), str(station_rule.get("rule") or "")
    if parent in PARENTS:
        return parent, rule
    if rule == "R3.4":
        raise _enter_the_station("申请未写明随父或随母落户")
    raise _enter_the_station("父母一方为学生集体户口、一方为现役军人，两条落户规定指向不同的父母")


def choose_station(app: Mapping, hukou_review: Mapping, station_rule: Mapping | None = None) -> Station:
    """The police station of the registration (R3.4-R3.6 as the process's ``station_rule`` decided them;
    ``hukou_review.police_station`` overrides). Where the rules do not give the application's station, the
    business error ``police_station_required``: the process sends the application back to the police
    clerk's review."""
    hukou = section(app, "hukou")
    override = str(hukou_review.get("police_station") or "").strip()
    try:
        if station_rule is None:
            raise _enter_the_station("流程没有判定落户派出所")
        parent, rule = decided_parent(station_rule)
    except BusinessError:
        if not override:
            raise
        parent, rule = None, "hukou_review"
    if parent is None:
        division = hukou.get("division_code")
    elif parent == hukou.get("follows"):
        division = hukou.get("division_code") or section(app, parent).get("hukou_division")
    else:
        division = section(app, parent).get("hukou_division")
    division = str(hukou_review.get("division_code") or division or "")
    if override:
        return Station(override, division, parent, "hukou_review")
    if parent != hukou.get("follows"):
        raise _enter_the_station(
            f"按规定（{RULE_TEXT.get(rule, '落户派出所的规定')}）新生儿在{PARENT_NAMES[parent]}"
            "户籍地的派出所登记，不是申请中填写的派出所"
        )
    return Station(hukou.get("police_station") or None, division, parent, rule)


def citizen_id_number(division_code: str, born: date, sex: str, n: int) -> str:
    """The n-th (1, 2, ...) citizen ID number of a division, birth date and sex (GB 11643)."""
    if not (isinstance(division_code, str) and len(division_code) == 6 and division_code.isdigit()):
        raise HandlerError("落户地行政区划代码应为6位数字（GB/T 2260）")
    if sex not in SEXES:
        raise HandlerError("新生儿性别应为男或女")
    sequence = 2 * n - 1 if SEXES[sex] else 2 * n
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise HandlerError("该行政区划、出生日期和性别的公民身份号码顺序码已用完")
    body = f"{division_code}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # calc_check_digit ignores the last character


class PoliceSystem(Protocol):
    """The police household registration system (“互联网+公安”服务平台). Idempotent on ``key``."""

    def register_birth(
        self, key: str, *, on: date, division_code: str, birth_date: date, sex: str, station: dict
    ) -> dict:
        """Returns ``{"registration_number", "citizen_id_number", "registered_on", "police_station"}``."""


class LocalPoliceSystem:
    """In-process registration system keeping its records and number series in the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def register_birth(self, key, *, on, division_code, birth_date, sex, station):
        def make() -> dict:
            series = f"police.citizen_id.{division_code}.{birth_date:%Y%m%d}.{sex}"
            id_number = citizen_id_number(division_code, birth_date, sex, self.ledger.next_number(series))
            return {
                "registration_number": serial(self.ledger, "police.registration", "HJ", on),
                "citizen_id_number": id_number,
                "registered_on": on.isoformat(),
                "police_station": dict(station),
            }

        return once(self.ledger, DEPARTMENT, f"register:{key}", make)


def visit(
    profile_visit: PoliceVisit, registered_on: date, station: str | None, calendar: WorkingDays | None
) -> tuple[dict, Notice]:
    """The applicant's visit to the station after approval (R2.8 / R2.9), due date from the working-day
    calendar; a date counted through a year whose holiday notice is not loaded yet says 预计 (R5.1)."""
    due, provisional, counted = None, False, {}
    days = profile_visit.within_working_days
    if days is not None:
        if calendar is None:
            raise HandlerError("没有工作日历，无法计算到派出所办理的期限")
        due_day = calendar.add_working_days(registered_on, days)
        due, provisional = due_day.isoformat(), bool(calendar.provisional_years(registered_on, due_day))
        counted = {"counted_from": registered_on.isoformat(), "working_days": days, "provisional": provisional}
    bring = "、".join(profile_visit.bring)
    where = station or "落户地派出所"
    if due:
        text = (
            f"出生登记已办结。请于{due}{PROVISIONAL_MARK if provisional else ''}前（{days}个工作日内）"
            f"携带{bring}到{where}{profile_visit.purpose}，只需跑一次。"
        )
    else:
        text = f"出生登记已办结。您可根据需要携带{bring}到{where}{profile_visit.purpose}。"
    info = {
        "rule": profile_visit.rule,
        "required": profile_visit.required,
        "due": due,
        "bring": list(profile_visit.bring),
        "purpose": profile_visit.purpose,
        **counted,
    }
    return info, Notice("applicant", text, due=due, place=station, **counted)


def register_birth(call: ServiceCall, system: PoliceSystem) -> HandlerResult:
    """R2.2 / R3.4-R3.6 / R2.8: register the birth, issue the citizen ID number, tell the applicant."""
    app = application(call)
    station_rule = call.variables.get("station_rule")
    station = choose_station(app, review(call, REVIEW), station_rule if isinstance(station_rule, Mapping) else None)
    if not station.division_code:
        raise HandlerError("申请中没有落户地行政区划代码")
    sex = section(app, "newborn").get("sex")
    record = system.register_birth(
        call.idempotency_key,
        on=today(call),
        division_code=station.division_code,
        birth_date=birth_date(app),
        sex=sex,
        station=asdict(station),
    )
    log.info(
        "birth registered for %s as %s (rule %s)",
        call.business_key,
        record["registration_number"],
        record["police_station"]["rule"],
    )
    visit_info, notice = visit(
        region_profile(call).police_visit,
        date.fromisoformat(record["registered_on"]),
        record["police_station"]["name"],
        call.calendar,
    )
    record.update(number=record["registration_number"], visit=visit_info)
    return HandlerResult(item=ITEM, result=record, notices=(notice,))


def local_system(call: ServiceCall) -> PoliceSystem:
    return LocalPoliceSystem(call.ledger)


def register(registry: HandlerRegistry, system_factory: Callable[[ServiceCall], PoliceSystem] = local_system) -> None:
    registry.register("police.register_birth", bind(register_birth, system_factory))
