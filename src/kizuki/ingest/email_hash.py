"""The keyed hash of an e-mail address: how Kizuki links people without storing their address.

``email_hash = HMAC-SHA256(key, normalised address)`` as hex, cut to 32 hex digits (128 bits),
where the address is normalised by NFKC (full-width ``ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ`` becomes
ASCII), stripped of surrounding white space and lower-cased. A blank address has no hash.

The key is the setting ``KIZUKI_HASH_KEY`` when it is set (use the same key for several stores
that must hash alike); otherwise a random key made for the store on first use and kept in its
table ``_kizuki_keys``, so that a customers file's ``email`` column and Zendesk requesters hash
alike within one store. The key is what stops a hash from being reversed by hashing guessed
addresses: keep it, and the store file, private.

In SQL the hash is computed by DuckDB itself (``sha256`` over the key's inner and outer pads);
only addresses with characters outside printable ASCII go through one Python function (NFKC).

Examples
--------
>>> email_hash(" Taro@Example.com ", b"k") == email_hash("taro@example.com", b"k")
True
>>> len(email_hash("taro@example.com", b"k"))
32
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from typing import Any

import pyarrow as pa

__all__ = [
    "HASH_HEX_DIGITS",
    "KEY_ENV",
    "KEY_TABLE",
    "email_hash",
    "email_hash_sql",
    "normalise_email",
    "prepare_email_hash",
]

KEY_ENV = "KIZUKI_HASH_KEY"
KEY_TABLE = "_kizuki_keys"
HASH_HEX_DIGITS = 32
#: the DuckDB function that normalises a non-ASCII address (registered on the connection)
_NORMALISE_FN = "kz_normalise_email"
_BLOCK = 64  # SHA-256's block size in bytes


def normalise_email(address: str | None) -> str | None:
    """NFKC, stripped, lower-cased; None for a missing or blank address."""
    if address is None:
        return None
    text = unicodedata.normalize("NFKC", address).strip().lower()
    return text or None


def email_hash(address: str | None, key: bytes) -> str | None:
    """The keyed hash of ``address`` (32 hex digits), or None for a blank one."""
    text = normalise_email(address)
    if text is None:
        return None
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_HEX_DIGITS]


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def email_hash_sql(expr: str, key: bytes) -> str:
    """A DuckDB SQL expression: the keyed hash of the text ``expr`` (NULL when blank).

    Needs :func:`prepare_email_hash` to have run on the connection (for non-ASCII addresses).
    """
    inner, outer = _pads(key)
    # printable ASCII: NFKC changes nothing and Python's strip() removes only spaces
    norm = (
        f"CASE WHEN regexp_full_match({expr}, '[ -~]*') THEN nullif(lower(trim({expr})), '') "
        f"ELSE {_NORMALISE_FN}({expr}) END"
    )
    # NULL stays NULL through encode, || and sha256: no CASE needed
    return (
        f"left(sha256(unhex('{outer.hex()}') || unhex(sha256(unhex('{inner.hex()}') || "
        f"encode({norm})))), {HASH_HEX_DIGITS})"
    )


def _normalise_arrow(values: pa.Array) -> pa.Array:
    return pa.array([normalise_email(v) for v in values.to_pylist()], pa.string())


def _register(con: Any) -> None:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [_NORMALISE_FN]
    ).fetchone()[0]
    if not exists:
        from duckdb.sqltypes import VARCHAR

        con.create_function(
            _NORMALISE_FN,
            _normalise_arrow,
            [VARCHAR],
            VARCHAR,
            type="arrow",
            null_handling="special",
            side_effects=False,
        )


def prepare_email_hash(con: Any, configured: str | None = None) -> bytes:
    """The store's hash key (``configured``, else ``KIZUKI_HASH_KEY``, else the kept one).

    Also registers the normalising function :func:`email_hash_sql` uses on ``con``. A store
    without a key gets a random one (256 bits) in ``_kizuki_keys``, created here.
    """
    _register(con)
    configured = configured or os.environ.get(KEY_ENV) or None
    if configured:
        return configured.encode("utf-8")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {KEY_TABLE} (name VARCHAR PRIMARY KEY, key VARCHAR, "
        "created_at TIMESTAMPTZ)"
    )
    row = con.execute(f"SELECT key FROM {KEY_TABLE} WHERE name = 'email_hash'").fetchone()
    if row is None:
        con.execute(
            f"INSERT INTO {KEY_TABLE} VALUES ('email_hash', ?, now()) ON CONFLICT DO NOTHING",
            [secrets.token_hex(32)],
        )
        row = con.execute(f"SELECT key FROM {KEY_TABLE} WHERE name = 'email_hash'").fetchone()
    return str(row[0]).encode("utf-8")
