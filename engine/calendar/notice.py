"""One year's State Council holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) as the service keeps it.

The import file an operator loads (``onething calendar import 2027.json``, ``PUT /api/calendar/2027``)::

    {
      "year": 2027,
      "source": {"title": "国务院办公厅关于2027年部分节假日安排的通知", "number": "国办发明电〔2026〕12号"},
      "holidays": [
        {"name": "元旦", "days": ["2027-01-01", "2027-01-02", "2027-01-03"]},
        {"name": "春节", "days": ["2027-02-05", "2027-02-06", "...", "2027-02-12"]}
      ],
      "workdays": ["2027-02-20"]
    }

``holidays`` are the blocks of days off, each a run of consecutive days (weekend days inside a block may be
listed); ``workdays`` are the make-up working days (调休上班), each a Saturday or Sunday. :func:`parse_notice`
checks everything and reports every problem at once (:class:`InvalidNotice`); nothing is half-read. Its
texts hold no control, format or direction character (ESC, BEL, U+202E...: they would reach terminals and
pages as they are), and a year keeps at least :data:`MIN_WORKING_DAYS` working days (a real year has about
250; a file with every day off is a mistake, not a notice).

The installed ``chinesecalendar`` package carries the notices of the years it knows:
:func:`package_notices` gives them in the same shape, to seed the database at the first start.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping

import chinese_calendar

from ..errors import InvalidInput

MAX_BLOCKS = 40
MAX_FILE_BYTES = 256 * 1024  # an import file larger than this is no holiday notice (the command's and the page's limit)
MIN_WORKING_DAYS = 200
# Characters no text of a notice may hold: what a terminal or a page would act on rather than show.
FORBIDDEN_CATEGORIES = {
    "Cc": "控制字符",
    "Cf": "不可见的格式或方向控制字符",
    "Co": "私用区字符",
    "Cs": "无效的字符编码",
    "Zl": "换行符",
    "Zp": "换段符",
}
PACKAGE_NAME = "chinesecalendar"


class InvalidNotice(InvalidInput):
    """An import file that is not a valid notice: every problem found (``problems``; ``chinese``: the same
    for the admins' page), nothing stored."""

    def __init__(self, errors: list[str], chinese: list[str] | None = None) -> None:
        super().__init__(
            "the calendar file is not a valid holiday notice: " + "; ".join(errors), errors={"calendar": errors}
        )
        self.problems = errors
        self.chinese = chinese if chinese is not None else list(errors)


class Problems:
    """The problems found in an import file, each said in English (the API's and the command's) and in
    Chinese (the admins' page)."""

    def __init__(self) -> None:
        self.english: list[str] = []
        self.chinese: list[str] = []

    def add(self, english: str, chinese: str | None = None) -> None:
        self.english.append(english)
        self.chinese.append(chinese if chinese is not None else english)

    def __bool__(self) -> bool:
        return bool(self.english)

    def refuse(self, english: str | None = None, chinese: str | None = None) -> InvalidNotice:
        if english is not None:
            self.add(english, chinese)
        return InvalidNotice(self.english, self.chinese)


@dataclass(frozen=True)
class HolidayBlock:
    name: str
    days: tuple[date, ...]


@dataclass(frozen=True)
class YearNotice:
    """The days off and the make-up working days of one year, and where they come from."""

    year: int
    title: str
    number: str | None
    blocks: tuple[HolidayBlock, ...]
    workdays: tuple[date, ...]

    @property
    def days_off(self) -> frozenset[date]:
        return frozenset(day for block in self.blocks for day in block.days)

    @property
    def source_text(self) -> str:
        return f"{self.title}（{self.number}）" if self.number else self.title

    def days_json(self) -> dict[str, Any]:
        """What decides working days (blocks and make-up days), as stored and as the import file has it."""
        return {"holidays": blocks_json(self.blocks), "workdays": [d.isoformat() for d in self.workdays]}

    def to_json(self) -> dict[str, Any]:
        """The import file's shape (``parse_notice(notice.to_json())`` gives the notice back)."""
        return {"year": self.year, "source": {"title": self.title, "number": self.number}, **self.days_json()}

    @property
    def fingerprint(self) -> str:
        """A digest of the days (not the source): the same days imported again change nothing."""
        text = json.dumps(self.days_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def blocks_json(blocks) -> list[dict]:
    return [{"name": b.name, "days": [d.isoformat() for d in b.days]} for b in blocks]


def _date(value, where: str, year: int | None, errors: Problems) -> date | None:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors.add(f"{where}: {value!r} is not a YYYY-MM-DD date", f"{where}：{value!r} 不是 YYYY-MM-DD 格式的日期")
        return None
    if year is not None and day.year != year:
        errors.add(f"{where}: {value} is not in {year}", f"{where}：{value} 不在{year}年内")
        return None
    return day


def _text(value, where: str, errors: Problems, required: bool = True, limit: int = 255) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        errors.add(f"{where}: a non-empty text is required", f"{where}：必须填写（不能为空）")
        return None
    if len(value) > limit:
        errors.add(f"{where}: at most {limit} characters", f"{where}：至多{limit}个字符")
        return None
    for char in value:
        category = unicodedata.category(char)
        if category in FORBIDDEN_CATEGORIES:
            errors.add(f"{where}：含有{FORBIDDEN_CATEGORIES[category]}（U+{ord(char):04X}），不能载入")
            return None
    return value.strip()


def working_days_in(year: int, days_off, workdays) -> int:
    """The working days of ``year``: Monday to Friday that are not off, and the make-up working days."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    weekdays = sum(1 for n in range((last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5)
    return weekdays - sum(1 for day in set(days_off) if day.weekday() < 5) + len(set(workdays))


def parse_notice(data: Any, *, year: int | None = None) -> YearNotice:
    """Check an import file's content (already JSON-decoded); ``year`` is the year it must be for (the URL's).
    Raises :class:`InvalidNotice` listing every problem."""
    errors = Problems()
    if not isinstance(data, Mapping):
        raise errors.refuse(
            "the file must be a JSON object with year, source, holidays and workdays",
            "文件应为一个 JSON 对象，含 year、source、holidays 和 workdays",
        )
    unknown = sorted(set(data) - {"year", "source", "holidays", "workdays"})
    if unknown:
        errors.add(f"unknown keys {unknown}", f"含有无法识别的项 {unknown}")
    stated = data.get("year")
    if isinstance(stated, bool) or not isinstance(stated, int) or not 1900 <= stated <= 2200:
        raise errors.refuse(
            f"year: {stated!r} is not a year (a whole number such as 2027)",
            f"year：{stated!r} 不是年份（应为整数，如 2027）",
        )
    if year is not None and stated != year:
        errors.add(f"year: the file is for {stated}, not {year}", f"year：该文件是{stated}年的，不是{year}年的")
    source = data.get("source")
    title = number = None
    if not isinstance(source, Mapping):
        errors.add(
            "source: an object with the notice's title and number is required",
            "source：应写明通知的标题（title）和文号（number）",
        )
    else:
        title = _text(source.get("title"), "source.title", errors)
        number = _text(source.get("number"), "source.number", errors, limit=100)
        extra = sorted(set(source) - {"title", "number"})
        if extra:
            errors.add(f"source: unknown keys {extra}", f"source：含有无法识别的项 {extra}")

    blocks: list[HolidayBlock] = []
    seen_off: dict[date, str] = {}
    raw_blocks = data.get("holidays")
    if not isinstance(raw_blocks, list) or not raw_blocks:
        errors.add(
            'holidays: a non-empty list of blocks ({"name": ..., "days": [...]}) is required',
            "holidays：应列出放假安排（每段含 name 和 days），不能为空",
        )
        raw_blocks = []
    elif len(raw_blocks) > MAX_BLOCKS:
        errors.add(f"holidays: at most {MAX_BLOCKS} blocks", f"holidays：至多{MAX_BLOCKS}段放假安排")
        raw_blocks = []
    for index, raw in enumerate(raw_blocks):
        where = f"holidays[{index}]"
        if not isinstance(raw, Mapping) or set(raw) - {"name", "days"}:
            errors.add(f"{where}: an object with name and days is required", f"{where}：应含 name 和 days")
            continue
        name = _text(raw.get("name"), f"{where}.name", errors, limit=40)
        raw_days = raw.get("days")
        if not isinstance(raw_days, list) or not raw_days or len(raw_days) > 31:
            errors.add(f"{where}.days: a list of 1 to 31 dates is required", f"{where}.days：应列出1至31个日期")
            continue
        read = [_date(value, f"{where}.days", stated, errors) for value in raw_days]
        days = [day for day in read if day is not None]
        if len(days) < len(read):
            continue
        days.sort()
        gaps = [later for earlier, later in zip(days, days[1:], strict=False) if later - earlier != timedelta(days=1)]
        if gaps:
            errors.add(
                f"{where} ({name}): the days are not one contiguous block "
                f"(a gap or repeat before {gaps[0].isoformat()})",
                f"{where}（{name}）：日期不连续（{gaps[0].isoformat()}之前有间断或重复）",
            )
            continue
        for day in days:
            if day in seen_off:
                errors.add(
                    f"{where} ({name}): {day.isoformat()} is already off in {seen_off[day]}",
                    f"{where}（{name}）：{day.isoformat()}已在“{seen_off[day]}”中放假",
                )
            seen_off[day] = name or where
        if name:
            blocks.append(HolidayBlock(name, tuple(days)))

    workdays: list[date] = []
    raw_workdays = data.get("workdays", [])
    if not isinstance(raw_workdays, list) or len(raw_workdays) > 60:
        errors.add(
            "workdays: a list of make-up working days (YYYY-MM-DD) is required (may be empty)",
            "workdays：应列出调休上班的日期（YYYY-MM-DD，可为空）",
        )
        raw_workdays = []
    for value in raw_workdays:
        workday = _date(value, "workdays", stated, errors)
        if workday is None:
            continue
        if workday.weekday() < 5:
            errors.add(
                f"workdays: {value} is a {workday.strftime('%A')}; make-up working days fall on a Saturday or Sunday",
                f"workdays：{value}是星期{'一二三四五六日'[workday.weekday()]}，调休上班日应为星期六或星期日",
            )
        elif workday in seen_off:
            errors.add(
                f"workdays: {value} is both a day off ({seen_off[workday]}) and a working day",
                f"workdays：{value}既是放假日（{seen_off[workday]}）又是上班日",
            )
        elif workday in workdays:
            errors.add(f"workdays: {value} is listed twice", f"workdays：{value}重复列出")
        else:
            workdays.append(workday)
    if not errors:
        count = working_days_in(stated, seen_off, workdays)
        if count < MIN_WORKING_DAYS:
            errors.add(
                f"{stated}年按此通知只有{count}个工作日（至少应有{MIN_WORKING_DAYS}个）："
                f"放假的日子过多，不像国务院的放假安排，请核对文件"
            )
    if errors:
        raise errors.refuse()
    assert title is not None, "a notice without a title was refused"
    return YearNotice(stated, title, number, tuple(sorted(blocks, key=lambda b: b.days[0])), tuple(sorted(workdays)))


def _package_version() -> str:
    return getattr(chinese_calendar, "__version__", None) or _installed_version()


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE_NAME)
    except PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "?"


# chinesecalendar names its holidays in English; the service shows them in Chinese.
_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def blocks_of(named_days: Mapping[date, str]) -> tuple[HolidayBlock, ...]:
    """Runs of consecutive days with the same name (a package's year, a statutory year)."""
    blocks: list[HolidayBlock] = []
    for day in sorted(named_days):
        name = named_days[day]
        last = blocks[-1] if blocks else None
        if last and last.name == name and day - last.days[-1] == timedelta(days=1):
            blocks[-1] = HolidayBlock(name, last.days + (day,))
        else:
            blocks.append(HolidayBlock(name, (day,)))
    return tuple(blocks)


def package_notices() -> list[YearNotice]:
    """The notices of every year the installed ``chinesecalendar`` covers (source: the package and version)."""
    title = f"{PACKAGE_NAME} {_package_version()}"
    off: dict[int, dict[date, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        english = str(getattr(name, "value", name)).split(",")[0]
        off.setdefault(day.year, {})[day] = _PACKAGE_NAMES.get(english, english)
    worked: dict[int, list[date]] = {}
    for day in chinese_calendar.workdays:
        if day.weekday() >= 5:
            worked.setdefault(day.year, []).append(day)
    notices = []
    for year in sorted(off):
        try:
            chinese_calendar.is_workday(date(year, 7, 1))
        except NotImplementedError:
            continue
        notices.append(YearNotice(year, title, None, blocks_of(off[year]), tuple(sorted(worked.get(year, [])))))
    return notices
