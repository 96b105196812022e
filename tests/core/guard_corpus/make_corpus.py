"""Writes the guard's labelled corpus: `identifiers.jsonl` and `clean.jsonl`, next to this file.

Run once by hand (`python tests/core/guard_corpus/make_corpus.py`); the data files it writes are
committed and are what the tests read, so this script is only here to show how they were made
and to extend them. Every value is fictional: NHS numbers from the 999 test range, CHI numbers
with invented birth dates, telephone numbers from Ofcom's drama ranges, invented people, streets
and e-mail addresses on the reserved example domains. The sentence templates were written by
hand to sound like UK ward and community-nursing chat, and each is filled with values in varied
formats (spacing, case, international forms).

Each line of `identifiers.jsonl` is `{"text": ..., "identifiers": [{"kind", "start", "end",
"value"}]}` with code-point offsets; each line of `clean.jsonl` is `{"text": ...}`.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261128

# ---------------------------------------------------------------------------------------------
# Fictional values
# ---------------------------------------------------------------------------------------------

SURNAMES = [
    "Patel",
    "Okafor",
    "O'Neill",
    "Taylor-Brown",
    "McDonald",
    "Nowak",
    "Khan",
    "Hughes",
    "Whitfield",
    "Ferreira",
    "Kowalczyk",
    "Abernethy",
    "Lloyd-Jones",
    "MacLeod",
    "Chowdhury",
    "Begum",
    "Ahmed",
    "Evans",
    "Fitzgerald",
    "Oyelaran",
    "Brennan",
    "Haworth",
    "Sutcliffe",
    "Ackroyd",
    "Greenwood",
    "Pickersgill",
    "Dlamini",
    "Nguyen",
    "Zielinski",
    "Quigley",
    "Henshaw",
    "Mistry",
    "Varghese",
    "Ellery",
    "Tranter",
    "Bellamy",
    "Rowntree",
    "Cartwright",
    "O'Driscoll",
    "Hamilton",
    "Wójcik",
    "Adeyemi",
    "Thistlethwaite",
    "Murgatroyd",
    "Singh",
]
FIRST_NAMES = [
    "John",
    "Mary",
    "Aisha",
    "Tomasz",
    "Bernadette",
    "Kwame",
    "Eileen",
    "Ravinder",
    "Siobhan",
    "Gareth",
    "Dorothy",
    "Harold",
    "Joan",
    "Wilfred",
    "Agnieszka",
    "Priya",
    "Declan",
    "Maureen",
    "Stanley",
    "Iris",
    "Anne-Marie",
    "Zoë",
    "Nkechi",
    "Alasdair",
    "Renée",
]
STREETS = [
    "Acacia Avenue",
    "Mill Lane",
    "Station Road",
    "Byres Road",
    "Kingfisher Way",
    "St Mary's Close",
    "Harrogate Rd",
    "Victoria St",
    "Low Fold",
    "Elm Crescent",
    "Chapel Street",
    "Bramley Gardens",
    "Moorside Drive",
    "Thornhill Court",
    "Oakwood Grove",
    "Primrose Hill",
    "Cherry Tree Walk",
    "Willow Terrace",
    "Beech Mews",
    "Heather Rise",
    "Crown Place",
    "Albion Square",
    "Rosemary Lane",
    "Ravenscliffe Avenue",
    "Sandy Lane",
    "Netherfield Road",
    "Hollin Park Road",
    "Gledhow Valley Road",
    "Wellington Street",
    "Back Hessle Terrace",
    "Old Mill Close",
    "Cromwell Mount",
    "Lidgett Lane",
    "Otley Road",
]
LOWER_OK_STREETS = [s for s in STREETS if s.split()[-1] in {"Avenue", "Lane", "Road", "Street"}]
POSTCODE_AREAS = [
    "LS",
    "M",
    "B",
    "SW1A",
    "G",
    "EH",
    "CF",
    "BT",
    "NE",
    "S",
    "L",
    "BS",
    "OX",
    "CB",
    "NG",
    "LE",
    "DN",
    "HU",
    "YO",
    "PL",
    "EX",
    "TR",
    "WF",
    "HX",
    "BD",
    "HG",
    "DD",
    "AB",
    "SA",
    "LL",
    "E",
    "N",
    "SE",
    "NW",
    "W1D",
    "EC1V",
    "WC2H",
]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "example.co.uk"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def check_digit(first_nine: str) -> int | None:
    """The NHS modulus-11 check digit, written out here so the data does not depend on the code."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else None if check == 10 else check


def nhs_digits(rng: random.Random) -> str:
    while True:
        first = "999" + "".join(rng.choice("0123456789") for _ in range(6))
        check = check_digit(first)
        if check is not None:
            return f"{first}{check}"


def chi_digits(rng: random.Random) -> str:
    while True:
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99)
        first = f"{day:02d}{month:02d}{year:02d}" + "".join(rng.choice("0123456789") for _ in "123")
        check = check_digit(first)
        if check is not None:
            return f"{first}{check}"


def bad_ten_digits(rng: random.Random) -> str:
    """Ten digits that are neither a valid NHS nor a valid CHI number: an order or lab number."""
    while True:
        digits = str(rng.randint(1_000_000_000, 9_999_999_999))
        if check_digit(digits[:9]) != int(digits[9]):
            return digits


def fmt_nhs(rng: random.Random) -> str:
    d = nhs_digits(rng)
    return rng.choice(
        [
            d,
            f"{d[:3]} {d[3:6]} {d[6:]}",
            f"{d[:3]} {d[3:6]} {d[6:]}",
            f"{d[:3]}-{d[3:6]}-{d[6:]}",
            f"{d[:4]} {d[4:7]} {d[7:]}",
            f"{d[:3]} {d[3:6]} {d[6:]}",
            d,
        ]
    )


def fmt_chi(rng: random.Random) -> str:
    d = chi_digits(rng)
    return rng.choice([d, f"{d[:6]} {d[6:]}", f"{d[:6]} {d[6:]}", f"{d[:6]}-{d[6:]}"])


DRAMA_PHONES: list[Callable[[random.Random], str]] = [
    lambda r: f"07700 900{r.randint(0, 999):03d}",
    lambda r: f"01632 960{r.randint(0, 999):03d}",
    lambda r: f"0113 496 0{r.randint(0, 999):03d}",
    lambda r: f"0114 496 0{r.randint(0, 999):03d}",
    lambda r: f"0117 496 0{r.randint(0, 999):03d}",
    lambda r: f"0121 496 0{r.randint(0, 999):03d}",
    lambda r: f"0131 496 0{r.randint(0, 999):03d}",
    lambda r: f"0141 496 0{r.randint(0, 999):03d}",
    lambda r: f"0161 496 0{r.randint(0, 999):03d}",
    lambda r: f"0191 498 0{r.randint(0, 999):03d}",
    lambda r: f"020 7946 0{r.randint(0, 999):03d}",
    lambda r: f"029 2018 0{r.randint(0, 999):03d}",
    lambda r: f"028 9018 0{r.randint(0, 999):03d}",
]


def fmt_phone(rng: random.Random) -> str:
    national = rng.choice(DRAMA_PHONES[:1] * 4 + DRAMA_PHONES)(rng)
    digits = national.replace(" ", "")
    groups = national.split()
    style = rng.randrange(10)
    if style == 0:
        return digits
    if style == 1:
        return "+44 " + " ".join([groups[0][1:], *groups[1:]])
    if style == 2:
        return "+44" + digits[1:]
    if style == 3 and len(groups) == 2:
        return f"({groups[0]}) {groups[1]}"
    if style == 4:
        return "0044 " + " ".join([groups[0][1:], *groups[1:]])
    if style == 5 and len(groups) == 2 and len(groups[1]) == 6:
        return f"{groups[0]} {groups[1][:3]} {groups[1][3:]}"
    if style == 6:
        return "+44 (0)" + " ".join([groups[0][1:], *groups[1:]])
    if style == 7:
        return "-".join(groups)
    return national


def fmt_postcode(rng: random.Random) -> str:
    area = rng.choice(POSTCODE_AREAS)
    outward = area if any(ch.isdigit() for ch in area) else f"{area}{rng.randint(1, 29)}"
    inward = f"{rng.randint(0, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    style = rng.randrange(8)
    if style == 0:
        return f"{outward}{inward}"
    if style == 1:
        return f"{outward} {inward}".lower()
    if style == 2:
        return f"{outward}{inward}".lower()
    return f"{outward} {inward}"


def fmt_name(rng: random.Random) -> str:
    title = rng.choice(["Mr", "Mrs", "Mrs", "Ms", "Miss", "Mx", "Mr", "Mrs"])
    surname = rng.choice(SURNAMES)
    style = rng.randrange(12)
    if style == 0:
        return f"{title}. {surname}"
    if style == 1:
        return f"{title} {rng.choice(FIRST_NAMES)} {surname}"
    if style == 2:
        return f"{title}. {rng.choice(FIRST_NAMES)} {surname}"
    if style == 3:
        return f"{title} {rng.choice(FIRST_NAMES)[0]} {surname}"
    if style == 4:
        return f"{title} {rng.choice(FIRST_NAMES)[0]}. {surname}"
    if style == 5 and title in {"Mr", "Mrs", "Mx"}:
        return f"{title.lower()} {surname.lower()}"
    if style == 6:
        return f"{title.lower()} {surname}"
    return f"{title} {surname}"


def fmt_email(rng: random.Random) -> str:
    first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    clean = re.sub(r"[^a-z]", "", surname.lower())
    first_clean = re.sub(r"[^a-z]", "", first.lower())
    local = rng.choice(
        [
            f"{first_clean}.{clean}",
            f"{first_clean[0]}{clean}",
            f"{clean}{rng.randint(40, 99)}",
            f"{first_clean}_{clean}",
            f"{first_clean}.{clean}+care",
        ]
    )
    address = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
    return address.upper() if rng.randrange(15) == 0 else address


def fmt_address(rng: random.Random) -> str:
    number = str(rng.randint(1, 240))
    if rng.randrange(6) == 0:
        number += rng.choice("abc")
    street = rng.choice(STREETS)
    style = rng.randrange(10)
    if style == 0:
        return f"Flat {rng.randint(1, 12)}, {number} {street}"
    if style == 1:
        return f"flat {rng.randint(1, 3)}/{rng.randint(1, 2)}, {number} {street}"
    if style == 2:
        return f"{number} {rng.choice(LOWER_OK_STREETS).lower()}"
    if style == 3:
        return f"{number}, {street}"
    return f"{number} {street}"


def fmt_dob(rng: random.Random) -> tuple[str, str]:
    """A cue and a birth date: (text before the date, date). Only the date is the identifier."""
    year = rng.randint(1922, 2004)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    yy = f"{year % 100:02d}"
    mon = MONTHS[month - 1]
    date = rng.choice(
        [
            f"{day:02d}/{month:02d}/{year}",
            f"{day}/{month}/{year}",
            f"{day:02d}/{month:02d}/{yy}",
            f"{day}.{month}.{yy}",
            f"{day:02d}.{month:02d}.{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{day} {mon} {year}",
            f"{day} {mon[:3]} {yy}",
            f"{day} {mon[:3]} {year}",
            f"{day:02d}-{month:02d}-{year}",
            f"{mon} {day}, {year}",
            f"{day}{'th' if day not in (1, 2, 3, 21, 22, 23) else ('st', 'nd', 'rd')[day % 10 - 1]}"
            f" {mon} {year}",
        ]
    )
    cue = rng.choice(
        [
            "DOB ",
            "DOB: ",
            "dob ",
            "DoB ",
            "D.O.B. ",
            "d.o.b. ",
            "date of birth: ",
            "Date of birth ",
            "born ",
            "born on ",
            "DOB - ",
            "dob:",
            "DOB ",
        ]
    )
    if rng.randrange(9) == 0 and date[-4:-2] == "19" and "/" in date:
        cue = ""  # a bare date of birth with a 19xx year
    return cue, date


def fmt_hospital_number(rng: random.Random) -> str:
    return f"K{rng.randint(1_000_000, 9_999_999)}"


# ---------------------------------------------------------------------------------------------
# Lines with identifiers
# ---------------------------------------------------------------------------------------------

IDENTIFIER_TEMPLATES = [
    "{name} in bay 3 is asking for the daughter to ring back on {phone}",
    "can someone call {name}'s son on {phone} re discharge tomorrow",
    "New referral: {name}, {dob}, NHS {nhs}",
    "DN visit today {address}, key safe code is on the system",
    "pt moved to side room 2 – NHS no {nhs}",
    "family contact for {name}: {phone} (daughter)",
    "anyone know who's covering {name} at {address}, {postcode}?",
    "GP surgery say the pt is {dob}, doesn't match our label",
    "please send the referral to {email} as well as the usual address",
    "{name} {dob} bed 14 for discharge lounge at 11",
    "Transport booked for {name}, pick up from {address}, {postcode} at 09:30",
    "{nhs} bloods haemolysed, needs repeat",
    "can't find {nhs} on the system – typo?",
    "CHI {chi} for the Ninewells referral please",
    "patient CHI {chi}, {name}, awaiting OT assessment",
    "son's mobile {phone}, landline {phone}",
    "{name}'s postcode is {postcode} if anyone's doing the TTO drop",
    "Out of hours: {name} rang from {phone}, catheter blocked",
    "next of kin {name} {phone}",
    "key safe at {address}, ring {phone} when you're outside",
    "safeguarding referral sent for {name} ({dob})",
    "pls update the board: {name} → bay 4 bed 2",
    "MRN {hosp} – needs consent form signing before theatre",
    "{hosp} {name} NBM from midnight",
    "hospital no. {hosp}, can you check the drug chart?",
    "Visiting {name} first thing, {address} – dog in the garden!",
    "I've got {name} {nhs} on my list twice, can someone check",
    "wife's number is {phone}, she's not driving so can't collect",
    "{postcode} – roadworks on the way, I'll be late to the 10am",
    "{name} wants her chiropodist appt moved, she's on {phone}",
    "pharmacy asked for NHS number {nhs} for the blister pack",
    "Discharge address changed to {address}, {postcode}",
    "moving in with daughter at {address} from Monday",
    "{email} is the daughter's email for the care plan meeting",
    "social worker is {name}, {phone}",
    "nhs no {nhs} dob {dobdate}",
    "Re {name} – daughter says her {dob}, the label's wrong",
    "{name} fell at home ({address}), ambulance took her to ED",
    "Palliative visit {name}, {postcode}, JIC meds in the house",
    "Just had {name} on the phone ({phone}) asking about her husband",
    "CHI no. {chi} – INR result came back 4.1, warfarin held",
    "Can you book bloods for {name}, {dob}, {address}?",
    "Mum of the patient in bed 6 rang twice – {phone}",
    "{name} is going to {address} for respite",
    "{phone} is the care home's direct line",
    "Leg ulcer clinic: {name} at 2pm, {name} at 2.30",
    "Bay 2: {name}, {name}, {name} all for TTOs",
    "Confirming {nhs} = {name} before I send the bloods",
    "new pt on caseload: {name}, {address}, {postcode}, {phone}",
    "ED handover – {name}, {dob}, NHS {nhs}, came in from {address}",
    "pls email me the wound chart, {email}",
    "could the ward clerk ring {phone} to rearrange the OPA?",
    "{name} says she's moving to {postcode} next month",
    "Daughter's new email is {email}",
    "SW referral: {name}, CHI {chi}, lives alone at {address}",
    "dob {dobdate} not matching the wristband, pls check",
    "Please re-label the sample: should be {nhs} not the one on the form",
    "{name} needs a taxi home to {postcode} after 4",
    "{name} declined the flu jab again",
    "Pt in SR1 is {name} not the name on the whiteboard",
    "if anyone speaks to {name} can you ask for a better number than {phone}",
    "Husband ({name}) will bring the dosette box in, his number {phone}",
    "care agency want {address} confirmed before the first call",
    "{name} DNACPR confirmed with GP",
    "who took the call from {phone} about 3pm?",
    "Patient's CHI is {chi}, hospital number {hosp}",
    "{nhs} – please don't discharge until OT have seen",
    "GP letter addressed to {address} came back undelivered",
    "Meds delivery for {name} left with neighbour at {address}",
    "{name} {postcode} visit moved to Thursday",
    "NOK email {email}, prefers email to phone",
    "anyone free to cover {name}'s insulin at 5? {address}",
    "Dressing change for {name} due today, {address}, park round the back",
    "refused bloods again – {name}, {dob}",
    "Please call back {name} on {phone} about the commode",
    "hi all, {name} passed away peacefully overnight, family aware",
    "{name}: {dob}, NHS {nhs}, CHI n/a",
    "{name}, {address}, {postcode} – first visit, Braden score needed",
    "She gave her address as {address} but the system says {address}",
    "ring {phone} before visiting, she's hard of hearing",
    "bed 9 – {name} – {nhs} – for CT head today",
    "typo on the TTO, {name}'s NHS number is {nhs}",
    "daughter lives at {postcode}, might be easier to visit there",
    "{name} asked for a copy of the discharge letter sent to {email}",
    "Sent the DN referral for {name}, {dob}",
    "{phone} keeps calling the ward asking for {name}",
    "Booked hospital transport: {name}, {address}, wheelchair",
    "The pt on the ortho list is {name} ({hosp})",
    "{hosp} and {hosp} both need bloods before 10",
    "cannot get hold of {name}'s son, tried {phone} 3 times",
    "{name}, dob:{dobdate}",
    "Post-op check {name}, {dob}, NHS number {nhs}, {hosp}",
    "MASH referral made for {name}, lives at {address}",
    "please can someone chase the echo for {name}",
    "call the patient on {phone} to confirm the appt",
    "pt asks we use {email} for letters",
    "{address} is the right address, the old one is on SystmOne",
    "{name}, {address} – needs 2 carers for transfers",
    "who is {name}'s named nurse today?",
    "re: {nhs}, the CT is booked for 14:30",
    "quick one: {name} or {name} for the 2pm slot?",
    "Lives at {address} {postcode} with wife",
    "{dob}",
    "{nhs}",
    "{phone}",
    "{name}",
    "{postcode}",
    "{address}",
    "CHI: {chi}",
    "pls can someone ring {phone}",
    "bay 3 bed 2 is {name}, {nhs}",
    "Dad's mobile is {phone} 👍",
    "🚑 {name} transferred to CCU",
    "🙏 thanks – {name}'s NOK is on {phone}",
    "{name} says thank you for the flowers 💐",
    "Referral from GP for {name} {dob} – query cellulitis",
    "ward 7 has {name} from {postcode}, not ours",
    "{name} - wife is on {phone}, son on {phone}",
    "ext 4567 if {name}'s family ring – they have {phone} for us",
    "bleep 2345 re {name} in bay 2",
    "{name} had 5mg oramorph at 14:00, {nhs}",
    "BP 90/60 for {name} in bed 12, NEWS 6",
    "{name} INR 2.4 today, dose unchanged",
    "K+ 5.9 on {name}'s bloods, repeat sent",
    "order 4056789123 for {name} has been cancelled",
    "Flat is {address}, buzzer doesn't work, ring {phone}",
    "{chi} – needs repeat U&E",
    "sending {nhs} to the discharge lounge now",
    "lives with daughter at {postcode}",
    "his email: {email}",
    "Can you add {email} to the distribution list for {name}'s MDT",
    "NHS number {nhs} / hospital number {hosp}",
    "got a new patient {name} {dob} at {address}",
    "{name} discharged home to {address} at 15:10",
    "Ring {name} on {phone} or email {email}",
    "apologies, sent {name}'s NHS number to the wrong group: {nhs}",
    "pt's number is {phone}.",
    "{name}'s daughter is in the day room, wants a word",
    "call {phone} or {phone}, whichever she answers",
    "NHS:{nhs}",
    "nhs#{nhs} for the TTO",
    "email:{email}, pls reply today",
    "DOB{dobdate}, query wrong patient",
    "postcode {postcode} for the ambulance",
    "lives at {address} (ground floor)",
    "{name} and {name} in the same bay, both for 10am TTO",
    "tel {phone} x2 attempts, no answer",
    "{name}, {address}, {postcode}, {phone}, {email}",
    "Can {name} have a call back? {phone}",
    "Son is {name} ({phone})",
    "{address}\n{postcode}",
    "re {name} – {chi} – the INR is 3.9",
    "{name} (aged 87), {postcode}",
    "{phone} – husband, {phone} – daughter",
    "hospital number {hosp}, bed 8",
    "Query duplicate record: {nhs} and {nhs}",
    "{name} – lives with wife at {address}, {postcode}",
    "Daughter {name} asked to be kept updated: {email}",
    "{name} has moved from Ward 7 to Ward 24",
    "RIP {name}, {dob}",
    "Can you text the new address to the team? {address}",
    "last known address {address} – no longer there",
    "Message from {name}: please call {phone} after 6pm",
    "{name}'s NOK lives at {postcode}",
    "mobile {phone} (landline broken)",
    "bay 5 bed 1 {name} DOB {dobdate} NHS {nhs}",
    "{name} {nhs} {dobdate}",
]


# Lines written out whole, for forms the templates do not produce: [[kind|identifier]] marks
# each identifier.
HANDWRITTEN_IDENTIFIER_LINES = """\
tel: [[phone|+44-7700-900321]] (son)
[[name|Mrs. O’Neill]] asked for her glasses
No. [[address|14 Acacia Avenue]], back door open
Apt 4, [[address|22 Mill Lane]]? no – it's [[address|Flat 4, 22 Mill Lane]]
DOB:[[dob|12/3/45]], NHS:[[nhs_number|9990001227]]
date of birth [[dob|12th of March, 1945]]
Born: [[dob|12/03/1945]] – matches the wristband
[[name|MRS OKAFOR]] RANG AGAIN ABOUT HER HUSBAND
[[name|Mr Ahmed]]/[[name|Mrs Ahmed]] both on the list today
NOK: [[name|Ms Begum]] [[phone|07700900765]] / [[email|s.begum@example.org]]
[[phone|0113-496-0555]] is the daughter's work number
ring [[phone|(0161) 496 0234]] after 5
pt address: [[address|9 Oakwood Grove]], Leeds [[postcode|LS8 2QR]]
[[postcode|LS82QR]]
[[postcode|ls8 2qr]] – parking permit needed
CHI [[chi_number|0504331248]] – bloods due
[[chi_number|050433-1248]] booked for the 2pm slot
Hi, is [[name|Mr Fitzgerald]] ([[dob|DOB 04/07/1939]]) still in?
[[name|mr o'driscoll]] for the DN list tomorrow
safeguarding: [[name|Miss Hughes]] and her mum at [[address|3 Heather Rise]]
spoke to [[name|Mrs Patel]]'s GP, [[phone|0121 496 0000]]
[[email|Dorothy.Evans45@example.co.uk]] wants the letter
NHS No: [[nhs_number|999 000 1227]]. Hosp No: [[hospital_number|K2468024]].
[[hospital_number|K1357913]]/[[nhs_number|9990001227]] both on the request
can you fax the TTO? [[phone|01632 960 001]]
her daughter in Boston: [[phone|+1 617 555 0199]]
she moved from [[address|27b Station Road]] to [[address|Flat 1, 2 Crown Place]] last year
urgent: [[name|Mx Quigley]] [[dob|DOB 29/02/1944]] not for CPR
[[name|Mrs Zoë Ferreira-Lopes]] (dob [[dob|1 Jan 1950]]) new to caseload
he's [[name|Mr. Singh]], not [[name|Mr. Sing]] – two pts, check [[nhs_number|9990001227]]
""".splitlines()
_MARKED = re.compile(r"\[\[(\w+)\|(.+?)\]\]")


def parse_marked(line: str) -> tuple[str, list[dict[str, object]]]:
    """A hand-written line without its [[kind|identifier]] marks, and the marked spans."""
    text, labels, pos = "", [], 0
    for match in _MARKED.finditer(line):
        text += line[pos : match.start()]
        kind, value = match.group(1), match.group(2)
        if kind == "dob" and value.lower().startswith("dob "):
            text, value = text + value[:4], value[4:]
        labels.append(
            {"kind": kind, "start": len(text), "end": len(text) + len(value), "value": value}
        )
        text += value
        pos = match.end()
    return text + line[pos:], labels


def render(template: str, rng: random.Random) -> tuple[str, list[dict[str, object]]]:
    """Fill a template's slots; return the text and its labelled identifier spans."""
    out: list[str] = []
    labels: list[dict[str, object]] = []
    pos = 0
    length = 0
    for match in re.finditer(r"\{(\w+)\}", template):
        literal = template[pos : match.start()]
        out.append(literal)
        length += len(literal)
        slot = match.group(1)
        if slot == "dob":
            cue, value = fmt_dob(rng)
            kind, prefix = "dob", cue
        elif slot == "dobdate":
            _, value = fmt_dob(rng)
            kind, prefix = "dob", ""
        else:
            formatter = {
                "nhs": fmt_nhs,
                "chi": fmt_chi,
                "phone": fmt_phone,
                "postcode": fmt_postcode,
                "name": fmt_name,
                "email": fmt_email,
                "address": fmt_address,
                "hosp": fmt_hospital_number,
            }[slot]
            kind = {"nhs": "nhs_number", "chi": "chi_number", "hosp": "hospital_number"}.get(
                slot, slot
            )
            value, prefix = formatter(rng), ""
        out.append(prefix + value)
        start = length + len(prefix)
        labels.append({"kind": kind, "start": start, "end": start + len(value), "value": value})
        length += len(prefix) + len(value)
        pos = match.end()
    tail = template[pos:]
    text = "".join(out) + tail
    for label in labels:
        start, end = label["start"], label["end"]
        assert isinstance(start, int) and isinstance(end, int)
        assert text[start:end] == label["value"], (template, text)
    return text, labels


# ---------------------------------------------------------------------------------------------
# Clean lines: clinical chatter that must not be flagged
# ---------------------------------------------------------------------------------------------

CLEAN_LINES = """\
handover at 14:30 in the office please
2pm meds round running late, sorry
obs due 0800 for bay 3
back at 1915 after my break
anyone want to swap 0730-2000 on Sat for a late?
paracetamol 1g PO qds prn, last dose 06:00
enox 40mg sc od – given at 18:00
insulin 12 units with lunch, BM 14.2 pre-meal
morphine 2.5-5mg prn max 4 hourly
gent 5mg/kg, level due before the next dose
tazocin 4.5g tds IV, day 3 of 7
furosemide 40 mg bd, weight down 1.2kg
BP 120/80 HR 88 SpO2 94% RR 22 temp 37.8 NEWS 5
NEWS2 score 7, outreach aware
INR 2.4, keep warfarin at 3mg
Hb 98, no transfusion needed
K+ 5.9 – repeat sent, ECG done
CRP 145 up from 98, micro advice awaited
eGFR 34, hold the metformin
Na 131, fluid restrict 1.5L
lactate 2.1 on VBG
GCS 14/15, confused but settled
pain 6/10, oramorph 5mg given
urine output 30ml/hr over last 4 hrs
fluid balance +1.2L since midnight
on O2 2L via NC, sats 95%
bed 14 for CT at 11
bay 3 bed 2 needs a pressure mattress
side room 4 is barrier nursed, C diff
room 12 is free for the admission from AMU
bleep 2345 if anyone needs me
ext 4567 for the discharge coordinator
ext. 61234 is the bed bureau
call 61234 for portering
fast bleep 1234 for the crash team
can someone swap 12/12?
rota w/c 14/12/2026 is up on the board
see you 14/12 for the study day
next clinic 05/12/2026 at 9am
annual leave 23/12 to 02/01 approved
training on 3 March in the education centre
bank holiday 25/12/2026 – double time
audit due 31.01.27
order number 4056789123 cancelled, re-requested
lab ref {order} haemolysed
sample ID 24-118832 lost in transit, please resend
datix 123456 submitted for the fall
Ward 7 are full, AMU holding 3
Ward 24 want a nurse to help with an escort
Dr Jones is the reg on call tonight
Sister Khan says no visitors after 8
Nurse Ellis is on the late, ask her
Charge Nurse Obi covering the bed meeting
Dr. Smith reviewed, plan to continue abx
echo shows mod MR and mild AS
known MS, on fingolimod
QT 450 ms on today's ECG
please don't miss the 10am dose of levodopa
B12 1mg IM every 3 months
vit D 20000 units weekly
HbA1c 48, diet controlled
pO2 8.1 kPa on air, CO2 6.2
T2DM, on gliclazide 80mg bd
L4/5 disc prolapse, ortho spinal aware
C5 fracture in a collar, log roll
M62 closed between J26 and J27, will be late
A61 roadworks near the hospital again
2 x 500ml bags of Hartmann's up
5000 units heparin sc bd
day 3 of 7 of co-amox
POD 2 post hemi, mobilising with frame
12 lead ECG done and in the notes
24hr urine collection started at 0700
1 in 4 chance of needing a second op, consultant explained
mileage for today: 23 miles
3 visits left on the north round, running 20 min late
car park B barrier broken again
can we get the sharps bin collected from the treatment room?
CD check at 21:00 please, 2 nurses
fridge temp 4.8, logged
the pump in bay 1 keeps alarming, biomed called
IV access lost in bed 8, can someone with a USS come?
bay 6 bed 3 needs a 1:1, falls risk
team meeting 13:00 in the seminar room
pharmacy closing at 17:00 today
TTOs for beds 2, 7 and 11 still outstanding
gastro registrar will see bed 16 after clinic
physio want bed 5 sat out for lunch
NG tube 50cm at the nostril, aspirate pH 4.5
cannula re-sited, 20g left ACF
catheter 14Fr changed, due again in 12 weeks
wound 4cm x 2cm, granulating, next dressing Fri
braden 12, turns 2 hourly
MUST score 2, dietitian referral done
fluids 1L over 8 hrs then review
vanc level 14.8, continue same dose
ABG: pH 7.31, pCO2 7.2, HCO3 29
HR 112 irregularly irregular, new AF?
temp 38.4 at 02:00, cultures sent
RR 28, sats 89% on 4L, medics called
CBG 3.1, 4 jellybabies, recheck 15 min
Hb dropped from 112 to 86, G&S sent
platelets 42, no IM injections
creatinine 212, baseline 98
ALP 380, GGT 410, query obstruction
troponin 28 then 31, cardio happy
D-dimer 1.2, CTPA requested
discharge lounge open from 08:00
2 beds coming free after 11
4 patients for theatre tomorrow, list starts 08:30
any HCA free to help in bay 4?
can night staff restock the IV trolley pls
drugs fridge key is with the NIC
the hoist battery is on charge in the sluice
tissue viability visit Thursday pm
OT saw bed 3, needs a perching stool
SALT reviewed bed 10, level 4 puree, mildly thick fluids
MDT at 10:30, bring the whiteboard list
bay 2 cleaned, ready for the next admission
stock order went in for 10 boxes of gloves
shift swap: my 14/11 late for your 21/11 early?
I'm in at 07:15 tomorrow
rota for 14/11/2026 has 2 gaps on nights
on 12/03 I'm on a course, can't do the late
can anyone do an extra on 28/11?
study leave 9-10 Jan
mandatory training due by 31/03/2027
fire drill Weds 10am
bins collected at 6 so don't block the bay
3rd floor lift out of order
AMU bed 23 coming to us at 4
ITU stepdown to bed 1 later today
CCU have no beds, cardio aware
patient in SR2 self-discharged, Datix done
Rapid response at 11:52, now stable
sats 92% on 2L, target 88-92
obs 4 hourly overnight unless NEWS >4
abx switch to oral from tomorrow
cefuroxime 1.5g tds, micro happy
clarithromycin 500mg bd
apixaban 5mg bd started
amlodipine 10mg od held, BP 98/60
ramipril 2.5mg restarted at half dose
sando-K 2 tabs tds for 3 days
Oramorph 2.5ml prn, 3 doses in 24h
PCA running, 1mg bolus, 5 min lockout
Fragmin 5000 units od
alfentanil in the syringe driver, 1mg/24h
levetiracetam 500mg bd, no seizures since admission
NEWS 0 all day, for discharge tomorrow
NEWS 3 for RR 21 and temp 38.1
fluid chart for beds 9-12 please
weights on Mon and Thu for the HF patients
blood cultures x2 sent at 21:40
MRSA screen due on bay 5
COVID swab neg, can move to a bay
flu A positive in SR3
norovirus closure of bay 1 until Sat
we have 3 bank staff on tonight
handover sheet updated, 28 patients
2 nurses off sick, escalated to the matron
the bleep holder tonight is on 2345
clinic letters go out in 5-7 working days
FY1 will prescribe the fluids after the ward round
the reg says hold the 6pm dose
ward round 09:30, consultant is Dr Osei
Mr Men stickers for the paeds bay 😂
ordered 2 units of blood, first unit at 14:00
tranexamic acid 1g given at 03:10
pressure sore grade 2 on sacrum, photos in the form
community round: 9 visits, 2 insulin, 1 palliative
syringe driver reloaded at 11:20
doppler ABPI 0.9 right, 0.85 left
compression bandages reapplied, next visit Mon
key safe code is in the form, not here!
parked on the double yellows for 2 min, sorry!
the van's at 80 miles, needs charging
venepuncture list: 6 on the round today
INR clinic moved to room 3 on Weds
GP practice closed 13:00-14:00
out of hours number is on the team page
ring the ward on ext 4411 if you need anything
please use the form, not chat, for any patient details
5 bed bay 3 all female now
the 0800 bloods are done, 1 clotted
ward 9 borrowed our bladder scanner, can someone fetch it
2 porters requested for 10:15
CT at 15:45 for bed 22
MRI spine 4pm, checklist done
x-ray PA chest done at 12:05
US abdo booked for Thu
endoscopy list 3 patients, NBM from midnight
EEG tomorrow 10am
colonoscopy prep started at 18:00
theatre 4 running an hour late
the 2nd case is cancelled, no beds in ITU
bed manager wants 3 discharges before 12
can we have 1 more HCA for the bay 6 enhanced obs?
tea break rota: 10:00, 10:20, 10:40
Lunch 12.30-13.00
off at 8 tonight
back on 18/11
on leave till 3rd Dec
W/C 7 Dec rota is out
Dec 24th night shift still needs cover
X-mas party 12/12 at 7:30pm 🎄
order 8271930465 for the pressure mattress
job no. 88123 with estates for the leaking sink
requisition 7703551298 rejected, resubmitting
incident ref W123456 closed
PO 4500123456 for the stock order
ticket INC0012345 with IT for the printer
printer code 1234 for the office printer
door code is on the staff page, not here
locker 42 is free
parking permit 0451 expires soon
the wifi password changed again
Can you cover 1900-0730 on the 14th?
weekend rota: Sat 07:30-20:00, Sun off
my number changed, it's on the staff directory
hi, I'm the new band 6, see you on the 9th
bay 4 bed 2 wants a cuppa
SpO2 97% RA
temp 36.9
HR 64 reg
RR 16
BP 142/91, repeat in 1 hr
BM 5.6
NEWS2 1
Glasgow coma score 15
APTT ratio 2.1
magnesium 0.62, replace IV
phosphate 0.5, replace
vitamin K 10mg IV given
potassium 3.2, 40mmol in 1L over 8 hours
albumin 24
bili 45
WCC 18.2, neut 16
lymphocytes 0.6
ferritin 12
TSH 6.1
PSA 4.2
urine dip: leu 2+, nit pos
MSU sent
stool chart: type 7 x3
bowels open today, type 4
NBM since 02:00
diet as tolerated from 12:00
mobilised 20m with frame and 1
sat out in chair for 2 hours
bed rails assessment done
falls risk: high, low bed in place
MAR chart missing for bed 13
drug round 22:00 done
controlled drugs checked, all correct
Bed 1 to 12 covered by Jo, 13 to 24 by Sam
Sam take bay 1-3, Ali bay 4-6
Dr Patel (FY2) will do the cannulas
Sister Wright on tomorrow, ask her about AL
Matron Hussain visiting the ward at 11
Nurse Campbell has the keys
@Jo can you check bed 4's fluids?
@ward.manager rota is done
thanks @Sam 👍
please ack the urgent msg about the fire door
bay 3 window won't shut, estates called
2 pts need hearing aid batteries
the blue folder is in the office drawer
check the crash trolley daily, last done 26/11
oxygen cylinder in bay 5 is empty
suction checked
resus bag in SR4
NIV on bed 17, settings IPAP 16 EPAP 5
CPAP 10 with 40% O2
high flow 50L 40%
chest drain swinging and bubbling
stoma output 1.2L, fluids up
PEG feed 1.5kcal 1000ml over 16h
TPN bag changed at 20:00
blood transfusion complete, no reaction
platelets 1 pool given
FFP 2 units before the line
Vit K and PCC given for the bleed
for OGD tomorrow, NBM from 00:00
post-op day 1, drain 50ml
dressing dry and intact
staples out on day 10, 14/12
bloods Mon, Wed and Fri
repeat U&E in 48h
pharmacy review: stop the PPI
OT home visit 3/12 cancelled
social services assessment done, POC 4x daily
package of care starts Monday
DST booked, 11am in the day room
family meeting 2pm Thursday in the quiet room
chaplain requested for bay 5
interpreter booked for 10:00 (Polish)
the Urdu interpreter is on 15 min notice
learning disability nurse aware
dementia team will see bed 20
tissue viability: grade 3, photos in the form
discharge checklist complete for bed 6
TTO ready, waiting for transport
transport booked for 13:00, stretcher
discharged at 16:20
died 03:45, verified by the night reg
bereavement office informed
last offices done
bed 11 ready for the next pt
2 admissions expected from ED
ED breach at 4hrs, they're pushing
site team asking for 2 beds by 5
escalation beds open on ward 30
capacity meeting at 8, 12 and 4
we are OPEL 3 today
staffing: 6 RNs, 4 HCAs on the late
agency nurse arriving at 19:30
please swap my 10/01 for 17/01 if anyone can
can I have 19/12 off? swap for any early
rota 04/01/2027 to 31/01/2027 published
next DN team meeting 09/12/2026
flu clinic 14-16 Nov
DN caseload 86 this week
12 insulin visits, 4 of them twice daily
5 new referrals today
3 wound clinics tomorrow, 9-12
ABPI clinic room 2 next Tues
phlebotomy round 8-10
the Ridgeway round has 14 visits
north team car 2 needs an MOT
fuel card PIN is in the safe
mileage claims in by the 25th
supervision 1:1 on 20/11 at 2pm
appraisal due Jan
revalidation in March
e-learning: 3 modules overdue
Level 3 safeguarding on 8/12
MDT notes updated
risk assessment done for lone working
lone worker device charged
returned to base 17:10, all visits done
back at base, 2 visits handed to the twilight team
twilight team: 6 visits, 3 catheters
night sitter requested
GP aware, will visit tomorrow
OOH GP called, visiting within 2h
111 advised ED, declined
ambulance ETA 40 min
on hold to the ambulance control for 20 min
pharmacy delivered the JIC meds
just in case meds: 4 drugs, 5 amps each
syringe driver: midazolam 10mg, morphine 10mg
verification of death done at 22:10
house visit done, family supported
equipment: hospital bed, pressure mattress, commode
bed delivered, mattress to follow
ring the equipment service on ext 5830
hoist sling size L ordered
MOTs due on 3 cars this month
severe MR on echo, for cardiology review
echo: mod mr, mild tr, lvef 45%
MS nurse visiting at 2
known MS, relapse on the ward
QTc 480 ms, stop the ondansetron
QRS 120 ms
don't miss the 6pm insulin
Miss a dose and the INR will drop
Mr Men and Little Miss books for the children's bay
at 14.30 on 12.12 we have the fire training
bloods at 0600 and 1800
switchboard then bleep 3456
drug chart rewritten 3/12
apixaban 2.5 mg bd from 12/03
weight 68.4kg, BMI 31.2
ward 3B has a side room free
Ward 7 Green Lane site, not the main building
level 2 Brotherton Wing for the MRI
the 12 days of Christmas rota is out
Day 14 of 28 of the chemo cycle
sepsis six done at 14:10
take 2 tabs at 8pm
baby born 2/7 ago, feeding well
2/7 hx of SOB, 3/52 of cough
reviewed 6/12 ago in clinic
M1 J40 closed northbound
stuck behind 2 tractors on the road, 15 min late
20 mins down the road, nearly there
5 min walk from the car park to the house
1 lane closed on the M62
obs 0600 1000 1400 1800 2200
shifts 0730-1530 and 1200-2000
NMC PIN expires 31/03, revalidation due
Reg no. 123456 for the agency nurse
on-call 0700-1900 then handover to nights
cleaning 1/2 hourly in the bay with C diff
3 Oak Ward beds closed for deep clean
pCO2 5.2, PO2 11.3
vit B12 50mcg, folate 5mg
Hb 98 Sunday, 92 today
CT head 2/24 ago, no bleed
room 4 Park Ward is the discharge lounge
bay 6 Rose Court is closed
fluids: 1L 0.9% saline 8 hourly
sats 88-92% target, 2L NC
temp 37.8 at 22:00, 38.2 at 02:00
PEWS 3, paeds reg aware
BP 160/95 at 0800, 150/90 at 1200
GCS 15/15 E4 V5 M6
HR 130 on 3 checks, ECG sinus tach
order 8349012766 sent to pharmacy
lab ref 5550123456 for the cultures
bed 14 Station ward is the old name for ward 14
asked @sister.k to check the MAR
thanks @Sam.B, see you at 7
room 101 is the seminar room
Clinic 3 on level 1, outpatients
catch up at 3 in the staff room
please can 2 people help turn bed 6 at 4
2 staff sick, 1 on AL, 1 at training
can the 14:00 swap with the 16:00?
new starter on 01/12, please be welcoming
last day 23/12/2026, leaving do at 6
ward 4 handover 07:45 sharp
Mr Tumble DVD for the children's bay
Mrs Brown's Boys on in the day room lol
Bleep 1234 or ext 61234, whichever is quicker
phone ext. 4567 for the pharmacist
the number for bed bureau is on the wall
""".splitlines()

CLEAN_TEMPLATES = [
    "order {order} for the FBC is cancelled",
    "lab number {order}, result not back yet",
    "please chase request {order} with the lab",
    "bed {bed} obs: BP {bp} HR {hr} sats {sats}% NEWS {news}",
    "bay {bay} bed {bed} needs {dose} of {drug}",
    "{drug} {dose} given at {time}",
    "can someone swap {shift}? I'm stuck",
    "bleep {bleep} for the on-call pharmacist",
    "ext {ext} for the bed bureau",
    "{staff} is covering bay {bay} after {time}",
    "room {bed} for the {time} admission",
    "{staff} wants bed {bed} reviewed at {time}",
    "rota for {fulldate}: 2 gaps on the late",
    "next clinic {fulldate} at {time}",
    "shift on {shift} is now a long day",
    "INR {inr}, warfarin dose unchanged tonight, recheck {shift}",
    "{drug} {dose} stat at {time}, bay {bay}",
    "NEWS {news} in bed {bed}, reg aware",
    "K+ {k}, Hb {hb}, CRP {crp}",
    "call {ext} if the lab rings",
    "Ward {ward} want our spare drip stand",
]
DRUGS = [
    "paracetamol",
    "co-codamol",
    "oramorph",
    "ondansetron",
    "cyclizine",
    "metoclopramide",
    "furosemide",
    "bisoprolol",
    "ramipril",
    "amoxicillin",
    "co-amoxiclav",
    "gentamicin",
    "vancomycin",
    "enoxaparin",
    "dalteparin",
    "insulin aspart",
    "lantus",
    "levothyroxine",
    "prednisolone",
    "omeprazole",
    "senna",
    "laxido",
    "haloperidol",
    "lorazepam",
    "zopiclone",
]
STAFF = [
    "Dr Jones",
    "Dr Osei",
    "Sister Khan",
    "Nurse Ellis",
    "Charge Nurse Obi",
    "Dr. Smith",
    "Sister Wright",
    "Matron Hussain",
    "Dr Nowak",
    "the reg",
    "the FY1",
    "Jo",
    "Sam",
    "Priya",
]


def fill_clean(template: str, rng: random.Random) -> str:
    def dose() -> str:
        amount = rng.choice(["5", "2.5", "10", "1", "40", "500", "0.5", "12", "20", "1.5"])
        unit = rng.choice(["mg", " mg", "g", " units", "mcg", "ml", " g IV"])
        return amount + unit

    def fulldate() -> str:
        return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.choice([2026, 2027])}"

    values: dict[str, Callable[[], str]] = {
        "order": lambda: bad_ten_digits(rng),
        "bed": lambda: str(rng.randint(1, 28)),
        "bay": lambda: str(rng.randint(1, 6)),
        "bp": lambda: f"{rng.randint(85, 180)}/{rng.randint(45, 105)}",
        "hr": lambda: str(rng.randint(48, 140)),
        "sats": lambda: str(rng.randint(86, 100)),
        "news": lambda: str(rng.randint(0, 9)),
        "dose": dose,
        "drug": lambda: rng.choice(DRUGS),
        "time": lambda: rng.choice(
            [
                f"{rng.randint(0, 23):02d}:{rng.choice(['00', '15', '30', '45'])}",
                f"{rng.randint(1, 12)}{rng.choice(['am', 'pm'])}",
                f"{rng.randint(0, 23):02d}{rng.choice(['00', '30'])}",
            ]
        ),
        "shift": lambda: f"{rng.randint(1, 28)}/{rng.randint(1, 12)}",
        "bleep": lambda: str(rng.randint(1000, 9999)),
        "ext": lambda: str(rng.randint(1000, 99999)),
        "staff": lambda: rng.choice(STAFF),
        "fulldate": fulldate,
        "inr": lambda: f"{rng.randint(10, 50) / 10:.1f}",
        "k": lambda: f"{rng.randint(28, 65) / 10:.1f}",
        "hb": lambda: str(rng.randint(70, 160)),
        "crp": lambda: str(rng.randint(1, 300)),
        "ward": lambda: str(rng.randint(1, 40)),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)](), template)


def main() -> None:
    rng = random.Random(SEED)
    seen: set[str] = set()
    identifier_rows: list[dict[str, object]] = []
    for template in IDENTIFIER_TEMPLATES:
        for _ in range(3 if "{" in template else 1):
            text, labels = render(template, rng)
            if text not in seen:
                seen.add(text)
                identifier_rows.append({"text": text, "identifiers": labels})
    for line in HANDWRITTEN_IDENTIFIER_LINES:
        text, labels = parse_marked(line)
        if text not in seen:
            seen.add(text)
            identifier_rows.append({"text": text, "identifiers": labels})
    clean_rows: list[dict[str, object]] = []
    for line in CLEAN_LINES:
        text = fill_clean(line, rng) if "{" in line else line
        if text.strip() and text not in seen:
            seen.add(text)
            clean_rows.append({"text": text})
    for template in CLEAN_TEMPLATES:
        for _ in range(4):
            text = fill_clean(template, rng)
            if text not in seen:
                seen.add(text)
                clean_rows.append({"text": text})
    for name, rows in (("identifiers.jsonl", identifier_rows), ("clean.jsonl", clean_rows)):
        with (HERE / name).open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} lines")


if __name__ == "__main__":
    main()
