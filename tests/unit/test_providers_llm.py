"""The pieces of the LLM providers that need no server: retry timing, schemas, reply parsing,
configuration of the chain."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from lore.config import Settings
from lore.errors import ConfigError
from lore.providers.http import RetryPolicy
from lore.providers.llm import STEPS, build_llm
from lore.providers.llm.factory import effective_llm_settings
from lore.providers.llm.openai import strict_schema
from lore.providers.llm.structured import InvalidOutput, parse_reply


class Inner(BaseModel):
    label: str = "x"


class Outer(BaseModel):
    name: str
    default: int = 3  # a property named like the keyword that strict mode strips
    inner: Inner
    items: list[Inner] = []


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=5, backoff_base_s=1.0, backoff_max_s=5.0)
    for attempt, (low, high) in enumerate([(0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 5.0)]):
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(low <= d <= high for d in delays)
    assert len({policy.delay(1) for _ in range(20)}) > 1  # jitter
    assert policy.delay(10) == 5.0


def test_retry_after_wins_over_backoff_but_not_over_the_cap() -> None:
    policy = RetryPolicy(backoff_base_s=0.01, backoff_max_s=10.0)
    assert policy.delay(0, retry_after=4.0) == 4.0
    assert policy.delay(0, retry_after=60.0) == 10.0
    assert policy.delay(0, retry_after=-1.0) == 0.0


def test_strict_schema_closes_every_object_and_requires_every_property() -> None:
    schema = strict_schema(Outer.model_json_schema())
    assert schema["required"] == ["name", "default", "inner", "items"]
    assert schema["additionalProperties"] is False
    assert "default" in schema["properties"]  # the property survives
    assert "default" not in schema["properties"]["default"]  # its default value does not
    inner = schema["$defs"]["Inner"]
    assert inner["required"] == ["label"] and inner["additionalProperties"] is False
    assert "default" not in inner["properties"]["label"]
    assert Outer.model_json_schema()["required"] == ["name", "inner"]  # original untouched


@pytest.mark.parametrize(
    "reply",
    [
        '{"name": "a", "inner": {}}',
        '```json\n{"name": "a", "inner": {}}\n```',
        'Sure, here it is: {"name": "a", "inner": {}} Hope that helps.',
    ],
)
def test_replies_with_fences_or_prose_around_json_parse(reply: str) -> None:
    assert parse_reply(reply, Outer).name == "a"


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("", "empty"),
        ("no json here", "not valid JSON"),
        ('{"name": "a"}', "inner: Field required"),
        ('{"name": 1, "inner": {"label": 2}}', "name: Input should be a valid string"),
    ],
)
def test_invalid_replies_say_what_is_wrong(reply: str, problem: str) -> None:
    with pytest.raises(InvalidOutput, match=problem):
        parse_reply(reply, Outer)


def llm_settings(**llm: Any) -> Settings:
    return Settings(llm={"provider": "openai", "base_url": "http://127.0.0.1:9/v1", **llm})


def test_offline_is_the_default_and_builds_no_llm() -> None:
    assert Settings().llm.provider == "offline"
    assert build_llm(Settings()) is None


@pytest.mark.parametrize("field", ["model", "tiers", "steps", "fallbacks"])
def test_a_model_configured_while_offline_is_an_error(field: str) -> None:
    value: Any = {
        "model": "gpt-x",
        "tiers": {"small": "gpt-x"},
        "steps": {"annotate": "gpt-x"},
        "fallbacks": [{"model": "gpt-x"}],
    }[field]
    with pytest.raises(ConfigError, match=f"llm.{field} set but llm.provider is offline"):
        build_llm(Settings(llm={field: value}))


def test_a_provider_without_a_model_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no model is set"):
        build_llm(llm_settings())


@pytest.mark.parametrize(
    ("llm", "tier", "message"),
    [
        ({"model": "m", "steps": {"anotate": "x"}}, "small", "llm.steps.anotate is not a step"),
        ({"model": "m", "tiers": {"large": "x"}}, "small", "llm.tiers.large is not a tier"),
        ({"model": "m"}, "huge", "unknown model tier 'huge'"),
        (
            {"model": "m", "fallbacks": [{"base_url": "http://x"}]},
            "small",
            "fallbacks\\[0\\] has no model",
        ),
    ],
)
def test_typos_in_steps_tiers_and_fallbacks_are_refused(
    llm: dict[str, Any], tier: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build_llm(llm_settings(**llm), tier=tier)


def test_model_choice_per_step_tier_and_default() -> None:
    settings = llm_settings(
        model="base", tiers={"medium": "bigger"}, steps={"summarize": "summarizer"}
    )
    with build_llm(settings) as small, build_llm(settings, tier="medium") as medium:  # type: ignore[union-attr]
        assert small.model_for("annotate") == "base"
        assert medium.model_for("annotate") == "bigger"
        assert medium.model_for("summarize") == "summarizer"
        assert small.model_for("summarize") == "summarizer"


def test_tier_without_its_own_model_uses_the_default() -> None:
    with build_llm(llm_settings(model="base", tiers={"small": "tiny"}), tier="medium") as llm:  # type: ignore[union-attr]
        assert llm.model_for("deep_enrich") == "base"


def test_overrides_layer_over_config_and_merge_steps() -> None:
    base = llm_settings(model="base", steps={"annotate": "a1"}).llm
    merged = effective_llm_settings(
        base, {"llm.model": "session-model", "steps": {"summarize": "s1"}, "max_retries": 0}
    )
    assert (merged.model, merged.max_retries) == ("session-model", 0)
    assert merged.steps == {"annotate": "a1", "summarize": "s1"}
    assert effective_llm_settings(base, None) is base
    with pytest.raises(ConfigError, match=r"invalid LLM override llm\.max_retries"):
        effective_llm_settings(base, {"max_retries": "many"})


def test_overrides_can_turn_an_offline_config_online() -> None:
    llm = build_llm(
        Settings(), overrides={"provider": "openai", "model": "m", "base_url": "http://x/v1"}
    )
    assert llm is not None
    llm.close()


def test_an_override_can_turn_a_configured_model_off() -> None:
    configured = llm_settings(model="gpt-x")
    assert build_llm(configured, overrides={"provider": "offline"}) is None
    assert build_llm(configured, overrides={"llm.provider": "offline"}) is None
    with pytest.raises(ConfigError, match=r"llm\.model set but llm\.provider is offline"):
        build_llm(Settings(), overrides={"model": "gpt-x"})


def test_every_documented_step_is_known() -> None:
    assert STEPS == (
        "annotate", "extract_semantic", "extract_procedural", "score_return", "deep_enrich",
        "merge_intent", "classify_query", "refine_query", "summarize",
    )  # fmt: skip
