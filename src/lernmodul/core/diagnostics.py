"""Diagnostics: every problem the compiler finds, with a code, a place and a message in de or en."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

#: German for the English phrases that stand inside messages (expected values, details).
PHRASES_DE = {
    "known are id=…, points=…, scoring=all|partial, inline":
        "bekannt sind id=…, points=…, scoring=all|partial, inline",
    "points must be a number > 0": "points muss eine Zahl > 0 sein",
    "scoring is 'all' or 'partial'": "scoring ist „all“ oder „partial“",
    "scoring=partial has no effect": "scoring=partial hat keine Wirkung",
    "must be a language code such as de or en": "muss ein Sprachcode wie de oder en sein",
    "cannot be combined with 'draw'": "kann nicht mit „draw“ kombiniert werden",
    "needs settings such as 'pass_mark: 0.75'": "braucht Einstellungen wie „pass_mark: 0.75“",
    "must be a list of texts": "muss eine Liste von Texten sein",
    "must be a mapping of keys": "muss aus Schlüsseln bestehen",
    "must be a share between 0 and 1 (e.g. 0.8 for 80 %)":
        "muss ein Anteil zwischen 0 und 1 sein (z. B. 0.8 für 80 %)",
    "must be text": "muss Text sein",
    "must be true or false": "muss true oder false sein",
    "must be one of ": "muss eines davon sein: ",
    "must be a whole number ≥ ": "muss eine ganze Zahl ≥ ",
    "nothing": "nichts",
    "a list": "eine Liste",
    "a mapping": "eine Zuordnung",
}


def _german(text: str) -> str:
    for english, german in PHRASES_DE.items():
        if text == english:
            return german
        if english.endswith(" ") and text.startswith(english):
            rest = text[len(english):]
            return german + rest + (" sein" if english.startswith("must be a whole") else "")
    return text


class Severity(enum.Enum):
    """An error must be fixed before the course is used (published, imported); a warning is
    advice (an error too with ``lernmodul check --strict``)."""

    ERROR = "error"
    WARNING = "warning"


class DiagCode(enum.Enum):
    """Each code: (severity, English template, German template). Templates use str.format."""

    NOT_UTF8 = (Severity.ERROR, "file is not UTF-8 (invalid byte 0x{byte})",
                "Datei ist nicht UTF-8-kodiert (ungültiges Byte 0x{byte})")
    PARSER_FAILURE = (Severity.ERROR, "the Markdown parser failed on this file ({detail}); "
                      "simplify the marked area",
                      "der Markdown-Parser ist an dieser Datei gescheitert ({detail}); "
                      "bitte die Stelle vereinfachen")
    EMPTY_FILE = (Severity.ERROR, "file is empty", "Datei ist leer")
    NO_COURSE = (Severity.ERROR, "no course.md found", "keine course.md gefunden")
    NO_FRONT_MATTER = (Severity.ERROR, "missing front matter (a block between --- lines at the top)",
                       "Front Matter fehlt (ein Block zwischen ---‑Zeilen am Anfang)")
    YAML_ERROR = (Severity.ERROR, "malformed YAML: {detail}", "fehlerhaftes YAML: {detail}")
    NOT_A_MAPPING = (Severity.ERROR, "front matter must be key: value pairs",
                     "Front Matter muss aus Schlüssel: Wert-Paaren bestehen")
    UNKNOWN_KEY = (Severity.ERROR, "unknown key '{key}'{hint}", "unbekannter Schlüssel „{key}“{hint}")
    MISSING_KEY = (Severity.ERROR, "missing required key '{key}'",
                   "Pflichtschlüssel „{key}“ fehlt")
    BAD_VALUE = (Severity.ERROR, "'{key}' {expected}, got {got}",
                 "„{key}“ {expected}, gefunden: {got}")
    UNSUPPORTED_FORMAT = (Severity.ERROR, "unsupported format {got} (this version reads format 1)",
                          "nicht unterstütztes Format {got} (diese Version liest Format 1)")
    NUMERIC_VERSION = (Severity.WARNING,
                       "version {got} is a number in YAML; put it in quotes to keep it exact",
                       "Version {got} ist in YAML eine Zahl; in Anführungszeichen setzen, "
                       "damit sie exakt bleibt")
    BAD_ID = (Severity.ERROR, "id '{id}' may only contain a-z, 0-9, '-' and '_' and must start "
              "with a letter or digit",
              "Kennung „{id}“ darf nur a–z, 0–9, „-“ und „_“ enthalten und muss mit einem "
              "Buchstaben oder einer Ziffer beginnen")
    DUPLICATE_ID = (Severity.ERROR, "duplicate id '{id}' (first used at {first})",
                    "doppelte Kennung „{id}“ (zuerst verwendet in {first})")
    MISSING_UNIT_FILE = (Severity.ERROR, "unit file '{name}' listed in 'units' does not exist",
                         "die unter „units“ genannte Datei „{name}“ existiert nicht")
    UNLISTED_UNIT = (Severity.WARNING, "'{name}' is not listed in course.md 'units' and is "
                     "ignored (start the name with '_' to mark a draft)",
                     "„{name}“ steht nicht in „units“ der course.md und wird ignoriert "
                     "(Entwürfe mit „_“ beginnen lassen)")
    NO_UNITS = (Severity.ERROR, "the course has no units", "der Kurs hat keine Einheiten")
    UNKNOWN_QUESTION_TYPE = (Severity.ERROR, "unknown question type '{got}'{hint}",
                             "unbekannter Fragetyp „{got}“{hint}")
    BAD_QUESTION_PARAM = (Severity.ERROR, "bad question parameter '{got}': {detail}",
                          "ungültiger Fragenparameter „{got}“: {detail}")
    NESTED_QUESTION = (Severity.ERROR, "a question cannot stand inside {outer}",
                       "eine Frage kann nicht innerhalb von {outer} stehen")
    NO_STEM = (Severity.ERROR, "question has no text before its answer list",
               "Frage hat keinen Text vor der Antwortliste")
    NO_ANSWER_LIST = (Severity.ERROR, "question has no answer list",
                      "Frage hat keine Antwortliste")
    NOT_A_TASK_LIST = (Severity.ERROR, "answer '{text}' needs a box: '- [x]' (right) or '- [ ]' "
                       "(wrong)",
                       "Antwort „{text}“ braucht ein Kästchen: „- [x]“ (richtig) oder „- [ ]“ "
                       "(falsch)")
    WRONG_CORRECT_COUNT = (Severity.ERROR, "'{type}' question needs exactly one [x], found {got}",
                           "Frage vom Typ „{type}“ braucht genau ein [x], gefunden: {got}")
    NO_CORRECT = (Severity.ERROR, "'multiple' question needs at least one [x]",
                  "Frage vom Typ „multiple“ braucht mindestens ein [x]")
    TOO_FEW_OPTIONS = (Severity.ERROR, "'{type}' question needs at least {min} answers, found {got}",
                       "Frage vom Typ „{type}“ braucht mindestens {min} Antworten, gefunden: {got}")
    TRUEFALSE_OPTIONS = (Severity.ERROR, "'truefalse' question needs exactly two answers, found {got}",
                         "Frage vom Typ „truefalse“ braucht genau zwei Antworten, gefunden: {got}")
    BAD_MATCH_ITEM = (Severity.ERROR, "match item '{text}' needs the form 'left => right'",
                      "Zuordnungseintrag „{text}“ braucht die Form „links => rechts“")
    BAD_ANSWER_ITEM = (Severity.ERROR, "answer '{text}' must start with '= '",
                       "Antwort „{text}“ muss mit „= “ beginnen")
    NOT_A_NUMBER = (Severity.ERROR, "'{text}' is not a number (e.g. '= 42' or '= 3,5 ± 0,5')",
                    "„{text}“ ist keine Zahl (z. B. „= 42“ oder „= 3,5 ± 0,5“)")
    ONE_NUMBER = (Severity.ERROR, "'number' question takes exactly one answer item, found {got}",
                  "Frage vom Typ „number“ hat genau einen Antworteintrag, gefunden: {got}")
    EXTRA_CONTENT = (Severity.WARNING, "content after the explanation is ignored",
                     "Inhalt nach der Erklärung wird ignoriert")
    DERIVED_ID = (Severity.WARNING, "question has no id; using '{id}' (statistics are lost when "
                  "questions are reordered)",
                  "Frage hat keine Kennung; verwendet wird „{id}“ (Statistiken gehen verloren, "
                  "wenn Fragen umsortiert werden)")
    MISSING_MEDIA = (Severity.ERROR, "image '{src}' does not exist",
                     "Bild „{src}“ existiert nicht")
    EXTERNAL_MEDIA = (Severity.WARNING, "image '{src}' is loaded from another site; put it under "
                      "media/",
                      "Bild „{src}“ wird von einer fremden Seite geladen; unter media/ ablegen")
    MISSING_ALT = (Severity.WARNING, "image '{src}' has no alternative text",
                   "Bild „{src}“ hat keinen Alternativtext")
    DRAW_TOO_LARGE = (Severity.ERROR, "draw {draw} is larger than the pool of {pool} questions"
                      "{where}",
                      "draw {draw} ist größer als der Pool von {pool} Fragen{where}")
    QUIZ_WITHOUT_QUESTIONS = (Severity.ERROR, "unit has a quiz but no questions",
                              "Einheit hat ein Quiz, aber keine Fragen")
    EXAM_WITHOUT_QUESTIONS = (Severity.ERROR, "the exam has no questions to draw from",
                              "die Prüfung hat keine Fragen, aus denen gezogen werden kann")
    EXAM_REQUIRED_NO_EXAM = (Severity.ERROR, "completion requires the exam but course.md has no "
                             "'exam' settings",
                             "Abschluss verlangt die Prüfung, aber course.md hat keine "
                             "„exam“-Einstellungen")
    UNKNOWN_BLOCK = (Severity.WARNING, "'{text}' is not a known block (note, tip, warning, "
                     "example, question); it is shown as text",
                     "„{text}“ ist kein bekannter Block (note, tip, warning, example, question); "
                     "er wird als Text angezeigt")
    UNCLOSED_BLOCK = (Severity.ERROR, "block '{text}' is not closed with ':::'",
                      "Block „{text}“ wird nicht mit „:::“ geschlossen")
    RAW_HTML = (Severity.WARNING, "raw HTML is not rendered and appears as text",
                "HTML wird nicht ausgeführt und erscheint als Text")
    UNUSED_ANSWER_CONTENT = (Severity.WARNING, "'{type}' question: {detail}",
                             "Frage vom Typ „{type}“: {detail}")
    CLOZE_NO_GAP = (Severity.ERROR, "'cloze' question has no gap: write each gap into the text as "
                    "[[answer]], [[= 42]] or [[*right|wrong]]",
                    "Frage vom Typ „cloze“ hat keine Lücke: jede Lücke steht im Text als "
                    "[[Antwort]], [[= 42]] oder [[*richtig|falsch]]")
    CLOZE_EMPTY_GAP = (Severity.ERROR, "gap '[[{text}]]' is empty or has an empty answer",
                       "Lücke „[[{text}]]“ ist leer oder hat eine leere Antwort")
    CLOZE_UNCLOSED_GAP = (Severity.ERROR, "gap '{text}' is not closed with ']]' (write \\[[ for "
                          "a literal '[[')",
                          "Lücke „{text}“ wird nicht mit „]]“ geschlossen (\\[[ für ein "
                          "wörtliches „[[“)")
    CLOZE_CHOICE_MARKS = (Severity.ERROR, "choice gap '[[{text}]]' needs exactly one answer "
                          "starting with '*' (the right one), found {got}",
                          "Auswahllücke „[[{text}]]“ braucht genau eine Antwort, die mit „*“ "
                          "beginnt (die richtige), gefunden: {got}")
    CLOZE_CHOICE_OPTIONS = (Severity.ERROR, "choice gap '[[{text}]]' needs at least 2 answers, "
                            "found {got}",
                            "Auswahllücke „[[{text}]]“ braucht mindestens 2 Antworten, "
                            "gefunden: {got}")
    CLOZE_NOT_A_NUMBER = (Severity.ERROR, "number gap '[[{text}]]' is not a number (e.g. "
                          "'[[= 42]]' or '[[= 3,5 ± 0,5]]')",
                          "Zahlenlücke „[[{text}]]“ ist keine Zahl (z. B. „[[= 42]]“ oder "
                          "„[[= 3,5 ± 0,5]]“)")
    CLOZE_GAP_PLACE = (Severity.ERROR, "a gap cannot stand inside a link, an image or code",
                       "eine Lücke kann nicht in einem Link, einem Bild oder Code stehen")
    # GIFT import (lernmodul.core.gift): errors skip the question, warnings say what changed
    GIFT_ESSAY = (Severity.ERROR, "essay question (empty answer block {{}}) cannot be converted: "
                  "lernmodul grades every answer automatically",
                  "Freitextfrage (leerer Antwortblock {{}}) kann nicht übernommen werden: "
                  "lernmodul bewertet jede Antwort automatisch")
    GIFT_DESCRIPTION = (Severity.ERROR, "text without an answer block {{…}} is a description, "
                        "not a question, and is not converted (copy it into a unit's text if "
                        "it is needed)",
                        "Text ohne Antwortblock {{…}} ist eine Beschreibung, keine Frage, und "
                        "wird nicht übernommen (bei Bedarf in den Text einer Einheit kopieren)")
    GIFT_UNCLOSED = (Severity.ERROR, "'{{' has no closing '}}' before the next blank line "
                     "(write \\{{ for a literal brace)",
                     "„{{“ wird vor der nächsten Leerzeile nicht mit „}}“ geschlossen "
                     "(eine wörtliche Klammer als \\{{ schreiben)")
    GIFT_STRAY_BRACE = (Severity.ERROR, "'}}' without an opening '{{' (write \\}} for a literal "
                        "brace)",
                        "„}}“ ohne öffnendes „{{“ (eine wörtliche Klammer als \\}} schreiben)")
    GIFT_SECOND_BLOCK = (Severity.ERROR, "a second answer block in one question cannot be "
                         "converted (embedded answers are not supported)",
                         "ein zweiter Antwortblock in einer Frage kann nicht übernommen werden "
                         "(eingebettete Antworten werden nicht unterstützt)")
    GIFT_NO_TEXT = (Severity.ERROR, "question has no text and no ::title:: to use instead",
                    "Frage hat keinen Text und keinen ::Titel::, der stattdessen dienen kann")
    GIFT_NO_RIGHT_ANSWER = (Severity.ERROR, "no answer is fully right (mark one with '=' or "
                            "give positive weights such as ~%50%)",
                            "keine Antwort ist ganz richtig (eine mit „=“ markieren oder "
                            "positive Gewichte wie ~%50% angeben)")
    GIFT_SEVERAL_RIGHT = (Severity.ERROR, "{got} answers are marked right with '=', but a "
                          "single-choice question has exactly one; keep one '=' or use weights "
                          "(~%50%) for several right answers",
                          "{got} Antworten sind mit „=“ als richtig markiert, eine "
                          "Einfachauswahl hat aber genau eine; ein „=“ behalten oder Gewichte "
                          "(~%50%) für mehrere richtige Antworten angeben")
    GIFT_BAD_WEIGHT = (Severity.ERROR, "weight '{text}' is not a percentage between -100 and 100",
                       "Gewicht „{text}“ ist kein Prozentwert zwischen -100 und 100")
    GIFT_BAD_NUMBER = (Severity.ERROR, "'{text}' is not a number, a number with tolerance "
                       "(42:0.5) or a range (40..45)",
                       "„{text}“ ist keine Zahl, keine Zahl mit Toleranz (42:0.5) und kein "
                       "Bereich (40..45)")
    GIFT_SEVERAL_NUMBERS = (Severity.ERROR, "{got} different values are fully right; a 'number' "
                            "question has exactly one value with a tolerance",
                            "{got} verschiedene Werte sind ganz richtig; eine Frage vom Typ "
                            "„number“ hat genau einen Wert mit Toleranz")
    GIFT_BAD_MATCH = (Severity.ERROR, "matching answer '{text}' needs the form '=left -> right'",
                      "Zuordnungsantwort „{text}“ braucht die Form „=links -> rechts“")
    GIFT_NO_QUESTIONS = (Severity.ERROR, "the file has no question that can be converted",
                         "die Datei enthält keine Frage, die übernommen werden kann")
    GIFT_PARTIAL_CREDIT = (Severity.WARNING, "answer '{text}' has weight {weight}%; a '{type}' "
                           "question has no partial or negative credit, so it counts as wrong",
                           "Antwort „{text}“ hat das Gewicht {weight} %; eine Frage vom Typ "
                           "„{type}“ kennt keine Teil- oder Minuspunkte, sie zählt als falsch")
    GIFT_PARTIAL_ANSWER = (Severity.WARNING, "answer '{text}' (weight {weight}%) is left out: a "
                           "'{type}' question lists only fully right answers, so typing it "
                           "scores 0 here (in Moodle {weight}% of the points)",
                           "Antwort „{text}“ (Gewicht {weight} %) entfällt: eine Frage vom Typ "
                           "„{type}“ führt nur voll richtige Antworten, die Eingabe bringt hier "
                           "0 Punkte (in Moodle {weight} % der Punkte)")
    GIFT_RIGHT_WEIGHTS = (Severity.WARNING, "the right answers' weights are not {share}% each. "
                          "Moodle weights: {weights}. Here each right choice earns {share}% and "
                          "each wrong choice costs {share}% of the points, never below 0",
                          "die Gewichte der richtigen Antworten sind nicht je {share} %. "
                          "Gewichte in Moodle: {weights}. Hier bringt jede richtige Wahl "
                          "{share} % und kostet jede falsche Wahl {share} % der Punkte, nie "
                          "unter 0")
    GIFT_WRONG_WEIGHTS = (Severity.WARNING, "the wrong answers' weights are not -{share}% each. "
                          "Moodle weights: {weights}. Here each right choice earns {share}% and "
                          "each wrong choice costs {share}% of the points, never below 0: all "
                          "right answers and '{wrong}' score {moodle}% in Moodle, {here}% here",
                          "die Gewichte der falschen Antworten sind nicht je -{share} %. "
                          "Gewichte in Moodle: {weights}. Hier bringt jede richtige Wahl "
                          "{share} % und kostet jede falsche Wahl {share} % der Punkte, nie "
                          "unter 0: alle richtigen Antworten und „{wrong}“ ergeben in Moodle "
                          "{moodle} %, hier {here} %")
    GIFT_FEEDBACK_DROPPED = (Severity.WARNING, "feedback '{text}' of the left-out answer "
                             "'{answer}' is left out with it",
                             "Rückmeldung „{text}“ der entfallenen Antwort „{answer}“ entfällt "
                             "mit ihr")
    GIFT_OTHER_FEEDBACK = (Severity.WARNING, "feedback '{text}' for every other answer ('~#…') is "
                           "left out: a '{type}' question shows feedback only with the answers "
                           "it lists",
                           "Rückmeldung „{text}“ für jede andere Antwort („~#…“) entfällt: eine "
                           "Frage vom Typ „{type}“ zeigt Rückmeldungen nur zu den aufgeführten "
                           "Antworten")
    GIFT_MATCH_DISTRACTOR = (Severity.WARNING, "extra wrong choice '{text}' ('= -> {text}', no "
                             "left side) is left out: a 'match' question offers only the right "
                             "sides of its pairs",
                             "zusätzliche falsche Wahl „{text}“ („= -> {text}“, ohne linke "
                             "Seite) entfällt: eine Frage vom Typ „match“ bietet nur die rechten "
                             "Seiten ihrer Paare an")
    GIFT_HTML = (Severity.WARNING, "HTML was converted to Markdown (tags removed); check the "
                 "result",
                 "HTML wurde in Markdown umgewandelt (Tags entfernt); bitte das Ergebnis prüfen")
    GIFT_IMAGE = (Severity.WARNING, "image '{src}' is not imported (its alternative text stays); "
                  "put the file under media/ and insert it with ![text](media/name)",
                  "Bild „{src}“ wird nicht übernommen (sein Alternativtext bleibt); die Datei "
                  "unter media/ ablegen und mit ![Text](media/name) einfügen")
    GIFT_EMPTY_ANSWER = (Severity.WARNING, "an empty answer is left out",
                         "eine leere Antwort entfällt")
    GIFT_WILDCARD = (Severity.WARNING, "'*' in answer '{text}' is a wildcard in Moodle; here "
                     "answers are compared exactly",
                     "„*“ in der Antwort „{text}“ ist in Moodle ein Platzhalter; hier werden "
                     "Antworten exakt verglichen")
    GIFT_UNCLOSED_TITLE = (Severity.WARNING, "the title is not closed with '::'; the text is read "
                           "as question text",
                           "der Titel wird nicht mit „::“ geschlossen; der Text gilt als "
                           "Fragetext")
    GIFT_EMPTY_CATEGORY = (Severity.WARNING, "category '{name}' has no questions; no unit is "
                           "written for it",
                           "Kategorie „{name}“ enthält keine Fragen; dafür wird keine Einheit "
                           "geschrieben")
    GIFT_GAP_FEEDBACK = (Severity.WARNING, "feedback '{text}' of answer '{answer}' is left out: "
                         "a gap has no feedback per answer",
                         "Rückmeldung „{text}“ zur Antwort „{answer}“ entfällt: eine Lücke hat "
                         "keine Rückmeldung je Antwort")
    GIFT_CLOZE_TYPE = (Severity.ERROR, "embedded answer type '{type}' cannot be converted: a gap "
                       "takes text (SHORTANSWER), a number (NUMERICAL) or one choice "
                       "(MULTICHOICE)",
                       "eingebettete Antwort vom Typ „{type}“ kann nicht übernommen werden: "
                       "eine Lücke nimmt Text (SHORTANSWER), eine Zahl (NUMERICAL) oder eine "
                       "Auswahl (MULTICHOICE)")
    GIFT_CLOZE_MIXED = (Severity.ERROR, "embedded answers and a GIFT answer block cannot be "
                        "mixed in one question",
                        "eingebettete Antworten und ein GIFT-Antwortblock können nicht in einer "
                        "Frage gemischt werden")
    GIFT_CLOZE_VALUES = (Severity.ERROR, "{got} different values are fully right; a number gap "
                         "has exactly one value with a tolerance",
                         "{got} verschiedene Werte sind ganz richtig; eine Zahlenlücke hat genau "
                         "einen Wert mit Toleranz")
    GIFT_CLOZE_CASE = (Severity.WARNING, "'{type}' compares case-sensitively in Moodle; a gap "
                       "ignores case",
                       "„{type}“ vergleicht in Moodle mit Groß-/Kleinschreibung; eine Lücke "
                       "ignoriert sie")
    GIFT_CLOZE_WEIGHTS = (Severity.WARNING, "the gaps have the weights {weights} in Moodle; here "
                          "every gap counts the same ({points} points in all)",
                          "die Lücken haben in Moodle die Gewichte {weights}; hier zählt jede "
                          "Lücke gleich ({points} Punkte insgesamt)")

    @property
    def severity(self) -> Severity:
        return self.value[0]

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem at one place. `line` and `column` are 1-based; 0 means 'the whole file'."""

    code: DiagCode
    path: str
    line: int
    column: int
    args: tuple[tuple[str, str], ...] = field(default=())
    severity: Severity = Severity.ERROR

    @classmethod
    def make(cls, code: DiagCode, path: str, line: int, column: int = 1,
             severity: Severity | None = None, **args: object) -> Diagnostic:
        return cls(code, path, line, column, tuple((k, str(v)) for k, v in args.items()),
                   severity or code.severity)

    def message(self, language: str = "en") -> str:
        template = self.code.value[2] if language == "de" else self.code.value[1]
        args = dict(self.args)
        if language == "de":
            args = {k: _german(v) if k in ("expected", "detail", "got") else v
                    for k, v in args.items()}
        suggestion = args.pop("suggestion", "")
        if suggestion:
            args["hint"] = (f" (meinten Sie „{suggestion}“?)" if language == "de"
                            else f" (did you mean '{suggestion}'?)")
        else:
            args["hint"] = ""
        return template.format(**args)

    def format(self, language: str = "en", strict: bool = False) -> str:
        severity = Severity.ERROR if strict else self.severity
        return (f"{self.path}:{self.line}:{self.column}: {severity.value}: "
                f"{self.message(language)} [{self.code.slug}]")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def count(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> tuple[int, int]:
    """Returns (errors, warnings)."""
    errors = sum(1 for d in diagnostics if d.is_error)
    return errors, len(diagnostics) - errors
