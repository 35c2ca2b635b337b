"""Administrative division codes: known to the city's hierarchy and inside a jurisdiction.

Hierarchy codes grow by level without padding: province 2 digits, city 4, district 6, street 9,
community 12, grid 15, each starting with its parent's code. A jurisdiction may also be written in
the padded national form (``520100`` or ``520100000000`` for 贵阳市); trailing zero groups are
dropped level by level to find its significant digits.
"""

from __future__ import annotations

import hashlib
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from huiliu import divisions
from huiliu.divisions import hierarchy, load_hierarchy
from huiliu.divisions.hierarchy import CODE_LENGTH, Level
from huiliu.errors import UnknownUnitError
from huiliu.quality.rules.arrays import ArrayLike, as_arrow_strings, null_mask, to_numpy_bool
from huiliu.quality.rules.table_cache import cached_arrays
from huiliu.settings import get_settings

LEVEL_LENGTHS = tuple(sorted(CODE_LENGTH.values()))


def significant_code(code: str) -> str:
    """The shortest level prefix of a code after which only zeros follow (``520100`` → ``5201``).

    Raises:
        UnknownUnitError: the code is not digits of a level's length.
    """
    code = code.strip()
    if not code.isdigit() or len(code) not in LEVEL_LENGTHS:
        raise UnknownUnitError(
            f"jurisdiction {code!r} must be a division code of {'/'.join(map(str, LEVEL_LENGTHS))} digits"
        )
    for length in LEVEL_LENGTHS:
        if length <= len(code) and set(code[length:]) <= {"0"}:
            return code[:length]
    return code


def _hierarchy_fingerprint() -> str:
    """What the hierarchy is built from: the division tables, the code that builds it (with its
    seeded random streams) and the Python that runs it."""
    digest = hashlib.sha1(sys.version.split()[0].encode())
    digest.update(Path(hierarchy.__file__).read_bytes())
    for table in sorted(resources.files(divisions).joinpath("data").iterdir(), key=lambda t: t.name):
        if table.name.endswith(".csv"):
            digest.update(table.name.encode() + table.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=8)
def _hierarchy_codes(city_code: str, units_seed: int) -> frozenset[str]:
    """The city's unit codes, kept on disk: building the hierarchy reads the national street table."""

    def build() -> dict[str, npt.NDArray[Any]]:
        return {"codes": np.array(sorted(load_hierarchy(city_code, seed=units_seed).units), dtype=str)}

    name = f"admin-codes-{city_code}-{units_seed}-{_hierarchy_fingerprint()}"
    return frozenset(cached_arrays(name, build, ("codes",))["codes"].tolist())


def hierarchy_codes(city_code: str | None = None, units_seed: int | None = None) -> frozenset[str]:
    """Every unit code of the city's hierarchy (cached per city and seed).

    Args:
        city_code: 4-digit city code; ``settings.city_code`` when omitted.
        units_seed: seed of the synthetic community and grid levels; ``settings.units_seed`` when omitted.
    """
    settings = get_settings()
    seed = settings.units_seed if units_seed is None else units_seed
    return _hierarchy_codes(city_code or settings.city_code, seed)


@lru_cache(maxsize=8)
def _value_set(known_codes: frozenset[str]) -> pa.Array:
    return pa.array(sorted(known_codes), type=pa.string())


def load_admin_code_tables(city_code: str | None = None) -> None:
    """Build the city's code set and its Arrow lookup table now (both are cached)."""
    _value_set(hierarchy_codes(city_code))


def level_of(name: str) -> Level:
    """A level's name checked (``province`` … ``grid``).

    Raises:
        UnknownUnitError: not a level of the hierarchy.
    """
    for level in CODE_LENGTH:
        if level == name:
            return level
    raise UnknownUnitError(f"level {name!r} must be one of {', '.join(CODE_LENGTH)}")


def valid_admin_codes(
    values: ArrayLike, *, known_codes: frozenset[str], jurisdiction: str, level: str | None = None
) -> npt.NDArray[np.bool_]:
    """Which values are known unit codes lying inside the jurisdiction (nulls count as valid).

    Args:
        values: the code column (strings; integers are written out in decimal).
        known_codes: the codes of the hierarchy, e.g. ``hierarchy_codes()``.
        jurisdiction: the code of the unit whose area the values must lie in (2 to 15 digits,
            padded national form accepted).
        level: when given, the level the codes must be of (a community column holds community
            codes, not its district's).

    Returns:
        A bool array, True for valid codes and nulls.
    """
    strings = as_arrow_strings(values)
    if pa.types.is_large_string(strings.type):
        strings = strings.cast(pa.string())
    known = pc.is_in(strings, value_set=_value_set(known_codes))
    inside = pc.and_(known, pc.starts_with(strings, pattern=significant_code(jurisdiction)))
    if level is not None:
        inside = pc.and_(inside, pc.equal(pc.binary_length(strings), CODE_LENGTH[level_of(level)]))
    return null_mask(strings) | to_numpy_bool(inside, null_as=False)
