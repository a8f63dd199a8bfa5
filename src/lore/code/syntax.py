"""Tree-sitter helpers shared by the language modules."""

from __future__ import annotations

from tree_sitter import Language, Node, Parser


def parse(language: Language, source: bytes) -> Node:
    # A parser per call: parsers are cheap and not safe to share between threads.
    return Parser(language).parse(source).root_node


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def strip_quotes(literal: str) -> str:
    """The content of a string literal: prefixes (r, f, b) and quotes removed."""
    stripped = literal.lstrip("rRbBfFuU")
    for quote in ('"""', "'''", '"', "'", "`"):
        if (
            stripped.startswith(quote)
            and stripped.endswith(quote)
            and len(stripped) >= 2 * len(quote)
        ):
            return stripped[len(quote) : -len(quote)]
    return stripped
