"""Safe XML parsing for deployed files: no DTD, no entities, no network, a size limit."""

from __future__ import annotations

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
