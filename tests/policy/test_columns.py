"""What a tier receives of real datasets, column by column, and why: the policy, default deny, art. 28."""

from __future__ import annotations

from typing import Any

import pytest

from huiliu.contracts import load_contract
from huiliu.contracts.model import Classification, PersonalInformation
from huiliu.pii.classify import TableClassification
from huiliu.policy.columns import ColumnDecision, ReturnDecision, decide_columns
from huiliu.policy.loader import load_policy, policy_from_data
from huiliu.policy.rules import ReturnPolicy
from huiliu.policy.vocabulary import Action, Tier
from tests.helpers.classifications import RESIDENT_COLUMNS, classified, column

SHIPPED = load_policy()


def actions(decision: ReturnDecision) -> dict[str, str]:
    return {c.column: c.action.value for c in decision.columns}


def decided(policy: ReturnPolicy, tier: Tier, table: TableClassification, name: str) -> ColumnDecision:
    """The decision for one column of the resident registry."""
    return next(c for c in decide_columns(policy, tier, RESIDENTS, table).columns if c.column == name)


def street_policy(rules: dict[str, str], grade: str = "important") -> ReturnPolicy:
    """A policy with one block, conditional datasets of one grade at street (inherited by no one)."""
    return policy_from_data(
        {
            "version": "t",
            "sensitive_minimum_tier": "street",
            "tiers": {"street": {"conditional": {grade: rules}}},
        }
    )


RESIDENTS = load_contract("resident_registry")


def test_a_community_receives_the_resident_registry_masked_to_its_tier() -> None:
    decision = decide_columns(SHIPPED, Tier.COMMUNITY, RESIDENTS, classified(RESIDENTS, *RESIDENT_COLUMNS))
    assert actions(decision) == {
        "id_number": "mask",
        "name": "keep",
        "gender": "keep",
        "birth_date": "generalize",
        "ethnicity": "drop",
        "household_address": "mask",
        "community_code": "keep",
        "phone": "mask",
        "residence_status": "keep",
        "status": "keep",
        "updated_at": "keep",
    }
    by_name = {c.column: c for c in decision.columns}
    assert (
        by_name["birth_date"].applies_as == "DATE_OF_BIRTH" and "出生年份" in by_name["birth_date"].reason_zh
    )
    assert dict(by_name["id_number"].mask_params) == {"style": "resident_id"}
    assert by_name["ethnicity"].sensitive and "PIPL art. 28" in by_name["ethnicity"].reason_en
    assert by_name["community_code"].entity_types == ("NO_PII",)
    assert by_name["id_number"].description == "公民身份号码 (GB 11643)"
    assert decision.policy_version == SHIPPED.label


def test_a_grid_gets_hashed_ids_and_masked_names() -> None:
    decision = decide_columns(SHIPPED, Tier.GRID, RESIDENTS, classified(RESIDENTS, *RESIDENT_COLUMNS))
    assert actions(decision)["id_number"] == "hash" and actions(decision)["name"] == "mask"
    assert "grid rule" in next(c for c in decision.columns if c.column == "id_number").reason_en


def test_a_street_gets_bands_of_amounts_and_no_bank_cards_a_district_more() -> None:
    allowance = load_contract("subsistence_allowance")
    table = classified(
        allowance,
        column("id_number", "CN_RESIDENT_ID"),
        column("name", "PERSON"),
        column("monthly_amount", "FINANCIAL"),
        column("bank_card", "BANK_CARD"),
    )
    street = actions(decide_columns(SHIPPED, Tier.STREET, allowance, table))
    district = actions(decide_columns(SHIPPED, Tier.DISTRICT, allowance, table))
    assert (street["monthly_amount"], street["bank_card"]) == ("generalize", "drop")
    assert (district["monthly_amount"], district["bank_card"]) == ("keep", "mask")
    community = actions(decide_columns(SHIPPED, Tier.COMMUNITY, allowance, table))
    assert (community["monthly_amount"], community["bank_card"]) == ("drop", "drop")


def test_an_entity_type_the_policy_does_not_name_is_dropped() -> None:
    policy = street_policy({"NO_PII": "keep", "PERSON": "keep"})
    table = classified(RESIDENTS, column("id_number", "CN_RESIDENT_ID"), column("name", "PERSON"))
    decision = decide_columns(policy, Tier.STREET, RESIDENTS, table)
    id_number = next(c for c in decision.columns if c.column == "id_number")
    assert id_number.action is Action.DROP and "default deny" in id_number.reason_en
    assert "策略未对街道级·有条件共享·重要数据作规定" in id_number.reason_zh
    assert actions(decision)["name"] == "keep"


def test_a_type_only_the_pii_registry_knows_is_dropped_unless_named() -> None:
    policy = street_policy({"NO_PII": "keep"})
    table = classified(RESIDENTS, column("status", "CN_SOCIAL_SECURITY_CARD"))
    assert actions(decide_columns(policy, Tier.STREET, RESIDENTS, table))["status"] == "drop"


def test_a_column_the_classification_did_not_examine_is_not_returned() -> None:
    table = classified(RESIDENTS, *RESIDENT_COLUMNS, skip=("residence_status",))
    decision = decide_columns(SHIPPED, Tier.DISTRICT, RESIDENTS, table)
    skipped = next(c for c in decision.columns if c.column == "residence_status")
    assert skipped.action is Action.DROP and "not examined" in skipped.reason_en
    assert actions(decision)["status"] == "keep"


def test_without_a_classification_nothing_is_returned() -> None:
    assert decide_columns(SHIPPED, Tier.DISTRICT, RESIDENTS, None).returned == ()


def test_a_dataset_not_to_be_shared_returns_nothing() -> None:
    closed = RESIDENTS.model_copy(
        update={"classification": Classification(sharing_class="none", sensitivity="general")}  # type: ignore[arg-type]
    )
    decision = decide_columns(SHIPPED, Tier.DISTRICT, closed, classified(closed, *RESIDENT_COLUMNS))
    assert decision.returned == ()
    assert all("不予共享" in c.reason_zh for c in decision.columns)


def test_a_type_the_contract_marks_sensitive_never_reaches_below_the_minimum_tier() -> None:
    minors: list[Any] = [*RESIDENTS.personal_information]
    minors[1] = PersonalInformation(column="name", entity_type="PERSON", sensitive=True)
    contract = RESIDENTS.model_copy(update={"personal_information": minors})
    table = classified(contract, *RESIDENT_COLUMNS)
    community = {c.column: c for c in decide_columns(SHIPPED, Tier.COMMUNITY, contract, table).columns}
    assert community["name"].action is Action.DROP and "PIPL art. 28" in community["name"].reason_en
    assert actions(decide_columns(SHIPPED, Tier.STREET, contract, table))["name"] == "keep"


def test_technical_columns_are_not_returned() -> None:
    table = classified(RESIDENTS, *RESIDENT_COLUMNS, column("_batch_id"), column("_ingested_at"))
    decision = decide_columns(SHIPPED, Tier.DISTRICT, RESIDENTS, table)
    assert [c.column for c in decision.columns[-2:]] == ["_batch_id", "_ingested_at"]
    assert all(c.action is Action.DROP and "技术列" in c.reason_zh for c in decision.columns[-2:])


def test_declared_types_join_the_classified_ones() -> None:
    table = classified(RESIDENTS, column("name"))  # the gate saw no names in the sample
    name = decided(SHIPPED, Tier.GRID, table, "name")
    assert name.entity_types == ("PERSON",) and name.action is Action.MASK


def test_a_column_of_several_types_gets_the_most_protective_action() -> None:
    policy = street_policy(
        {"NO_PII": "keep", "CN_MOBILE": "mask", "CN_RESIDENT_ID": "hash", "PERSON": "keep"}
    )
    table = classified(RESIDENTS, column("phone", "CN_MOBILE", "CN_RESIDENT_ID"), column("name", "PERSON"))
    phone = decided(policy, Tier.STREET, table, "phone")
    assert (phone.action, phone.applies_as) == (Action.HASH, "CN_RESIDENT_ID")
    assert "the most protective: hash" in phone.reason_en


def test_types_masked_differently_in_one_column_are_masked_value_by_value() -> None:
    policy = street_policy({"NO_PII": "keep", "CN_MOBILE": "mask", "CN_LANDLINE": "mask"})
    table = classified(RESIDENTS, column("phone", "CN_MOBILE", "CN_LANDLINE"))
    phone = decided(policy, Tier.STREET, table, "phone")
    assert phone.action is Action.MASK and phone.mask_params == ()
    assert dict(phone.masks) == {
        "CN_MOBILE": (("style", "mobile"),),
        "CN_LANDLINE": (("keep_end", 2), ("keep_start", 4), ("style", "middle")),
    }
    assert phone.mask_params_of("CN_LANDLINE") == (("keep_end", 2), ("keep_start", 4), ("style", "middle"))
    assert "each value is masked as the type it is" in phone.reason_en
    assert "逐个值识别其类型" in phone.reason_zh


def test_a_kept_type_beside_a_masked_one_is_masked_with_it() -> None:
    policy = street_policy({"NO_PII": "keep", "CN_MOBILE": "mask", "CN_LANDLINE": "keep"})
    table = classified(RESIDENTS, column("phone", "CN_MOBILE", "CN_LANDLINE"))
    phone = decided(policy, Tier.STREET, table, "phone")
    assert (phone.action, phone.masks, dict(phone.mask_params)) == (Action.MASK, (), {"style": "mobile"})


def test_types_generalised_along_different_ladders_in_one_column_are_not_returned() -> None:
    policy = street_policy({"NO_PII": "keep", "DATE_OF_BIRTH": "generalize", "AGE": "generalize"})
    table = classified(RESIDENTS, column("birth_date", "DATE_OF_BIRTH", "AGE"))
    birth = decided(policy, Tier.STREET, table, "birth_date")
    assert birth.action is Action.DROP and "treated one way only" in birth.reason_en


HOTLINE = load_contract("hotline_tickets")
DESCRIPTION = column(
    "description", "FREE_TEXT", "PERSON", "CN_MOBILE", kind="free_text", rare=("CN_RESIDENT_ID",)
)


def test_free_text_is_anonymised_when_the_anonymiser_is_enough() -> None:
    table = classified(HOTLINE, column("caller_phone", "CN_MOBILE"), DESCRIPTION)
    text = next(
        c
        for c in decide_columns(SHIPPED, Tier.COMMUNITY, HOTLINE, table).columns
        if c.column == "description"
    )
    assert text.action is Action.ANONYMIZE and text.entity_types == (
        "FREE_TEXT",
        "PERSON",
        "CN_MOBILE",
        "CN_RESIDENT_ID",
    )
    assert "匿名化器" in text.reason_zh


def test_free_text_is_dropped_when_a_type_in_it_is_treated_more_strictly() -> None:
    grid = decide_columns(SHIPPED, Tier.GRID, HOTLINE, classified(HOTLINE, DESCRIPTION))
    text = next(c for c in grid.columns if c.column == "description")
    # the grid hashes ID numbers, which the anonymiser only masks: even a rare one in the text is too much
    assert text.action is Action.DROP and "CN_RESIDENT_ID (hash)" in text.reason_en


def test_a_policy_that_drops_free_text_drops_it() -> None:
    policy = street_policy(
        {"NO_PII": "keep", "FREE_TEXT": "drop", "PERSON": "keep", "CN_MOBILE": "keep"}, "general"
    )
    decision = decide_columns(policy, Tier.STREET, HOTLINE, classified(HOTLINE, DESCRIPTION))
    assert actions(decision)["description"] == "drop"


@pytest.mark.parametrize("tier", list(Tier))
def test_the_english_and_chinese_reasons_are_given_for_every_column(tier: Tier) -> None:
    decision = decide_columns(SHIPPED, tier, RESIDENTS, classified(RESIDENTS, *RESIDENT_COLUMNS))
    assert all(c.reason_en and c.reason_zh for c in decision.columns)
