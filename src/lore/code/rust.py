"""Rust files: the module's ``//!`` doc, and its functions, structs, enums, traits and ``impl``
methods with their ``///`` docs; structs with named fields as schemas."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import takewhile

import tree_sitter_rust
from tree_sitter import Language, Node

from lore.code.model import FileAnalysis, Schema, SchemaField, Signature
from lore.code.syntax import first_comment_line, leading_comment, parse, text

LANGUAGE = Language(tree_sitter_rust.language())
TYPE_ITEMS = {
    "struct_item": "struct",
    "enum_item": "enum",
    "trait_item": "trait",
    "type_item": "type",
}


def analyze(path: str, source: bytes) -> FileAnalysis:
    root = parse(LANGUAGE, source)
    analysis = FileAnalysis(path=path, language="rust", doc=_module_doc(root))
    for node in root.named_children:
        if node.type == "function_item":
            analysis.signatures.append(_function(node, "function", ""))
        elif node.type in TYPE_ITEMS:
            analysis.signatures.append(_type(node))
            schema = _struct(node)
            if schema is not None:
                analysis.schemas.append(schema)
        elif node.type == "impl_item":
            analysis.signatures.extend(_methods(node))
    return analysis


def _module_doc(root: Node) -> str:
    inner = takewhile(
        lambda node: node.type == "line_comment" and text(node).startswith("//!"),
        root.named_children,
    )
    return first_comment_line([text(node) for node in inner])


def _public(node: Node) -> bool:
    return any(child.type == "visibility_modifier" for child in node.named_children)


def _function(node: Node, kind: str, owner: str) -> Signature:
    name = text(node.child_by_field_name("name"))
    params = text(node.child_by_field_name("parameters"))
    returns = node.child_by_field_name("return_type")
    generics = text(node.child_by_field_name("type_parameters"))
    modifiers = next(
        (text(c) + " " for c in node.named_children if c.type == "function_modifiers"), ""
    )
    signature = f"{modifiers}fn {name}{generics}{params}" + (
        f" -> {text(returns)}" if returns else ""
    )
    return Signature(
        kind,
        f"{owner}.{name}" if owner else name,
        " ".join(signature.split()),
        node.start_point[0] + 1,
        leading_comment(node),
        _public(node),
    )


def _type(node: Node) -> Signature:
    name = text(node.child_by_field_name("name"))
    keyword = TYPE_ITEMS[node.type]
    return Signature(
        "type",
        name,
        f"{keyword} {name}",
        node.start_point[0] + 1,
        leading_comment(node),
        _public(node),
    )


def _methods(impl: Node) -> Iterator[Signature]:
    owner = text(impl.child_by_field_name("type")).split("<")[0]
    trait = impl.child_by_field_name("trait")
    body = impl.child_by_field_name("body")
    for member in body.named_children if body else []:
        if member.type == "function_item":
            method = _function(member, "method", owner)
            if trait is None and method.exported:
                yield method


def _struct(node: Node) -> Schema | None:
    body = node.child_by_field_name("body")
    if node.type != "struct_item" or body is None or body.type != "field_declaration_list":
        return None
    fields = tuple(
        SchemaField(
            text(field.child_by_field_name("name")),
            text(field.child_by_field_name("type")),
            text(field.child_by_field_name("type")).startswith("Option<"),
        )
        for field in body.named_children
        if field.type == "field_declaration"
    )
    return Schema(text(node.child_by_field_name("name")), "struct", fields, node.start_point[0] + 1)
