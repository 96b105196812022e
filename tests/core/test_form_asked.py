"""`asked_items`: which questions a form asks, given the answers so far (what a form on screen
shows), by the same rules the record applies when it checks the answers."""

from __future__ import annotations

import datetime as dt

from wardlink.core.form_parser import parse_form
from wardlink.core.forms import asked_items, load_form, validate_answers


def test_follow_up_questions_are_asked_only_when_their_condition_holds() -> None:
    form = load_form("community-visit")
    assert "visit.concernDetails" not in asked_items(form, {})
    assert "visit.concernDetails" not in asked_items(form, {"visit.concerns": False})
    assert "visit.concernDetails" in asked_items(form, {"visit.concerns": True})


def test_a_group_that_is_not_asked_hides_everything_in_it() -> None:
    form = load_form("wound-assessment")
    shown = asked_items(form, {"wound.photosTaken": False})
    assert not {"wound.photography", "wound.photoConsent", "wound.photos"} & shown
    shown = asked_items(form, {"wound.photosTaken": True, "wound.photoConsent": "best-interests"})
    assert {"wound.photography", "wound.photos", "wound.photoBestInterests"} <= shown


def test_enable_behavior_any_and_chained_conditions() -> None:
    form = load_form("post-fall-review")
    neither = {"fall.headInjury": "no", "fall.anticoagulant": False}
    assert "fall.neuro.gcs" not in asked_items(form, neither)
    assert "fall.neuro.gcs" in asked_items(form, {**neither, "fall.anticoagulant": True})
    assert "fall.neuro.gcs" in asked_items(form, {**neither, "fall.headInjury": "yes"})


def test_an_invalid_answer_switches_nothing_on() -> None:
    """A typed answer that is not a valid one counts as no answer, as when filing."""
    form = parse_form(
        {
            "resourceType": "Questionnaire", "id": "t", "status": "active", "version": "1",
            "url": "https://wardlink.example.nhs.uk/fhir/Questionnaire/t", "name": "T",
            "title": "T",
            "item": [
                {"linkId": "n", "text": "N", "type": "integer",
                 "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                                "valueInteger": 10}]},
                {"linkId": "big", "text": "Big", "type": "string", "required": True,
                 "enableWhen": [{"question": "n", "operator": ">", "answerInteger": 5}]},
            ],
        }
    )  # fmt: skip
    assert "big" in asked_items(form, {"n": 7})
    assert "big" not in asked_items(form, {"n": "7x"})
    assert "big" not in asked_items(form, {"n": 70})  # out of range: not a valid answer
    # ... and validation agrees: nothing is missing while "big" is not asked.
    assert {e.link_id for e in validate_answers(form, {"n": 70}, today=dt.date(2026, 1, 1))} == {
        "n"
    }
