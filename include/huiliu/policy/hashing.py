"""The policy's keyed hash: HMAC-SHA256 under a key of each grant's own, the same on every run.

A unit can join its own extracts on hashed ID numbers but cannot learn them, nor join with another
grant's extracts, and identifiers are hashed in a canonical form (NFKC, no spaces or dashes, upper
case). The city's key is ``HUILIU_POLICY_HASH_KEY``, or else a random key made once and kept,
owner-only, in ``$HUILIU_HOME/keys/policy_hash.key``.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from huiliu.errors import ConfigurationError
from huiliu.ingest.identifiers import IDENTIFIER_ENTITY_TYPES
from huiliu.policy.masking import Values, as_text, per_distinct

if TYPE_CHECKING:
    from huiliu.settings import Settings

DIGEST_HEX = 32
"""Hex characters kept of each digest (128 bits: RFC 2104 allows truncation to half the output)."""
MIN_KEY_BYTES = 32
DUCKDB_FROM = 20_000
"""Rows from which DuckDB computes the digests (faster in bulk, slower to start)."""
_LABEL = b"huiliu return-policy hash, grant "
_CASE_FREE_ACCOUNTS = frozenset({"EMAIL_ADDRESS", "CN_IM_ACCOUNT"})


def grant_key(key: bytes, grant_id: str) -> bytes:
    """The grant's own key, derived from the city's key (HMAC-SHA256 of the grant id)."""
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(f"the policy hash key must hold at least {MIN_KEY_BYTES} bytes")
    return hmac.digest(key, _LABEL + grant_id.encode(), "sha256")


def canonical(values: Values, entity_type: str | None) -> pa.Array:
    """Text as it is hashed: NFKC and trimmed; identifiers also without spaces or dashes, in upper
    case; e-mail addresses and messaging accounts (whose dashes are part of them) in lower case."""
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(as_text(values), "NFKC"))
    if entity_type in IDENTIFIER_ENTITY_TYPES and entity_type not in _CASE_FREE_ACCOUNTS:
        text = pc.utf8_upper(pc.replace_substring_regex(text, r"[\s\-·]", ""))
    if entity_type == "CN_MOBILE":
        text = pc.replace_substring_regex(text, r"^(?:\+?86)(1\d{10})$", r"\1")
    if entity_type in _CASE_FREE_ACCOUNTS:
        text = pc.utf8_lower(text)
    return text


def _python_digests(values: pa.Array, key: bytes) -> pa.Array:
    digests = [hmac.digest(key, v.encode(), "sha256").hex()[:DIGEST_HEX] for v in values.to_pylist()]
    return pa.array(digests, pa.string())


def _duckdb_digests(values: pa.Array, key: bytes) -> pa.Array:
    """HMAC-SHA256 in DuckDB: sha256((key ⊕ opad) ‖ sha256((key ⊕ ipad) ‖ message)) (RFC 2104)."""
    import duckdb

    block = key.ljust(64, b"\0")
    pads = {"inner": bytes(b ^ 0x36 for b in block), "outer": bytes(b ^ 0x5C for b in block)}
    messages = pa.table({"m": values})
    query = "select left(sha256($outer::blob || unhex(sha256($inner::blob || m::blob))), 32) from messages"
    with duckdb.connect() as con:
        con.register("messages", messages)
        digests = con.sql(query, params=pads).to_arrow_table().column(0)
    return digests.combine_chunks().cast(pa.string())


def hash_array(values: Values, *, key: bytes, grant_id: str, entity_type: str | None = None) -> pa.Array:
    """Keyed digests (32 hex characters) of the values, under the grant's own key; nulls stay null.

    Small arrays are hashed once per distinct value in Python, large ones row by row in DuckDB.
    """
    own, text = grant_key(key, grant_id), canonical(values, entity_type)
    if len(text) >= DUCKDB_FROM:
        return _duckdb_digests(text, own)
    return per_distinct(text, lambda distinct: _python_digests(distinct, own))


def key_file(settings: Settings) -> Path:
    return settings.home / "keys" / "policy_hash.key"


def policy_hash_key(settings: Settings | None = None) -> bytes:
    """The city's hash key: ``HUILIU_POLICY_HASH_KEY``, else the key kept under the huiliu home.

    Raises:
        ConfigurationError: the configured key is shorter than 32 bytes.
    """
    from huiliu.settings import get_settings

    settings = settings or get_settings()
    if settings.policy_hash_key is not None:
        key = settings.policy_hash_key.get_secret_value().encode()
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"HUILIU_POLICY_HASH_KEY must hold at least {MIN_KEY_BYTES} bytes; "
                "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return key
    return _kept_key(key_file(settings))


def _kept_key(path: Path) -> bytes:
    """The key in ``path``, made (random, owner-only) by the first process that needs it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(secrets.token_bytes(MIN_KEY_BYTES))
        try:
            os.link(draft, path)  # atomic: a process that loses the race uses the winner's key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"the policy hash key file {path} is shorter than {MIN_KEY_BYTES} bytes; restore it from "
            "backup (hashes delivered under another key no longer join with new ones)"
        )
    return key
