"""Marshmallow fields and validators shared by the forms, with plain Chinese messages.

Every field carries its label (``metadata["label"]``, copied to ``title`` for the OpenAPI document) and
its form type (``metadata["form_type"]``: string, long, boolean, date, datetime, enum, list, object), so
that a task form's Camunda-style description is generated from the schema, never written twice.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
from collections.abc import Iterator, Mapping

from marshmallow import Schema, ValidationError, fields, validate
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .names import name_problem, normalize_name

REQUIRED = "必填项"
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199  # the dates and times any form of this service can mean

BASE_MESSAGES = {"required": REQUIRED, "null": REQUIRED, "validator_failed": "取值无效"}

# Province-level prefixes of GB/T 2260 division codes (including 71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


# --- "now", so that "not in the future" can be tested ------------------------------------------------

_NOW: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("forms_now", default=None)


def current_time() -> dt.datetime:
    """The aware time against which "not in the future" is checked (the real clock unless overridden)."""
    return _NOW.get() or dt.datetime.now(dt.timezone.utc)


@contextlib.contextmanager
def evaluated_at(now: dt.datetime | None) -> Iterator[None]:
    """Check "not in the future" against `now` (aware; a naive one is taken as UTC) inside the block."""
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    token = _NOW.set(now)
    try:
        yield
    finally:
        _NOW.reset(token)


def _today_at(value: dt.date | dt.datetime) -> dt.date:
    """Today's date, in the value's own offset when it has one (China: +08:00)."""
    now = current_time()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return now.astimezone(value.tzinfo).date()
    return now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()


def not_in_future(value: dt.date | dt.datetime) -> None:
    """Validator: a date or aware datetime that is not later than now."""
    if isinstance(value, dt.datetime):
        if value > current_time():
            raise ValidationError("不能晚于当前时间")
    elif value > _today_at(value):
        raise ValidationError("不能晚于今天")


def within_years(years: int, label: str):
    """Validator: an aware datetime not more than ``years`` years before now."""

    def check(value: dt.datetime) -> None:
        if isinstance(value, dt.datetime) and value < current_time() - dt.timedelta(days=366 * years):
            raise ValidationError(f"{label}不能早于 {years} 年前")

    return check


# --- fields ---------------------------------------------------------------------------------------------


def _meta(label: str, form_type: str, extra: Mapping | None = None) -> dict:
    return {"label": label, "title": label, "form_type": form_type, **(extra or {})}


class Text(fields.String):
    """A string, stripped of surrounding whitespace.

    Blank counts as not given, unless ``allow_blank``: refused ("必填项") when the field is required,
    normalized to None when it is optional (generic form clients send "" for an empty input).
    """

    default_error_messages = {**BASE_MESSAGES, "invalid": "应为文本", "invalid_utf8": "含有无效的字符编码"}

    def __init__(
        self,
        label: str,
        *,
        allow_blank: bool = False,
        max_length: int | None = 200,
        form_type: str = "string",
        metadata: Mapping | None = None,
        **kwargs,
    ):
        validators = list(_as_list(kwargs.pop("validate", None)))
        if max_length is not None:
            validators.append(validate.Length(max=max_length, error=f"不能超过 {max_length} 个字"))
        super().__init__(validate=validators, metadata=_meta(label, form_type, metadata), **kwargs)
        self.allow_blank = allow_blank

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no database can store it
            raise self.make_error("invalid_utf8") from None
        if not text and not self.allow_blank:
            if self.required or not self.allow_none:
                raise self.make_error("required")
            return None
        return text

    def _validate(self, value):
        if value is not None:  # a blank optional field, normalized to None
            super()._validate(value)


class PersonName(Text):
    """A person's name as the registry writes it (:mod:`forms.names`): NFC-normalised, Chinese ideographs
    with ``·`` between the parts of a minority name, or a foreign name in letters; never an invisible,
    control or direction character. The message names the field."""

    def __init__(self, label: str, *, max_length: int = 50, **kwargs):
        super().__init__(label, max_length=max_length, **kwargs)
        self.label = label

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text:
            return text
        text = normalize_name(text)
        problem = name_problem(text)
        if problem:
            raise ValidationError(f"{self.label}{problem}")
        return text


def _as_list(validators) -> list:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, (list, tuple)) else [validators]


class Choice(Text):
    """One code out of ``options`` (code -> Chinese name); rendered as an enum with its options."""

    def __init__(self, label: str, options: Mapping[str, str], *, error: str = "不是可选的值", **kwargs):
        self.options = dict(options)
        super().__init__(
            label,
            max_length=None,
            form_type="enum",
            validate=validate.OneOf(list(self.options), error=error),
            metadata={"options": [{"id": code, "name": name} for code, name in self.options.items()]},
            **kwargs,
        )


class Flag(fields.Boolean):
    """A JSON boolean (true or false, nothing else that merely looks like one)."""

    default_error_messages = {**BASE_MESSAGES, "invalid": "应为 true 或 false"}

    def __init__(self, label: str, **kwargs):
        super().__init__(truthy={True}, falsy={False}, metadata=_meta(label, "boolean"), **kwargs)


class Day(fields.Date):
    """A calendar date, ``YYYY-MM-DD``."""

    default_error_messages = {**BASE_MESSAGES, "invalid": "应为日期，格式 YYYY-MM-DD", "format": "应为日期"}

    def __init__(self, label: str, **kwargs):
        super().__init__(format="iso", metadata=_meta(label, "date"), **kwargs)
        self.label = label

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            raise ValidationError(f"{self.label}应在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间")
        return day


class Moment(fields.AwareDateTime):
    """An ISO 8601 date and time WITH its offset (``2026-11-20T08:30:00+08:00``)."""

    default_error_messages = {
        **BASE_MESSAGES,
        "invalid": "应为带时区的时间，如 2026-11-20T08:30:00+08:00",
        "invalid_awareness": "应为带时区的时间，如 2026-11-20T08:30:00+08:00",
        "format": "应为时间",
    }

    def __init__(self, label: str, **kwargs):
        super().__init__(format="iso", metadata=_meta(label, "datetime"), **kwargs)
        self.label = label

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        # far-off years overflow when moved to another offset (0001-01-01T00:00:00+14:00); none is a date
        # this service has any use for
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ValidationError(f"{self.label}应在 {EARLIEST_YEAR} 年至 {LATEST_YEAR} 年之间")
        return moment


class Section(fields.Nested):
    """A nested part of a form (an object)."""

    default_error_messages = {**BASE_MESSAGES, "type": "应为对象"}

    def __init__(self, schema, label: str, **kwargs):
        super().__init__(schema, metadata=_meta(label, "object"), **kwargs)


class Many(fields.List):
    """A list of values."""

    default_error_messages = {**BASE_MESSAGES, "invalid": "应为列表"}

    def __init__(self, inner: fields.Field, label: str, **kwargs):
        super().__init__(inner, metadata=_meta(label, "list"), **kwargs)


class FormSchema(Schema):
    """Base of every form: unknown fields are refused (``RAISE``), messages are Chinese."""

    error_messages = {"unknown": "未知字段", "type": "应为对象"}


# --- identifiers ----------------------------------------------------------------------------------------

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
DIVISION_RE = re.compile(r"\d{6}")
OTHER_ID_RE = re.compile(r"[A-Z0-9]{5,20}")


def normalize_id(value: str) -> str:
    """An ID number without spaces or hyphens, letters in capitals (the check character ``X``)."""
    return re.sub(r"[\s\-]", "", value).upper()


def resident_id_problem(number: str, *, allow_future: bool = False) -> str | None:
    """Why `number` is not a valid 居民身份证号码 (GB 11643: length, check digit, birth date), or None.

    The embedded place code is not looked up: stdnum's table refuses real numbers whose county was created
    after the holder's birth year (e.g. 520115 观山湖区), and refusing a real citizen is worse.
    """
    if len(number) != 18:
        return "身份证号码应为18位"
    if not (number.isascii() and number[:17].isdigit()) or not (number[17].isdigit() or number[17] == "X"):
        return "身份证号码格式不正确"
    if number[:2] not in PROVINCE_PREFIXES:
        return "身份证号码地址码不正确"
    if number[17] != ric.calc_check_digit(number):
        return "身份证号码校验位不正确"
    try:
        born = ric.get_birth_date(number)
    except StdnumError:
        return "身份证号码中的出生日期无效"
    if born.year < 1900:
        return "身份证号码中的出生日期无效"
    if not allow_future and born > _today_at(born):
        return "身份证号码中的出生日期晚于今天"
    return None


def validate_resident_id(number: str) -> None:
    """Validator for a field that is always a resident ID number (e.g. the householder's)."""
    problem = resident_id_problem(number)
    if problem:
        raise ValidationError(problem)


def validate_division(code: str) -> None:
    """Validator: a 6-digit GB/T 2260 administrative division code with a known province prefix."""
    if not DIVISION_RE.fullmatch(code) or code[:2] not in PROVINCE_PREFIXES:
        raise ValidationError("应为6位行政区划代码（GB/T 2260）")


def normalize_phone(value: str) -> str:
    """A mobile number without spaces, hyphens or the +86 prefix."""
    value = re.sub(r"[\s\-]", "", value)
    return value[3:] if value.startswith("+86") else value


def validate_mobile(value: str) -> None:
    """Validator: a mainland mobile number, 11 digits starting 13-19."""
    if not MOBILE_RE.fullmatch(value):
        raise ValidationError("手机号码应为11位大陆手机号")


class IdNumber(Text):
    """An ID number (any type), normalized by `normalize_id`; type-specific checks are the schema's."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, max_length=30, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return normalize_id(super()._deserialize(value, attr, data, **kwargs))


class ResidentId(IdNumber):
    """A 居民身份证号码, checked (check digit, birth date not in the future)."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, validate=validate_resident_id, **kwargs)


class Phone(Text):
    """A mainland mobile number."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, max_length=None, validate=validate_mobile, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return normalize_phone(super()._deserialize(value, attr, data, **kwargs))


class Division(Text):
    """A 6-digit GB/T 2260 administrative division code."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, max_length=None, validate=validate_division, **kwargs)


# --- schema-level helpers -------------------------------------------------------------------------------


def absent(data: Mapping, original, key: str) -> bool:
    """True when `key` was not given (missing, null or blank), as opposed to given but invalid.

    A value that failed its field's own validation is missing from `data` but present in `original`; it
    already has its error, so a "required when ..." check must not add a second one.
    """
    if data.get(key) not in (None, ""):
        return False
    if key in data:
        return True
    return not isinstance(original, Mapping) or original.get(key) is None


def add_error(errors: dict, path: str, message: str) -> None:
    """Add `message` at a dotted `path` of marshmallow's nested messages dict."""
    *parents, leaf = path.split(".")
    node = errors
    for part in parents:
        node = node.setdefault(part, {})
    node.setdefault(leaf, []).append(message)
