"""Prisma schema files (``schema.prisma``): models and their fields. No tree-sitter grammar is
packaged for Prisma; its model blocks are regular enough for a small parser."""

from __future__ import annotations

import re

from lore.code.model import FileAnalysis, Schema, SchemaField

_MODEL = re.compile(r"^\s*(model|type|view)\s+(\w+)\s*\{(.*?)^\s*\}", re.M | re.S)
_FIELD = re.compile(r"^\s*(\w+)\s+([\w.]+)(\[\])?(\?)?", re.M)
_MAP = re.compile(r'@@map\("([^"]+)"\)')


def analyze(path: str, source: bytes) -> FileAnalysis:
    content = source.decode("utf-8", errors="replace")
    analysis = FileAnalysis(path=path, language="prisma")
    for match in _MODEL.finditer(content):
        body = match[3]
        fields = tuple(
            SchemaField(field[1], field[2] + (field[3] or ""), bool(field[4]))
            for field in _FIELD.finditer(body)
            if not field[1].startswith("@")
        )
        table = _MAP.search(body)
        line = content.count("\n", 0, match.start()) + 1
        analysis.schemas.append(
            Schema(match[2], "prisma", fields, line, table[1] if table else None)
        )
    return analysis
