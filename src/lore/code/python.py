"""Python files: FastAPI and Flask routes (decorators), Django URL patterns, pydantic,
SQLAlchemy, Django and dataclass schemas, and function, class and method signatures."""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter_python
from tree_sitter import Language, Node

from lore.code.model import FileAnalysis, Route, Schema, SchemaField, Signature
from lore.code.syntax import descendants, first_sentence, parse, strip_quotes, text

LANGUAGE = Language(tree_sitter_python.language())
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
# Route decorators: `@<router>.<attribute>("/path")`.
ROUTE_DECORATORS = (*HTTP_METHODS, "route", "api_route", "websocket")
DJANGO_URL_CALLS = ("path", "re_path", "url")
PYDANTIC_BASES = ("BaseModel", "BaseSettings", "SQLModel", "RootModel")
SQLALCHEMY_BASES = ("Base", "DeclarativeBase", "Model", "db.Model")


def analyze(path: str, source: bytes) -> FileAnalysis:
    root = parse(LANGUAGE, source)
    analysis = FileAnalysis(path=path, language="python", doc=_first_string_line(root))
    framework = _web_framework(source)
    for node, decorators in _definitions(root):
        if node.type == "function_definition":
            analysis.signatures.append(_function_signature(node, "function"))
            analysis.routes.extend(_decorator_routes(node, decorators, framework))
        elif node.type == "class_definition":
            analysis.signatures.extend(_class_signatures(node))
            schema = _schema(node, decorators)
            if schema is not None:
                analysis.schemas.append(schema)
    analysis.routes.extend(_django_urls(root))
    return analysis


def _definitions(root: Node) -> Iterator[tuple[Node, list[Node]]]:
    """Top-level functions and classes, each with its decorators."""
    for child in root.named_children:
        decorators: list[Node] = []
        node = child
        if child.type == "decorated_definition":
            decorators = [c for c in child.named_children if c.type == "decorator"]
            definition = child.child_by_field_name("definition")
            if definition is None:
                continue
            node = definition
        if node.type in ("function_definition", "class_definition"):
            yield node, decorators


def _function_signature(node: Node, kind: str) -> Signature:
    name = text(node.child_by_field_name("name"))
    params = text(node.child_by_field_name("parameters"))
    returns = node.child_by_field_name("return_type")
    prefix = "async def" if text(node).startswith("async") else "def"
    signature = f"{prefix} {name}{params}" + (f" -> {text(returns)}" if returns else "")
    return Signature(
        kind,
        name,
        " ".join(signature.split()),
        node.start_point[0] + 1,
        _docstring(node),
        not name.startswith("_"),
    )


def _class_signatures(node: Node) -> Iterator[Signature]:
    name = text(node.child_by_field_name("name"))
    bases = node.child_by_field_name("superclasses")
    yield Signature(
        "class",
        name,
        f"class {name}{text(bases) if bases else ''}",
        node.start_point[0] + 1,
        _docstring(node),
        not name.startswith("_"),
    )
    body = node.child_by_field_name("body")
    for child in body.named_children if body else []:
        method = (
            child.child_by_field_name("definition")
            if child.type == "decorated_definition"
            else child
        )
        if method is not None and method.type == "function_definition":
            signature = _function_signature(method, "method")
            if not signature.name.startswith("_") or signature.name == "__init__":
                yield Signature(
                    "method",
                    f"{name}.{signature.name}",
                    signature.text,
                    signature.line,
                    signature.doc,
                    not name.startswith("_"),
                )


def _docstring(node: Node) -> str:
    return _first_string_line(node.child_by_field_name("body"))


def _first_string_line(body: Node | None) -> str:
    """The first sentence of the docstring opening ``body`` (a module, class or function's);
    comments before it (a licence header, ASCII art) are not statements."""
    statements = [c for c in body.named_children if c.type != "comment"] if body else []
    first = statements[0] if statements else None
    if first is not None and first.type == "expression_statement" and first.named_children:
        string = first.named_children[0]
        if string.type == "string":
            return first_sentence(strip_quotes(text(string)).splitlines())
    return ""


def _web_framework(source: bytes) -> str:
    """Which framework the module's route decorators belong to, from its imports."""
    for name in ("fastapi", "flask", "starlette", "quart", "sanic"):
        if re.search(rb"^\s*(from|import)\s+" + name.encode() + rb"\b", source, re.M):
            return name
    return "fastapi/flask"


def _decorator_routes(function: Node, decorators: list[Node], framework: str) -> Iterator[Route]:
    handler = text(function.child_by_field_name("name"))
    for decorator in decorators:
        call = decorator.named_children[0] if decorator.named_children else None
        if call is None or call.type != "call":
            continue
        target = call.child_by_field_name("function")
        if target is None or target.type != "attribute":
            continue
        attribute = text(target.child_by_field_name("attribute"))
        if attribute not in ROUTE_DECORATORS:
            continue
        arguments = call.child_by_field_name("arguments")
        route_path = _first_string(arguments)
        if route_path is None:
            continue
        for method in _methods(attribute, arguments):
            yield Route(method, route_path, handler, framework, function.start_point[0] + 1)


def _methods(attribute: str, arguments: Node | None) -> list[str]:
    if attribute in HTTP_METHODS:
        return [attribute.upper()]
    if attribute == "websocket":
        return ["WEBSOCKET"]
    for argument in arguments.named_children if arguments else []:
        if (
            argument.type == "keyword_argument"
            and text(argument.child_by_field_name("name")) == "methods"
        ):
            value = argument.child_by_field_name("value")
            found = [
                strip_quotes(text(s)).upper()
                for s in (value.named_children if value else [])
                if s.type == "string"
            ]
            if found:
                return found
    return ["GET"] if attribute == "route" else ["ANY"]


def _first_string(arguments: Node | None) -> str | None:
    for argument in arguments.named_children if arguments else []:
        if argument.type == "string":
            return strip_quotes(text(argument))
    return None


def _django_urls(root: Node) -> Iterator[Route]:
    """``path("users/<int:pk>/", views.detail)`` calls anywhere in the module (urls.py)."""
    for node in descendants(root, "call"):
        if text(node.child_by_field_name("function")) not in DJANGO_URL_CALLS:
            continue
        arguments = node.child_by_field_name("arguments")
        values = [
            a
            for a in (arguments.named_children if arguments else [])
            if a.type != "keyword_argument"
        ]
        if len(values) >= 2 and values[0].type == "string":
            route = "/" + strip_quotes(text(values[0])).lstrip("^/").rstrip("$")
            yield Route("ANY", route, text(values[1]), "django", node.start_point[0] + 1)


def _schema(node: Node, decorators: list[Node]) -> Schema | None:
    name = text(node.child_by_field_name("name"))
    bases_node = node.child_by_field_name("superclasses")
    bases = [text(b) for b in bases_node.named_children] if bases_node else []
    body = node.child_by_field_name("body")
    statements = body.named_children if body else []
    line = node.start_point[0] + 1
    kind = _schema_kind(bases, decorators, statements)
    if kind is None:
        return None
    fields = tuple(f for s in statements for f in _fields(s, kind))
    return Schema(name, kind, fields, line, table=_tablename(statements))


def _schema_kind(bases: list[str], decorators: list[Node], statements: list[Node]) -> str | None:
    if any(base.split(".")[-1] in PYDANTIC_BASES for base in bases):
        return "pydantic"
    if any(base in ("models.Model", "Model") for base in bases) and any(
        "models." in text(s) for s in statements
    ):
        return "django"
    if _tablename(statements) is not None or any(base in SQLALCHEMY_BASES for base in bases):
        return "sqlalchemy"
    if any("dataclass" in text(d) for d in decorators):
        return "dataclass"
    if any(base in ("TypedDict", "typing.TypedDict", "NamedTuple") for base in bases):
        return "typeddict"
    return None


def _tablename(statements: list[Node]) -> str | None:
    for statement in statements:
        assignment = statement.named_children[0] if statement.named_children else None
        if (
            assignment is not None
            and assignment.type == "assignment"
            and text(assignment.child_by_field_name("left")) == "__tablename__"
        ):
            return strip_quotes(text(assignment.child_by_field_name("right")))
    return None


def _fields(statement: Node, kind: str) -> Iterator[SchemaField]:
    """A field from ``name: type = ...`` or, for ORMs, ``name = Column(Type)`` /
    ``name = models.CharField(...)``."""
    assignment = (
        statement.named_children[0]
        if statement.type == "expression_statement" and statement.named_children
        else None
    )
    if assignment is None or assignment.type != "assignment":
        return
    name = text(assignment.child_by_field_name("left"))
    if (
        not name.isidentifier()
        or name.startswith("_")
        or name in ("model_config", "Config", "Meta")
    ):
        return
    annotation = assignment.child_by_field_name("type")
    value = assignment.child_by_field_name("right")
    if annotation is not None:
        type_text = text(annotation)
        yield SchemaField(name, _mapped(type_text), "None" in type_text or "Optional" in type_text)
    elif value is not None and value.type == "call" and kind in ("sqlalchemy", "django"):
        yield SchemaField(
            name, _column_type(value), "null=True" in text(value) or "nullable=True" in text(value)
        )


def _mapped(type_text: str) -> str:
    """``Mapped[int]`` -> ``int``."""
    return type_text[len("Mapped[") : -1] if type_text.startswith("Mapped[") else type_text


def _column_type(call: Node) -> str:
    function = text(call.child_by_field_name("function"))
    if function.endswith(("Column", "mapped_column")):
        arguments = call.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments and arguments.named_children else None
        return text(first) if first is not None and first.type != "string" else ""
    return function.split(".")[-1]
