"""The fakes answer the credential checks in the vendors' wire format: Twilio's account fetch
(`GET /2010-04-01/Accounts/{Sid}.json`) and Slack's `auth.test`, and refuse a wrong token as the
vendors do (401 with code 20003; `invalid_auth`)."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.providers import ACCOUNT_SID, SLACK_TOKEN


def twilio(providers: FakeProviders, token: str) -> Client:
    client = Client(ACCOUNT_SID, token)
    client.api.base_url = providers.twilio_base_url
    return client


def test_the_fake_twilio_answers_the_account_fetch_as_twilio_does(
    providers: FakeProviders,
) -> None:
    account = twilio(providers, "any-token").api.accounts(ACCOUNT_SID).fetch()
    assert account.sid == ACCOUNT_SID
    assert account.status == "active" and account.type == "Full"
    assert account.owner_account_sid == ACCOUNT_SID
    assert account.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"
    assert account.date_created is not None


def test_the_fake_twilio_refuses_a_wrong_auth_token_everywhere(providers: FakeProviders) -> None:
    providers.require_credentials(twilio_auth_token="the-right-token")
    with pytest.raises(TwilioRestException) as refused:
        twilio(providers, "a-wrong-token").api.accounts(ACCOUNT_SID).fetch()
    assert refused.value.status == 401 and refused.value.code == 20003
    with pytest.raises(TwilioRestException) as refused_send:
        twilio(providers, "a-wrong-token").messages.create(
            to="+5511999990001", from_="+15005550006", body="hello"
        )
    assert refused_send.value.code == 20003
    assert twilio(providers, "the-right-token").api.accounts(ACCOUNT_SID).fetch().sid
    # A reset forgets the requirement, as it forgets faults.
    providers.reset()
    assert twilio(providers, "a-wrong-token").api.accounts(ACCOUNT_SID).fetch().sid


def test_a_fault_can_refuse_the_account_fetch(providers: FakeProviders) -> None:
    providers.add_fault("sms", method="accounts.fetch", twilio_code=20003)
    with pytest.raises(TwilioRestException) as refused:
        twilio(providers, "any-token").api.accounts(ACCOUNT_SID).fetch()
    assert refused.value.status == 401


def test_the_fake_slack_refuses_a_wrong_token_with_invalid_auth(providers: FakeProviders) -> None:
    providers.require_credentials(slack_token=SLACK_TOKEN)
    right = WebClient(token=SLACK_TOKEN, base_url=providers.slack_base_url)
    assert right.auth_test()["user_id"]
    wrong = WebClient(token="xoxb-wrong", base_url=providers.slack_base_url)
    with pytest.raises(SlackApiError) as refused:
        wrong.auth_test()
    assert refused.value.response["error"] == "invalid_auth"
