"""Personal names as the civil registry writes them (issue 13: a name is printed on a birth certificate and
entered in the hukou system, so what cannot be printed unambiguously is refused).

* NFC-normalised first (a decomposed "é" and a precomposed one are the same name).
* A Chinese name is CJK unified or compatibility ideographs (every extension block), with ``·`` (U+00B7)
  between the parts of a minority name (``阿依古丽·买买提``); no ``·`` at either end or twice in a row.
* A foreign name is letters, with single spaces, ``-``, ``'`` and ``·`` between them, and accents (at most
  two combining marks on a letter).
* Never control, format or bidirectional characters (U+202E, zero-width joiners, BOM, NUL...), private-use,
  unassigned or surrogate code points, and no mixing of the two scripts.

:func:`name_problem` says in Chinese what is wrong (the field's label is put before it), or None.
"""

from __future__ import annotations

import unicodedata

MIDDLE_DOT = "\u00b7"
SEPARATORS = frozenset(" -'" + MIDDLE_DOT)
MAX_COMBINING_RUN = 2
_FORBIDDEN_CATEGORIES = {
    "Cc": "控制字符",
    "Cf": "不可见的格式或方向控制字符",
    "Co": "私用区字符",
    "Cs": "无效的字符编码",
    "Cn": "未分配的字符",
    "Zl": "换行符",
    "Zp": "换段符",
}


def normalize_name(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# The CJK ideograph blocks by code point (Unicode 15.1), so that extensions newer than the Python's own
# Unicode database (3.11 knows 14.0: no extension H or I) are ideographs too.
IDEOGRAPH_BLOCKS = (
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0x3400, 0x4DBF),  # extension A
    (0x20000, 0x2A6DF),  # extension B
    (0x2A700, 0x2B73F),  # extension C
    (0x2B740, 0x2B81F),  # extension D
    (0x2B820, 0x2CEAF),  # extension E
    (0x2CEB0, 0x2EBEF),  # extension F
    (0x2EBF0, 0x2EE5F),  # extension I
    (0x30000, 0x3134F),  # extension G
    (0x31350, 0x323AF),  # extension H
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
)


def is_ideograph(char: str) -> bool:
    """A CJK unified or compatibility ideograph of any block (the basic block, extensions A to I)."""
    code = ord(char)
    return any(first <= code <= last for first, last in IDEOGRAPH_BLOCKS)


def name_problem(name: str) -> str | None:
    """What makes ``name`` (already NFC-normalised and stripped) unfit for the registry, in Chinese."""
    for char in name:
        if is_ideograph(char):
            continue
        category = unicodedata.category(char)
        if category in _FORBIDDEN_CATEGORIES:
            return f"含有{_FORBIDDEN_CATEGORIES[category]}（U+{ord(char):04X}）"
        if category.startswith("Z") and char != " ":
            return f"含有不允许的空白字符（U+{ord(char):04X}），只能使用普通空格"
    if any(is_ideograph(c) for c in name):
        return _chinese_problem(name)
    return _foreign_problem(name)


def _chinese_problem(name: str) -> str | None:
    for char in name:
        if not (is_ideograph(char) or char == MIDDLE_DOT):
            return f"中文姓名只能由汉字组成，少数民族姓名各部分之间用“·”分隔，不能含有“{char}”"
    if name.startswith(MIDDLE_DOT) or name.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in name:
        return "“·”只能用在姓名各部分之间"
    return None


def _foreign_problem(name: str) -> str | None:
    run = 0
    previous = ""
    for index, char in enumerate(name):
        category = unicodedata.category(char)
        if category.startswith("M"):
            run += 1
            if index == 0 or not unicodedata.category(previous).startswith(("L", "M")):
                return "附加符号只能跟在字母后面"
            if run > MAX_COMBINING_RUN:
                return f"一个字母上的附加符号不能超过 {MAX_COMBINING_RUN} 个"
        else:
            run = 0
            if char in SEPARATORS:
                if index == 0 or index == len(name) - 1:
                    return "姓名应以字母开头和结尾"
                if previous in SEPARATORS:
                    return "分隔符（空格、-、'、·）不能连用"
            elif not category.startswith("L"):
                return f"外文姓名只能由字母和空格、-、'、· 组成，不能含有“{char}”"
        previous = char
    return None
