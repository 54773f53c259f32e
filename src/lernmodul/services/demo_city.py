"""The fictional city administration "Stadt Lindenau" of the development demo: its org-unit
tree and its people with what each of them has done, drawn from a fixed seed.

Pure data, no database: `demo_people(rng)` gives the same people for the same seed, so the
demo looks the same on every machine. All names are made up from common first names and
surnames; the addresses lie under a reserved example domain."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

SEED = 20251218
ROOT = "Stadt Lindenau"
EMAIL_DOMAIN = "stadt-lindenau.example"
NUMBER_PREFIX = "LI-"
FIRST_NUMBER = f"{NUMBER_PREFIX}10001"  # the first seeded person: the demo is there already

DEZERNAT_I = "Dezernat I – Verwaltungsführung und Finanzen"
DEZERNAT_II = "Dezernat II – Bürgerdienste, Ordnung und Soziales"
DEZERNAT_III = "Dezernat III – Bauen, Umwelt und Verkehr"
DEZERNAT_IV = "Dezernat IV – Bildung, Kultur und Sport"

#: Dezernat → Amt → Sachgebiete: with the city on top, four levels.
TREE: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (DEZERNAT_I, (
        ("Hauptamt", ("Organisation", "Zentrale Dienste", "IT-Service")),
        ("Personalamt", ("Personalverwaltung", "Personalentwicklung", "Bezügestelle")),
        ("Kämmerei", ("Haushalt", "Stadtkasse", "Steuern und Abgaben")),
    )),
    (DEZERNAT_II, (
        ("Bürgeramt", ("Meldewesen", "Pass- und Ausweiswesen", "Bürgerbüro Nord")),
        ("Ordnungsamt", ("Allgemeine Ordnung", "Kommunaler Ordnungsdienst",
                         "Verkehrsüberwachung")),
        ("Sozialamt", ("Grundsicherung", "Hilfe zur Pflege", "Wohngeld")),
        ("Jugendamt", ("Allgemeiner Sozialer Dienst", "Kindertagesbetreuung",
                       "Jugendgerichtshilfe")),
    )),
    (DEZERNAT_III, (
        ("Bauordnungsamt", ("Baugenehmigungen", "Bauaufsicht")),
        ("Stadtplanungsamt", ("Bauleitplanung", "Verkehrsplanung")),
        ("Umweltamt", ("Immissionsschutz", "Grünflächen und Friedhöfe")),
    )),
    (DEZERNAT_IV, (
        ("Schulverwaltungsamt", ("Schulorganisation", "Schülerbeförderung")),
        ("Kulturamt", ("Stadtbibliothek", "Volkshochschule")),
        ("Sportamt", ("Sportstätten", "Bäderverwaltung")),
    )),
)
#: Where the printed demo accounts work.
HOME = (DEZERNAT_I, "Personalamt", "Personalentwicklung")
#: A group below the small-group threshold, so the demo shows suppression too.
SMALL = (DEZERNAT_IV, "Sportamt", "Bäderverwaltung")
SMALL_SIZE = 3

FIRST_NAMES = (
    "Anna", "Bernd", "Carla", "Dieter", "Elke", "Frank", "Gabriele", "Heiko", "Ines", "Jan",
    "Katrin", "Lars", "Monika", "Nils", "Olga", "Peter", "Renate", "Stefan", "Tanja", "Uwe",
    "Verena", "Wolfgang", "Yvonne", "Achim", "Birgit", "Christian", "Doris", "Emre", "Friederike",
    "Günter", "Hanna", "Ingo", "Jana", "Klaus", "Lena", "Markus", "Nadine", "Oliver", "Petra",
    "Ralf", "Sabine", "Thomas", "Ulrike", "Volker", "Werner", "Zeynep", "Andreas", "Brigitte",
    "Daniel", "Esra", "Florian", "Gisela", "Helmut", "Irina", "Jürgen", "Karin", "Lukas",
    "Martina", "Norbert", "Paula", "Rüdiger", "Silke", "Tobias", "Ute", "Vanessa", "Jörg",
    "Miriam", "Sven", "Heike", "Marco",
)
SURNAMES = (
    "Albrecht", "Bauer", "Conrad", "Dietrich", "Engel", "Fischer", "Graf", "Hartmann", "Imhoff",
    "Jansen", "Keller", "Lorenz", "Meier", "Neumann", "Otto", "Peters", "Quast", "Richter",
    "Schulte", "Thiele", "Ulrich", "Vogt", "Wagner", "Zimmer", "Arnold", "Brandt", "Claßen",
    "Dreher", "Ebert", "Franke", "Göbel", "Hoffmann", "Jäger", "Krüger", "Lange", "Möller",
    "Nowak", "Oswald", "Pohl", "Roth", "Sauer", "Tillmann", "Unger", "Voß", "Weber", "Yilmaz",
    "Ziegler", "Beckmann", "Dahlmann", "Eckert", "Friedrich", "Greve", "Hellwig", "Jung",
    "Kowalski", "Lindner", "Mertens", "Nolte", "Petersen", "Rademacher", "Schubert", "Teichmann",
    "Vollmer", "Winkler", "Böhm", "Kaya", "Marx", "Stein", "Wolff", "Busch",
)
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe",
                        "Ü": "Ue"})


class Outcome(enum.Enum):
    """What a person has done in the course when the demo starts."""

    NOT_STARTED = "not_started"
    STARTED = "started"  # some units read; perhaps a failed exam
    COMPLETED = "completed"
    COMPLETED_LONG_AGO = "completed_long_ago"  # certificate expires within weeks


@dataclass(frozen=True, slots=True)
class DemoPerson:
    number: str
    name: str
    email: str
    unit: tuple[str, str, str]  # Dezernat, Amt, Sachgebiet
    joined_days_ago: int
    outcome: Outcome
    skill: float  # 0..1: how well they answer quiz and exam questions


def leaves() -> list[tuple[str, str, str]]:
    """Every Sachgebiet as (Dezernat, Amt, Sachgebiet), in tree order."""
    return [(dezernat, amt, leaf) for dezernat, amts in TREE for amt, names in amts
            for leaf in names]


def _outcome(rng: random.Random, dezernat: str, recent: bool) -> Outcome:
    # Dezernat II (most contact with the public) had the course first, about two years ago:
    # most are through, some certificates expire soon, and who is not through is overdue.
    # Everybody else got it six weeks ago.
    roll = rng.random()
    weights: tuple[tuple[float, Outcome], ...]
    if dezernat == DEZERNAT_II and not recent:
        weights = ((0.55, Outcome.COMPLETED), (0.70, Outcome.COMPLETED_LONG_AGO),
                   (0.85, Outcome.STARTED))
    elif dezernat == DEZERNAT_II:
        weights = ((0.30, Outcome.COMPLETED), (0.65, Outcome.STARTED))
    else:
        weights = ((0.35, Outcome.COMPLETED), (0.70, Outcome.STARTED))
    return next((outcome for limit, outcome in weights if roll < limit), Outcome.NOT_STARTED)


def demo_people(rng: random.Random) -> list[DemoPerson]:
    """The people of Stadt Lindenau (a few hundred), the same for the same `rng` state."""
    people: list[DemoPerson] = []
    used: set[str] = set()
    for unit in leaves():
        size = SMALL_SIZE if unit == SMALL else rng.randint(6, 16)
        for _ in range(size):
            name = ""
            while not name or name in used:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            used.add(name)
            serial = len(people) + 1
            recent = rng.random() < 0.15
            joined = rng.randint(10, 200) if recent else rng.randint(800, 9000)
            first, last = name.split(" ")
            people.append(DemoPerson(
                number=f"{NUMBER_PREFIX}{10000 + serial}", name=name,
                email=f"{first}.{last}.{serial}@{EMAIL_DOMAIN}".translate(_ASCII).lower(),
                unit=unit, joined_days_ago=joined, outcome=_outcome(rng, unit[0], recent),
                skill=rng.uniform(0.7, 1.0)))
    return people
