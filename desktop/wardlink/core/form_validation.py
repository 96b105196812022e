"""Checking a form's answers as a whole: which questions are asked, which are required, the
patient block, and computed scores.

Answers are checked in their FHIR form (linkId -> list of `value[x]` objects), whether they came
from the client's widgets (`prepare_answers`) or from a submitted QuestionnaireResponse
(`response_validation`), so both sides apply the same rules. The rules, as FHIR defines them:

- an item whose `enableWhen` is false, or that sits in a disabled group, is not asked, and must
  not be answered. A condition on a question that is itself not asked, or whose answer is
  invalid, sees no answer: then `exists false` and `!=` hold and every other operator fails;
- a required item must be answered when it is asked and, inside a group that is not required,
  only once something in that group is answered. A required group needs at least one answer;
- a non-repeating item takes one answer; a repeating one at most its `maxOccurs`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from wardlink.core.form_answers import AnswerProblem, AnswerValue, FhirAnswer, check, from_fhir
from wardlink.core.form_answers import to_fhir as answer_to_fhir
from wardlink.core.form_calculations import CALCULATIONS, CalculationInputError
from wardlink.core.form_definitions import Coding, EnableAnswer, EnableWhen, Form, Item
from wardlink.core.form_errors import FieldError
from wardlink.core.form_patient import IDENTIFIER, compact_number, patient_errors

FhirAnswers = dict[str, list[FhirAnswer]]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _label(item: Item) -> str:
    return item.text.rstrip(":?")


class _Enablement:
    """Which items are asked, given the answers (memoised: conditions may chain)."""

    def __init__(self, form: Form, answers: Mapping[str, Sequence[FhirAnswer]]) -> None:
        self.form = form
        self.answers = answers
        self.memo: dict[str, bool] = {}

    def enabled(self, link_id: str) -> bool:
        if link_id not in self.memo:
            item = self.form.by_link_id[link_id]
            parent = self.form.parent_of[link_id]
            if parent is not None and not self.enabled(parent):
                self.memo[link_id] = False
            elif not item.enable_when:
                self.memo[link_id] = True
            else:
                results = (self._holds(cond) for cond in item.enable_when)
                self.memo[link_id] = all(results) if item.enable_behavior == "all" else any(results)
        return self.memo[link_id]

    def _holds(self, cond: EnableWhen) -> bool:
        target = self.form.by_link_id[cond.question]
        given = self.answers.get(cond.question, ()) if self.enabled(cond.question) else ()
        values = [from_fhir(target, a) for a in given if check(target, a) is None]
        if cond.operator == "exists":
            return bool(values) is cond.answer
        wanted = cond.answer.code if isinstance(cond.answer, Coding) else cond.answer
        if cond.operator == "=":
            return any(_same(v, wanted) for v in values)
        if cond.operator == "!=":
            return not any(_same(v, wanted) for v in values)
        return any(_ordered(cond.operator, v, wanted) for v in values)


def _same(value: AnswerValue, wanted: EnableAnswer) -> bool:
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value is wanted
    return value == wanted


def _ordered(op: str, value: AnswerValue, wanted: EnableAnswer) -> bool:
    """`value op wanted` for numbers, dates and date-times; False for anything else."""
    a: float
    b: float
    if isinstance(value, bool) or isinstance(wanted, bool):
        return False
    if isinstance(value, int | float) and isinstance(wanted, int | float):
        a, b = value, wanted
    elif isinstance(value, dt.datetime) and isinstance(wanted, dt.datetime):
        a, b = value.timestamp(), wanted.timestamp()
    elif type(value) is dt.date and type(wanted) is dt.date:
        a, b = value.toordinal(), wanted.toordinal()
    else:
        return False
    return {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]


def _started(form: Form, answers: Mapping[str, Sequence[object]], group: Item) -> bool:
    """True once anything inside `group` is answered."""
    return any(answers.get(item.link_id) for item in form.walk() if _under(form, item, group))


def _under(form: Form, item: Item, group: Item) -> bool:
    parent = form.parent_of.get(item.link_id)
    while parent is not None:
        if parent == group.link_id:
            return True
        parent = form.parent_of[parent]
    return False


def _required_applies(form: Form, answers: Mapping[str, Sequence[object]], item: Item) -> bool:
    """An optional group's required items are required only once the group is started."""
    parent = form.parent_of[item.link_id]
    while parent is not None:
        group = form.by_link_id[parent]
        if not group.required and not _started(form, answers, group):
            return False
        parent = form.parent_of[parent]
    return True


def _item_errors(
    form: Form, answers: Mapping[str, Sequence[FhirAnswer]]
) -> tuple[dict[str, FieldError], _Enablement]:
    """Each item on its own: asked or not, required, how many answers, each answer's value."""
    errors: dict[str, FieldError] = {}

    def add(link_id: str, message: str) -> None:
        errors.setdefault(link_id, FieldError(link_id, message))

    for link_id in answers:
        item = form.by_link_id.get(link_id)
        if item is None or not item.answerable:
            add(link_id, "This form has no question with that name.")
    enablement = _Enablement(form, answers)
    for item in form.walk():
        given = answers.get(item.link_id, ())
        label = _label(item)
        asked = enablement.enabled(item.link_id)
        if item.type == "group":
            if (
                item.required
                and asked
                and not any(child.required for child in item.items)
                and _required_applies(form, answers, item)
                and not _started(form, answers, item)
            ):
                add(item.link_id, f"{label}: answer at least one question.")
            continue
        if not item.answerable or item.link_id in errors:
            continue
        if not asked:
            if given:
                add(item.link_id, f"{label}: not asked with the other answers given; leave blank.")
        elif not given:
            if item.required and _required_applies(form, answers, item):
                add(item.link_id, f"{label}: this is required.")
        elif len(given) > 1 and not item.repeats:
            add(item.link_id, f"{label}: takes only one answer.")
        elif item.max_occurs is not None and len(given) > item.max_occurs:
            add(item.link_id, f"{label}: takes at most {item.max_occurs} answers.")
        else:
            problems = (check(item, answer) for answer in given)
            problem = next((p for p in problems if p is not None), None)
            if problem is not None:
                add(item.link_id, f"{label}: {problem}.")
    return errors, enablement


def _valid(
    answers: Mapping[str, Sequence[FhirAnswer]],
    errors: Mapping[str, FieldError],
    asked: _Enablement,
) -> dict[str, Sequence[FhirAnswer]]:
    return {k: v for k, v in answers.items() if k not in errors and asked.memo.get(k)}


def check_answers(
    form: Form, answers: Mapping[str, Sequence[FhirAnswer]], *, today: dt.date | None = None
) -> list[FieldError]:
    """Every problem with a set of FHIR answers, at most one per field, in form order."""
    errors, enablement = _item_errors(form, answers)
    valid = _valid(answers, errors, enablement)
    found = patient_errors(form, valid, today=today or _today(), already=tuple(errors))
    found += _calculation_errors(form, valid, given=answers)
    for error in found:
        errors.setdefault(error.link_id, error)
    order = {link_id: n for n, link_id in enumerate(form.by_link_id)}
    return sorted(errors.values(), key=lambda e: order.get(e.link_id, len(order)))


def computed_answers(
    form: Form, valid: Mapping[str, Sequence[FhirAnswer]]
) -> dict[str, FhirAnswer | None]:
    """Each calculated item's answer from valid answers (None while inputs are incomplete).

    CalculationInputError if an input is valid for its field but unusable by the calculation.
    """
    values: dict[str, AnswerValue] = {
        link_id: from_fhir(form.by_link_id[link_id], given[0])
        for link_id, given in valid.items()
        if len(given) == 1 and form.by_link_id[link_id].calculated is None
    }
    results: dict[str, FhirAnswer | None] = {}
    for item in form.walk():
        if item.calculated is not None:
            value = CALCULATIONS[item.calculated](values)
            results[item.link_id] = None if value is None else answer_to_fhir(item, value)
    return results


def _calculation_errors(
    form: Form,
    valid: Mapping[str, Sequence[FhirAnswer]],
    *,
    given: Mapping[str, Sequence[FhirAnswer]],
) -> list[FieldError]:
    """A calculated answer must be present once computable, and match the computation."""
    try:
        expected = computed_answers(form, valid)
    except CalculationInputError as problem:
        return [problem.error]
    errors = []
    for link_id, answer in expected.items():
        item = form.by_link_id[link_id]
        actual = [from_fhir(item, a) for a in given.get(link_id, ()) if check(item, a) is None]
        if answer is not None and actual != [from_fhir(item, answer)]:
            message = f"{_label(item)}: does not match the answers it is worked out from."
            errors.append(FieldError(link_id, message))
    return errors


def fill_calculated(form: Form, answers: Mapping[str, Sequence[FhirAnswer]]) -> FhirAnswers:
    """The answers with every calculated item worked out afresh (left out while incomplete)."""
    errors, enablement = _item_errors(form, answers)
    filled = {
        k: list(v)
        for k, v in answers.items()
        if k not in form.by_link_id or form.by_link_id[k].calculated is None
    }
    try:
        computed = computed_answers(form, _valid(filled, errors, enablement))
    except CalculationInputError:
        return filled  # check_answers reports the input at fault
    filled.update({k: [answer] for k, answer in computed.items() if answer is not None})
    return filled


def prepare_answers(
    form: Form, answers: Mapping[str, object]
) -> tuple[FhirAnswers, list[FieldError]]:
    """Python answers (linkId -> value, or a list for repeating items) as FHIR answers, with
    the type errors found on the way. Values given for calculated items are ignored: those
    are worked out by `fill_calculated`."""
    converted: FhirAnswers = {}
    errors: list[FieldError] = []
    for link_id, raw in answers.items():
        item = form.by_link_id.get(link_id)
        if item is None or not item.answerable:
            errors.append(FieldError(link_id, "This form has no question with that name."))
            continue
        if item.calculated is not None or raw is None:
            continue
        if link_id == IDENTIFIER and isinstance(raw, str):
            raw = compact_number(raw)  # file the ten digits, however they were typed
        values: Sequence[object] = raw if isinstance(raw, list | tuple) else (raw,)
        try:
            fhir = [answer_to_fhir(item, value) for value in values]
        except AnswerProblem as problem:
            errors.append(FieldError(link_id, f"{_label(item)}: {problem}."))
            continue
        kept = [answer for answer in fhir if answer is not None]
        if kept:
            converted[link_id] = kept
    return converted, errors


def asked_items(form: Form, answers: Mapping[str, object]) -> frozenset[str]:
    """The linkIds of the items asked, given Python answers as a form being filled in holds them.

    The same rules as `check_answers` (a condition sees only valid answers to asked questions),
    so a form on screen shows exactly the questions the record will expect answered.
    """
    converted, _ = prepare_answers(form, answers)
    enablement = _Enablement(form, converted)
    return frozenset(item.link_id for item in form.walk() if enablement.enabled(item.link_id))


def validate_answers(
    form: Form, answers: Mapping[str, object], *, today: dt.date | None = None
) -> tuple[FhirAnswers, list[FieldError]]:
    """Python answers checked as a whole: the completed FHIR answers and every problem found."""
    converted, errors = prepare_answers(form, answers)
    completed = fill_calculated(form, converted)
    seen = {error.link_id for error in errors}
    errors += [e for e in check_answers(form, completed, today=today) if e.link_id not in seen]
    order = {link_id: n for n, link_id in enumerate(form.by_link_id)}
    return completed, sorted(errors, key=lambda e: order.get(e.link_id, len(order)))
