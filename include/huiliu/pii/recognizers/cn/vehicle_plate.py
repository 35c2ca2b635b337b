"""``CN_VEHICLE_PLATE``: licence plates: province character, letter, five or six characters (贵A·12345)."""

from __future__ import annotations

from typing import ClassVar

from huiliu.pii.recognizers import CnPatternRecognizer, builtin_context, builtin_patterns


class CnVehiclePlateRecognizer(CnPatternRecognizer):
    """Vehicle plates, including six-character new-energy plates."""

    KIND: ClassVar[str] = "cn_vehicle_plate"
    PATTERNS = builtin_patterns("cn_vehicle_plate")
    CONTEXT = builtin_context("cn_vehicle_plate")
