"""The one translation of provider HTTP failures, shared by the LLM, speech and image adapters."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from mediamill.errors import BadInput, ProviderError, ProviderRefused
from mediamill.providers.http import check_status, provider_http_errors, retry_after_s


def response(status: int, body: object = None, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body or {"error": {"message": "scripted"}}, headers=headers,
                          request=httpx.Request("POST", "http://provider.test/v1/x"))


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retryable_provider_errors(status):
    with pytest.raises(ProviderError, match=f"HTTP {status}: scripted") as caught:
        check_status(response(status), "prov")
    assert caught.value.retryable and not isinstance(caught.value, BadInput)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_wrong_key_model_or_url_is_a_refusal_no_retry_can_fix(status):
    with pytest.raises(ProviderRefused, match=f"HTTP {status}: scripted") as caught:
        check_status(response(status), "prov")
    assert isinstance(caught.value, ProviderError) and not isinstance(caught.value, BadInput)
    assert caught.value.retryable is False and caught.value.field == "provider"


@pytest.mark.parametrize("status", [400, 413, 422])
def test_other_4xx_refuse_the_request_itself(status):
    with pytest.raises(BadInput, match=f"HTTP {status}: scripted") as caught:
        check_status(response(status), "prov")
    assert type(caught.value) is BadInput and caught.value.retryable is False


def test_a_429_keeps_its_retry_after_in_seconds_or_as_a_date():
    with pytest.raises(ProviderError, match=r"retry after 7 s") as caught:
        check_status(response(429, headers={"Retry-After": "7"}), "prov")
    assert caught.value.retry_after_s == 7
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_s(response(503, headers={"Retry-After": later})) <= 31
    assert retry_after_s(response(503, headers={"Retry-After": "soon"})) is None


def test_successes_pass_and_raise_for_status_is_translated_too():
    check_status(response(200), "prov")
    with pytest.raises(ProviderRefused, match="HTTP 401"), provider_http_errors("prov"):
        response(401).raise_for_status()


def test_timeouts_and_unreachable_hosts_are_retryable():
    with pytest.raises(ProviderError, match="did not answer within 2 s") as caught, provider_http_errors("prov", 2):
        raise httpx.ReadTimeout("slow")
    assert caught.value.retryable
    with pytest.raises(ProviderError, match="could not be reached") as caught, provider_http_errors("prov"):
        raise httpx.ConnectError("refused")
    assert caught.value.retryable
