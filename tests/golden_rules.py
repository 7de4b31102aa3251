"""The rules of /work/shared/COMMS.md, checked mechanically on each golden message.

Each rule takes one `Golden` and returns what is wrong with it ("" when nothing). The texts
staff or monitoring wrote (the update's message, the incident's title and summary) are quoted
as written: no rule judges their language or their times, only whether they are there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from outage_notify.core.models import STAFF_KINDS, ChannelName, UpdateKind
from outage_notify.messages.filters import format_time
from outage_notify.messages.planning import STAFF
from tests.golden_messages import Golden, scenario
from tests.golden_scenario import EVENT_ERROR

Rule = Callable[[Golden], str]
TIME = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
# After a time: " GMT", " (EDT)", " UTC-3", " BST".
ZONE_AFTER = re.compile(r"\s*\(?(?:[A-Z]{2,5}|UTC|GMT)(?:[+-]\d{1,2}(?::?\d{2})?)?\b")
ELLIPSES = ("…", "...")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# A colon ends a sentence ("Reach IT: ..."), unless it is inside a time.
SENTENCE_END = re.compile(r"[.!?;\n•]+|:(?!\d)")
URL = re.compile(r"https?://\S+")
# Frequent words of each language in our messages; a word two languages share counts for
# neither (see `_distinct`). A sentence is foreign when it has two or more words of another
# language and more of them than of the reader's.
STOP_WORDS = {
    "en": """the and is are not to of with you your we our by for will has have been again since
        please may be it in on at yet still working works reach meanwhile update next expected
        from down this that reply confirm send sent normal normally estimate new changed fix
        hotline help late arrive arriving receiving sending email outage our us resume""",
    "pt": """o os as de do da dos das não é está estão para com por que você vocês nós em na até
        ainda fora ar prevista previsto hora aviso enquanto isso fale e-mail e-mails recebimento
        envio já foi voltou desde seu sua mensagens mensagem pelo pela uma um mais novo nova
        funciona normalmente obrigado responda atualização falha serviço""",
    "es": """de el la los las del y es está están para con por que usted ustedes nosotros hasta
        todavía correo funciona mientras tanto aviso hora su sus mensajes mensaje una un más
        nuevo nueva gracias responda actualización falla desde ya servicio""",
}
# Words that announce a change of ETA: wrong for the first one (issue 14, item 2).
CHANGE_WORDS = {
    "en": ("changed", "new estimate", "has changed"),
    "pt": ("mudou", "nova previsão", "alterad"),
    "es": ("cambió", "nueva estimación", "cambiado"),
}


def _distinct() -> dict[str, frozenset[str]]:
    words = {language: frozenset(text.split()) for language, text in STOP_WORDS.items()}
    return {
        language: own - frozenset().union(*(w for other, w in words.items() if other != language))
        for language, own in words.items()
    }


DISTINCT = _distinct()


def quoted(golden: Golden) -> tuple[str, ...]:
    """The texts staff or monitoring wrote, as this message may quote them."""
    step = golden.step
    texts: tuple[str, ...] = (step.staff_text, step.incident.title, step.incident.summary)
    if step.kind is UpdateKind.EVENT_FAILED:
        # The error is the code's or the database's own words, quoted as they were.
        texts += (EVENT_ERROR,)
    return tuple(text for text in texts if text)


def _without_quotes(golden: Golden) -> str:
    body = " ".join(golden.message.body.split())
    for text in sorted(quoted(golden), key=len, reverse=True):
        whole = " ".join(text.split())
        body = body.replace(whole, " ")
        # Fitting may have shortened the quote to the budget, ending with an ellipsis.
        for cut in range(len(whole) - 1, 19, -1):
            shortened = [whole[:cut].rstrip() + ellipsis for ellipsis in ELLIPSES]
            found = next((piece for piece in shortened if piece in body), None)
            if found is not None:
                body = body.replace(found, " ")
                break
    body = body.replace(scenario().settings.organisation_name, " ")
    return URL.sub(" ", body)


def staff_text_present(golden: Golden) -> str:
    """COMMS: when staff wrote a text, every audience that gets the update gets it."""
    text = " ".join(golden.step.staff_text.split())
    if not text or golden.audience == STAFF:
        return ""
    body = " ".join(golden.message.body.split())
    if text in body:
        return ""
    # Fitting may shorten it to the budget, ending with an ellipsis and a link: still there.
    for cut in range(len(text) - 1, 19, -1):
        if any(text[:cut].rstrip() + ellipsis in body for ellipsis in ELLIPSES):
            return ""
    return f"the staff text {text!r} is missing"


def zone_when_not_the_organisations(golden: Golden) -> str:
    """COMMS: times in the reader's zone, with its abbreviation when not the organisation's."""
    if golden.zone == scenario().settings.timezone:
        return ""
    body = _without_quotes(golden)
    bare = [m.group() for m in TIME.finditer(body) if not ZONE_AFTER.match(body, m.end())]
    if bare:
        return f"a reader in {golden.zone} gets times without a zone: {', '.join(bare)}"
    return ""


def no_past_eta_as_expected(golden: Golden) -> str:
    """COMMS: a passed ETA is never repeated as if it still held."""
    step = golden.step
    if golden.audience == STAFF or step.kind in STAFF_KINDS:
        return ""
    # Every ETA the story ever gave, and this update's: those passed by now must not be shown
    # (a reopen once re-announced the ETA from before the resolution).
    given = {other.update.eta for other in scenario().steps} | {step.update.eta}
    passed = sorted(eta for eta in given if eta is not None and eta <= step.now)
    body = _without_quotes(golden)
    for eta in passed:
        # As the reader's zone writes it; a reader elsewhere reads every time with its zone, so
        # a bare organisation time ("17:02") in "since 17:02 GMT" is another moment.
        local = ZoneInfo(golden.zone)
        shown = format_time(eta, zone=local, now=step.now, locale=golden.message.locale)
        if re.search(rf"(?<![\d:]){re.escape(shown)}(?![\d:])", body):
            return (
                f"the ETA {shown} ({golden.zone}) passed at {step.now:%H:%M} UTC and is still shown"
            )
    return ""


def sms_within_budget(golden: Golden) -> str:
    """The SMS takes no more segments than its audience's budget (SMS_MAX_SEGMENTS/routing)."""
    message = golden.message
    if message.channel is not ChannelName.SMS or golden.budget_segments is None:
        return ""
    if message.segments > golden.budget_segments:
        return f"{message.segments} segments, over the budget of {golden.budget_segments}"
    return ""


def users_sms_short(golden: Golden) -> str:
    """COMMS: a users' SMS fits in two GSM-7 segments for an ordinary update (item 11)."""
    message = golden.message
    plain = golden.step.kind is UpdateKind.UPDATE and golden.audience == "users"
    if not plain or message.channel is not ChannelName.SMS:
        return ""
    if message.encoding != "GSM-7" or message.segments > 2:
        return f"{message.encoding}, {message.segments} segments (want GSM-7, at most 2)"
    return ""


def language(golden: Golden) -> str:
    """COMMS: the reader's language, entirely: no sentence in another language."""
    own = golden.message.locale.split("-")[0].lower()
    if own not in DISTINCT:
        return f"no stop words for {own!r}: add them to STOP_WORDS in tests/golden_rules.py"
    foreign = []
    for sentence in SENTENCE_END.split(_without_quotes(golden)):
        words = [word.lower() for word in WORD.findall(sentence)]
        ours = sum(word in DISTINCT[own] for word in words)
        for other, vocabulary in DISTINCT.items():
            theirs = sum(word in vocabulary for word in words)
            if other != own and theirs >= 2 and theirs > ours:
                foreign.append(f"{sentence.strip()!r} ({other})")
    return "; ".join(foreign) and f"sentences in another language: {'; '.join(foreign)}"


def no_sentence_twice(golden: Golden) -> str:
    """COMMS: no sentence says the same thing twice (title, summary, staff text, lists)."""
    seen: set[str] = set()
    twice = []
    text = f"{golden.message.title}\n{golden.message.body}"
    for sentence in SENTENCE_END.split(URL.sub(" ", text)):
        words = " ".join(word.lower() for word in WORD.findall(sentence))
        if len(words.split()) >= 3:
            if words in seen:
                twice.append(repr(sentence.strip(" *")))
            seen.add(words)
    return f"said twice: {', '.join(twice)}" if twice else ""


def first_eta_not_a_change(golden: Golden) -> str:
    """Issue 14 item 2: the first ETA is announced as an estimate, not as a change."""
    steps = scenario().steps
    index = steps.index(golden.step)
    first = golden.step.update.eta is not None and all(
        step.update.eta is None for step in steps[:index]
    )
    if not first or golden.audience == STAFF:
        return ""
    own = golden.message.locale.split("-")[0].lower()
    body = _without_quotes(golden).lower()
    said = [words for words in CHANGE_WORDS.get(own, ()) if words in body]
    return f"the first ETA is announced as a change ({', '.join(said)})" if said else ""


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        staff_text_present,
        zone_when_not_the_organisations,
        no_past_eta_as_expected,
        sms_within_budget,
        users_sms_short,
        language,
        no_sentence_twice,
        first_eta_not_a_change,
    )
}
