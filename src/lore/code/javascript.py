"""TypeScript and JavaScript files: Express routes, Next.js route handlers, Zod schemas,
TypeScript interfaces and object types, and function, class and method signatures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import takewhile
from pathlib import PurePosixPath

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node

from lore.code.model import FileAnalysis, Route, Schema, SchemaField, Signature
from lore.code.syntax import (
    descendants,
    first_comment_line,
    leading_comment,
    parse,
    strip_quotes,
    text,
)

LANGUAGES = {
    ".ts": Language(tree_sitter_typescript.language_typescript()),
    ".mts": Language(tree_sitter_typescript.language_typescript()),
    ".cts": Language(tree_sitter_typescript.language_typescript()),
    ".tsx": Language(tree_sitter_typescript.language_tsx()),
    ".js": Language(tree_sitter_javascript.language()),
    ".jsx": Language(tree_sitter_javascript.language()),
    ".mjs": Language(tree_sitter_javascript.language()),
    ".cjs": Language(tree_sitter_javascript.language()),
}
EXPRESS_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "all")
NEXT_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
FUNCTIONS = ("function_declaration", "generator_function_declaration")
_ZOD_TYPE = re.compile(r"\bz\.(\w+)\(")


def analyze(path: str, source: bytes) -> FileAnalysis:
    suffix = PurePosixPath(path).suffix
    root = parse(LANGUAGES[suffix], source)
    language = "typescript" if suffix in (".ts", ".tsx", ".mts", ".cts") else "javascript"
    analysis = FileAnalysis(path=path, language=language, doc=_file_doc(root))
    modular = any(child.type == "export_statement" for child in root.named_children)
    for node, statement in _top_level(root):
        exported = statement.type == "export_statement" or not modular
        analysis.signatures.extend(_signatures(node, leading_comment(statement), exported))
        schema = _schema(node)
        if schema is not None:
            analysis.schemas.append(schema)
    analysis.routes.extend(_express_routes(root))
    analysis.routes.extend(_next_routes(path, analysis.signatures))
    return analysis


def _top_level(root: Node) -> Iterator[tuple[Node, Node]]:
    """Top-level declarations, unwrapped from ``export`` (and ``export default``), each with
    the statement that holds it (where its doc comment sits)."""
    for child in root.named_children:
        if child.type == "export_statement":
            declaration = child.child_by_field_name("declaration")
            for node in [declaration] if declaration is not None else child.named_children:
                yield node, child
        else:
            yield child, child


def _file_doc(root: Node) -> str:
    """The comment opening the file, unless it documents the declaration right below it or is
    a licence or linter header."""
    block = list(takewhile(lambda node: node.type == "comment", root.named_children))
    if not block:
        return ""
    rest = root.named_children[len(block) :]
    following = rest[0] if rest else None
    if (
        following is not None
        and following.type != "import_statement"
        and leading_comment(following)
    ):
        return ""
    lines = [line for node in block for line in text(node).splitlines()]
    if any(re.search(r"copyright|licen[cs]e|eslint|prettier|@ts-", line, re.I) for line in lines):
        return ""
    return first_comment_line(lines)


def _signatures(node: Node, doc: str, exported: bool) -> Iterator[Signature]:
    line = node.start_point[0] + 1
    if node.type in FUNCTIONS:
        name = text(node.child_by_field_name("name"))
        yield Signature(
            "function", name, _callable_text(f"function {name}", node), line, doc, exported
        )
    elif node.type == "lexical_declaration":
        for declarator in node.named_children:
            value = declarator.child_by_field_name("value")
            if value is not None and value.type in (
                "arrow_function",
                "function_expression",
                "function",
            ):
                name = text(declarator.child_by_field_name("name"))
                signature = _callable_text(f"const {name} =", value)
                yield Signature("function", name, signature, line, doc, exported)
    elif node.type in ("class_declaration", "abstract_class_declaration"):
        yield from _class(node, line, doc, exported)
    elif node.type in ("interface_declaration", "type_alias_declaration"):
        name = text(node.child_by_field_name("name"))
        keyword = "interface" if node.type == "interface_declaration" else "type"
        yield Signature("type", name, f"{keyword} {name}", line, doc, exported)


def _callable_text(prefix: str, node: Node) -> str:
    """``function f(a: T): R``, ``const f = async (a: T): R``, ``method(a: T): R``."""
    params = text(node.child_by_field_name("parameters"))
    returns = node.child_by_field_name("return_type")
    is_async = text(node).startswith("async")
    if prefix.startswith("const "):
        head = f"{prefix} {'async ' if is_async else ''}"
    else:
        head = f"{'async ' if is_async else ''}{prefix}"
    signature = f"{head}{params}" + (text(returns) if returns else "")
    return " ".join(signature.split())


def _class(node: Node, line: int, doc: str, exported: bool) -> Iterator[Signature]:
    name = text(node.child_by_field_name("name"))
    heritage = next((text(c) for c in node.named_children if c.type == "class_heritage"), "")
    yield Signature(
        "class", name, " ".join(f"class {name} {heritage}".split()), line, doc, exported
    )
    body = node.child_by_field_name("body")
    for member in body.named_children if body else []:
        if member.type == "method_definition":
            method = text(member.child_by_field_name("name"))
            if not method.startswith("#"):  # private methods are not part of the API
                yield Signature(
                    "method",
                    f"{name}.{method}",
                    _callable_text(method, member),
                    member.start_point[0] + 1,
                    leading_comment(member),
                    exported,
                )


def _schema(node: Node) -> Schema | None:
    line = node.start_point[0] + 1
    if node.type == "interface_declaration":
        body = node.child_by_field_name("body")
        return Schema(text(node.child_by_field_name("name")), "interface", _properties(body), line)
    if node.type == "type_alias_declaration":
        value = node.child_by_field_name("value")
        if value is not None and value.type == "object_type":
            return Schema(text(node.child_by_field_name("name")), "type", _properties(value), line)
    if node.type == "lexical_declaration":
        for declarator in node.named_children:
            value = declarator.child_by_field_name("value")
            if value is not None and text(value).startswith("z.object("):
                return Schema(
                    text(declarator.child_by_field_name("name")), "zod", _zod_fields(value), line
                )
    return None


def _properties(body: Node | None) -> tuple[SchemaField, ...]:
    fields = []
    for member in body.named_children if body else []:
        if member.type != "property_signature":
            continue
        annotation = member.child_by_field_name("type")
        optional = any(child.type == "?" for child in member.children)
        type_text = text(annotation).lstrip(": ").strip() if annotation else ""
        fields.append(SchemaField(text(member.child_by_field_name("name")), type_text, optional))
    return tuple(fields)


def _zod_fields(call: Node) -> tuple[SchemaField, ...]:
    arguments = call.child_by_field_name("arguments")
    shape = arguments.named_children[0] if arguments and arguments.named_children else None
    fields = []
    for pair in shape.named_children if shape is not None and shape.type == "object" else []:
        if pair.type != "pair":
            continue
        value = text(pair.child_by_field_name("value"))
        kind = _ZOD_TYPE.search(value)
        optional = ".optional()" in value or ".nullish()" in value
        fields.append(
            SchemaField(
                strip_quotes(text(pair.child_by_field_name("key"))),
                kind[1] if kind else value[:40],
                optional,
            )
        )
    return tuple(fields)


def _express_routes(root: Node) -> Iterator[Route]:
    """``app.get("/path", handler)`` and ``router.post(...)`` calls anywhere in the file."""
    for node in descendants(root, "call_expression"):
        target = node.child_by_field_name("function")
        if target is None or target.type != "member_expression":
            continue
        method = text(target.child_by_field_name("property"))
        arguments = node.child_by_field_name("arguments")
        values = arguments.named_children if arguments else []
        if (
            method not in EXPRESS_METHODS
            or len(values) < 2
            or values[0].type not in ("string", "template_string")
        ):
            continue
        handler = values[-1]
        name = (
            text(handler)
            if handler.type in ("identifier", "member_expression")
            else "inline handler"
        )
        yield Route(
            method.upper() if method != "all" else "ANY",
            strip_quotes(text(values[0])),
            name,
            "express",
            node.start_point[0] + 1,
        )


def _next_routes(path: str, signatures: list[Signature]) -> Iterator[Route]:
    """Next.js: ``app/**/route.ts`` exporting GET, POST, ... and ``pages/api/**`` handlers."""
    parts = PurePosixPath(path).parts
    if PurePosixPath(path).stem == "route" and "app" in parts:
        route = "/" + "/".join(
            p for p in parts[parts.index("app") + 1 : -1] if not p.startswith("(")
        )
        for signature in signatures:
            if signature.kind == "function" and signature.name in NEXT_METHODS:
                yield Route(signature.name, route, signature.name, "nextjs", signature.line)
    elif "pages" in parts and "api" in parts[parts.index("pages") :]:
        start = parts.index("pages") + 1
        route = "/" + "/".join([*parts[start:-1], PurePosixPath(path).stem]).removesuffix("/index")
        yield Route("ANY", route, "default", "nextjs", 1)
