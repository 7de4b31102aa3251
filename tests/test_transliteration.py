"""GSM-7 transliteration: Portuguese loses only the letters GSM-7 lacks, and costs less."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from outage_notify.channels.capacity import default_budget
from outage_notify.core.models import ChannelName, UpdateKind
from outage_notify.messages.rendering import Renderer
from outage_notify.messages.samples import sample_contexts
from outage_notify.messages.sms_encoding import GSM7_BASIC, GSM7_EXTENSION, measure_sms
from outage_notify.messages.transliteration import gsm7_form, transliterate_sms

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("não", "nao"),
        ("conexões", "conexoes"),
        ("ação", "acao"),
        ("migração", "migracao"),
        ("já está disponível", "ja esta disponivel"),
        ("você", "voce"),
        ("próximo", "proximo"),
        ("pôr", "por"),
        ("único", "unico"),
        ("âmbito", "ambito"),
        ("NÃO ÁREA ÊXITO ÍNDICE ÓTIMO", "NAO AREA EXITO INDICE OTIMO"),
        ("ÔNIBUS ÚTIL ÂNCORA ÕES", "ONIBUS UTIL ANCORA OES"),
        # GSM-7 letters stay: é É à Ç ü (and capital Ç keeps its cedilla).
        ("até às 14:30", "até às 14:30"),
        ("É AÇÃO", "É AÇAO"),
        ("Güther à la café", "Güther à la café"),
        # Decomposed input (e + combining acute) is composed, not stripped.
        ("e\u0301 ate\u0301", "é até"),
        # Typography from word processors and phones.
        ("\u201cfora do ar\u201d", '"fora do ar"'),
        ("d\u2019água", "d'agua"),
        ("14:00\u201315:00 \u2014 previsão", "14:00-15:00 - previsao"),
        ("aguarde\u2026", "aguarde..."),
        ("1\u00ba andar", "1o andar"),
        ("R$\u00a0100", "R$ 100"),
    ],
)
def test_portuguese_and_typography_become_gsm7(text: str, expected: str) -> None:
    assert gsm7_form(text) == expected
    assert transliterate_sms(text) == expected
    assert measure_sms(expected).encoding == "GSM-7"


@pytest.mark.parametrize(
    "text",
    [
        "Email is down; next update by 14:30. Call +55 11 4000-1234.",
        "Serviço? No: até às 14:30 Ç é É à ü Ü ö Ö ä Ä ñ Ñ å Å ø Ø æ Æ ß è ù ì ò",
        "Greek ΔΦΓΛΩΠΨΣΘΞ, money £$¥€¤, signs @§¡¿ and {[~|^\\]}",
        "".join(sorted(GSM7_BASIC | GSM7_EXTENSION)),
    ],
)
def test_gsm7_text_is_never_changed(text: str) -> None:
    gsm7 = text.replace("Serviço", "Servico")
    assert transliterate_sms(gsm7) == gsm7
    assert gsm7_form(gsm7) == gsm7


@pytest.mark.parametrize(
    ("text", "expected_form"),
    [
        # Mixed: what has a GSM-7 form gets it, what has none is left as it is.
        ("Falha 🔥 na migração", "Falha 🔥 na migracao"),
        ("Equipe 东京 avisará", "Equipe 东京 avisara"),
        ("œuvre ação", "œuvre acao"),
    ],
)
def test_characters_without_a_gsm7_form_are_left_alone(text: str, expected_form: str) -> None:
    assert gsm7_form(text) == expected_form
    # The message stays UCS-2 either way, at the same cost, so it keeps its accents.
    assert transliterate_sms(text) == text
    assert measure_sms(text).encoding == "UCS-2"


def test_a_typical_pt_br_sms_drops_from_ucs2_to_gsm7_with_fewer_segments() -> None:
    typical = sample_contexts(kind=UpdateKind.UPDATE, audience="users", locale="pt-BR")[0]
    context = replace(
        typical,
        incident=replace(typical.incident, title="Servidor de e-mail mx1 não aceita conexões"),
        message="Falha no armazenamento; migração das caixas postais para o servidor reserva.",
        alternatives=("Suporte: (11) 5555-0100 ramal 4", "Slack: #ti-suporte ou @plantão"),
    )
    # Room for the whole text either way (the default 3 segments would shorten it).
    roomy = default_budget(ChannelName.SMS, sms_max_segments=10)
    plain = Renderer(TEMPLATES).render(channel=ChannelName.SMS, context=context, budget=roomy)
    converted = Renderer(TEMPLATES, sms_transliterate=True).render(
        channel=ChannelName.SMS, context=context, budget=roomy
    )

    assert (plain.encoding, converted.encoding) == ("UCS-2", "GSM-7")
    assert converted.segments < plain.segments
    assert (plain.segments, converted.segments) == (4, 2)
    # What is stored and sent is the transliterated body, measured as such.
    assert "migracao" in converted.body and "plantao" in converted.body
    assert "migração" in plain.body
    assert measure_sms(converted.body).segments == converted.segments


def test_transliteration_applies_to_sms_only() -> None:
    typical = sample_contexts(kind=UpdateKind.UPDATE, audience="users", locale="pt-BR")[0]
    context = replace(typical, message="Migração em andamento.")
    renderer = Renderer(TEMPLATES, sms_transliterate=True)
    for channel in (ChannelName.SLACK, ChannelName.FALLBACK):
        assert "Migração" in renderer.render(channel=channel, context=context).body
    assert "Migracao" in renderer.render(channel=ChannelName.SMS, context=context).body
