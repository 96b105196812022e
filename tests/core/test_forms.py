"""The clinical forms: every Questionnaire loads, good answers file as valid FHIR R4, bad ones are
refused field by field, and the server-side check catches what a client might send."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from wardlink.core import forms
from wardlink.core.fhir import AMENDMENT_REASON_EXTENSION, AMENDS_EXTENSION, PatientIdentifier
from wardlink.core.form_parser import parse_form
from wardlink.core.forms import (
    FieldError,
    FormDefinitionError,
    InvalidAnswers,
    PhotoAnswer,
    Quantity,
    UnknownQuestionnaire,
    build_response,
    load_form,
    validate_answers,
    validate_response,
)
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM, NHS_NUMBER_SYSTEM, mod11_check_digit
from wardlink.core.model import Attachment
from wardlink.core.resources import RESOURCES_ENV, ResourceMissing, resource_path

NOW = dt.datetime(2026, 11, 28, 9, 15, 2, 123456, tzinfo=dt.UTC)
TODAY = NOW.date()
NHS = "9434765919"
BAD_NHS = "9434765918"  # one digit off: fails the checksum
FORM_IDS = [
    "community-visit",
    "news2-observations",
    "post-fall-review",
    "safeguarding-concern",
    "sbar-handover",
    "wound-assessment",
]


def photo(n: int) -> PhotoAnswer:
    data = f"photo {n}".encode()
    return PhotoAnswer(
        sha256=hashlib.sha256(data).hexdigest(),
        content_type="image/jpeg",
        size=1000 + n,
        title=f"Wound photo {n}",
        sha1=hashlib.sha1(data).hexdigest(),
    )


PATIENT: dict[str, object] = {
    "patient.identifierSystem": "nhs",
    "patient.identifier": "943 476 5919",
    "patient.birthDate": dt.date(1948, 3, 12),
    "patient.confirmed": True,
}

GOOD: dict[str, dict[str, object]] = {
    "sbar-handover": {
        "sbar.situation.summary": "New shortness of breath since 14:00.",
        "sbar.situation.concern": "concerned",
        "sbar.background.admission": "Admitted 25/11 with community-acquired pneumonia.",
        "sbar.background.allergies": "Penicillin (rash)",
        "sbar.background.resuscitation": "for-cpr",
        "sbar.assessment.news2": 5,
        "sbar.assessment.findings": "RR 24, SpO2 92% on 2 L/min, HR 108; looks tired.",
        "sbar.recommendation.request": "Review within the hour, please; ?repeat chest X-ray.",
        "sbar.recommendation.timeframe": "1h",
    },
    "news2-observations": {
        "news2.takenAt": NOW,
        "news2.respiratoryRate": 22,
        "news2.spo2Scale": "1",
        "news2.spo2": 95,
        "news2.airOrOxygen": "oxygen",
        "news2.oxygenDevice": "nasal-cannulae",
        "news2.oxygenFlow": Quantity(2, "L/min"),
        "news2.systolicBP": 105,
        "news2.pulse": 112,
        "news2.consciousness": "A",
        "news2.temperature": 38.4,
        "news2.escalated": True,
        "news2.escalatedTo": "Nurse in charge",
    },
    "wound-assessment": {
        "wound.assessedAt": NOW,
        "wound.location": "Left heel",
        "wound.type": "pressure-ulcer",
        "wound.pressureCategory": "2",
        "wound.length": 2.5,
        "wound.width": 1.5,
        "wound.tissue": ["granulating", "slough"],
        "wound.exudate": "low",
        "wound.infection": False,
        "wound.pain": 3,
        "wound.treatment": "Cleansed with saline; foam dressing applied.",
        "wound.photosTaken": True,
        "wound.photoConsent": "patient",
        "wound.photos": [photo(1), photo(2)],
    },
    "post-fall-review": {
        "fall.occurredAt": NOW,
        "fall.location": "Bay 3 bathroom",
        "fall.witnessed": False,
        "fall.account": "Found on the floor beside the toilet; says she slipped.",
        "fall.headInjury": "cannot-exclude",
        "fall.anticoagulant": True,
        "fall.injuries": ["bruise"],
        "fall.news2": 2,
        "fall.neuro.gcs": 15,
        "fall.neuro.pupils": "equal-reactive",
        "fall.neuro.limbWeakness": False,
        "fall.neuro.vomiting": False,
        "fall.actions.medicalReview": True,
        "fall.actions.reviewedBy": "FY2 on call",
        "fall.actions.familyInformed": True,
        "fall.actions.incidentReported": True,
        "fall.actions.incidentReference": "W12345",
    },
    "community-visit": {
        "visit.start": NOW,
        "visit.type": "planned",
        "visit.setting": "home",
        "visit.reason": "Leg ulcer dressing.",
        "visit.care": "Compression bandaging reapplied.",
        "visit.weight": Quantity(72.4, "kg"),
        "visit.concerns": False,
        "visit.plan": "Next visit Friday.",
        "visit.nextVisit": dt.date(2026, 12, 1),
    },
    "safeguarding-concern": {
        "safeguarding.raisedAt": NOW,
        "safeguarding.about": "adult",
        "safeguarding.category": ["financial", "neglect"],
        "safeguarding.description": 'Says "my nephew keeps my bank card"; no food in the house.',
        "safeguarding.disclosure": True,
        "safeguarding.immediateRisk": False,
        "safeguarding.consent": "yes",
        "safeguarding.referralMade": True,
        "safeguarding.referralReference": "SG-0042",
        "safeguarding.agencies": ["gp"],
    },
}

# Per form: a required field, a wrong-typed value, a length-limited field, a choice field, and an
# answer that its enableWhen does not ask for (with the answer that switches it off).
BAD: dict[str, dict[str, Any]] = {
    "sbar-handover": {
        "required": "sbar.situation.summary",
        "wrong_type": ("sbar.assessment.news2", "five"),
        "long": ("sbar.situation.summary", 2000),
        "choice": "sbar.situation.concern",
        "disabled": ("sbar.background.ceilingOfCare", "Ward-based care only", {}),
    },
    "news2-observations": {
        "required": "news2.pulse",
        "wrong_type": ("news2.pulse", "112"),
        "long": ("news2.escalatedTo", 200),
        "choice": "news2.consciousness",
        "disabled": ("news2.oxygenDevice", "venturi", {"news2.airOrOxygen": "air"}),
    },
    "wound-assessment": {
        "required": "wound.location",
        "wrong_type": ("wound.pain", 2.5),
        "long": ("wound.location", 200),
        "choice": "wound.exudate",
        "disabled": ("wound.photos", [photo(3)], {"wound.photosTaken": False}),
    },
    "post-fall-review": {
        "required": "fall.account",
        "wrong_type": ("fall.witnessed", "unwitnessed"),
        "long": ("fall.actions.incidentReference", 50),
        "choice": "fall.headInjury",
        "disabled": ("fall.actions.reviewedBy", "Dr X", {"fall.actions.medicalReview": False}),
    },
    "community-visit": {
        "required": "visit.plan",
        "wrong_type": ("visit.nextVisit", NOW),
        "long": ("visit.reason", 1000),
        "choice": "visit.setting",
        "disabled": ("visit.concernDetails", "Carer struggling", {"visit.concerns": False}),
    },
    "safeguarding-concern": {
        "required": "safeguarding.description",
        "wrong_type": ("safeguarding.raisedAt", dt.datetime(2026, 11, 28, 9, 0)),  # naive
        "long": ("safeguarding.referralReference", 50),
        "choice": "safeguarding.about",
        "disabled": ("safeguarding.immediateAction", "Police called", {}),
    },
}


def answers_for(form_id: str, **changes: object) -> dict[str, object]:
    return {**PATIENT, **GOOD[form_id], **changes}


def file(form_id: str, answers: dict[str, object] | None = None, **kwargs: Any) -> dict[str, Any]:
    return build_response(
        form_id,
        answers_for(form_id) if answers is None else answers,
        staff_id="staff-7",
        staff_name="Sam Okafor",
        now=NOW,
        today=TODAY,
        **kwargs,
    )


def errors_for(form_id: str, answers: dict[str, object]) -> dict[str, str]:
    return {
        e.link_id: e.message for e in validate_answers(load_form(form_id), answers, today=TODAY)
    }


def label(form_id: str, link_id: str) -> str:
    return load_form(form_id).by_link_id[link_id].text.rstrip(":?")


# --- the form files -------------------------------------------------------------------------


def test_the_forms_folder_holds_exactly_these_forms() -> None:
    assert sorted(f.id for f in forms.all_forms()) == FORM_IDS
    assert sorted(p.stem for p in resource_path("forms").glob("*.json")) == FORM_IDS


def test_a_new_note_is_filed_under_a_time_ordered_id_of_its_authored_time() -> None:
    resource = file("sbar-handover")
    made = uuid.UUID(resource["id"])
    assert made.version == 7 and made.int >> 80 == int(NOW.timestamp() * 1000)
    assert resource["identifier"]["value"] == resource["id"]  # the lineage is the first version


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_each_form_is_a_valid_r4_questionnaire(form_id: str) -> None:
    form = load_form(form_id)
    model = Questionnaire.model_validate(dict(form.resource))
    assert model.status == "active"
    assert form.url == f"https://wardlink.example.nhs.uk/fhir/Questionnaire/{form_id}"
    assert form.version == "1.0.0"
    assert form.name.isidentifier()
    assert form.title
    assert load_form(form.url) is form
    assert load_form(form.canonical) is form


def test_every_form_opens_with_the_same_patient_block() -> None:
    blocks = {json.dumps(f.resource["item"][0], sort_keys=True) for f in forms.all_forms()}  # type: ignore[index]
    assert len(blocks) == 1
    block = forms.all_forms()[0].by_link_id["patient"]
    assert {i.link_id for i in block.items} >= {
        forms.IDENTIFIER_TYPE,
        forms.IDENTIFIER,
        forms.BIRTH_DATE,
        forms.CONFIRMED,
    }


def test_unknown_forms_and_versions_are_refused() -> None:
    url = load_form("sbar-handover").url
    for name in ("no-such-form", f"{url}|9.9.9", "https://elsewhere.example/Questionnaire/x"):
        with pytest.raises(UnknownQuestionnaire) as info:
            load_form(name)
        assert info.value.code == "unknown_questionnaire"


# --- good answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_good_answers_file_as_a_valid_r4_questionnaire_response(form_id: str) -> None:
    form = load_form(form_id)
    assert errors_for(form_id, answers_for(form_id)) == {}
    resource = file(form_id, response_id="note-1")
    QuestionnaireResponse.model_validate(resource)
    assert resource["questionnaire"] == f"{form.url}|1.0.0"
    assert resource["status"] == "completed"
    assert resource["id"] == "note-1"
    assert resource["subject"] == {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": NHS}}
    assert resource["author"]["display"] == "Sam Okafor"
    assert resource["authored"] == "2026-11-28T09:15:02.123Z"
    assert validate_response(resource, amendment=False, today=TODAY) == []
    # The patient's date of birth travels as an answer in the patient group.
    patient_group = resource["item"][0]
    assert patient_group["linkId"] == "patient"
    answers = {i["linkId"]: i["answer"] for i in patient_group["item"]}
    assert answers["patient.birthDate"] == [{"valueDate": "1948-03-12"}]
    assert answers["patient.identifier"] == [{"valueString": NHS}]  # filed as ten digits


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_filed_response_reads_back_as_the_answers_given(form_id: str) -> None:
    resource = file(form_id)
    back = forms.answers_of(resource)
    given = answers_for(form_id, **{"patient.identifier": NHS})
    expected = dict(given)
    if form_id == "news2-observations":
        # RR 22 (2), SpO2 95 (1), oxygen (2), BP 105 (1), pulse 112 (2), alert (0), 38.4 (1)
        assert back.pop("news2.total") == 9
        assert back.pop("news2.band") == "high"
        expected["news2.takenAt"] = NOW.replace(microsecond=123000)
    else:
        for key, value in expected.items():
            if isinstance(value, dt.datetime):
                expected[key] = value.replace(microsecond=123000)
    assert back == expected
    assert forms.patient_of(resource) == PatientIdentifier(NHS_NUMBER_SYSTEM, NHS)
    assert forms.birth_date_of(resource) == dt.date(1948, 3, 12)


def test_a_chi_number_files_under_the_configured_system() -> None:
    first_nine = "120345678"
    chi = first_nine + str(mod11_check_digit(first_nine))
    patient = {**PATIENT, "patient.identifierSystem": "chi", "patient.identifier": chi,
               "patient.birthDate": dt.date(1945, 3, 12)}  # fmt: skip
    answers = {**patient, **GOOD["sbar-handover"]}
    default = file("sbar-handover", answers)
    assert default["subject"]["identifier"] == {"system": DEFAULT_CHI_SYSTEM, "value": chi}
    custom = file("sbar-handover", answers, chi_system="urn:oid:1.2.3.4")
    assert custom["subject"]["identifier"]["system"] == "urn:oid:1.2.3.4"
    assert validate_response(custom, chi_system="urn:oid:1.2.3.4", today=TODAY) == []
    assert [e.link_id for e in validate_response(custom, today=TODAY)] == ["subject"]
    mismatch = {**answers, "patient.birthDate": dt.date(1945, 3, 13)}
    assert "patient.birthDate" in errors_for("sbar-handover", mismatch)
    assert "CHI" in errors_for("sbar-handover", mismatch)["patient.birthDate"]


def test_the_news2_score_is_worked_out_and_supplied_values_are_ignored() -> None:
    answers = answers_for("news2-observations", **{"news2.total": 0, "news2.band": "low"})
    resource = file("news2-observations", answers)
    back = forms.answers_of(resource)
    assert (back["news2.total"], back["news2.band"]) == (9, "high")
    low_medium = answers_for(
        "news2-observations",
        **{"news2.respiratoryRate": 16, "news2.spo2": 97, "news2.airOrOxygen": "air",
           "news2.oxygenDevice": None, "news2.oxygenFlow": None, "news2.systolicBP": 125,
           "news2.pulse": 72, "news2.consciousness": "C", "news2.temperature": 37.0},
    )  # fmt: skip
    back = forms.answers_of(file("news2-observations", low_medium))
    assert (back["news2.total"], back["news2.band"]) == (3, "low-medium")


def test_photos_are_content_addressed_attachments() -> None:
    resource = file("wound-assessment")
    group = next(i for i in resource["item"] if i["linkId"] == "wound.photography")
    photos = next(i for i in group["item"] if i["linkId"] == "wound.photos")["answer"]
    first = photo(1)
    assert photos[0] == {
        "valueAttachment": {
            "contentType": "image/jpeg",
            "size": 1001,
            "title": "Wound photo 1",
            "url": f"urn:wardlink:blob:{first.sha256}",
            "hash": base64.b64encode(hashlib.sha1(b"photo 1").digest()).decode(),
        }
    }
    assert forms.photo_hashes(resource) == [photo(1).sha256, photo(2).sha256]
    # The store's Attachment works as a photo answer too (no SHA-1: no hash).
    stored = Attachment(sha256=photo(4).sha256, content_type="image/png", size=9, title="Heel")
    with_store_photo = answers_for("wound-assessment", **{"wound.photos": [stored]})
    attachment = forms.answers_of(file("wound-assessment", with_store_photo))["wound.photos"]
    assert attachment == [PhotoAnswer(stored.sha256, "image/png", 9, "Heel", None)]


def test_summary_text_reads_as_question_and_answer_lines() -> None:
    text = forms.summary_text(file("wound-assessment"))
    lines = text.splitlines()
    assert lines[0] == "Wound assessment"
    assert "Wound location (e.g. left heel, sacrum): Left heel" in lines
    assert "Type of wound: Pressure ulcer" in lines
    assert "Tissue in the wound bed (all that apply): Granulating; Slough" in lines
    assert "Signs of infection (spreading redness, heat, pus, odour, increasing pain): No" in lines
    assert "Wound photographs: Photo: Wound photo 1; Photo: Wound photo 2" in lines
    assert f"NHS or CHI number: {NHS}" in lines


# --- bad answers ------------------------------------------------------------------------------


def assert_refused(form_id: str, answers: dict[str, object], link_id: str, *hidden: str) -> str:
    errors = errors_for(form_id, answers)
    assert link_id in errors, errors
    message = errors[link_id]
    for value in hidden:
        assert value not in message
    with pytest.raises(InvalidAnswers) as info:
        file(form_id, answers)
    assert link_id in {e.link_id for e in info.value.errors}
    assert info.value.code == "invalid_answers"
    return message


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_missing_required_answer_is_refused(form_id: str) -> None:
    field = BAD[form_id]["required"]
    answers = answers_for(form_id)
    del answers[field]
    message = assert_refused(form_id, answers, field)
    assert message == f"{label(form_id, field)}: this is required."


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_wrongly_typed_answer_is_refused(form_id: str) -> None:
    field, value = BAD[form_id]["wrong_type"]
    message = assert_refused(form_id, answers_for(form_id, **{field: value}), field, str(value))
    assert message.startswith(label(form_id, field) + ": ")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_an_answer_over_max_length_is_refused(form_id: str) -> None:
    field, limit = BAD[form_id]["long"]
    assert load_form(form_id).by_link_id[field].max_length == limit
    exact = answers_for(form_id, **{field: "x" * limit})
    assert field not in errors_for(form_id, exact)
    message = assert_refused(form_id, answers_for(form_id, **{field: "x" * (limit + 1)}), field)
    assert message == f"{label(form_id, field)}: is longer than {limit} characters."


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_an_answer_that_is_not_an_option_is_refused(form_id: str) -> None:
    field = BAD[form_id]["choice"]
    message = assert_refused(form_id, answers_for(form_id, **{field: "made-up"}), field, "made-up")
    assert message == f"{label(form_id, field)}: must be one of the options offered."


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_an_answer_to_a_question_not_asked_is_refused(form_id: str) -> None:
    field, value, switch_off = BAD[form_id]["disabled"]
    answers = answers_for(form_id, **switch_off, **{field: value})
    message = assert_refused(form_id, answers, field, str(value))
    assert "not asked" in message


@pytest.mark.parametrize("form_id", FORM_IDS)
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"patient.identifier": BAD_NHS}, "patient.identifier", "not a valid NHS number"),
        ({"patient.identifierSystem": "chi"}, "patient.identifier", "not a valid CHI number"),
        ({"patient.birthDate": dt.date(2026, 11, 30)}, "patient.birthDate", "future"),
        ({"patient.birthDate": dt.date(1850, 1, 1)}, "patient.birthDate", "too long ago"),
        ({"patient.birthDate": "1948-03-12"}, "patient.birthDate", "needs a date"),
        ({"patient.confirmed": False}, "patient.confirmed", "wristband"),
        ({"patient.identifier": None}, "patient.identifier", "required"),
    ],
)
def test_the_patient_block_is_checked_in_every_form(
    form_id: str, changes: dict[str, object], field: str, words: str
) -> None:
    message = assert_refused(form_id, answers_for(form_id, **changes), field, BAD_NHS, NHS)
    assert words in message


def test_a_birth_date_of_today_or_a_day_ahead_in_utc_is_accepted() -> None:
    for born in (TODAY, TODAY + dt.timedelta(days=1)):
        answers = answers_for("sbar-handover", **{"patient.birthDate": born})
        assert errors_for("sbar-handover", answers) == {}


def test_several_problems_are_reported_together_in_form_order() -> None:
    answers = answers_for("news2-observations", **{"news2.pulse": 400, "news2.spo2": 20})
    answers["patient.identifier"] = BAD_NHS
    errors = validate_answers(load_form("news2-observations"), answers, today=TODAY)
    assert [e.link_id for e in errors] == ["patient.identifier", "news2.spo2", "news2.pulse"]
    assert errors[1] == FieldError("news2.spo2", "SpO2 (%): must be from 40 to 100.")
    assert "400" not in str(errors)


def test_repeats_and_max_occurs() -> None:
    single = answers_for("wound-assessment", **{"wound.exudate": ["low", "high"]})
    assert errors_for("wound-assessment", single) == {
        "wound.exudate": "Exudate: takes only one answer."
    }
    eleven = answers_for("wound-assessment", **{"wound.photos": [photo(n) for n in range(11)]})
    assert "at most 10" in errors_for("wound-assessment", eleven)["wound.photos"]
    ten = answers_for("wound-assessment", **{"wound.photos": [photo(n) for n in range(10)]})
    assert errors_for("wound-assessment", ten) == {}
    no_photos = answers_for("wound-assessment", **{"wound.photos": None})
    assert errors_for("wound-assessment", no_photos) == {
        "wound.photos": "Wound photographs: this is required."
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (Quantity(0.4, "L/min"), "must be from 0.5 to 60"),
        (Quantity(61, "L/min"), "must be from 0.5 to 60"),
        (Quantity(2, "mL/min"), "must be in L/min"),
        (2, "needs an amount with its unit"),
    ],
)
def test_quantities_need_their_unit_and_a_plausible_amount(value: object, problem: str) -> None:
    answers = answers_for("news2-observations", **{"news2.oxygenFlow": value})
    assert errors_for("news2-observations", answers) == {
        "news2.oxygenFlow": f"Oxygen flow rate: {problem}."
    }


def test_required_inside_an_enabled_group_and_enable_behavior_any() -> None:
    # Neuro obs are asked if a head injury is possible (!= "no") OR the patient is anticoagulated.
    no_head_no_thinners = answers_for(
        "post-fall-review", **{"fall.headInjury": "no", "fall.anticoagulant": False}
    )
    assert set(errors_for("post-fall-review", no_head_no_thinners)) == {
        "fall.neuro.gcs", "fall.neuro.pupils", "fall.neuro.limbWeakness", "fall.neuro.vomiting",
    }  # fmt: skip
    for key in ("fall.neuro.gcs", "fall.neuro.pupils", "fall.neuro.limbWeakness",
                "fall.neuro.vomiting"):  # fmt: skip
        del no_head_no_thinners[key]
    assert errors_for("post-fall-review", no_head_no_thinners) == {}
    thinners_only = answers_for("post-fall-review", **{"fall.headInjury": "no"})
    del thinners_only["fall.neuro.gcs"]
    assert errors_for("post-fall-review", thinners_only) == {
        "fall.neuro.gcs": "Glasgow Coma Scale (3–15): this is required."
    }


def test_enable_when_operators_on_a_small_form() -> None:
    form = parse_form(
        {
            "resourceType": "Questionnaire", "id": "ops", "status": "active", "version": "1",
            "url": "https://wardlink.example.nhs.uk/fhir/Questionnaire/ops", "name": "Ops",
            "title": "Ops",
            "item": [
                {"linkId": "n", "text": "N", "type": "integer"},
                {"linkId": "d", "text": "D", "type": "date"},
                {"linkId": "big", "text": "Big", "type": "string", "required": True,
                 "enableWhen": [{"question": "n", "operator": ">", "answerInteger": 5}]},
                {"linkId": "none", "text": "None", "type": "string", "required": True,
                 "enableWhen": [{"question": "n", "operator": "exists", "answerBoolean": False}]},
                {"linkId": "old", "text": "Old", "type": "string", "required": True,
                 "enableWhen": [{"question": "d", "operator": "<=", "answerDate": "2000-01-01"}]},
                {"linkId": "both", "text": "Both", "type": "string", "required": True,
                 "enableBehavior": "all",
                 "enableWhen": [{"question": "n", "operator": ">=", "answerInteger": 5},
                                {"question": "n", "operator": "<", "answerInteger": 7}]},
            ],
        }
    )  # fmt: skip

    def missing(answers: dict[str, object]) -> set[str]:
        return {e.link_id for e in validate_answers(form, answers)}

    assert missing({}) == {"none"}
    assert missing({"n": 5}) == {"both"}
    assert missing({"n": 6}) == {"big", "both"}
    assert missing({"n": 7}) == {"big"}
    assert missing({"n": 1, "d": dt.date(2000, 1, 1)}) == {"old"}
    assert missing({"n": 1, "d": dt.date(2000, 1, 2)}) == set()
    assert missing({"n": 1, "none": "x"}) == {"none"}  # answered while not asked


# --- what the server sees ---------------------------------------------------------------------


def tamper(resource: dict[str, Any], link_id: str, answer: list[Any] | None) -> dict[str, Any]:
    """A copy of `resource` with one item's answer replaced (or the item removed)."""
    changed = copy.deepcopy(resource)

    def walk(items: list[dict[str, Any]]) -> None:
        for item in list(items):
            if item["linkId"] == link_id:
                if answer is None:
                    items.remove(item)
                else:
                    item["answer"] = answer
            walk(item.get("item", []))

    walk(changed["item"])
    return changed


def server_errors(resource: object, **kwargs: Any) -> dict[str, str]:
    return {e.link_id: e.message for e in validate_response(resource, today=TODAY, **kwargs)}


def test_the_server_refuses_answers_the_client_would_have_refused() -> None:
    good = file("news2-observations")
    assert server_errors(good) == {}
    assert "news2.pulse" in server_errors(tamper(good, "news2.pulse", [{"valueInteger": 400}]))
    assert "news2.pulse" in server_errors(tamper(good, "news2.pulse", [{"valueString": "112"}]))
    assert "news2.pulse" in server_errors(tamper(good, "news2.pulse", [{"valueInteger": True}]))
    assert "news2.pulse" in server_errors(tamper(good, "news2.pulse", None))
    two = [{"valueInteger": 80}, {"valueInteger": 81}]
    assert "news2.pulse" in server_errors(tamper(good, "news2.pulse", two))
    wrong_total = tamper(good, "news2.total", [{"valueInteger": 2}])
    assert server_errors(wrong_total) == {
        "news2.total": "NEWS2 total: does not match the answers it is worked out from."
    }
    assert "news2.band" in server_errors(tamper(good, "news2.band", None))
    bad_nhs = tamper(good, "patient.identifier", [{"valueString": BAD_NHS}])
    errors = server_errors(bad_nhs)
    assert "patient.identifier" in errors
    assert BAD_NHS not in str(errors)
    coding = {"system": "https://wardlink.example.nhs.uk/fhir/CodeSystem/acvpu", "code": "Z"}
    assert "news2.consciousness" in server_errors(
        tamper(good, "news2.consciousness", [{"valueCoding": coding}])
    )


def test_the_server_checks_the_envelope() -> None:
    good = file("news2-observations")
    # Marked amended without the amendment's links, and on a submit (not an amend) op.
    assert set(server_errors({**good, "status": "amended"}, amendment=False)) == {
        "status",
        "extension",
    }
    assert set(server_errors(good, amendment=True)) == {"status"}
    assert "status" in server_errors({**good, "status": "in-progress"})
    assert "id" in server_errors({**good, "id": "not an id!"})
    assert "authored" in server_errors({**good, "authored": "2026-11-28T09:15:02Z"})
    assert "author" in server_errors({**good, "author": {"display": "Someone"}})
    assert "resource" in server_errors({**good, "contained": []})
    assert "extension" in server_errors({**good, "extension": []})
    other = {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": "9434765870"}}
    assert set(server_errors({**good, "subject": other})) == {"subject"}
    assert "subject" in server_errors({**good, "subject": {"reference": "Patient/1"}})
    assert server_errors([good]) == {"resourceType": "This is not a QuestionnaireResponse."}


def test_the_server_checks_the_item_tree() -> None:
    good = file("sbar-handover")
    stray = copy.deepcopy(good)
    stray["item"].append({"linkId": "news2.pulse", "answer": [{"valueInteger": 80}]})
    assert "item" in server_errors(stray)
    misplaced = copy.deepcopy(good)
    misplaced["item"].append({"linkId": "patient.confirmed", "answer": [{"valueBoolean": True}]})
    assert "item" in server_errors(misplaced)
    doubled = copy.deepcopy(good)
    doubled["item"].append(copy.deepcopy(doubled["item"][1]))
    assert doubled["item"][1]["linkId"] in server_errors(doubled)
    not_asked = tamper(good, "sbar.background.resuscitation", None)
    group = next(i for i in not_asked["item"] if i["linkId"] == "sbar.background")
    group["item"].append(
        {"linkId": "sbar.background.ceilingOfCare", "answer": [{"valueString": "x"}]}
    )
    errors = server_errors(not_asked)
    assert "not asked" in errors["sbar.background.ceilingOfCare"]
    assert "required" in errors["sbar.background.resuscitation"]
    bad_photo = tamper(
        file("wound-assessment"),
        "wound.photos",
        [{"valueAttachment": {"contentType": "image/gif", "size": 5, "title": "x",
                              "url": f"urn:wardlink:blob:{photo(1).sha256}"}}],
    )  # fmt: skip
    assert "JPEG or PNG" in server_errors(bad_photo)["wound.photos"]
    inline = tamper(
        file("wound-assessment"),
        "wound.photos",
        [{"valueAttachment": {"contentType": "image/jpeg", "data": "AAAA", "title": "x",
                              "url": f"urn:wardlink:blob:{photo(1).sha256}", "size": 3}}],
    )  # fmt: skip
    assert "wound.photos" in server_errors(inline)


def test_an_unknown_questionnaire_is_its_own_exception() -> None:
    good = file("sbar-handover")
    for canonical in (
        "https://wardlink.example.nhs.uk/fhir/Questionnaire/sbar-handover|2.0.0",
        "https://wardlink.example.nhs.uk/fhir/Questionnaire/sbar-handover",
        "https://elsewhere.example/Questionnaire/x|1",
    ):
        with pytest.raises(UnknownQuestionnaire):
            validate_response({**good, "questionnaire": canonical})


# --- amendments -------------------------------------------------------------------------------


def test_an_amendment_is_a_new_version_and_the_old_one_is_unchanged() -> None:
    first = file("news2-observations", response_id="v1")
    kept = copy.deepcopy(first)
    later = NOW + dt.timedelta(minutes=5)
    changes = {**forms.answers_of(first), "news2.pulse": 88}
    second: dict[str, Any] = forms.amend_response(
        first, changes, reason="Pulse mistyped", staff_id="staff-9", staff_name="Jo Bloggs",
        response_id="v2", now=later, today=TODAY,
    )  # fmt: skip
    assert first == kept
    QuestionnaireResponse.model_validate(second)
    assert validate_response(second, amendment=True, today=TODAY) == []
    assert validate_response(first, amendment=False, today=TODAY) == []
    assert second["status"] == "amended"
    assert second["id"] == "v2"
    assert second["identifier"] == first["identifier"] == {
        "system": "https://wardlink.example.nhs.uk/fhir/Id/note", "value": "v1"
    }  # fmt: skip
    assert second["extension"] == [
        {"url": AMENDS_EXTENSION, "valueReference": {"reference": "QuestionnaireResponse/v1"}},
        {"url": AMENDMENT_REASON_EXTENSION, "valueString": "Pulse mistyped"},
    ]
    assert second["authored"] == "2026-11-28T09:20:02.123Z"
    assert second["author"]["display"] == "Jo Bloggs"
    assert forms.answers_of(second)["news2.total"] == 7  # the pulse no longer scores 2
    assert "Reason for amendment: Pulse mistyped" in forms.summary_text(second)
    third: dict[str, Any] = forms.amend_response(
        second, forms.answers_of(second), reason="Added comment", staff_id="staff-9",
        staff_name="Jo Bloggs", response_id="v3", now=later, today=TODAY,
    )  # fmt: skip
    assert third["identifier"]["value"] == "v1"
    assert third["extension"][0]["valueReference"] == {"reference": "QuestionnaireResponse/v2"}


def test_an_amendment_needs_a_reason_and_the_same_patient() -> None:
    first = file("sbar-handover")
    answers = forms.answers_of(first)
    kwargs: dict[str, Any] = {"staff_id": "s", "staff_name": "S", "today": TODAY}
    with pytest.raises(InvalidAnswers) as info:
        forms.amend_response(first, answers, reason="   ", **kwargs)
    assert [e.link_id for e in info.value.errors] == ["reason"]
    other_patient = {**answers, "patient.identifier": "9434765870"}
    with pytest.raises(InvalidAnswers) as info:
        forms.amend_response(first, other_patient, reason="Wrong patient", **kwargs)
    assert [e.link_id for e in info.value.errors] == ["patient.identifier"]
    assert "9434765870" not in info.value.errors[0].message
    bad = {**answers, "sbar.situation.concern": "unknown"}
    with pytest.raises(InvalidAnswers):
        forms.amend_response(first, bad, reason="Update", **kwargs)
    no_reason: dict[str, Any] = forms.amend_response(first, answers, reason="Update", **kwargs)
    no_reason["extension"] = no_reason["extension"][:1]
    assert "extension" in server_errors(no_reason)


# --- loading, and faulty form files -----------------------------------------------------------


def test_resources_can_be_moved_and_a_missing_folder_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(ResourceMissing, match="resources folder is missing"):
        resource_path("forms")
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path))
    with pytest.raises(ResourceMissing, match="forms"):
        resource_path("forms")
    with pytest.raises(ValueError, match="inside"):
        resource_path("..", "etc")


def test_a_form_without_the_patient_block_stops_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "forms"
    folder.mkdir()
    resource: dict[str, Any] = copy.deepcopy(dict(load_form("community-visit").resource))
    resource["item"] = resource["item"][1:]
    (folder / "community-visit.json").write_text(json.dumps(resource), encoding="utf-8")
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path))
    with pytest.raises(FormDefinitionError, match="patient"):
        forms.all_forms()


def _one_item_form(**item: object) -> dict[str, object]:
    return {
        "resourceType": "Questionnaire", "id": "t", "status": "active", "version": "1",
        "url": "https://wardlink.example.nhs.uk/fhir/Questionnaire/t", "name": "T", "title": "T",
        "item": [{"linkId": "a", "text": "A", "type": "string"},
                 {"linkId": "b", "text": "B", "type": "integer", **item}],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"type": "reference"}, "unsupported type"),
        ({"linkId": "a"}, "unique"),
        ({"type": "group"}, "groups"),
        ({"answerOption": [{"valueString": "x"}]}, "choice items"),
        ({"type": "choice"}, "choice items"),
        ({"maxLength": 5}, "maxLength"),
        ({"repeats": True, "type": "display"}, "repeat"),
        ({"initial": [{"valueInteger": 1}]}, "elements"),
        ({"extension": [{"url": "http://example.org/x", "valueString": "y"}]}, "extension"),
        ({"enableWhen": [{"question": "zz", "operator": "exists", "answerBoolean": True}]},
         "point at another question"),
        ({"enableWhen": [{"question": "a", "operator": ">", "answerString": "x"}]}, "fit"),
        ({"enableWhen": [{"question": "a", "operator": "~", "answerString": "x"}]}, "operator"),
        ({"enableWhen": [{"question": "a", "operator": "=", "answerString": "x"},
                         {"question": "a", "operator": "=", "answerString": "y"}]},
         "enableBehavior"),
    ],
)  # fmt: skip
def test_form_definition_errors_name_the_item(item: dict[str, object], words: str) -> None:
    with pytest.raises(FormDefinitionError, match=words):
        parse_form(_one_item_form(**item))


def test_enable_when_cycles_are_refused() -> None:
    resource = _one_item_form(
        enableWhen=[{"question": "a", "operator": "exists", "answerBoolean": True}]
    )
    resource["item"][0]["enableWhen"] = [  # type: ignore[index]
        {"question": "b", "operator": "exists", "answerBoolean": True}
    ]
    with pytest.raises(FormDefinitionError, match="cycle"):
        parse_form(resource)
