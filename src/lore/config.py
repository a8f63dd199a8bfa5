"""Settings: defaults, then ``$LORE_HOME/config.toml``, then ``.lore.toml``, then the environment.

Every value remembers the layer it came from, so ``lore config`` can show it. Nothing here reads
the environment at import time: ``load_settings()`` is called by whoever opens lore.

A repository's ``.lore.toml`` comes with the code, written by whoever committed it: the settings
that decide where data goes or who can reach it (``GUARDED``) are taken from it only once the
user trusts that file as it is (``lore trust``); until then they are ignored and reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from lore.errors import ConfigError
from lore.private import private_dir, private_file

PROJECT_FILE = ".lore.toml"
SECRET_KEYS = ("api_key", "token", "password")
# Where the memory is stored, who can reach the server, where text is sent (an LLM or embedding
# endpoint), what is kept out of it. A key ending in "." guards its whole section.
GUARDED = ("home", "database_url", "server.host", "llm.", "embedding.", "capture.exclude_paths")
# In the home: the project files the user trusts, each with the SHA-256 of its trusted content.
TRUST_FILE = "trusted.json"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CaptureSettings(Section):
    session_window_hours: float = 4.0
    max_payload_bytes: int = 256 * 1024
    max_batch: int = 500
    diff_max_chars: int = 3000
    digest_first_run: int = 5000
    exclude_paths: list[str] = Field(
        default_factory=lambda: [
            "*.env",
            ".env",
            ".env.*",
            "*.pem",
            "*.key",
            "*.p12",
            "*.pfx",
            "*.lock",
            "package-lock.json",
            "pnpm-lock.yaml",
            "yarn.lock",
            "poetry.lock",
            "uv.lock",
            "Cargo.lock",
            "go.sum",
            "node_modules/*",
            "dist/*",
            "*.png",
            "*.jpg",
            "*.jpeg",
            "*.gif",
            "*.ico",
            "*.pdf",
            "*.zip",
            "*.gz",
            "*.so",
            "*.dll",
            "*.exe",
            "*.bin",
            "*.onnx",
            "*.woff",
            "*.woff2",
        ]
    )


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8765
    run_worker: bool = True
    # A connection must send a whole request head this soon after opening (or after its last
    # response); idle keep-alive connections close after idle_timeout_s.
    header_timeout_s: float = Field(default=10.0, gt=0)
    idle_timeout_s: int = Field(default=5, ge=1)
    # Connections open at once; a new one past this is closed at once.
    max_connections: int = Field(default=512, ge=1)


class Credentials(Section):
    """An API key, given as is or by the name of the environment variable that holds it (how a
    session's override names one: a key itself is never stored with a session)."""

    api_key: str = ""
    api_key_env: str = ""

    def resolved_key(self) -> str:
        if self.api_key or not self.api_key_env:
            return self.api_key
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise ConfigError(f"the environment variable {self.api_key_env} (api_key_env) is unset")
        return key


class LLMEndpoint(Credentials):
    """One configured chat model. ``provider`` is ``openai`` (any OpenAI-compatible server) or
    ``anthropic``."""

    provider: Literal["openai", "anthropic"] = "openai"
    base_url: str = ""
    model: str = ""
    timeout_s: float = 60.0


class LLMSettings(Credentials):
    """No ``model`` means offline: the rule-based extractor does every step."""

    provider: Literal["openai", "anthropic", "offline"] = "offline"
    base_url: str = ""
    model: str = ""
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    max_output_tokens: int = 4096
    tiers: dict[str, str] = Field(default_factory=dict)
    steps: dict[str, str] = Field(default_factory=dict)
    fallbacks: list[LLMEndpoint] = Field(default_factory=list)
    code_model: str = ""


class EmbeddingSettings(Credentials):
    provider: Literal["local", "openai"] = "local"
    model: str = "all-MiniLM-L6-v2"
    base_url: str = ""
    batch_size: int = 32
    timeout_s: float = 30.0
    max_retries: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0


class SessionSettings(Section):
    boundary_threshold: float = 0.75
    append_timeout_s: float = 60.0
    max_pending_ops: int = 5
    trajectory_idle_s: float = 120.0
    session_idle_s: float = 600.0
    intent_merge_threshold: float = 0.8
    intent_identical_threshold: float = 0.95
    # A model that fails to annotate an appended step: "fallback" annotates it by the rules and
    # records the error on the step; "raise" fails the append with it (as Mnemosyne does).
    annotation_failure: Literal["fallback", "raise"] = "fallback"


class PipelineSettings(Section):
    chunk_size: int = 10
    evidence_max_chars: int = 2000
    auto_learn_interval_s: float = 600.0
    # Sources whose sessions auto-learn enriches by itself ("*": every source).
    auto_enrich_sources: list[str] = Field(default_factory=lambda: ["*"])
    lease_s: float = 120.0
    max_attempts: int = 3
    retry_backoff_s: float = 5.0
    retry_backoff_max_s: float = 300.0
    worker_poll_s: float = 1.0
    in_process_worker: bool = True
    # Embed also indexes raw-event windows for recall (one long text per event: the costliest
    # part of enrichment offline); off, recall finds items and steps only.
    event_windows: bool = True
    dedup_exact: bool = True
    dedup_near_threshold: float = 0.92
    auto_approve_confidence: float | None = None


class RecallSettings(Section):
    limit: int = 10
    min_similarity: float = 0.0
    brain_l0_tokens: int = 500
    brain_l1_tokens: int = 1500
    brain_l2_tokens: int = 2000
    context_pack_tokens: int = 4000
    # Fusion and candidates (docs/retrieval.md: how each value was chosen).
    dense_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    pool_depth: int = Field(default=64, ge=1)
    max_covered_share: float = Field(default=0.5, ge=0.0, le=1.0)
    # Later over earlier (fusion.current_first): among the first `supersede_window` results, one
    # a day or more later about the same thing (cosine of the two >= `supersede_similarity`)
    # moves above a better one when it scores at least `supersede_ratio` of it. 0 turns it off.
    supersede_window: int = Field(default=10, ge=0)
    supersede_ratio: float = Field(default=0.7, ge=0.0, le=1.0)
    supersede_similarity: float = Field(default=0.5, ge=-1.0, le=1.0)
    identifier_weight: float = 0.3
    # Full-text terms are scored rarest first while the rows they match fit in this budget.
    lexical_budget: int = Field(default=1_000, ge=1)
    graph_weight: float = 0.3
    graph_hop_decay: float = 0.5
    # Episode windows: an event and its neighbours within this radius, each cut to this length.
    window_radius: int = Field(default=1, ge=0)
    window_event_chars: int = 1500
    # The value function: relevance x recency x frequency x reward x confidence x status.
    half_life_days: dict[str, float] = Field(
        default_factory=lambda: {
            "semantic": 365.0,
            "procedural": 365.0,
            "episodic": 90.0,
            "source": 180.0,
        }
    )
    recency_floor: float = Field(default=0.7, ge=0.0, le=1.0)
    # Raw records (windows, steps) get no frequency boost: how often one is returned says more
    # about how generic its text is than about its worth, and boosting it feeds that back.
    frequency_weight: dict[str, float] = Field(
        default_factory=lambda: {
            "semantic": 0.05,
            "procedural": 0.05,
            "episodic": 0.0,
            "source": 0.0,
        }
    )
    frequency_cap: float = 1.25
    reward_weight: float = 0.2
    confidence_weight: float = 0.3
    status_weight: dict[str, float] = Field(
        default_factory=lambda: {
            "approved": 1.0,
            "draft": 0.9,
            "review": 0.8,
            "archived": 0.6,
            "deprecated": 0.5,
        }
    )
    active_files_boost: float = 0.25
    query_cache_size: int = 512
    # Results with no hit found by the query's words or identifiers and none this similar in
    # meaning are no good match: search says so (recall.models.good_match).
    good_match_similarity: float = Field(default=0.3, ge=-1.0, le=1.0)
    # Past this many vectors a project's dense search runs on an approximate nearest-neighbour
    # index saved in the home (lore.recall.ann) instead of the exact matrix.
    ann_min_vectors: int = Field(default=20_000, ge=0)
    classify_with_llm: bool = False


class ServiceSettings(Section):
    """The local service (``lore.service``): runs enrichment jobs, answers hooks, MCP and CLI."""

    # Start it when a job is queued and no worker of this process will run it.
    autostart: bool = True
    # It stops after this long without requests, once no job is queued or running.
    idle_s: float = Field(default=900.0, gt=0)


DEFAULT_HOME = Path("~/.lore")


class Settings(Section):
    home: Path = DEFAULT_HOME
    database_url: str = ""
    project: str = ""
    capture: CaptureSettings = Field(default_factory=CaptureSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    sessions: SessionSettings = Field(default_factory=SessionSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    recall: RecallSettings = Field(default_factory=RecallSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)

    @property
    def db_path(self) -> Path:
        """The SQLite file: ``database_url`` when it is a path or ``sqlite:///`` URL."""
        return database_file(self.database_url) if self.database_url else self.home / "lore.db"

    @property
    def database(self) -> str:
        """The database lore opens: the PostgreSQL URL ``database_url`` names, else the SQLite
        file's path. ``shown_database`` is the form for messages."""
        if self.database_url and is_postgres(self.database_url):
            return self.database_url
        return str(self.db_path)

    @property
    def token_path(self) -> Path:
        return self.home / "token"


class LoadedSettings(BaseModel):
    """Settings plus, for every dotted key set by a layer, the layer's name."""

    settings: Settings
    sources: dict[str, str]
    project_file: Path | None = None
    # Guarded keys the project file sets, left out because the file is not trusted.
    ignored: list[str] = Field(default_factory=list)

    def source_of(self, key: str) -> str:
        return self.sources.get(key, "default")


# The short environment names users know from other tools; everything else is LORE_SECTION__KEY.
ENV_ALIASES = {
    "LORE_HOME": "home",
    "LORE_DATABASE_URL": "database_url",
    "LORE_PROJECT": "project",
    "LORE_LLM_PROVIDER": "llm.provider",
    "LORE_LLM_BASE_URL": "llm.base_url",
    "LORE_LLM_API_KEY": "llm.api_key",
    "LORE_LLM_MODEL": "llm.model",
    "LORE_EMBEDDING_PROVIDER": "embedding.provider",
    "LORE_EMBEDDING_MODEL": "embedding.model",
    "LORE_EMBEDDING_BASE_URL": "embedding.base_url",
    "LORE_EMBEDDING_API_KEY": "embedding.api_key",
}


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def shown_database(database: str) -> str:
    """A database path or URL as messages show it: without a password."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", database)


def database_file(url: str) -> Path:
    """The SQLite file a database URL names: a path or a ``sqlite:///`` URL."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).expanduser()
    if "://" in url:
        raise ConfigError(f"unsupported database URL scheme in {url.split('://')[0]!r}")
    return Path(url).expanduser()


def load_settings(
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Merge the layers in order; later layers win. ``overrides`` (dotted keys) come last."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}

    env_layer = _env_layer(env)
    home = Path(env_layer.get("home", "~/.lore")).expanduser()
    _apply(merged, sources, {"home": str(home)}, "default")

    home_file = home / "config.toml"
    _apply(merged, sources, _flatten(_read_toml(home_file)), str(home_file))

    project_file = find_project_file(cwd)
    ignored: list[str] = []
    if project_file is not None:
        content = _read_bytes(project_file)
        data = _parse_toml(content, project_file)
        layer = _flatten(data.get("config", {}))
        if "project" in data:
            layer["project"] = data["project"]
        if not is_trusted(home, project_file, content):
            ignored = sorted(key for key in layer if is_guarded(key))
            layer = {key: value for key, value in layer.items() if key not in ignored}
        _apply(merged, sources, layer, str(project_file))

    _apply(merged, sources, env_layer, "environment")
    _apply(merged, sources, dict(overrides or {}), "command line")
    try:
        settings = Settings.model_validate(_nest(merged))
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None
    settings.home = settings.home.expanduser()
    return LoadedSettings(
        settings=settings, sources=sources, project_file=project_file, ignored=ignored
    )


def is_guarded(key: str) -> bool:
    return any(key == name or (name.endswith(".") and key.startswith(name)) for name in GUARDED)


def guarded_keys(project_file: Path) -> list[str]:
    """The guarded settings a project file sets."""
    data = _parse_toml(_read_bytes(project_file), project_file)
    return sorted(key for key in _flatten(data.get("config", {})) if is_guarded(key))


def is_trusted(home: Path, project_file: Path, content: bytes) -> bool:
    """Whether the user trusts this file with this content (an edit needs trusting again)."""
    trusted = _read_trusted(home)
    return trusted.get(str(project_file.resolve())) == hashlib.sha256(content).hexdigest()


def trust(home: Path, project_file: Path, *, trusted: bool = True) -> None:
    """Trust the project file as it is now (or stop trusting it)."""
    entries = _read_trusted(home)
    key = str(project_file.resolve())
    if trusted:
        entries[key] = hashlib.sha256(_read_bytes(project_file)).hexdigest()
    else:
        entries.pop(key, None)
    temporary = private_file(private_dir(home) / f".{TRUST_FILE}.{os.getpid()}")
    temporary.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    temporary.replace(home / TRUST_FILE)


def _read_trusted(home: Path) -> dict[str, str]:
    path = home / TRUST_FILE
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(entries, dict):
        raise ConfigError(f"{path} is not a JSON object of files and their SHA-256")
    return {str(key): str(value) for key, value in entries.items()}


def find_project_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def describe(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """(dotted key, shown value, source) for every leaf setting; secrets are masked."""
    rows = []
    for key, value in _flatten(loaded.settings.model_dump(mode="json")).items():
        rows.append((key, _shown(key, value), loaded.source_of(key)))
    return rows


def _shown(key: str, value: Any) -> str:
    if any(key.endswith(secret) for secret in SECRET_KEYS) and value:
        return "****"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return f"[{len(value)} entries]"
    if isinstance(value, str):
        return _without_userinfo(value)
    return str(value)


def _without_userinfo(value: str) -> str:
    """A URL with ``user:password@`` masked (database and provider URLs may carry one)."""
    scheme, sep, rest = value.partition("://")
    host, at, tail = rest.partition("@")
    if not sep or not at or "/" in host:
        return value
    return f"{scheme}://****@{tail}"


def _env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, value in env.items():
        if name in ENV_ALIASES:
            layer[ENV_ALIASES[name]] = value
        elif name.startswith("LORE_") and "__" in name:
            layer[name.removeprefix("LORE_").lower().replace("__", ".")] = value
    return layer


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return _parse_toml(_read_bytes(path), path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def _parse_toml(content: bytes, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(content.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and key not in ("tiers", "steps"):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def _apply(
    merged: dict[str, Any], sources: dict[str, str], layer: Mapping[str, Any], source: str
) -> None:
    for key, value in layer.items():
        merged[key] = value
        sources[key] = source
