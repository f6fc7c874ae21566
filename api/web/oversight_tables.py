"""The supervisors' tables, column by column, once: the page shows them and the CSV export writes them from
the same definitions, so a file never holds more than its table shows.

Each column is a Chinese heading and how a row reads in it (a number stays a number for the spreadsheet).
The CSV is UTF-8 with a byte order mark (Excel then opens Chinese right), and a text cell that a spreadsheet
would take for a formula (``=``, ``+``, ``-``, ``@``, a tab or carriage return first) is written with a
leading apostrophe (OWASP: CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.calendar.chinese import chinese_time

Cell = Callable[[dict], Any]


@dataclass(frozen=True)
class Column:
    heading: str
    cell: Cell
    person: bool = False  # a person's user name: shown as it is (``translate="no"``)


@dataclass(frozen=True)
class Table:
    key: str  # the export's name (engine.usecases.oversight.EXPORTS)
    title: str
    columns: tuple[Column, ...]

    def heading_row(self) -> list[str]:
        return [c.heading for c in self.columns]

    def cells(self, row: dict) -> list[Any]:
        return [c.cell(row) for c in self.columns]


def _days(key: str) -> Cell:
    def cell(row: dict) -> Any:
        value = row.get(key)
        if value is None:
            return "—"
        return f"{value}（预计）" if row.get("provisional") else value

    return cell


def _levels(first: tuple[Column, ...]) -> tuple[Column, ...]:
    return first + (
        Column("已办", lambda r: r["handled"]),
        Column("退件", lambda r: r["returned"]),
        Column("在办", lambda r: r["open"]),
        Column("当前超时", lambda r: r["overdue_now"]),
        Column("超时（含超时办结）", lambda r: r["overdue"]),
        Column("平均用时（工作日）", _days("average_working_days")),
        Column("最长用时（工作日）", _days("max_working_days")),
    )


def tables(group: Callable[[str], str], division: Callable[[str | None], str]) -> dict[str, Table]:
    """The tables, with departments and divisions named by ``group`` and ``division``."""
    return {
        "overdue": Table(
            "overdue",
            "当前超时的环节",
            (
                Column("申请编号", lambda r: r["business_key"]),
                Column("环节", lambda r: r["name"] or "未命名环节"),
                Column("部门", lambda r: group(r["group"])),
                Column("辖区", lambda r: division(r["jurisdiction"])),
                Column(
                    "应办结（北京时间）", lambda r: chinese_time(r["due_at"]) + ("（预计）" if r["provisional"] else "")
                ),
                Column("认领人", lambda r: r["assignee"] or "未认领", person=True),
            ),
        ),
        "departments": Table("departments", "按部门", _levels((Column("部门", lambda r: group(r["department"])),))),
        "items": Table("items", "按事项", _levels((Column("事项", lambda r: r["name"]),))),
        "clerks": Table(
            "clerks",
            "按人员",
            (
                Column("人员", lambda r: r["clerk"], person=True),
                Column("部门", lambda r: group(r["department"])),
                Column("已办", lambda r: r["handled"]),
                Column("退件", lambda r: r["returned"]),
                Column("超时办结", lambda r: r["overdue"]),
                Column("平均用时（工作日）", _days("average_working_days")),
                Column("最长用时（工作日）", _days("max_working_days")),
            ),
        ),
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(table: Table, rows: list[dict]) -> str:
    """The table as CSV text with a byte order mark first (Excel reads it as UTF-8)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.heading_row())
    for row in rows:
        writer.writerow([_safe(value) for value in table.cells(row)])
    return out.getvalue()
