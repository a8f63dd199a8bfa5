"""``build_llm``: the configured chain of chat models, or None when lore runs offline.

The model for a step is ``llm.steps[step]``, else ``llm.tiers[tier]``, else ``llm.model``;
fallback endpoints use their own ``model`` for every step. Providers are chosen by name from
config, never guessed: a model configured while ``llm.provider`` is ``offline`` is an error.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticValidationError

from lore.config import LLMEndpoint, LLMSettings, Settings
from lore.errors import ConfigError
from lore.providers.accounting import CallRecorder
from lore.providers.http import JSONClient, RetryPolicy
from lore.providers.llm.anthropic import API_VERSION, AnthropicChat
from lore.providers.llm.base import STEPS, ChatClient
from lore.providers.llm.llm import LLM, Route
from lore.providers.llm.openai import OpenAIChat

TIERS = ("small", "medium")
DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}


def build_llm(
    settings: Settings,
    *,
    tier: str = "small",
    recorder: CallRecorder | None = None,
    overrides: dict[str, Any] | None = None,
) -> LLM | None:
    """The LLM for a project of ``tier``; ``overrides`` are ``llm`` settings (a session's or a
    command's) laid over the configured ones. None means offline: use the rule-based extractor."""
    llm = effective_llm_settings(settings.llm, overrides)
    if llm.provider == "offline":
        if not _asks_for_offline(overrides):
            _refuse_half_configured(llm)
        return None
    _check_names(llm, tier)
    policy = RetryPolicy(llm.max_retries, llm.backoff_base_s, llm.backoff_max_s)
    default = llm.tiers.get(tier) or llm.model
    if not default:
        raise ConfigError(f"llm.provider is {llm.provider} but no model is set (llm.model)")
    primary = LLMEndpoint(
        provider=llm.provider,
        base_url=llm.base_url,
        api_key=llm.resolved_key(),
        model=default,
        timeout_s=llm.timeout_s,
    )
    routes = [Route(chat_client(primary, policy, llm.max_output_tokens), default, dict(llm.steps))]
    for index, endpoint in enumerate(llm.fallbacks):
        if not endpoint.model:
            raise ConfigError(f"llm.fallbacks[{index}] has no model")
        client = chat_client(endpoint, policy, llm.max_output_tokens)
        routes.append(Route(client, endpoint.model))
    return LLM(routes, recorder=recorder)


def effective_llm_settings(llm: LLMSettings, overrides: dict[str, Any] | None) -> LLMSettings:
    """``llm`` with ``overrides`` applied (keys may carry an ``llm.`` prefix; ``tiers`` and
    ``steps`` merge into the configured ones)."""
    if not overrides:
        return llm
    merged = llm.model_dump()
    for key, value in overrides.items():
        name = key.removeprefix("llm.")
        if name in ("tiers", "steps") and isinstance(value, dict):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    try:
        return LLMSettings.model_validate(merged)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"invalid LLM override llm.{where}: {first['msg']}") from None


def chat_client(endpoint: LLMEndpoint, policy: RetryPolicy, max_tokens: int) -> ChatClient:
    """The vendor client for one endpoint, with its own long-lived HTTP connection pool."""
    url = endpoint.base_url or DEFAULT_BASE_URLS[endpoint.provider]
    timeout_s = endpoint.timeout_s
    key = endpoint.resolved_key()
    if endpoint.provider == "anthropic":
        headers = {"x-api-key": key, "anthropic-version": API_VERSION}
        http = JSONClient(
            "anthropic",
            url.removesuffix("/v1"),
            headers=headers,
            timeout_s=timeout_s,
            policy=policy,
        )
        return AnthropicChat(http, max_tokens=max_tokens)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return OpenAIChat(
        JSONClient("openai", url, headers=headers, timeout_s=timeout_s, policy=policy)
    )


def _refuse_half_configured(llm: LLMSettings) -> None:
    configured = [
        name
        for name, value in (
            ("llm.model", llm.model),
            ("llm.tiers", llm.tiers),
            ("llm.steps", llm.steps),
            ("llm.fallbacks", llm.fallbacks),
        )
        if value
    ]
    if configured:
        raise ConfigError(
            f"{', '.join(configured)} set but llm.provider is offline: set llm.provider"
            " (LORE_LLM_PROVIDER) to openai or anthropic, or remove them"
        )


def _asks_for_offline(overrides: dict[str, Any] | None) -> bool:
    """A session or command may turn the LLM off even where config names a model."""
    overrides = overrides or {}
    return "offline" in (overrides.get("provider"), overrides.get("llm.provider"))


def _check_names(llm: LLMSettings, tier: str) -> None:
    """Unknown tiers and steps are typos that would silently use the default model."""
    if tier not in TIERS:
        raise ConfigError(f"unknown model tier {tier!r}; tiers are {', '.join(TIERS)}")
    for name in llm.tiers:
        if name not in TIERS:
            raise ConfigError(f"llm.tiers.{name} is not a tier; tiers are {', '.join(TIERS)}")
    for name in llm.steps:
        if name not in STEPS:
            raise ConfigError(f"llm.steps.{name} is not a step; steps are {', '.join(STEPS)}")
