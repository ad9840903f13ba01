"""Reading an OOXML package (.docx, .xlsx) from an untrusted file: its parts, content types,
relationships and custom document properties.

The Word and Excel readers (and the tests) read a package through :class:`Package` only, so
every byte passes the guards of :mod:`generator.returns.guards`: the zip directory's limits
before anything is unpacked, and the hardened XML parser (no DTD, no entity, nothing fetched).
A part that is missing, cannot be unpacked or is not well-formed XML raises
:class:`DamagedPart`, for each reader to word in its own terms; a part that breaks a limit
raises :class:`~generator.errors.UnsafeFileError`.
"""

from __future__ import annotations

import posixpath
from typing import NamedTuple

from lxml import etree

from generator.errors import DamagedPart
from generator.returns.guards import DAMAGED_ZIP_ERRORS, LIMITS, Limits, SafeZip, open_zip, parse_xml, xml_parser

_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
#: The end of the custom properties' relationship type (transitional and strict alike).
_CUSTOM_PROPERTIES = "/custom-properties"
_CUSTOM_PART = "docProps/custom.xml"


class Relationship(NamedTuple):
    """An internal relationship: its id, its type and the path of the part it points at."""

    id: str
    type: str
    target: str


class Package:
    """The parts of an OOXML package whose zip directory passed the limits.

    One package is one file, read in one thread: it keeps one hardened parser for all its
    parts, and each part's relationships once read (the package's own are wanted both for
    the main part and for the custom properties)."""

    def __init__(self, archive: SafeZip):
        self.zip = archive
        self.file = archive.file
        self._parser: etree.XMLParser | None = None
        self._relationships: dict[str, tuple[Relationship, ...]] = {}

    @classmethod
    def open(cls, data: bytes, file: str, limits: Limits = LIMITS) -> Package:
        """The package ``data`` (named ``file`` in messages).  Raises
        :class:`~generator.errors.UnsafeFileError` for a container that breaks a limit, and one
        of :data:`~generator.returns.guards.DAMAGED_ZIP_ERRORS` for one that is no readable zip."""
        return cls(open_zip(data, file, limits))

    def has(self, part: str) -> bool:
        """Whether the package holds ``part`` (its name compared as OOXML does: in any case)."""
        return self.zip.has(part)

    def read(self, part: str) -> bytes:
        """The unpacked bytes of ``part``."""
        try:
            return self.zip.read(part)
        except KeyError as error:
            raise DamagedPart(part, "is missing") from error
        except DAMAGED_ZIP_ERRORS as error:
            raise DamagedPart(part, f"cannot be unpacked: {error}") from error

    def xml(self, part: str, data: bytes | None = None) -> etree._Element:
        """The root element of ``part`` (or of ``data``, its bytes already read), parsed safely."""
        if self._parser is None:
            self._parser = xml_parser()
        try:
            return parse_xml(self.read(part) if data is None else data, self.file, part, self._parser)
        except etree.XMLSyntaxError as error:
            raise DamagedPart(part, f"is not well-formed XML: {error}") from error

    def content_types(self) -> list[str]:
        """The content types the package declares (``[Content_Types].xml``: defaults by
        extension and overrides by part); empty when that part is missing or not well-formed.
        Raises :class:`DamagedPart` when it cannot be unpacked."""
        if not self.has(_CONTENT_TYPES):
            return []
        data = self.read(_CONTENT_TYPES)
        try:
            root = self.xml(_CONTENT_TYPES, data)
        except DamagedPart:
            return []
        kinds = (f"{{{_CONTENT_TYPES_NS}}}Default", f"{{{_CONTENT_TYPES_NS}}}Override")
        return [entry.get("ContentType") or "" for entry in root.iterchildren(*kinds)]

    def relationships(self, part: str) -> tuple[Relationship, ...]:
        """The internal relationships of ``part`` ("" for the package's own), from its
        ``_rels/*.rels`` part (parsed once); empty when it has none."""
        if part not in self._relationships:
            self._relationships[part] = self._read_relationships(part)
        return self._relationships[part]

    def _read_relationships(self, part: str) -> tuple[Relationship, ...]:
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
        if not self.has(rels_part):
            return ()
        found = []
        for rel in self.xml(rels_part).iterchildren(f"{{{_RELATIONSHIPS_NS}}}Relationship"):
            target = rel.get("Target") or ""
            if rel.get("TargetMode") != "External" and target:
                found.append(Relationship(rel.get("Id") or "", rel.get("Type") or "", _part_path(folder, target)))
        return tuple(found)

    def custom_properties(self) -> dict[str, str]:
        """The custom document properties (``docProps/custom.xml``, or the part the package's
        relationship names), name → text; empty when there are none."""
        try:
            named = [rel.target for rel in self.relationships("") if rel.type.endswith(_CUSTOM_PROPERTIES)]
        except DamagedPart:  # then the part is looked for where Word, Excel and LibreOffice put it
            named = []
        part = named[0] if named else _CUSTOM_PART
        if not self.has(part):
            return {}
        return {
            name: "".join(prop.itertext())
            for prop in self.xml(part).iterchildren(f"{{{_CUSTOM_NS}}}property")
            if (name := prop.get("name"))
        }


def _part_path(folder: str, target: str) -> str:
    """The path of the part a relationship's ``target`` points at from ``folder``: "xl" and
    "worksheets/sheet1.xml" → "xl/worksheets/sheet1.xml"; "/xl/workbook.xml" → "xl/workbook.xml"."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))
