"""The module map: what each module of a repository is for and where its public API is
defined, read with tree-sitter from Python, TypeScript/JavaScript, Go and Rust files, captured
by ``lore scan`` and turned into memory that answers "where is X defined"."""

from __future__ import annotations

from pathlib import Path

import pytest

from lore import Lore
from lore.code import FileAnalysis, analyze_file
from lore.code.modules import module_map
from lore.domain import Project
from tests.gitrepo import GitRepo
from tests.pipeline_helpers import enrich_now, items

GO_SERVER = """// Package server runs the HTTP API
// of the shop.
package server

import "net/http"

// Server holds the routes.
type Server struct {
	Addr string `json:"addr"`
	mux  *http.ServeMux
}

type (
	// ID names an order.
	ID int
)

// New makes a server listening on addr.
func New(addr string) *Server { return &Server{Addr: addr} }

// Start registers the routes and listens.
func (s *Server) Start() error {
	http.HandleFunc("/health", health)
	s.mux.HandleFunc("GET /orders/{id}", s.order)
	return nil
}

func health(w http.ResponseWriter, r *http.Request) {}
"""
RUST_STORE = """//! The storage engine: pages on disk.

/// A key-value store.
#[derive(Debug)]
pub struct Store {
    pub path: String,
    size: Option<u64>,
}

/// Reads pages.
pub trait Reader {
    fn read(&self) -> u8;
}

impl Store {
    /// Opens the store at `path`.
    pub fn open(path: &str) -> Result<Store, Error> { todo!() }
    fn grow(&mut self) {}
}

fn hidden() {}
"""
TS_ROUTER = """/**
 * Routing for the web app: maps paths to pages.
 */

import { z } from "zod";

/** A user of the app. */
export interface User { id: string; name?: string }

/**
 * Loads users, newest first.
 * @param limit how many
 */
export async function loadUsers(limit: number): Promise<User[]> { return [] }

function helper() {}

export class Session {
  /** Opens it. */
  open(id: string): void {}
}
"""
PY_PACKAGE = '''"""Billing: invoices and
payments, in one package.

More detail here."""
'''
PY_INVOICES = '''"""Invoices: numbering and totals."""


class Invoice:
    """An invoice sent to a customer."""

    def total(self) -> int:
        """The amount due, in cents."""

    def _round(self) -> None: ...


def next_number(year: int) -> str:
    """The next free invoice number of ``year``."""


def _private() -> None: ...
'''


FILES = {
    "server/server.go": GO_SERVER,
    "store/src/lib.rs": RUST_STORE,
    "web/router.ts": TS_ROUTER,
    "billing/__init__.py": PY_PACKAGE,
    "billing/invoices.py": PY_INVOICES,
    "billing/_helpers.py": "def _x() -> None: ...\n",
    "billing/migrations/0001_initial.py": '"""Generated."""\nclass Migration: ...\n',
    "api/orders_pb2.py": '"""Generated protocol buffer code."""\nclass Order: ...\n',
    "setup.py": "from setuptools import setup\nsetup()\n",
    "vite.config.ts": "export default function config() {}\n",
    "docs/conf.py": 'project = "shop"\n',
    "server/health.go": "package server\n\nfunc Health() {}\n",
    "server/routes.go": (
        "package server\n\n// Routes registers every handler of the shop.\n"
        "func (s *Server) Routes() {}\n"
    ),
    "server/server_test.go": "package server\n\nfunc TestNew(t *testing.T) {}\n",
    "doc/gen.go": "// Package doc writes man pages.\npackage doc\n\n// GenMan writes one.\nfunc GenMan() {}\n",
}


@pytest.fixture(autouse=True)
def jobs_run_in_the_test(monkeypatch: pytest.MonkeyPatch, lore_home: Path) -> None:
    """The test runs each job itself (``enrich_now``) instead of a background thread."""
    monkeypatch.setenv("LORE_PIPELINE__IN_PROCESS_WORKER", "false")


@pytest.fixture
def code(tmp_path: Path) -> Path:
    """A repository of eight modules, a test, some generated files and some tooling."""
    GitRepo(tmp_path).commit("initial", FILES)
    return tmp_path


def analysed(root: Path, path: str) -> FileAnalysis:
    analysis = analyze_file(root, path)
    assert analysis is not None
    return analysis


def test_go_package_doc_exported_api_structs_and_routes(code: Path) -> None:
    server = analysed(code, "server/server.go")
    assert server.language == "go"
    assert server.doc == "Package server runs the HTTP API of the shop."
    signatures = {s.name: s for s in server.signatures}
    assert signatures["New"].text == "func New(addr string) *Server"
    assert signatures["New"].doc == "New makes a server listening on addr."
    assert signatures["Server.Start"].text == "func (s *Server) Start() error"
    assert signatures["Server"].text == "type Server struct" and signatures["Server"].line == 8
    assert signatures["ID"].doc == "ID names an order."
    assert not signatures["health"].exported and signatures["New"].exported
    (struct,) = server.schemas
    assert [(f.name, f.type) for f in struct.fields] == [
        ("Addr", "string"),
        ("mux", "*http.ServeMux"),
    ]
    assert [(r.method, r.path, r.handler) for r in server.routes] == [
        ("ANY", "/health", "health"),
        ("GET", "/orders/{id}", "s.order"),
    ]


def test_rust_module_doc_public_items_and_inherent_methods(code: Path) -> None:
    store = analysed(code, "store/src/lib.rs")
    assert store.doc == "The storage engine: pages on disk."
    signatures = {s.name: s for s in store.signatures}
    assert signatures["Store"].doc == "A key-value store."  # past the #[derive]
    assert signatures["Store.open"].text == "fn open(path: &str) -> Result<Store, Error>"
    assert signatures["Reader"].text == "trait Reader"
    assert "Store.grow" not in signatures
    assert not signatures["hidden"].exported
    assert [(f.name, f.optional) for f in store.schemas[0].fields] == [
        ("path", False),
        ("size", True),
    ]


def test_typescript_file_doc_jsdoc_and_exports(code: Path) -> None:
    router = analysed(code, "web/router.ts")
    assert router.doc == "Routing for the web app: maps paths to pages."
    signatures = {s.name: s for s in router.signatures}
    assert signatures["loadUsers"].doc == "Loads users, newest first."
    assert signatures["User"].text == "interface User" and signatures["User"].exported
    assert signatures["Session.open"].doc == "Opens it."
    assert not signatures["helper"].exported


def test_python_docstrings_give_their_first_sentence_past_titles_and_comments(code: Path) -> None:
    assert (
        analysed(code, "billing/__init__.py").doc
        == "Billing: invoices and payments, in one package."
    )
    invoices = analysed(code, "billing/invoices.py")
    assert invoices.doc == "Invoices: numbering and totals."
    titled = '"""\nrequests.adapters\n~~~~~~~~~~~~~~~~~\n\nThe transport adapters. More.\n"""\n'
    (code / "adapters.py").write_text(titled)  # a reStructuredText title is no sentence
    assert analysed(code, "adapters.py").doc == "The transport adapters."
    (code / "adapters.py").write_text("#   __\n#  /__)  art\n\n" + titled)  # nor a comment
    assert analysed(code, "adapters.py").doc == "The transport adapters."
    assert {s.name: s.exported for s in invoices.signatures}["_private"] is False


def test_the_map_keeps_each_folders_public_api_and_leaves_generated_and_tooling_out(
    code: Path,
) -> None:
    files = [str(p.relative_to(code)) for p in code.rglob("*") if p.is_file()]
    folders = {folder["folder"]: folder for folder in module_map(code, files)}
    assert sorted(folders) == ["billing", "doc", "server", "store/src", "web"]
    billing = folders["billing"]
    assert billing["doc"] == "Billing: invoices and payments, in one package."
    assert [m["path"] for m in billing["modules"]] == ["billing/__init__.py", "billing/invoices.py"]
    invoices = billing["modules"][1]
    assert [s["name"] for s in invoices["symbols"]] == ["Invoice", "Invoice.total", "next_number"]
    assert invoices["symbols"][0] == {
        "kind": "class",
        "name": "Invoice",
        "line": 4,
        "signature": "class Invoice",
        "doc": "An invoice sent to a customer.",
    }
    assert folders["server"]["doc"] == "Package server runs the HTTP API of the shop."
    assert folders["store/src"]["doc"] == "The storage engine: pages on disk."


def test_a_scan_maps_the_projects_own_code_and_memory_says_where_things_are_defined(
    lore: Lore, project: Project, code: Path
) -> None:
    GitRepo(code).commit(
        "examples and tests",
        {
            "examples/demo/app.py": '"""A demo app."""\ndef main(): ...\n',
            "tests/test_invoices.py": '"""Invoice tests."""\ndef test_x(): ...\n',
        },
    )
    lore.update_project(project.name, auto_learn=False)
    result = lore.scan(code, project=project)
    assert result.modules == 8 and {f["folder"] for f in result.code_map} == {
        "billing",
        "doc",  # a Go package named doc is code, not documentation
        "server",
        "store/src",
        "web",
    }
    enrich_now(lore, result.session_id)

    module = next(i for i in items(lore) if i.title.startswith("billing/invoices.py"))
    assert module.title == "billing/invoices.py: Invoices: numbering and totals."
    assert module.files == ["billing/invoices.py"]
    assert (
        "`class Invoice` at line 4: An invoice sent to a customer. Methods: total."
        in (module.data["facts"])
    )
    folder = next(i for i in items(lore) if i.title.startswith("billing/:"))
    assert "invoices.py (Invoices: numbering and totals.)" in " ".join(folder.data["facts"])
    assert not any("examples/" in i.title or "tests/" in i.title for i in items(lore))
    # a method of a type defined in another file is part of its own file's API
    routes = next(i for i in items(lore) if i.title.startswith("server/routes.go"))
    assert (
        "`func (s *Server) Routes()` at line 4: Routes registers every handler of the shop."
        in (routes.data["facts"])
    )
    # an undocumented one-function file is a line of its folder's item, not an item of its own
    assert not any(i.title.startswith("server/health.go") for i in items(lore))
    server = next(i for i in items(lore) if i.title.startswith("server/:"))
    assert "health.go (defines Health)" in " ".join(server.data["facts"])
    assert not any("server_test.go" in " ".join(i.data["facts"]) for i in items(lore))

    # every fact of a scan is an item: its events get no raw window repeating them
    assert lore.store.search.session_windows(result.session_id) == {}
    (hit,) = lore.recall(project, "where is the Invoice class defined", limit=1)
    assert hit.title == module.title

    again = lore.scan(code, project=project)
    assert again.duplicate and again.modules == 8


def test_a_project_linked_to_a_git_url_scans_its_working_copy(
    lore: Lore, lore_home: Path, tmp_path: Path
) -> None:
    upstream = GitRepo(tmp_path / "upstream")
    upstream.commit("first", {"billing/invoices.py": PY_INVOICES})
    project = lore.create_project("linked", repo=f"file://{upstream.root}")
    result = lore.scan(project=project)
    assert Path(result.root).is_relative_to(lore_home / "repos")
    assert [m["path"] for f in result.code_map for m in f["modules"]] == ["billing/invoices.py"]
