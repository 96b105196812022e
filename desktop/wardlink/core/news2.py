"""NEWS2, the National Early Warning Score, exactly as the Royal College of Physicians' 2017 chart.

Each of seven parameters scores 0-3; the total and whether any single parameter scored 3 set the
clinical risk band that decides how fast a patient is escalated. The score is only as good as the
numbers fed in, so implausible readings (a likely typo) are refused rather than scored.

Temperature is charted to one decimal place. A reading with more decimals is first rounded half
up to one decimal, as a nurse filling in the chart would: 36.05 becomes 36.1 (0 points) and 35.05
becomes 35.1 (1 point). The rounding is done in decimal, so binary floating point cannot tip a
boundary value either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

Band = Literal["low", "low-medium", "medium", "high"]
CONSCIOUSNESS_LEVELS: Final = ("A", "C", "V", "P", "U")

# Plausible readings: outside these a value is far more likely a typo than a patient.
RR_RANGE: Final = (1, 80)
SPO2_RANGE: Final = (40, 100)
SYSTOLIC_BP_RANGE: Final = (40, 300)
PULSE_RANGE: Final = (20, 300)
TEMPERATURE_RANGE: Final = (25.0, 45.0)

CLINICAL_RESPONSE: Final[dict[Band, str]] = {
    "low": "Registered nurse to assess and decide how often to monitor (at least 12-hourly for a "
    "score of 0, 4–6-hourly for 1–4).",
    "low-medium": "A single parameter scored 3: registered nurse to inform the medical team "
    "urgently; monitor at least hourly.",
    "medium": "Urgent response: registered nurse to inform the medical team at once and ask for "
    "urgent assessment by a clinician with acute illness skills; monitor at least hourly.",
    "high": "Emergency response: call the critical care outreach or emergency team at once; "
    "continuous monitoring.",
}


class News2InputError(ValueError):
    """An observation that cannot be scored; `parameter` names it and the message says why."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True, slots=True)
class News2:
    """A NEWS2 result: each parameter's score, the total and the clinical risk band."""

    respiratory_rate: int
    spo2: int
    air_or_oxygen: int
    systolic_bp: int
    pulse: int
    consciousness: int
    temperature: int
    total: int
    band: Band
    any_single_3: bool

    @property
    def clinical_response(self) -> str:
        """What the RCP chart asks staff to do at this band."""
        return CLINICAL_RESPONSE[self.band]


def _whole_number(parameter: str, label: str, value: object, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise News2InputError(parameter, f"{label} must be a whole number from {low} to {high}.")
    return value


def _temperature_tenths(value: object) -> int:
    """Temperature in tenths of a degree, rounded half up (see the module docstring)."""
    low, high = TEMPERATURE_RANGE
    message = f"Temperature must be a number of degrees Celsius from {low} to {high}."
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise News2InputError("temperature", message)
    tenths = int(Decimal(repr(float(value))).quantize(Decimal("0.1"), ROUND_HALF_UP) * 10)
    if not low * 10 <= tenths <= high * 10:
        raise News2InputError("temperature", message)
    return tenths


def respiratory_rate_score(rate: int) -> int:
    if rate <= 8:
        return 3
    if rate <= 11:
        return 1
    if rate <= 20:
        return 0
    if rate <= 24:
        return 2
    return 3


def spo2_scale_1_score(spo2: int) -> int:
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def spo2_scale_2_score(spo2: int, *, on_oxygen: bool) -> int:
    """Scale 2 (target 88-92%): high readings only score when they are on oxygen."""
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92 or not on_oxygen:
        return 0
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def systolic_bp_score(systolic: int) -> int:
    if systolic <= 90:
        return 3
    if systolic <= 100:
        return 2
    if systolic <= 110:
        return 1
    if systolic <= 219:
        return 0
    return 3


def pulse_score(pulse: int) -> int:
    if pulse <= 40:
        return 3
    if pulse <= 50:
        return 1
    if pulse <= 90:
        return 0
    if pulse <= 110:
        return 1
    if pulse <= 130:
        return 2
    return 3


def temperature_score_tenths(tenths: int) -> int:
    """The score for a temperature given in tenths of a degree (365 is 36.5 °C)."""
    if tenths <= 350:
        return 3
    if tenths <= 360:
        return 1
    if tenths <= 380:
        return 0
    if tenths <= 390:
        return 1
    return 2


def band_for(total: int, *, any_single_3: bool) -> Band:
    """The clinical risk band: 7+ high, 5-6 medium, a lone 3 low-medium, else low."""
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    return "low-medium" if any_single_3 else "low"


def score(
    *,
    respiratory_rate: int,
    spo2: int,
    scale: int,
    on_oxygen: bool,
    systolic_bp: int,
    pulse: int,
    consciousness: str,
    temperature: float,
) -> News2:
    """Score one set of observations; News2InputError names the first implausible parameter.

    `scale` is the SpO2 scale (1, or 2 for prescribed target 88-92%); `consciousness` is the
    ACVPU letter, where "C" is new confusion.
    """
    rr = _whole_number("respiratory_rate", "Respiratory rate", respiratory_rate, RR_RANGE)
    sats = _whole_number("spo2", "SpO2", spo2, SPO2_RANGE)
    if not isinstance(scale, int) or isinstance(scale, bool) or scale not in (1, 2):
        raise News2InputError("scale", "SpO2 scale must be 1 or 2.")
    if not isinstance(on_oxygen, bool):
        raise News2InputError("on_oxygen", "Air or oxygen must be given as yes or no.")
    sbp = _whole_number("systolic_bp", "Systolic blood pressure", systolic_bp, SYSTOLIC_BP_RANGE)
    hr = _whole_number("pulse", "Pulse", pulse, PULSE_RANGE)
    if consciousness not in CONSCIOUSNESS_LEVELS:
        raise News2InputError("consciousness", "Consciousness must be one of A, C, V, P or U.")
    tenths = _temperature_tenths(temperature)

    if scale == 1:
        spo2_points = spo2_scale_1_score(sats)
    else:
        spo2_points = spo2_scale_2_score(sats, on_oxygen=on_oxygen)
    parts = (
        respiratory_rate_score(rr),
        spo2_points,
        2 if on_oxygen else 0,
        systolic_bp_score(sbp),
        pulse_score(hr),
        0 if consciousness == "A" else 3,
        temperature_score_tenths(tenths),
    )
    total = sum(parts)
    any_single_3 = 3 in parts
    return News2(
        respiratory_rate=parts[0],
        spo2=parts[1],
        air_or_oxygen=parts[2],
        systolic_bp=parts[3],
        pulse=parts[4],
        consciousness=parts[5],
        temperature=parts[6],
        total=total,
        band=band_for(total, any_single_3=any_single_3),
        any_single_3=any_single_3,
    )
