"""NEWS2 against the Royal College of Physicians' 2017 chart, boundary by boundary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.core import news2
from wardlink.core.news2 import News2InputError, score

# Observations that score 0 on every parameter: each case below changes one of them.
NORMAL: dict[str, Any] = {
    "respiratory_rate": 16,
    "spo2": 98,
    "scale": 1,
    "on_oxygen": False,
    "systolic_bp": 120,
    "pulse": 70,
    "consciousness": "A",
    "temperature": 37.0,
}


def test_normal_observations_score_zero() -> None:
    result = score(**NORMAL)
    assert result.total == 0
    assert result.band == "low"
    assert not result.any_single_3


@pytest.mark.parametrize(
    ("rate", "points"),
    [(1, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (80, 3)],
)
def test_respiratory_rate(rate: int, points: int) -> None:
    result = score(**{**NORMAL, "respiratory_rate": rate})
    assert result.respiratory_rate == points
    assert result.total == points


@pytest.mark.parametrize(
    ("spo2", "points"),
    [(40, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)],
)
@pytest.mark.parametrize("on_oxygen", [False, True])
def test_spo2_scale_1_ignores_oxygen_for_the_saturation_score(
    spo2: int, points: int, on_oxygen: bool
) -> None:
    result = score(**{**NORMAL, "spo2": spo2, "on_oxygen": on_oxygen})
    assert result.spo2 == points
    assert result.air_or_oxygen == (2 if on_oxygen else 0)
    assert result.total == points + result.air_or_oxygen


@pytest.mark.parametrize(
    ("spo2", "on_air", "on_oxygen"),
    [
        (40, 3, 3),
        (83, 3, 3),
        (84, 2, 2),
        (85, 2, 2),
        (86, 1, 1),
        (87, 1, 1),
        (88, 0, 0),
        (92, 0, 0),
        (93, 0, 1),
        (94, 0, 1),
        (95, 0, 2),
        (96, 0, 2),
        (97, 0, 3),
        (100, 0, 3),
    ],
)
def test_spo2_scale_2_on_air_and_on_oxygen(spo2: int, on_air: int, on_oxygen: int) -> None:
    air = score(**{**NORMAL, "scale": 2, "spo2": spo2, "on_oxygen": False})
    oxygen = score(**{**NORMAL, "scale": 2, "spo2": spo2, "on_oxygen": True})
    assert (air.spo2, oxygen.spo2) == (on_air, on_oxygen)
    assert air.total == on_air
    assert oxygen.total == on_oxygen + 2  # supplemental oxygen scores 2 on either scale


@pytest.mark.parametrize(
    ("systolic", "points"),
    [(40, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3),
     (300, 3)],
)  # fmt: skip
def test_systolic_bp(systolic: int, points: int) -> None:
    result = score(**{**NORMAL, "systolic_bp": systolic})
    assert result.systolic_bp == points
    assert result.total == points


@pytest.mark.parametrize(
    ("pulse", "points"),
    [(20, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2),
     (130, 2), (131, 3), (300, 3)],
)  # fmt: skip
def test_pulse(pulse: int, points: int) -> None:
    result = score(**{**NORMAL, "pulse": pulse})
    assert result.pulse == points
    assert result.total == points


@pytest.mark.parametrize(("level", "points"), [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)])
def test_consciousness_new_confusion_scores_like_voice_pain_unresponsive(
    level: str, points: int
) -> None:
    result = score(**{**NORMAL, "consciousness": level})
    assert result.consciousness == points
    assert result.total == points
    assert result.band == ("low-medium" if points == 3 else "low")


@pytest.mark.parametrize(
    ("temperature", "points"),
    [
        (25.0, 3),
        (35.0, 3),
        (35.1, 1),
        (36.0, 1),
        (36.1, 0),
        (38.0, 0),
        (38.1, 1),
        (39.0, 1),
        (39.1, 2),
        (45.0, 2),
        (37, 0),  # an int is a temperature too
        # More than one decimal: rounded half up to one decimal first.
        (35.04, 3),
        (35.05, 1),
        (36.04, 1),
        (36.05, 0),
        (38.04, 0),
        (38.05, 1),
        (39.04, 1),
        (39.05, 2),
        (36.049999, 1),
    ],
)
def test_temperature(temperature: float, points: int) -> None:
    result = score(**{**NORMAL, "temperature": temperature})
    assert result.temperature == points
    assert result.total == points


@pytest.mark.parametrize(
    ("changes", "total", "band"),
    [
        ({}, 0, "low"),
        ({"respiratory_rate": 21, "systolic_bp": 95}, 4, "low"),  # 2 + 2, no single 3
        ({"pulse": 131}, 3, "low-medium"),  # a single 3 on its own
        ({"pulse": 131, "temperature": 38.5}, 4, "low-medium"),  # 3 + 1
        ({"respiratory_rate": 21, "systolic_bp": 95, "pulse": 95}, 5, "medium"),
        ({"consciousness": "C", "systolic_bp": 95}, 5, "medium"),  # a 3 within 5
        ({"respiratory_rate": 22, "on_oxygen": True, "systolic_bp": 95}, 6, "medium"),
        ({"respiratory_rate": 22, "on_oxygen": True, "systolic_bp": 95, "pulse": 95}, 7, "high"),
        ({"consciousness": "U", "systolic_bp": 85, "pulse": 35}, 9, "high"),
    ],
)
def test_aggregate_score_and_band(changes: dict[str, Any], total: int, band: str) -> None:
    result = score(**{**NORMAL, **changes})
    assert (result.total, result.band) == (total, band)
    assert result.any_single_3 is (3 in _parameter_scores(result))
    assert result.clinical_response == news2.CLINICAL_RESPONSE[result.band]


def test_the_worst_observations_score_the_chart_maximum() -> None:
    worst = score(
        respiratory_rate=40, spo2=80, scale=1, on_oxygen=True, systolic_bp=70, pulse=150,
        consciousness="U", temperature=40.0,
    )  # fmt: skip
    assert worst.total == 3 + 3 + 2 + 3 + 3 + 3 + 2
    assert worst.band == "high"


def _parameter_scores(result: news2.News2) -> list[int]:
    return [
        result.respiratory_rate,
        result.spo2,
        result.air_or_oxygen,
        result.systolic_bp,
        result.pulse,
        result.consciousness,
        result.temperature,
    ]


def _reference_points(value: float, table: Sequence[tuple[float, float, int]]) -> int:
    """The chart as a lookup table of inclusive (low, high, points) rows."""
    matches = [points for low, high, points in table if low <= value <= high]
    assert len(matches) == 1
    return matches[0]


RR_TABLE = [(0, 8, 3), (9, 11, 1), (12, 20, 0), (21, 24, 2), (25, 999, 3)]
SCALE_1_TABLE = [(0, 91, 3), (92, 93, 2), (94, 95, 1), (96, 100, 0)]
SCALE_2_AIR_TABLE = [(0, 83, 3), (84, 85, 2), (86, 87, 1), (88, 100, 0)]
SCALE_2_OXYGEN_TABLE = [*SCALE_2_AIR_TABLE[:3], (88, 92, 0), (93, 94, 1), (95, 96, 2), (97, 100, 3)]
SBP_TABLE = [(0, 90, 3), (91, 100, 2), (101, 110, 1), (111, 219, 0), (220, 999, 3)]
PULSE_TABLE = [(0, 40, 3), (41, 50, 1), (51, 90, 0), (91, 110, 1), (111, 130, 2), (131, 999, 3)]
TEMP_TABLE = [(0, 35.0, 3), (35.1, 36.0, 1), (36.1, 38.0, 0), (38.1, 39.0, 1), (39.1, 99, 2)]


@given(
    rr=st.integers(1, 80),
    spo2=st.integers(40, 100),
    scale=st.sampled_from([1, 2]),
    on_oxygen=st.booleans(),
    sbp=st.integers(40, 300),
    pulse=st.integers(20, 300),
    level=st.sampled_from(news2.CONSCIOUSNESS_LEVELS),
    tenths=st.integers(250, 450),
)
@settings(derandomize=True, max_examples=400)
def test_agrees_with_the_chart_as_a_table(
    rr: int, spo2: int, scale: int, on_oxygen: bool, sbp: int, pulse: int, level: str, tenths: int
) -> None:
    temperature = tenths / 10
    if scale == 1:
        spo2_table = SCALE_1_TABLE
    else:
        spo2_table = SCALE_2_OXYGEN_TABLE if on_oxygen else SCALE_2_AIR_TABLE
    expected = [
        _reference_points(rr, RR_TABLE),
        _reference_points(spo2, spo2_table),
        2 if on_oxygen else 0,
        _reference_points(sbp, SBP_TABLE),
        _reference_points(pulse, PULSE_TABLE),
        0 if level == "A" else 3,
        _reference_points(temperature, TEMP_TABLE),
    ]
    result = score(
        respiratory_rate=rr, spo2=spo2, scale=scale, on_oxygen=on_oxygen, systolic_bp=sbp,
        pulse=pulse, consciousness=level, temperature=temperature,
    )  # fmt: skip
    assert _parameter_scores(result) == expected
    total = sum(expected)
    assert result.total == total
    if total >= 7:
        assert result.band == "high"
    elif total >= 5:
        assert result.band == "medium"
    else:
        assert result.band == ("low-medium" if 3 in expected else "low")


@pytest.mark.parametrize(
    ("parameter", "value", "named"),
    [
        ("respiratory_rate", 0, "Respiratory rate"),
        ("respiratory_rate", 81, "Respiratory rate"),
        ("respiratory_rate", 12.5, "Respiratory rate"),
        ("respiratory_rate", True, "Respiratory rate"),
        ("respiratory_rate", "16", "Respiratory rate"),
        ("spo2", 39, "SpO2"),
        ("spo2", 101, "SpO2"),
        ("scale", 0, "SpO2 scale"),
        ("scale", 3, "SpO2 scale"),
        ("scale", 1.0, "SpO2 scale"),
        ("scale", True, "SpO2 scale"),
        ("on_oxygen", "yes", "Air or oxygen"),
        ("on_oxygen", 1, "Air or oxygen"),
        ("systolic_bp", 39, "Systolic blood pressure"),
        ("systolic_bp", 301, "Systolic blood pressure"),
        ("pulse", 19, "Pulse"),
        ("pulse", 301, "Pulse"),
        ("consciousness", "X", "Consciousness"),
        ("consciousness", "a", "Consciousness"),
        ("consciousness", "", "Consciousness"),
        ("consciousness", "Alert", "Consciousness"),
        ("temperature", 24.9, "Temperature"),
        ("temperature", 45.1, "Temperature"),
        ("temperature", math.nan, "Temperature"),
        ("temperature", math.inf, "Temperature"),
        ("temperature", "37.0", "Temperature"),
        ("temperature", True, "Temperature"),
    ],
)
def test_implausible_or_malformed_input_is_refused_by_name(
    parameter: str, value: object, named: str
) -> None:
    with pytest.raises(News2InputError) as info:
        score(**{**NORMAL, parameter: value})
    assert info.value.parameter == parameter
    assert info.value.message.startswith(named)
    assert isinstance(info.value, ValueError)


def test_the_result_is_immutable() -> None:
    result = score(**NORMAL)
    with pytest.raises(AttributeError):
        result.total = 5  # type: ignore[misc]
