"""Recognizers for Chinese text, one per file, and the registry of their kinds.

``RECOGNIZER_KINDS`` maps the ``kind`` a registry entry names to the class that implements it;
``kind: pattern`` is a plain :class:`~huiliu.pii.recognizers.CnPatternRecognizer` for an entity
defined only in YAML.
"""

from __future__ import annotations

from huiliu.pii.recognizers import ChineseRecognizer, CnPatternRecognizer
from huiliu.pii.recognizers.cn.address import CnAddressRecognizer
from huiliu.pii.recognizers.cn.bank_card import BankCardRecognizer
from huiliu.pii.recognizers.cn.email import EmailRecognizer
from huiliu.pii.recognizers.cn.ethnicity import CnEthnicityRecognizer
from huiliu.pii.recognizers.cn.health import CnHealthRecognizer
from huiliu.pii.recognizers.cn.landline import CnLandlineRecognizer
from huiliu.pii.recognizers.cn.mobile import CnMobileRecognizer
from huiliu.pii.recognizers.cn.passport import CnPassportRecognizer
from huiliu.pii.recognizers.cn.person import CnPersonRecognizer
from huiliu.pii.recognizers.cn.religion import CnReligionRecognizer
from huiliu.pii.recognizers.cn.resident_id import CnResidentIdRecognizer
from huiliu.pii.recognizers.cn.uscc import CnUsccRecognizer
from huiliu.pii.recognizers.cn.vehicle_plate import CnVehiclePlateRecognizer

RECOGNIZER_KINDS: dict[str, type[ChineseRecognizer]] = {
    "pattern": CnPatternRecognizer,
    "cn_resident_id": CnResidentIdRecognizer,
    "cn_mobile": CnMobileRecognizer,
    "cn_landline": CnLandlineRecognizer,
    "bank_card": BankCardRecognizer,
    "email": EmailRecognizer,
    "cn_passport": CnPassportRecognizer,
    "cn_vehicle_plate": CnVehiclePlateRecognizer,
    "cn_uscc": CnUsccRecognizer,
    "cn_person": CnPersonRecognizer,
    "cn_address": CnAddressRecognizer,
    "cn_ethnicity": CnEthnicityRecognizer,
    "cn_religion": CnReligionRecognizer,
    "cn_health": CnHealthRecognizer,
}

__all__ = [
    "RECOGNIZER_KINDS",
    "BankCardRecognizer",
    "CnAddressRecognizer",
    "CnEthnicityRecognizer",
    "CnHealthRecognizer",
    "CnLandlineRecognizer",
    "CnMobileRecognizer",
    "CnPassportRecognizer",
    "CnPersonRecognizer",
    "CnReligionRecognizer",
    "CnResidentIdRecognizer",
    "CnUsccRecognizer",
    "CnVehiclePlateRecognizer",
    "EmailRecognizer",
]
