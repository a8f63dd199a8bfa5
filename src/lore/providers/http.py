"""The HTTP seam every hosted provider shares: one long-lived httpx client per provider, POST of
JSON with retries, and httpx's errors mapped into lore's tree.

Retried: 408, 429, 5xx (529 is Anthropic's "overloaded"), timeouts and connection errors, with
exponential backoff, jitter and ``Retry-After`` honoured (capped). Everything else fails at once.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from lore.errors import ProviderError, TransientProviderError

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504, 529})


class RejectedRequest(ProviderError):
    """The server answered 4xx: the request itself was refused (bad model, schema, key...)."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class _RetryableFailure(TransientProviderError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): the server's
        ``Retry-After`` when given, else exponential with jitter; never over the cap."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.backoff_max_s)
        exponential = self.backoff_base_s * 2.0**attempt
        return min(exponential * random.uniform(0.5, 1.0), self.backoff_max_s)


class JSONClient:
    """POSTs JSON to one provider and returns the decoded JSON answer."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        headers: dict[str, str],
        timeout_s: float,
        policy: RetryPolicy,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.policy = policy
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                return self._post_once(path, body)
            except _RetryableFailure as failure:
                if attempt >= self.policy.max_retries:
                    raise TransientProviderError(
                        f"{failure} (gave up after {attempt + 1} attempts)"
                    ) from None
                delay = self.policy.delay(attempt, failure.retry_after)
                log.warning("%s; retry %d in %.2f s", failure, attempt + 1, delay)
                time.sleep(delay)
                attempt += 1

    def close(self) -> None:
        self._http.close()

    def _post_once(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        where = f"{self.name} at {self.base_url}"
        try:
            response = self._http.post(path, json=body)
        except httpx.TimeoutException:
            raise _RetryableFailure(f"{where} timed out after {self.timeout_s:g} s") from None
        except httpx.TransportError as exc:
            raise _RetryableFailure(f"cannot reach {where}: {exc or type(exc).__name__}") from None
        if response.status_code in RETRYABLE_STATUS:
            raise _RetryableFailure(
                f"{where} answered {response.status_code}: {_detail(response)}",
                _retry_after(response),
            )
        if response.status_code >= 400:
            detail = _detail(response)
            raise RejectedRequest(
                f"{where} refused the request ({response.status_code}): {detail}",
                response.status_code,
                detail,
            )
        try:
            answer = response.json()
        except json.JSONDecodeError:
            raise ProviderError(
                f"{where} answered with malformed JSON: {response.text[:200]!r}"
            ) from None
        if not isinstance(answer, dict):
            raise ProviderError(f"{where} answered with JSON that is not an object")
        return answer


def _detail(response: httpx.Response) -> str:
    """The error message of an OpenAI- or Anthropic-style error body, else the raw text."""
    try:
        error = response.json().get("error")
    except (json.JSONDecodeError, AttributeError):
        return response.text[:300] or response.reason_phrase
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:500]
    return str(error or response.text)[:300]


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds, from either of its two forms (delta-seconds or a date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
