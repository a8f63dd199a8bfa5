"""Go files: the package comment, exported functions, methods and types with their doc
comments, structs as schemas, and ``http.HandleFunc`` / gin, echo and chi routes."""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter_go
from tree_sitter import Language, Node

from lore.code.model import FileAnalysis, Route, Schema, SchemaField, Signature
from lore.code.syntax import descendants, leading_comment, parse, strip_quotes, text

LANGUAGE = Language(tree_sitter_go.language())
ROUTER_METHODS = {
    "HandleFunc": "ANY", "Handle": "ANY", "Any": "ANY", "GET": "GET", "POST": "POST",
    "PUT": "PUT", "PATCH": "PATCH", "DELETE": "DELETE", "Get": "GET", "Post": "POST",
    "Put": "PUT", "Patch": "PATCH", "Delete": "DELETE",
}  # fmt: skip


def analyze(path: str, source: bytes) -> FileAnalysis:
    root = parse(LANGUAGE, source)
    package = next((c for c in root.named_children if c.type == "package_clause"), None)
    analysis = FileAnalysis(
        path=path, language="go", doc=leading_comment(package) if package is not None else ""
    )
    for node in root.named_children:
        if node.type == "function_declaration":
            analysis.signatures.append(_function(node))
        elif node.type == "method_declaration":
            analysis.signatures.append(_method(node))
        elif node.type == "type_declaration":
            for spec in (c for c in node.named_children if c.type == "type_spec"):
                analysis.signatures.append(_type(spec, node))
                schema = _struct(spec)
                if schema is not None:
                    analysis.schemas.append(schema)
    analysis.routes.extend(_routes(root))
    return analysis


def _exported(name: str) -> bool:
    return name[:1].isupper()


def _function(node: Node) -> Signature:
    name = text(node.child_by_field_name("name"))
    return Signature(
        "function",
        name,
        _callable_text(f"func {name}", node),
        node.start_point[0] + 1,
        leading_comment(node),
        _exported(name),
    )


def _method(node: Node) -> Signature:
    name = text(node.child_by_field_name("name"))
    receiver = text(node.child_by_field_name("receiver"))
    owner = receiver.strip("()").split()[-1].lstrip("*").split("[")[0] if receiver else ""
    return Signature(
        "method",
        f"{owner}.{name}" if owner else name,
        _callable_text(f"func {receiver} {name}", node),
        node.start_point[0] + 1,
        leading_comment(node),
        _exported(name) and _exported(owner),
    )


def _callable_text(prefix: str, node: Node) -> str:
    params = text(node.child_by_field_name("parameters"))
    result = text(node.child_by_field_name("result"))
    return " ".join(f"{prefix}{params} {result}".split())


def _type(spec: Node, declaration: Node) -> Signature:
    name = text(spec.child_by_field_name("name"))
    value = spec.child_by_field_name("type")
    shape = {"struct_type": "struct", "interface_type": "interface"}.get(
        value.type if value is not None else "", text(value)
    )
    # A grouped ``type ( ... )`` carries its comments per spec; a single one above the keyword.
    doc = leading_comment(spec) or leading_comment(declaration)
    return Signature(
        "type", name, f"type {name} {shape}", spec.start_point[0] + 1, doc, _exported(name)
    )


def _struct(spec: Node) -> Schema | None:
    value = spec.child_by_field_name("type")
    if value is None or value.type != "struct_type":
        return None
    fields = []
    for declaration in _field_declarations(value):
        type_text = text(declaration.child_by_field_name("type"))
        for name in declaration.children_by_field_name("name"):
            fields.append(SchemaField(text(name), type_text, type_text.startswith("*")))
    return Schema(
        text(spec.child_by_field_name("name")), "struct", tuple(fields), spec.start_point[0] + 1
    )


def _field_declarations(struct: Node) -> Iterator[Node]:
    for child in struct.named_children:
        if child.type == "field_declaration_list":
            yield from (c for c in child.named_children if c.type == "field_declaration")


def _routes(root: Node) -> Iterator[Route]:
    """``http.HandleFunc("/path", h)``, ``mux.Handle(...)``, gin/echo ``r.GET("/path", h)``
    and chi ``r.Get(...)`` calls anywhere in the file."""
    for node in descendants(root, "call_expression"):
        target = node.child_by_field_name("function")
        if target is None or target.type != "selector_expression":
            continue
        method = ROUTER_METHODS.get(text(target.child_by_field_name("field")))
        arguments = node.child_by_field_name("arguments")
        values = arguments.named_children if arguments else []
        if method is None or len(values) < 2 or "string_literal" not in values[0].type:
            continue
        path = strip_quotes(text(values[0]))
        if not path.startswith("/") and " /" in path:  # Go 1.22 patterns: "GET /items/{id}"
            method, path = path.split(" ", 1)
        if path.startswith("/"):
            handler = values[-1]
            name = (
                text(handler)
                if handler.type in ("identifier", "selector_expression")
                else "inline handler"
            )
            yield Route(method, path, name, "go", node.start_point[0] + 1)
