"""Tree-sitter helpers shared by the language modules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tree_sitter import Language, Node, Parser

COMMENT_TYPES = ("comment", "line_comment", "block_comment")
ATTRIBUTE_TYPES = ("attribute_item",)  # Rust's #[derive(...)] sits between a doc and its item
_COMMENT_MARKS = re.compile(r"^\s*(/\*\*?|\*/|\*|//[/!]?|#)|\*/\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])")
MAX_DOC_CHARS = 200
_UNDERLINE = re.compile(r"([=\-~^*+#])\1{2,}")


def parse(language: Language, source: bytes) -> Node:
    # A parser per call: parsers are cheap and not safe to share between threads.
    return Parser(language).parse(source).root_node


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def descendants(root: Node, node_type: str) -> Iterator[Node]:
    """Every node of ``node_type`` under ``root`` (itself included), in source order."""
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.named_children))
        if node.type == node_type:
            yield node


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


def leading_comment(node: Node) -> str:
    """The first line of the comment block just above ``node`` (Go, Rust and JSDoc doc
    comments), without its comment markers; empty when a blank line or code comes between."""
    lines: list[str] = []
    row = node.start_point[0]
    sibling = node.prev_sibling
    while sibling is not None and _last_row(sibling) >= row - 1:
        if sibling.type in COMMENT_TYPES and not text(sibling).startswith("//!"):
            lines[:0] = text(sibling).splitlines()
        elif sibling.type not in ATTRIBUTE_TYPES:
            break
        row = sibling.start_point[0]
        sibling = sibling.prev_sibling
    return first_comment_line(lines)


def _last_row(node: Node) -> int:
    # Rust's line comments end at column 0 of the next line: they hold their newline.
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else row


def first_comment_line(lines: list[str]) -> str:
    """The first sentence of a comment block: comment markers removed, JSDoc tags (``@param``)
    ending it."""
    return first_sentence(_COMMENT_MARKS.sub("", line) for line in lines)


def first_sentence(lines: Iterable[str]) -> str:
    """The first sentence of the first paragraph of ``lines`` (hard-wrapped lines joined),
    its ````literals```` in Markdown's single backticks. A reStructuredText title (a line
    underlined with ``~~~``, as in ``requests.adapters``) is no sentence: it is skipped."""
    paragraph: list[str] = []
    for line in lines:
        cleaned = line.strip()
        if _UNDERLINE.fullmatch(cleaned):
            paragraph = []
            continue
        if cleaned.startswith("@") or (not cleaned and paragraph):
            break
        if cleaned:
            paragraph.append(cleaned.lstrip("#").strip())  # a Markdown heading in a JSDoc
    sentence = _SENTENCE_END.split(" ".join(paragraph), maxsplit=1)[0]
    return sentence.replace("``", "`")[:MAX_DOC_CHARS]  # reStructuredText literals as Markdown
