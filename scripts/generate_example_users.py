"""Write the example users list, contacts/users.csv: 300 fictional staff, the same every run.

Every phone number is in an obviously fictional range that `phonenumbers` still accepts as
valid (so `outage-notify contacts check` passes): Brazil +55 <11|21|31> 99000-NNNN, the US
+1 <area> 555-01NN, the UK +44 20 7946 0NNN (Ofcom's drama range for London; its mobile drama
range 07700 900NNN is one libphonenumber refuses) and Portugal +351 91 000 NNNN.
Slack ids are random but unique; the seed is fixed.

    python scripts/generate_example_users.py [--count 300] [--output contacts/users.csv]
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import unicodedata
from pathlib import Path

SEED = 20240611
FIRST_NAMES = (
    "Ana", "Beatriz", "Bruna", "Camila", "Carla", "Daniela", "Fernanda", "Gabriela", "Helena",
    "Isabela", "Juliana", "Larissa", "Luana", "Mariana", "Natália", "Patrícia", "Renata",
    "Sofia", "Tatiana", "Vitória", "André", "Bruno", "Carlos", "Diego", "Eduardo", "Felipe",
    "Gustavo", "Henrique", "Igor", "João", "Leonardo", "Lucas", "Marcelo", "Mateus", "Paulo",
    "Rafael", "Rodrigo", "Thiago", "Vinícius", "Conceição",
)  # fmt: skip
SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
    "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves", "Teixeira", "Araújo",
)  # fmt: skip
INTERNATIONAL_NAMES = (
    "Emily Carter", "Michael Brooks", "Sarah Mitchell", "David Turner", "Olivia Hughes",
    "Thomas Wright", "Hannah Clarke", "Daniel Foster", "Inês Carvalho", "Tiago Figueiredo",
)  # fmt: skip
SITES = {"11": "sao-paulo", "21": "rio", "31": "belo-horizonte"}
DEPARTMENTS = (
    "finance", "operations", "sales", "logistics", "human-resources", "it", "legal",
    "customer-service", "marketing", "procurement",
)  # fmt: skip
# Contact ids are unique across the whole folder; these are taken by management.yaml.
MANAGEMENT_IDS = ("ana.souza", "ricardo.almeida", "fernanda.lima", "marcos.pereira")
HEADER = ("audience", "id", "name", "phone", "slack", "fallback", "locale", "channels", "tags")


def ascii_slug(text: str) -> str:
    """Lower-case ASCII form of a name, for contact ids."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii()).lower().replace(" ", ".")


def international_phone(rng: random.Random, serial: int) -> str:
    """A fictional non-Brazilian mobile number."""
    country = rng.choice(("us", "uk", "pt"))
    if country == "us":
        return f"+1{rng.choice(('202', '312', '415'))}55501{serial % 100:02d}"
    if country == "uk":
        return f"+442079460{serial % 1000:03d}"
    return f"+35191000{serial % 10000:04d}"


def generate(count: int) -> list[tuple[str, ...]]:
    """The rows of users.csv, without the header."""
    rng = random.Random(SEED)
    ids: set[str] = set(MANAGEMENT_IDS)
    slack_ids: set[str] = set()
    rows: list[tuple[str, ...]] = []
    for serial in range(count):
        international = rng.random() < 0.10
        if international:
            name = rng.choice(INTERNATIONAL_NAMES)
            phone = international_phone(rng, serial)
            site, locale = "remote", "en"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            area = rng.choice(("11", "11", "11", "21", "21", "31"))
            phone = f"+55{area}99000{1000 + serial:04d}"
            site = "remote" if rng.random() < 0.05 else SITES[area]
            locale = "en" if rng.random() < 0.12 else "pt-BR"
        base = ascii_slug(name)
        contact_id, suffix = base, 2
        while contact_id in ids:
            contact_id, suffix = f"{base}{suffix}", suffix + 1
        ids.add(contact_id)
        draw = rng.random()
        # Field staff without a Slack seat are reachable by SMS only.
        channels = "sms" if draw < 0.15 else "sms|slack" if draw < 0.22 else "slack|sms"
        slack = ""
        if channels != "sms":
            while not slack or slack in slack_ids:
                slack = "U0" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))
            slack_ids.add(slack)
        fallback = ""
        if channels != "sms" and rng.random() < 0.05:
            fallback, channels = f"ntfy://ntfy.example.org/{contact_id}", channels + "|fallback"
        tags = f"site={site};department={rng.choice(DEPARTMENTS)}"
        rows.append(("users", contact_id, name, phone, slack, fallback, locale, channels, tags))
    return rows


def main() -> None:
    """Write the CSV file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    default_output = Path(__file__).resolve().parent.parent / "contacts" / "users.csv"
    parser.add_argument("--output", type=Path, default=default_output)
    arguments = parser.parse_args()
    with arguments.output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(generate(arguments.count))


if __name__ == "__main__":
    main()
