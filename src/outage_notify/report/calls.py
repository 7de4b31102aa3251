"""The report's phone-call figures (voice escalation, issue 20): one per audience, in its
coverage, the same numbers `store.call_coverage` counts for the incident page and the API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CalledFigure(BaseModel):
    """Someone still unreached after their calls."""

    name: str
    calls: int = Field(
        description="Calls placed to them (that rang, or may have), none answered with a "
        "keypress; calls Twilio refused are not counted."
    )


class CallFigure(BaseModel):
    """Voice escalation's calls to one audience: each call counted once (`voice_calls`)."""

    people: int = Field(0, description="Contacts phoned at least once.")
    placed: int = Field(
        0,
        description="Calls handed to Twilio that it took, or may have (no answer to the "
        "request); not those it refused.",
    )
    answered: int = Field(
        0, description="Calls a person picked up: pressed 1, or hung up without (not voicemail)."
    )
    confirmed: int = Field(0, description="Answered and pressed 1: acknowledged by keypress.")
    no_answer: int = Field(0, description="Rang out (Twilio `no-answer`).")
    busy: int = Field(0, description="The line was busy.")
    voicemail: int = Field(0, description="A voicemail greeting answered (`AnsweredBy=machine_*`).")
    failed: int = Field(0, description="Twilio refused to place the call or reported it failed.")
    in_progress: int = Field(0, description="Placed, or about to be, with no outcome yet.")
    unreached: list[CalledFigure] = Field(
        default_factory=list,
        description="Contacts still unreached once their calls ended without a keypress "
        "(at least one rang): also in the audience's `unreached`.",
    )
