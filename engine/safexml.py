"""Safe XML parsing for deployed files: no DTD, no entities, no network, a size limit; and what an XML id
may be (:func:`is_ncname`)."""

from __future__ import annotations

import re

from lxml import etree

MAX_FILE_BYTES = 2 * 1024 * 1024


class UnsafeXml(ValueError):
    """The file is too large, not well-formed, or declares a DTD or entities."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(content: bytes) -> etree._Element:
    """The root element of ``content``; raises :class:`UnsafeXml` instead of reading anything external."""
    if len(content) > MAX_FILE_BYTES:
        raise UnsafeXml(f"file larger than {MAX_FILE_BYTES // 1024} KiB")
    if b"<!DOCTYPE" in content[:4096].upper() or b"<!ENTITY" in content.upper():
        raise UnsafeXml("DOCTYPE and ENTITY declarations are not allowed", line=1)
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as err:
        raise UnsafeXml(f"not well-formed XML: {err.msg}", line=err.lineno) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise UnsafeXml("DOCTYPE declarations are not allowed", line=1)
    return root


# Namespaces in XML 1.0, production NCName: an XML Name without ":" (XML 1.0 fifth edition, [4] and [4a]).
_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_CHAR = _NAME_START + "\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
_NCNAME = re.compile(f"[{_NAME_START}][{_NAME_CHAR}]*")


def is_ncname(text: str) -> bool:
    """Whether ``text`` is an XML NCName (what an ``id`` of a BPMN or DMN element is, ``xsd:ID``): a letter or
    ``_`` first, then letters, digits, ``-``, ``.``, ``_``; never a space, a quote, ``<``, ``&`` or ``:``."""
    return _NCNAME.fullmatch(text) is not None
