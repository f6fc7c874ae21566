"""Names as the civil registry writes them (issue 13): what a birth certificate and the hukou record can
print unambiguously."""

from __future__ import annotations

import pytest

from forms.names import is_ideograph, name_problem, normalize_name


@pytest.mark.parametrize(
    "name",
    [
        "王芳",
        "欧阳娜娜",
        "阿依古丽·买买提",
        "𠀀明",
        "𪚥",
        "\U00031350",  # extension G
        "Anne-Marie O'Neil",
        "José",
        "Nguyễn Văn An",
        "Jean·Paul",
        "Алексей",
        "محمد",
    ],
)
def test_names_the_registry_writes(name):
    assert name_problem(normalize_name(name)) is None


@pytest.mark.parametrize(
    "name, problem",
    [
        ("王\u202e芳", "方向控制"),
        ("王\u200d芳", "格式"),
        ("\ufeff王芳", "格式"),
        ("王\x00芳", "控制字符"),
        ("王\ue000芳", "私用区"),
        ("Jose" + "\u0301" * 4, "附加符号不能超过 2 个"),  # NFC makes é of the first
        ("\u0301Jose", "附加符号只能跟在字母后面"),
        ("王 芳", "只能由汉字组成"),
        ("王Fang", "只能由汉字组成"),
        ("王芳2", "只能由汉字组成"),
        ("·王芳", "“·”只能用在"),
        ("王··芳", "“·”只能用在"),
        ("John  Smith", "不能连用"),
        ("John-", "应以字母开头和结尾"),
        ("J0hn", "不能含有“0”"),
        ("John\u00a0Smith", "空白字符"),
    ],
)
def test_names_it_cannot_print(name, problem):
    found = name_problem(normalize_name(name))
    assert found is not None and problem in found, found


def test_nfc():
    assert normalize_name("Jose\u0301") == "José"


def test_ideographs_of_every_block():
    assert all(is_ideograph(c) for c in "王\u3400\U00020000\U0002a700\U0002b740\U0002b820\U0002ceb0\U00030000\uf900")
    assert not any(is_ideograph(c) for c in "a·ー〇\U00031350"[:-1])
    assert is_ideograph("\U00031350") and is_ideograph("\U0002ebf0")  # extensions H and I
