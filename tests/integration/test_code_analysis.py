"""Code analysis for Deep Enrich on real source files: routes, schemas and signatures of Python,
TypeScript and JavaScript (and Prisma), and linked repositories cloned from git URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from lore.code import FileAnalysis, analyze_file
from lore.code.repos import clone_name, working_copy
from lore.errors import LoreError
from tests.gitrepo import GitRepo

FASTAPI = '''from fastapi import APIRouter, Depends
from pydantic import BaseModel

router = APIRouter()


class OrderIn(BaseModel):
    sku: str
    quantity: int = 1
    note: str | None = None


@router.get("/orders/{order_id}", response_model=OrderIn)
async def read_order(order_id: int, db=Depends(get_db)) -> OrderIn:
    """Fetch one order."""


@router.post("/orders")
def create_order(body: OrderIn) -> dict:
    return {}


class OrderService:
    def __init__(self, db) -> None: ...

    def cancel(self, order_id: int, reason: str = "") -> bool:
        """Cancel an order that has not shipped."""

    def _audit(self) -> None: ...
'''
FLASK = """from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    return ""


@bp.route("/logout")
def logout():
    return ""
"""
DJANGO_MODELS = """from django.db import models


class Invoice(models.Model):
    number = models.CharField(max_length=20)
    paid_at = models.DateTimeField(null=True)
"""
DJANGO_URLS = """from django.urls import path, re_path
from . import views

urlpatterns = [
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    re_path(r"^api/v1/", views.api_root),
]
"""
SQLALCHEMY = """from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy import String


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    nickname: Mapped[str | None]
"""
EXPRESS = """const express = require('express');
const router = express.Router();

router.get('/health', (req, res) => res.send('ok'));
router.post(`/carts/:id/items`, requireUser, addItem);
router.all('/legacy/*', legacyProxy);

function addItem(req, res) {}
module.exports = router;
"""
NEXT_ROUTE = """import { NextResponse } from 'next/server';

export async function GET(request: Request, { params }: { params: { id: string } }): Promise<Response> {
  return NextResponse.json({});
}

export const DELETE = async (request: Request) => NextResponse.json({});
"""
ZOD_AND_TYPES = """import { z } from 'zod';

export const Product = z.object({
  id: z.string().uuid(),
  price: z.number().positive(),
  tags: z.array(z.string()).optional(),
});

export interface Cart {
  id: string;
  items: CartItem[];
  coupon?: string;
}

type Money = { amount: number; currency: string };

export class CartStore extends BaseStore {
  async load(id: string): Promise<Cart> { return {} as Cart; }
  #cache() {}
}

export const total = (cart: Cart): Money => ({ amount: 0, currency: 'EUR' });
"""
PRISMA = """datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Post {
  id        Int      @id @default(autoincrement())
  title     String
  author    User?    @relation(fields: [authorId], references: [id])
  authorId  Int?
  tags      String[]
  @@map("posts")
}
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    files = {
        "api/orders.py": FASTAPI,
        "web/auth.py": FLASK,
        "billing/models.py": DJANGO_MODELS,
        "billing/urls.py": DJANGO_URLS,
        "db/models.py": SQLALCHEMY,
        "server/routes.js": EXPRESS,
        "app/api/carts/[id]/route.ts": NEXT_ROUTE,
        "shared/schema.ts": ZOD_AND_TYPES,
        "prisma/schema.prisma": PRISMA,
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def analysed(root: Path, path: str) -> FileAnalysis:
    analysis = analyze_file(root, path)
    assert analysis is not None
    return analysis


def routes(analysis: FileAnalysis) -> list[tuple[str, str, str, str]]:
    return [(r.method, r.path, r.handler, r.framework) for r in analysis.routes]


def fields(analysis: FileAnalysis, name: str) -> list[tuple[str, str, bool]]:
    schema = next(s for s in analysis.schemas if s.name == name)
    return [(f.name, f.type, f.optional) for f in schema.fields]


def test_fastapi_routes_pydantic_schemas_and_signatures(code: Path) -> None:
    orders = analysed(code, "api/orders.py")
    assert orders.language == "python"
    assert routes(orders) == [
        ("GET", "/orders/{order_id}", "read_order", "fastapi"),
        ("POST", "/orders", "create_order", "fastapi"),
    ]
    assert fields(orders, "OrderIn") == [
        ("sku", "str", False),
        ("quantity", "int", False),
        ("note", "str | None", True),
    ]
    signatures = {s.name: s for s in orders.signatures}
    assert (
        signatures["read_order"].text
        == "async def read_order(order_id: int, db=Depends(get_db)) -> OrderIn"
    )
    assert signatures["read_order"].doc == "Fetch one order."
    assert (
        signatures["OrderService.cancel"].text
        == 'def cancel(self, order_id: int, reason: str = "") -> bool'
    )
    assert "OrderService._audit" not in signatures
    assert (
        orders.facts()[0]
        == "Routes in api/orders.py: GET /orders/{order_id} (read_order), POST /orders (create_order)."
    )


def test_flask_routes_with_their_methods(code: Path) -> None:
    assert routes(analysed(code, "web/auth.py")) == [
        ("GET", "/login", "login", "flask"),
        ("POST", "/login", "login", "flask"),
        ("GET", "/logout", "logout", "flask"),
    ]


def test_django_models_and_url_patterns(code: Path) -> None:
    models = analysed(code, "billing/models.py")
    assert models.schemas[0].kind == "django"
    assert fields(models, "Invoice") == [
        ("number", "CharField", False),
        ("paid_at", "DateTimeField", True),
    ]
    assert routes(analysed(code, "billing/urls.py")) == [
        ("ANY", "/invoices/<int:pk>/", "views.invoice_detail", "django"),
        ("ANY", "/api/v1/", "views.api_root", "django"),
    ]


def test_sqlalchemy_declarative_models(code: Path) -> None:
    models = analysed(code, "db/models.py")
    customer = next(s for s in models.schemas if s.name == "Customer")
    assert customer.kind == "sqlalchemy" and customer.table == "customers"
    assert fields(models, "Customer") == [
        ("id", "int", False),
        ("email", "str", False),
        ("nickname", "str | None", True),
    ]
    assert models.facts() == [
        "Customer (sqlalchemy, table customers) in db/models.py: id: int, email: str, nickname?: str | None."
    ]


def test_express_routes(code: Path) -> None:
    server = analysed(code, "server/routes.js")
    assert server.language == "javascript"
    assert routes(server) == [
        ("GET", "/health", "inline handler", "express"),
        ("POST", "/carts/:id/items", "addItem", "express"),
        ("ANY", "/legacy/*", "legacyProxy", "express"),
    ]
    assert [s.text for s in server.signatures] == ["function addItem(req, res)"]


def test_nextjs_route_handlers(code: Path) -> None:
    handlers = analysed(code, "app/api/carts/[id]/route.ts")
    assert routes(handlers) == [
        ("GET", "/api/carts/[id]", "GET", "nextjs"),
        ("DELETE", "/api/carts/[id]", "DELETE", "nextjs"),
    ]


def test_zod_schemas_typescript_interfaces_and_classes(code: Path) -> None:
    shared = analysed(code, "shared/schema.ts")
    assert shared.language == "typescript"
    assert fields(shared, "Product") == [
        ("id", "string", False),
        ("price", "number", False),
        ("tags", "array", True),
    ]
    assert fields(shared, "Cart") == [
        ("id", "string", False),
        ("items", "CartItem[]", False),
        ("coupon", "string", True),
    ]
    assert fields(shared, "Money") == [("amount", "number", False), ("currency", "string", False)]
    texts = [s.text for s in shared.signatures]
    assert "class CartStore extends BaseStore" in texts
    assert "async load(id: string): Promise<Cart>" in texts
    assert "const total = (cart: Cart): Money" in texts
    assert not any("cache" in text for text in texts)


def test_prisma_models(code: Path) -> None:
    schema = analysed(code, "prisma/schema.prisma")
    (post,) = schema.schemas
    assert post.kind == "prisma" and post.table == "posts"
    assert [(f.name, f.type, f.optional) for f in post.fields] == [
        ("id", "Int", False),
        ("title", "String", False),
        ("author", "User", True),
        ("authorId", "Int", True),
        ("tags", "String[]", False),
    ]


def test_files_outside_the_root_or_unsupported_are_not_read(code: Path, tmp_path: Path) -> None:
    (tmp_path.parent / "secret.py").write_text("def leak(): ...\n")
    assert analyze_file(code, "../secret.py") is None
    assert analyze_file(code, "README.md") is None
    assert analyze_file(code, "missing.py") is None


def test_a_git_url_is_cloned_into_lore_home_and_updated(tmp_path: Path) -> None:
    upstream = GitRepo(tmp_path / "upstream")
    upstream.commit("first", {"api/orders.py": FASTAPI})
    url = f"file://{upstream.root}"
    home = tmp_path / "home"

    copy = working_copy(url, home)
    assert copy == home / "repos" / clone_name(url)
    assert routes(analysed(copy, "api/orders.py"))[0][2] == "read_order"

    upstream.commit("second", {"api/orders.py": FASTAPI.replace("read_order", "fetch_order")})
    assert working_copy(url, home) == copy
    assert routes(analysed(copy, "api/orders.py"))[0][2] == "fetch_order"


def test_a_local_path_is_used_as_it_is_and_a_bad_link_is_an_error(
    code: Path, tmp_path: Path
) -> None:
    assert working_copy(str(code), tmp_path / "home") == code
    with pytest.raises(LoreError):
        working_copy(str(tmp_path / "nowhere"), tmp_path / "home")
    with pytest.raises(LoreError):
        working_copy(f"file://{tmp_path}/no-such-repo.git", tmp_path / "home")
