"""What the demo health board has been doing: four days of team chat, forms and photos.

Chat never names a patient (beds and bays only), as on a real ward; patient details are in the
forms. NHS numbers come from the 999 range, which is never issued to a real person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from wardlink.core.forms import Quantity

WARD = "Ward 7 (Surgical)"
COMMUNITY = "Community Nursing North"
TEAMS = ((WARD, "ward"), (COMMUNITY, "community"))

# username, display name, role, team (None: in no team)
STAFF: tuple[tuple[str, str, str, str | None], ...] = (
    ("admin", "Priya Shah (IT)", "admin", None),
    ("alice", "Alice Morgan", "staff", WARD),
    ("bob", "Bob Adeyemi", "staff", WARD),
    ("carol", "Carol Nwosu", "staff", COMMUNITY),
    ("dave", "Dave Fletcher", "staff", None),
)

# key -> (NHS number, date of birth)
PATIENTS: dict[str, tuple[str, dt.date]] = {
    "bay4-bed2": ("9992345675", dt.date(1941, 6, 3)),
    "bay2-bed1": ("9993456780", dt.date(1956, 11, 21)),
    "bay3-bed5": ("9994567896", dt.date(1938, 2, 14)),
    "home-heel": ("9996789012", dt.date(1949, 9, 30)),
    "home-insulin": ("9997890124", dt.date(1962, 4, 8)),
}

# An answer standing for "a few minutes before the step's time" (when obs were taken).
JUST_BEFORE = "<just before>"
# An answer standing for "this many days after the step's day" (a review date).
DAYS_AFTER = "<days after>"


@dataclass(frozen=True)
class Say:
    team: str
    body: str
    urgent: bool = False
    key: str | None = None  # to acknowledge it later
    about: str | None = None  # the key of a note it refers to


@dataclass(frozen=True)
class Ack:
    message: str


@dataclass(frozen=True)
class File:
    team: str
    form: str
    patient: str
    answers: Mapping[str, object]
    key: str | None = None
    photos: int = 0
    review_in_days: int = field(default=2)


@dataclass(frozen=True)
class Read:
    team: str


Action = Say | Ack | File | Read
Step = tuple[int, str, str, Action]  # day (0 = the first), "HH:MM" UTC, username, action


def news2(
    rr: int, spo2: int, *, oxygen: bool, sbp: int, pulse: int, avpu: str, temp: float,
    escalated_to: str | None,
) -> dict[str, object]:  # fmt: skip
    answers: dict[str, object] = {
        "news2.takenAt": JUST_BEFORE, "news2.respiratoryRate": rr, "news2.spo2Scale": "1",
        "news2.spo2": spo2, "news2.airOrOxygen": "oxygen" if oxygen else "air",
        "news2.systolicBP": sbp, "news2.pulse": pulse, "news2.consciousness": avpu,
        "news2.temperature": temp, "news2.escalated": escalated_to is not None,
    }  # fmt: skip
    if oxygen:
        answers["news2.oxygenDevice"] = "nasal-cannulae"
        answers["news2.oxygenFlow"] = Quantity(2, "L/min")
    if escalated_to is not None:
        answers["news2.escalatedTo"] = escalated_to
    return answers


SBAR_CHEST: dict[str, object] = {
    "sbar.situation.summary": "Day 1 after a laparoscopic cholecystectomy; breathless since 06:00.",
    "sbar.situation.concern": "concerned",
    "sbar.background.admission": "Elective laparoscopic cholecystectomy yesterday, uneventful.",
    "sbar.background.allergies": "No known drug allergies",
    "sbar.background.resuscitation": "for-cpr",
    "sbar.assessment.news2": 5,
    "sbar.assessment.findings": "RR 22, SpO2 94% on air, HR 104, T 37.9; crackles right base.",
    "sbar.recommendation.request": "FY1 review this morning; ?chest X-ray, FBC and CRP.",
    "sbar.recommendation.timeframe": "1h",
}
SBAR_DISCHARGE: dict[str, object] = {
    "sbar.situation.summary": "Medically fit for discharge; waiting for transport only.",
    "sbar.situation.concern": "routine",
    "sbar.background.admission": "Small bowel obstruction, settled with conservative care.",
    "sbar.background.allergies": "Penicillin (rash)",
    "sbar.background.resuscitation": "for-cpr",
    "sbar.assessment.findings": "Eating and drinking, bowels open, pain controlled on paracetamol.",
    "sbar.recommendation.request": "District nurse referral for a wound check in 3 days.",
    "sbar.recommendation.timeframe": "shift",
    "sbar.recommendation.handedTo": "Discharge coordinator",
}
FALL: dict[str, object] = {
    "fall.occurredAt": JUST_BEFORE,
    "fall.location": "Bay 3 bathroom",
    "fall.witnessed": False,
    "fall.account": "Found sitting on the floor beside the toilet; says her legs gave way.",
    "fall.headInjury": "cannot-exclude",
    "fall.anticoagulant": True,
    "fall.injuries": ["bruise"],
    "fall.injuryDetails": "Small bruise to the left forearm.",
    "fall.news2": 2,
    "fall.neuro.gcs": 15,
    "fall.neuro.pupils": "equal-reactive",
    "fall.neuro.limbWeakness": False,
    "fall.neuro.vomiting": False,
    "fall.actions.medicalReview": True,
    "fall.actions.reviewedBy": "Doctor on call",
    "fall.actions.familyInformed": True,
    "fall.actions.incidentReported": True,
    "fall.actions.incidentReference": "W7-2291",
    "fall.actions.prevention": "Bed rails assessment; sensor mat; walking frame within reach.",
}


def wound(length: float, width: float, tissue: list[str], treatment: str) -> dict[str, object]:
    return {
        "wound.assessedAt": JUST_BEFORE, "wound.location": "Right heel",
        "wound.type": "pressure-ulcer", "wound.pressureCategory": "2",
        "wound.length": length, "wound.width": width, "wound.tissue": tissue,
        "wound.exudate": "low", "wound.infection": False, "wound.pain": 2,
        "wound.treatment": treatment, "wound.nextReview": DAYS_AFTER,
        "wound.photosTaken": True, "wound.photoConsent": "patient",
    }  # fmt: skip


def visit(reason: str, care: str, plan: str, concern: str | None = None) -> dict[str, object]:
    answers: dict[str, object] = {
        "visit.start": JUST_BEFORE, "visit.durationMinutes": 30, "visit.type": "planned",
        "visit.setting": "home", "visit.reason": reason, "visit.care": care,
        "visit.concerns": concern is not None, "visit.plan": plan, "visit.nextVisit": DAYS_AFTER,
    }  # fmt: skip
    if concern is not None:
        answers["visit.concernDetails"] = concern
    return answers


W, C = WARD, COMMUNITY

# One step a line, as a timetable reads.
# fmt: off
HISTORY: tuple[Step, ...] = (
    # Day 0
    (0, "07:05", "alice", Say(W, "Morning all. Day shift is on: handover in the office at 07:30.")),
    (0, "07:42", "bob", Say(W, "Bay 2 bed 4 needs a pressure-relieving mattress; equipment library says by 11:00.")),  # noqa: E501
    (0, "08:20", "alice", File(W, "sbar-handover", "bay4-bed2", SBAR_CHEST, key="sbar-chest")),
    (0, "08:24", "alice", Say(W, "SBAR filed for bay 4 bed 2, FY1 to review this morning.", about="sbar-chest")),  # noqa: E501
    (0, "08:30", "carol", Say(C, "Starting the north round from the base. Car 2 is low on fuel, reported to fleet.")),  # noqa: E501
    (0, "09:10", "bob", File(W, "news2-observations", "bay4-bed2", news2(22, 95, oxygen=True, sbp=112, pulse=104, avpu="A", temp=38.2, escalated_to="FY1 and critical care outreach"), key="news2-high")),  # noqa: E501
    (0, "09:12", "bob", Say(W, "Bay 4 bed 2 NEWS2 is 7 now. FY1 bleeped on 2345 and outreach called; please stay close to bay 4.", urgent=True, key="obs-alert", about="news2-high")),  # noqa: E501
    (0, "09:13", "alice", Ack("obs-alert")),
    (0, "10:15", "alice", Say(W, "Theatre called: bay 1 bed 2 going down at 10:45, checklist done.")),  # noqa: E501
    (0, "11:20", "carol", File(C, "wound-assessment", "home-heel", wound(3.0, 2.0, ["granulating", "slough"], "Cleansed with saline; silicone foam dressing; offloading boot on."), key="wound-1", photos=2)),  # noqa: E501
    (0, "11:25", "carol", Say(C, "Heel wound photos filed from the 11:00 visit; tissue viability asked to look.", about="wound-1")),  # noqa: E501
    (0, "12:25", "bob", Say(W, "Can someone cover my break at 12:30? Bay 3 is settled.")),
    (0, "12:26", "alice", Say(W, "Covering, go now.")),
    (0, "14:00", "carol", File(C, "community-visit", "home-insulin", visit("Insulin and a foot check.", "Insulin given as prescribed; both feet checked, skin intact.", "Daily visits continue.") | {"visit.bloodGlucose": 8.4})),  # noqa: E501
    (0, "14:05", "carol", Say(C, "Back at base for the 15:30 huddle.")),
    (0, "16:45", "alice", Say(W, "Pharmacy have sent up the IV antibiotics for bay 1; they are in the treatment room fridge.")),  # noqa: E501
    (0, "19:20", "bob", Read(W)),
    (0, "19:30", "alice", Say(W, "Handover to nights done. Fridge temperature 4.1 C, logged.")),
    # Day 1
    (1, "07:10", "bob", Say(W, "Day shift on. Two admissions expected from ED this morning, beds 5 and 6 in bay 3.")),  # noqa: E501
    (1, "08:05", "alice", File(W, "news2-observations", "bay2-bed1", news2(16, 97, oxygen=False, sbp=128, pulse=78, avpu="A", temp=36.8, escalated_to=None))),  # noqa: E501
    (1, "09:40", "bob", Say(W, "Need a second checker for controlled drugs in the treatment room now, please.", urgent=True, key="cd-check")),  # noqa: E501
    (1, "09:41", "alice", Ack("cd-check")),
    (1, "10:30", "carol", Say(C, "Syringe driver at the 10:00 visit is running fine; next check this afternoon.")),  # noqa: E501
    (1, "11:15", "carol", File(C, "community-visit", "home-heel", visit("Heel dressing change and offloading check.", "Dressing changed; offloading boot fitted well.", "Visits on alternate days.", concern="Carer finding night-time repositioning hard; occupational therapy referral made for equipment."))),  # noqa: E501
    (1, "13:00", "alice", Say(W, "Bed manager wants discharges before 14:00. Bay 2 bed 1 is waiting on transport only.")),  # noqa: E501
    (1, "15:20", "bob", File(W, "post-fall-review", "bay3-bed5", FALL, key="fall")),
    (1, "15:25", "bob", Say(W, "Fall in the bay 3 bathroom, post-fall review filed. Doctor on call reviewing now.", urgent=True, key="fall", about="fall")),  # noqa: E501
    (1, "15:26", "alice", Ack("fall")),
    (1, "17:50", "carol", Say(C, "Dressing stock at base is low: foam 10x10 and saline pods. Order placed.")),  # noqa: E501
    (1, "19:25", "alice", Read(W)),
    (1, "19:30", "bob", Say(W, "Handover to nights done. Bay 3 bed 5 on enhanced observation overnight.")),  # noqa: E501
    # Day 2
    (2, "07:05", "alice", Say(W, "Morning. Bay 4 bed 2 much better overnight and back on room air.")),  # noqa: E501
    (2, "08:15", "alice", File(W, "news2-observations", "bay4-bed2", news2(18, 96, oxygen=False, sbp=118, pulse=88, avpu="A", temp=37.2, escalated_to=None))),  # noqa: E501
    (2, "09:00", "carol", Say(C, "Team huddle moved to 13:00 today, same room.")),
    (2, "10:10", "bob", File(W, "sbar-handover", "bay2-bed1", SBAR_DISCHARGE, key="sbar-discharge")),  # noqa: E501
    (2, "10:12", "bob", Say(W, "SBAR for bay 2 bed 1 filed for the discharge team.", about="sbar-discharge")),  # noqa: E501
    (2, "12:00", "carol", File(C, "wound-assessment", "home-heel", wound(2.6, 1.8, ["granulating"], "Cleansed with saline; foam dressing renewed; boot on."), key="wound-2", photos=1)),  # noqa: E501
    (2, "12:05", "carol", Say(C, "Heel wound looking cleaner today; new photo filed.", about="wound-2")),  # noqa: E501
    (2, "12:40", "alice", Say(W, "Can we move the 14:00 safety huddle to 14:30? Ward round running late.")),  # noqa: E501
    (2, "12:42", "bob", Say(W, "Fine by me.")),
    (2, "16:30", "bob", Say(W, "Physio have seen bay 3 beds 5 and 6; both mobilising with a frame.")),  # noqa: E501
    (2, "19:30", "bob", Say(W, "Handover to nights done. All obs up to date.")),
    # Day 3
    (3, "07:00", "bob", Say(W, "Day shift on. One HCA short until 11:00, bank shift requested.")),
    (3, "08:45", "carol", Say(C, "Heading out for the morning visits, back for lunch.")),
    (3, "09:30", "alice", File(W, "news2-observations", "bay3-bed5", news2(20, 95, oxygen=False, sbp=105, pulse=96, avpu="C", temp=37.4, escalated_to="Doctor on call"))),  # noqa: E501
    (3, "10:05", "alice", Say(W, "Bay 3 bed 5 is newly confused and pulling at the cannula; need a hand, please.", urgent=True, key="confused")),  # noqa: E501
    (3, "10:06", "bob", Ack("confused")),
    (3, "11:30", "carol", File(C, "community-visit", "home-insulin", visit("Insulin and a foot check.", "Insulin given; feet checked, small blister on the left little toe dressed.", "Daily visits; podiatry asked to see the toe.") | {"visit.bloodGlucose": 9.1})),  # noqa: E501
    (3, "14:20", "bob", Say(W, "Bay 1 bed 2 back from theatre, obs stable, on the post-op pathway.")),  # noqa: E501
    (3, "17:00", "carol", Say(C, "All visits done for today; notes filed.")),
    (3, "17:05", "carol", Read(C)),
    (3, "19:30", "alice", Say(W, "Handover to nights done. A quieter day.")),
    (3, "19:40", "bob", Read(W)),
    (3, "19:41", "alice", Read(W)),
)
# fmt: on
