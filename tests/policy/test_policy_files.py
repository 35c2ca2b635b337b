"""Return policy files: the shipped one passes; a broken one is refused naming file, line, field and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from huiliu.contracts.model import Sensitivity, SharingClass
from huiliu.errors import PolicyError
from huiliu.policy.checks import PolicyProblem
from huiliu.policy.loader import check_policies, load_policy, parse_policy, policy_from_data
from huiliu.policy.rules import GRADES, RETURNED_CLASSES
from huiliu.policy.vocabulary import Action, Tier
from huiliu.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "include" / "policies" / "return_policy.yaml"

BASE = """\
version: "1"
sensitive_minimum_tier: street
tiers:
  district:
    conditional:
      general:
        NO_PII: keep
        PERSON: keep
        HEALTH: keep
  community:
    inherits: district
    conditional:
      general:
        PERSON: mask
        HEALTH: drop
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, occurrence: int = 0) -> int:
    lines = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return lines[occurrence]


def refused(path: Path) -> PolicyProblem:
    policy, problems = parse_policy(path)
    assert policy is None and len(problems) == 1, problems
    problem = problems[0]
    assert problem.file == str(path)
    assert problem.text("en").startswith(f"{path}:{problem.line}:" if problem.line else f"{path}:")
    assert problem.problem_zh and problem.fix_zh and problem.fix_en
    return problem


def test_the_shipped_policy_passes_check() -> None:
    policies, problems = check_policies([SHIPPED.parent])
    assert problems == [] and [p.file for p in policies] == [str(SHIPPED)]


def test_the_shipped_policy_never_gives_a_smaller_unit_more_than_a_larger_one() -> None:
    policy = load_policy(SHIPPED)
    for sharing in RETURNED_CLASSES:
        for grade in GRADES:
            for above, below in zip(list(Tier), list(Tier)[1:], strict=False):
                wide, narrow = (
                    policy.rules_for(above, sharing, grade),
                    policy.rules_for(below, sharing, grade),
                )
                for entity, rule in narrow.items():
                    assert entity in wide, (below, sharing, grade, entity)
                    assert rule.action.protection >= wide[entity].action.protection, (
                        below,
                        sharing,
                        grade,
                        entity,
                    )


def test_the_version_is_the_declared_one_plus_the_files_digest(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    first = load_policy(path)
    assert first.version == "1" and first.label.startswith("1+") and len(first.label) == 2 + 12
    path.write_text(BASE + "# an edit without a version bump\n", encoding="utf-8")
    second = load_policy(path)
    assert second.version == "1" and second.label != first.label


def test_a_tier_inherits_from_above_and_its_own_rule_wins(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    rules = load_policy(path).rules_for(Tier.COMMUNITY, SharingClass.CONDITIONAL, Sensitivity.GENERAL)
    assert rules["PERSON"].action is Action.MASK and rules["PERSON"].tier is Tier.COMMUNITY
    assert rules["NO_PII"].action is Action.KEEP and rules["NO_PII"].tier is Tier.DISTRICT
    assert rules["NO_PII"].line == line_of(path, "NO_PII: keep")
    assert load_policy(path).rules_for(Tier.STREET, SharingClass.CONDITIONAL, Sensitivity.GENERAL) == {}


def test_rules_copied_by_yaml_anchors_name_the_line_they_are_written_on(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        version: "1"
        sensitive_minimum_tier: street
        tiers:
          district:
            conditional:
              general: &open
                NO_PII: keep
                PERSON: keep
              important:
                <<: *open
                PERSON: mask
            unconditional:
              general: *open
        """,
    )
    policy = load_policy(path)
    important = policy.rules_for(Tier.DISTRICT, SharingClass.CONDITIONAL, Sensitivity.IMPORTANT)
    assert important["PERSON"].action is Action.MASK and important["PERSON"].line == line_of(
        path, "PERSON: mask"
    )
    assert important["NO_PII"].line == line_of(path, "NO_PII: keep")
    open_ = policy.rules_for(Tier.DISTRICT, SharingClass.UNCONDITIONAL, Sensitivity.GENERAL)
    assert open_["PERSON"].action is Action.KEEP and open_["PERSON"].line == line_of(path, "PERSON: keep")


BROKEN = [
    pytest.param(
        BASE + "  town:\n    inherits: district\n",
        "  town:",
        "tiers.town",
        "use one of district, street, community, grid",
        id="unknown tier",
    ),
    pytest.param(
        BASE.replace("  community:\n", "  community:\n    none:\n      general: {PERSON: keep}\n"),
        "    none:",
        "tiers.community.none",
        "remove this block",
        id="不予共享 block",
    ),
    pytest.param(
        BASE.replace("      general:\n        PERSON: mask", "      secret:\n        PERSON: mask"),
        "      secret:",
        "tiers.community.conditional.secret",
        "use general, important or core",
        id="unknown grade",
    ),
    pytest.param(
        BASE.replace("        PERSON: mask", "        CN_MOBLE: mask"),
        "CN_MOBLE",
        "tiers.community.conditional.general.CN_MOBLE",
        "did you mean CN_MOBILE?",
        id="unknown entity type",
    ),
    pytest.param(
        BASE.replace("        PERSON: mask", "        PERSON: blur"),
        "PERSON: blur",
        "tiers.community.conditional.general.PERSON",
        "use one of keep, mask, generalize, anonymize, hash, drop",
        id="unknown action",
    ),
    pytest.param(
        BASE.replace("        PERSON: mask", "        PERSON: generalize"),
        "PERSON: generalize",
        "tiers.community.conditional.general.PERSON",
        "use one of keep, mask, hash, drop",
        id="generalize a name",
    ),
    pytest.param(
        BASE.replace("        PERSON: mask", "        FREE_TEXT: keep"),
        "FREE_TEXT: keep",
        "tiers.community.conditional.general.FREE_TEXT",
        "use one of anonymize, drop",
        id="free text kept raw",
    ),
    pytest.param(
        BASE.replace("        NO_PII: keep", "        NO_PII: hash"),
        "NO_PII: hash",
        "tiers.district.conditional.general.NO_PII",
        "use one of keep, drop",
        id="hash a column without personal information",
    ),
    pytest.param(
        BASE.replace("        HEALTH: drop", "        HEALTH: keep  # the community's"),
        "HEALTH: keep  # the community's",
        "tiers.community.conditional.general.HEALTH",
        "set tiers.community.conditional.general.HEALTH: drop",
        id="art. 28 below the minimum tier",
    ),
    pytest.param(
        BASE.replace("    inherits: district\n", "    inherits: grid\n"),
        "inherits: grid",
        "tiers.community.inherits",
        "inherit from one of district, street",
        id="inherits from below",
    ),
    pytest.param(
        BASE.replace("    inherits: district\n", "    inherits: street\n"),
        "inherits: street",
        "tiers.community.inherits",
        "add tiers.street",
        id="inherits from an undefined tier",
    ),
    pytest.param(
        BASE.replace('version: "1"', "version: 2025.1"),
        "version:",
        "version",
        'quote it, e.g. version: "2025.1"',
        id="unquoted version",
    ),
    pytest.param(
        BASE.replace("sensitive_minimum_tier: street\n", "sensitive_minimum_tier: town\n"),
        "sensitive_minimum_tier",
        "sensitive_minimum_tier",
        "use one of district, street, community, grid",
        id="unknown minimum tier",
    ),
    pytest.param(
        BASE.replace("        PERSON: keep\n", "        PERSON: keep\n        PERSON: mask\n"),
        "PERSON: mask",
        "tiers.district.conditional.general.PERSON",
        "keep one of lines 8 and 9 and delete the other",
        id="duplicated key",
    ),
    pytest.param(
        BASE.replace("        PERSON: mask\n", "        PERSON: [mask\n"),
        "HEALTH: drop",
        "",
        "correct the YAML here",
        id="not YAML",
    ),
]


@pytest.mark.parametrize(("text", "needle", "field", "fix"), BROKEN)
def test_a_broken_policy_is_refused_with_file_line_and_fix(
    tmp_path: Path, text: str, needle: str, field: str, fix: str
) -> None:
    path = write(tmp_path, text)
    problem = refused(path)
    assert (problem.field, problem.line) == (field, line_of(path, needle))
    assert fix in problem.fix_en


def test_art_28_through_inheritance_names_the_inherited_rule(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("        HEALTH: drop\n", ""))
    problem = refused(path)
    assert problem.field == "tiers.community.conditional.general.HEALTH"
    assert problem.line == line_of(path, "      general:", 1)  # the block that would receive it
    assert f"inherited from district, line {line_of(path, 'HEALTH: keep')}" in problem.problem_en
    assert "个人信息保护法" in problem.problem_zh and "继承自区县级" in problem.problem_zh


def test_a_file_that_is_not_a_mapping_and_a_missing_field_are_refused(tmp_path: Path) -> None:
    assert "YAML mapping" in refused(write(tmp_path, "- district\n- street\n")).problem_en
    missing = refused(write(tmp_path, 'version: "1"\ntiers: {}\n'))
    assert (missing.field, missing.problem_en) == ("sensitive_minimum_tier", "required field is missing")


def test_every_problem_of_a_folder_is_reported(tmp_path: Path) -> None:
    write(tmp_path, BASE, "good.yaml")
    write(tmp_path, BASE.replace("        PERSON: mask", "        PERSON: blur"), "bad.yaml")
    write(tmp_path, BASE.replace("        HEALTH: drop", "        HEALTH: keep"), "worse.yaml")
    policies, problems = check_policies([tmp_path])
    assert [Path(p.file).name for p in policies] == ["good.yaml"]
    assert sorted(Path(p.file).name for p in problems) == ["bad.yaml", "worse.yaml"]


def test_load_policy_raises_naming_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("        PERSON: mask", "        PERSON: blur"))
    with pytest.raises(PolicyError, match=rf"{path}:\d+: tiers.community.conditional.general.PERSON"):
        load_policy(path)


def test_a_policy_from_data_is_checked_the_same_way() -> None:
    with pytest.raises(PolicyError, match=r"PIPL art\. 28"):
        policy_from_data(
            {
                "version": "1",
                "sensitive_minimum_tier": "district",
                "tiers": {"street": {"conditional": {"general": {"HEALTH": "keep"}}}},
            }
        )
