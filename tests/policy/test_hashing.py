"""The keyed hash: HMAC-SHA256 per grant, stable across runs, different across grants and keys."""

from __future__ import annotations

import hmac
import stat

import pyarrow as pa
import pytest

from huiliu.errors import ConfigurationError
from huiliu.policy import hashing
from huiliu.settings import Settings, reset_settings

KEY = bytes(range(32))
IDS = ["520102199003074517", "52010219900307451X", None]


def reference(value: str, key: bytes, grant: str) -> str:
    """RFC 2104 HMAC-SHA256 under the grant's key, as the standard library computes it."""
    own = hmac.new(key, b"huiliu return-policy hash, grant " + grant.encode(), "sha256").digest()
    return hmac.new(own, value.encode(), "sha256").hexdigest()[:32]


def test_digests_are_hmac_sha256_under_the_grants_own_key() -> None:
    got = hashing.hash_array(pa.array(IDS), key=KEY, grant_id="G1", entity_type="CN_RESIDENT_ID").to_pylist()
    assert got == [reference(IDS[0], KEY, "G1"), reference(IDS[1], KEY, "G1"), None]  # type: ignore[arg-type]


def test_stable_across_runs_and_different_across_grants_and_keys() -> None:
    def run(key: bytes, grant: str) -> list[str | None]:
        return hashing.hash_array(
            pa.array(IDS), key=key, grant_id=grant, entity_type="CN_RESIDENT_ID"
        ).to_pylist()

    first = run(KEY, "G1")
    assert run(KEY, "G1") == first
    other_grant, other_key = run(KEY, "G2"), run(bytes(reversed(KEY)), "G1")
    assert all(a != b for a, b in zip(first[:2], other_grant[:2], strict=True))
    assert all(a != b for a, b in zip(first[:2], other_key[:2], strict=True))


@pytest.mark.parametrize(
    ("entity", "spellings"),
    [
        (
            "CN_RESIDENT_ID",
            ["52010219900307451x", "5201 0219 9003 0745 1X", "５２０１０２１９９００３０７４５１Ｘ"],
        ),
        ("CN_MOBILE", ["13812345678", "+8613812345678", "138-1234-5678", " 13812345678 "]),
        ("EMAIL_ADDRESS", ["Wang.Fang@Example.com", "wang.fang@example.com"]),
        ("CN_IM_ACCOUNT", ["Zhang-San88", "zhang-san88", "ｚｈａｎｇ-ｓａｎ88"]),
    ],
)
def test_one_identifier_spelt_differently_hashes_alike(entity: str, spellings: list[str]) -> None:
    digests = hashing.hash_array(pa.array(spellings), key=KEY, grant_id="G1", entity_type=entity).to_pylist()
    assert len(set(digests)) == 1


def test_a_dash_inside_a_messaging_account_tells_two_accounts_apart() -> None:
    accounts = pa.array(["zhang-san88", "zhangsan88", "zhang_san88"])
    digests = hashing.hash_array(accounts, key=KEY, grant_id="G1", entity_type="CN_IM_ACCOUNT").to_pylist()
    assert len(set(digests)) == 3


def test_large_columns_hashed_in_duckdb_give_the_same_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    values = pa.array([f"5201021990{i:08d}" for i in range(300)] + [None])
    small = hashing.hash_array(values, key=KEY, grant_id="G1").to_pylist()
    monkeypatch.setattr(hashing, "DUCKDB_FROM", 10)
    assert hashing.hash_array(values, key=KEY, grant_id="G1").to_pylist() == small
    assert small[-1] is None


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        hashing.grant_key(b"short", "G1")


def test_the_key_comes_from_the_environment(huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUILIU_POLICY_HASH_KEY", "k" * 40)
    reset_settings()
    assert hashing.policy_hash_key() == b"k" * 40
    monkeypatch.setenv("HUILIU_POLICY_HASH_KEY", "too short")
    reset_settings()
    with pytest.raises(ConfigurationError, match="HUILIU_POLICY_HASH_KEY"):
        hashing.policy_hash_key()


def test_without_one_a_random_key_is_made_once_and_kept_owner_only(huiliu_home: Settings) -> None:
    first = hashing.policy_hash_key()
    path = hashing.key_file(huiliu_home)
    assert len(first) == 32 and hashing.policy_hash_key() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["policy_hash.key"]  # no draft left behind
