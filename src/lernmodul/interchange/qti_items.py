"""One question as a QTI 2.1 assessmentItem: declarations, item body, response processing,
modal feedback.

Scoring uses the standard templates where they say exactly what lernmodul grades:
match_correct for all-or-nothing questions worth 1 point without feedback, map_response for
partial credit by a mapping (multiple, match) and for text answers. Everything else (points
other than 1, numbers with a tolerance, order by place, feedback, cloze gaps) gets explicit
rules built from the same few operators.
"""

from __future__ import annotations

from lxml import etree

from lernmodul._version import __version__
from lernmodul.core.model import Question, QuestionType, Scoring

from .cloze import Cloze, Gap
from .html import number_text, text_of
from .qti_cloze import mark_gaps, split_marks
from .qti_xml import (
    MAP_RESPONSE,
    MATCH_CORRECT,
    append_html,
    identifier,
    is_block_content,
    q,
    qti_root,
    serialize,
    sub,
)

EXPLANATION = "explanation"
_E = etree._Element


def _float(value: float) -> str:
    return number_text(round(value, 6))


class _Item:
    def __init__(self, question: Question, language: str, media_prefix: str,
                 cloze: Cloze | None, shuffle: bool = True) -> None:
        self.q = question
        #: options in random order ("true"); an order question is always shuffled
        self.shuffle = "true" if shuffle else "false"
        self.media_prefix = media_prefix
        self.cloze = cloze
        title = text_of(question.stem_html)
        self.root = qti_root("assessmentItem", {
            "identifier": identifier(question.id),
            "title": (title[:77] + "...") if len(title) > 80 else (title or question.id),
            "adaptive": "false", "timeDependent": "false",
            "toolName": "lernmodul", "toolVersion": __version__})
        self.root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
        #: (identifier, feedback HTML) shown through the FEEDBACK outcome
        self.feedback: list[tuple[str, str]] = []

    # --- building blocks --------------------------------------------------------------

    def declare(self, ident: str, cardinality: str, base_type: str) -> _E:
        return sub(self.root, "responseDeclaration", {
            "identifier": ident, "cardinality": cardinality, "baseType": base_type})

    @staticmethod
    def correct(declaration: _E, values: list[str]) -> None:
        correct = sub(declaration, "correctResponse")
        for value in values:
            sub(correct, "value", text=value)

    def outcomes(self) -> None:
        for name, value in (("SCORE", "0"), ("MAXSCORE", _float(self.q.points))):
            outcome = sub(self.root, "outcomeDeclaration", {
                "identifier": name, "cardinality": "single", "baseType": "float"})
            sub(sub(outcome, "defaultValue"), "value", text=value)
        if self.feedback:
            sub(self.root, "outcomeDeclaration", {
                "identifier": "FEEDBACK", "cardinality": "multiple", "baseType": "identifier"})

    def html(self, parent: _E, markup: str, *, block: bool = True) -> None:
        if block and markup.strip() and not is_block_content(markup):
            parent = sub(parent, "p")
        append_html(parent, markup, media_prefix=self.media_prefix)

    # --- the item ---------------------------------------------------------------------

    def build(self) -> bytes:
        q_ = self.q
        for option in q_.options:
            if option.feedback_html:
                self.feedback.append((identifier(option.id), option.feedback_html))
        kind = q_.type
        body = etree.Element(q("itemBody"))
        if self.cloze is not None:
            self.cloze_parts(body)
            score_rules = None
        else:
            self.html(body, q_.stem_html)
            score_rules = self.interaction(kind, body)
        if q_.explanation_html:
            self.feedback.append((EXPLANATION, q_.explanation_html))
        self.outcomes()
        self.root.append(body)
        self.processing(score_rules)
        for ident, markup in self.feedback:
            modal = sub(self.root, "modalFeedback", {
                "outcomeIdentifier": "FEEDBACK", "showHide": "show", "identifier": ident})
            self.html(modal, markup, block=False)
        return serialize(self.root)

    def interaction(self, kind: QuestionType, body: _E) -> str | None:
        """Declares RESPONSE, writes the interaction; returns the template to score with
        (None: explicit rules by `self.rules`)."""
        q_ = self.q
        if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE, QuestionType.MULTIPLE):
            single = kind is not QuestionType.MULTIPLE
            declaration = self.declare("RESPONSE", "single" if single else "multiple",
                                       "identifier")
            self.correct(declaration, [identifier(o.id) for o in q_.options if o.is_correct])
            interaction = sub(body, "choiceInteraction", {
                "responseIdentifier": "RESPONSE", "shuffle": self.shuffle,
                "maxChoices": "1" if single else str(len(q_.options)),
                **({"class": "lernmodul-truefalse"} if kind is QuestionType.TRUEFALSE else {})})
            for option in q_.options:
                choice = sub(interaction, "simpleChoice", {"identifier": identifier(option.id)})
                self.html(choice, option.html, block=False)
            if kind is QuestionType.MULTIPLE and q_.scoring is Scoring.PARTIAL:
                share = q_.points / sum(1 for o in q_.options if o.is_correct)
                mapping = sub(declaration, "mapping", {
                    "lowerBound": "0", "upperBound": _float(q_.points), "defaultValue": "0"})
                for option in q_.options:
                    sub(mapping, "mapEntry", {"mapKey": identifier(option.id), "mappedValue":
                                              _float(share if option.is_correct else -share)})
                return MAP_RESPONSE
            return MATCH_CORRECT
        if kind is QuestionType.ORDER:
            declaration = self.declare("RESPONSE", "ordered", "identifier")
            self.correct(declaration, [identifier(o.id) for o in q_.options])
            interaction = sub(body, "orderInteraction",
                              {"responseIdentifier": "RESPONSE", "shuffle": "true"})
            for option in q_.options:
                choice = sub(interaction, "simpleChoice", {"identifier": identifier(option.id)})
                self.html(choice, option.html, block=False)
            return MATCH_CORRECT if q_.scoring is Scoring.ALL else None
        if kind is QuestionType.MATCH:
            return self.match(body)
        if kind is QuestionType.NUMBER:
            answer = q_.number_answers[0]
            declaration = self.declare("RESPONSE", "single", "float")
            self.correct(declaration, [number_text(answer.value)])
            sub(sub(body, "p"), "textEntryInteraction",
                {"responseIdentifier": "RESPONSE", "expectedLength": "12"})
            if answer.feedback_html:
                self.feedback.append(("answer-1", answer.feedback_html))
            return None
        if kind is QuestionType.TEXT:
            declaration = self.declare("RESPONSE", "single", "string")
            self.correct(declaration, [q_.text_answers[0]])
            mapping = sub(declaration, "mapping", {"defaultValue": "0"})
            for accepted in q_.text_answers:
                sub(mapping, "mapEntry", {"mapKey": accepted, "mappedValue": _float(q_.points),
                                          "caseSensitive": "false"})
            longest = max(len(a) for a in q_.text_answers)
            sub(sub(body, "p"), "textEntryInteraction",
                {"responseIdentifier": "RESPONSE", "expectedLength": str(max(10, longest))})
            for n, markup in enumerate(q_.text_feedback_html, start=1):
                if markup:
                    self.feedback.append((f"answer-{n}", markup))
            return MAP_RESPONSE
        raise ValueError(f"no QTI interaction for {kind.value}")

    def match(self, body: _E) -> str | None:
        """matchInteraction: the left sides against the distinct right sides ("t1", "t2" …);
        equal right sides are one target that takes as many pairs as it has."""
        q_ = self.q
        targets: dict[str, tuple[str, str, int]] = {}  # right text -> (id, html, count)
        for option in q_.options:
            key = option.match_text or text_of(option.match_html)
            ident, html, count = targets.get(key, (f"t{len(targets) + 1}", option.match_html, 0))
            targets[key] = (ident, html, count + 1)
        pairs = [f"{identifier(o.id)} {targets[o.match_text or text_of(o.match_html)][0]}"
                 for o in q_.options]
        declaration = self.declare("RESPONSE", "multiple", "directedPair")
        self.correct(declaration, pairs)
        interaction = sub(body, "matchInteraction", {
            "responseIdentifier": "RESPONSE", "shuffle": self.shuffle,
            "maxAssociations": str(len(q_.options))})
        left = sub(interaction, "simpleMatchSet")
        for option in q_.options:
            choice = sub(left, "simpleAssociableChoice",
                         {"identifier": identifier(option.id), "matchMax": "1"})
            self.html(choice, option.html, block=False)
        right = sub(interaction, "simpleMatchSet")
        for ident, html, count in targets.values():
            choice = sub(right, "simpleAssociableChoice",
                         {"identifier": ident, "matchMax": str(count)})
            self.html(choice, html, block=False)
        if q_.scoring is Scoring.PARTIAL:
            mapping = sub(declaration, "mapping", {
                "lowerBound": "0", "upperBound": _float(q_.points), "defaultValue": "0"})
            for pair in pairs:
                sub(mapping, "mapEntry",
                    {"mapKey": pair, "mappedValue": _float(q_.points / len(pairs))})
            return MAP_RESPONSE
        return MATCH_CORRECT

    # --- response processing ----------------------------------------------------------

    def processing(self, template: str | None) -> None:
        q_ = self.q
        if template == MATCH_CORRECT and q_.points != 1:
            template = None  # the template gives 1 point
        if template is not None and not self.feedback:
            sub(self.root, "responseProcessing", {"template": template})
            return
        rp = sub(self.root, "responseProcessing")
        if template == MAP_RESPONSE:
            condition = sub(rp, "responseCondition")
            branch = sub(condition, "responseIf")
            sub(sub(branch, "isNull"), "variable", {"identifier": "RESPONSE"})
            self.set_score(branch, 0.0)
            otherwise = sub(condition, "responseElse")
            sub(sub(otherwise, "setOutcomeValue", {"identifier": "SCORE"}), "mapResponse",
                {"identifier": "RESPONSE"})
        elif self.cloze is not None:
            self.cloze_rules(rp)
        elif q_.type is QuestionType.ORDER and q_.scoring is Scoring.PARTIAL:
            for place, option in enumerate(q_.options, start=1):
                condition = sub(sub(rp, "responseCondition"), "responseIf")
                matches = sub(condition, "match")
                sub(sub(matches, "index", {"n": str(place)}), "variable",
                    {"identifier": "RESPONSE"})
                sub(matches, "baseValue", {"baseType": "identifier"}, identifier(option.id))
                self.add_score(condition, q_.points / len(q_.options))
        else:
            condition = sub(rp, "responseCondition")
            branch = sub(condition, "responseIf")
            self.right(branch, "RESPONSE")
            self.set_score(branch, q_.points)
            self.set_score(sub(condition, "responseElse"), 0.0)
        self.feedback_rules(rp)

    def right(self, parent: _E, ident: str, gap: Gap | None = None) -> None:
        """The condition 'response `ident` is right'."""
        if gap is not None and gap.kind == "text":
            either = sub(parent, "or")
            for answer in gap.answers:
                matches = sub(either, "stringMatch", {"caseSensitive": "false"})
                sub(matches, "variable", {"identifier": ident})
                sub(matches, "baseValue", {"baseType": "string"}, answer)
            return
        tolerance: float | None = None
        if gap is not None and gap.kind == "number":
            tolerance = gap.tolerance
        elif gap is None and self.q.type is QuestionType.NUMBER:
            tolerance = self.q.number_answers[0].tolerance
        if tolerance is None:
            matches = sub(parent, "match")
        elif tolerance:
            matches = sub(parent, "equal", {"toleranceMode": "absolute",
                                            "tolerance": f"{_float(tolerance)} {_float(tolerance)}"})
        else:
            matches = sub(parent, "equal", {"toleranceMode": "exact"})
        sub(matches, "variable", {"identifier": ident})
        sub(matches, "correct", {"identifier": ident})

    @staticmethod
    def set_score(parent: _E, value: float) -> None:
        sub(sub(parent, "setOutcomeValue", {"identifier": "SCORE"}), "baseValue",
            {"baseType": "float"}, _float(value))

    @staticmethod
    def add_score(parent: _E, value: float) -> None:
        total = sub(sub(parent, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
        sub(total, "variable", {"identifier": "SCORE"})
        sub(total, "baseValue", {"baseType": "float"}, _float(value))

    def feedback_rules(self, rp: _E) -> None:
        """FEEDBACK: the explanation always; an option's feedback when it was chosen (choice)
        or always (order, match: lernmodul shows it with the result); a typed answer's
        feedback when the response is that answer."""
        if not self.feedback:
            return
        q_ = self.q
        shown = [ident for ident, _ in self.feedback
                 if ident == EXPLANATION or q_.type in (QuestionType.ORDER, QuestionType.MATCH)]
        if shown:
            values = sub(sub(rp, "setOutcomeValue", {"identifier": "FEEDBACK"}), "multiple")
            for ident in shown:
                sub(values, "baseValue", {"baseType": "identifier"}, ident)
        if q_.type in (QuestionType.SINGLE, QuestionType.TRUEFALSE, QuestionType.MULTIPLE):
            self.add_feedback(rp, [], chosen=True)
        for ident, _ in self.feedback:
            if not ident.startswith("answer-"):
                continue
            condition = sub(sub(rp, "responseCondition"), "responseIf")
            if q_.type is QuestionType.NUMBER:
                self.right(condition, "RESPONSE")
            else:
                answer = q_.text_answers[int(ident.split("-")[1]) - 1]
                matches = sub(condition, "stringMatch", {"caseSensitive": "false"})
                sub(matches, "variable", {"identifier": "RESPONSE"})
                sub(matches, "baseValue", {"baseType": "string"}, answer)
            self.add_feedback(condition, [ident])

    @staticmethod
    def add_feedback(parent: _E, idents: list[str], *, chosen: bool = False) -> None:
        """FEEDBACK gets the given identifiers added; `chosen`: the chosen options (the
        options without feedback have no modalFeedback, so they show nothing)."""
        values = sub(sub(parent, "setOutcomeValue", {"identifier": "FEEDBACK"}), "multiple")
        sub(values, "variable", {"identifier": "FEEDBACK"})
        if chosen:
            sub(values, "variable", {"identifier": "RESPONSE"})
        for ident in idents:
            sub(values, "baseValue", {"baseType": "identifier"}, ident)

    # --- cloze ------------------------------------------------------------------------

    def cloze_parts(self, body: _E) -> None:
        """The stem with its gaps in place: text and number gaps as textEntryInteraction,
        choice gaps as inlineChoiceInteraction, each with its own RESPONSE_n."""
        assert self.cloze is not None
        gaps = list(self.cloze.gaps)
        self.html(body, mark_gaps(self.cloze))
        for n, gap in enumerate(gaps, start=1):
            ident = f"RESPONSE_{n}"
            if gap.kind == "choice":
                declaration = self.declare(ident, "single", "identifier")
                self.correct(declaration, [f"g{n}c{gap.right + 1}"])
            elif gap.kind == "number":
                declaration = self.declare(ident, "single", "float")
                self.correct(declaration, [number_text(gap.value)])
            else:
                declaration = self.declare(ident, "single", "string")
                self.correct(declaration, [gap.answers[0]])
                mapping = sub(declaration, "mapping", {"defaultValue": "0"})
                for answer in gap.answers:
                    sub(mapping, "mapEntry", {"mapKey": answer, "mappedValue": "1",
                                              "caseSensitive": "false"})
        for element in list(body.iter()):
            split_marks(element, gaps)

    def cloze_rules(self, rp: _E) -> None:
        assert self.cloze is not None
        gaps = self.cloze.gaps
        if self.q.scoring is Scoring.PARTIAL:
            for n, gap in enumerate(gaps, start=1):
                condition = sub(sub(rp, "responseCondition"), "responseIf")
                self.right(condition, f"RESPONSE_{n}", gap)
                self.add_score(condition, self.q.points / len(gaps))
            return
        condition = sub(rp, "responseCondition")
        branch = sub(condition, "responseIf")
        every = sub(branch, "and")
        for n, gap in enumerate(gaps, start=1):
            self.right(every, f"RESPONSE_{n}", gap)
        self.set_score(branch, self.q.points)
        self.set_score(sub(condition, "responseElse"), 0.0)


def build_item(question: Question, *, language: str = "de", media_prefix: str = "",
               cloze: Cloze | None = None, shuffle: bool = True) -> bytes:
    """The assessmentItem XML of one question (`cloze`: its gaps, for a cloze question;
    `shuffle`: the unit quiz's setting, for the order of choices and match sides)."""
    return _Item(question, language, media_prefix, cloze, shuffle).build()
