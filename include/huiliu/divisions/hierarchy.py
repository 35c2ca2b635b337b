"""Units of the city hierarchy and the tree that holds them.

Province, city, district and street come from the real division tables. Communities (12-digit
codes: street code + 3 digits) and grids (15-digit codes: community code + 3 digits) are
generated from a seed, one random stream per street, so a street's communities are the same
whichever other districts are loaded.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from huiliu.divisions import reference
from huiliu.errors import UnknownUnitError

Level = Literal["province", "city", "district", "street", "community", "grid"]
LEVELS: tuple[Level, ...] = ("province", "city", "district", "street", "community", "grid")
CODE_LENGTH: dict[Level, int] = {
    "province": 2,
    "city": 4,
    "district": 6,
    "street": 9,
    "community": 12,
    "grid": 15,
}
LEVEL_NAMES_ZH: dict[Level, str] = {
    "province": "省",
    "city": "市",
    "district": "区县",
    "street": "街道乡镇",
    "community": "社区村",
    "grid": "网格",
}

_COMMUNITY_STEMS = (
    "和平",
    "幸福",
    "新华",
    "朝阳",
    "兴隆",
    "青山",
    "河滨",
    "东风",
    "红旗",
    "光明",
    "团结",
    "育才",
    "文昌",
    "富源",
    "金桥",
    "春晖",
    "翠微",
    "松柏",
    "桂花",
    "枫林",
    "锦绣",
    "长青",
    "友谊",
    "振兴",
    "民主",
    "建设",
    "花果园",
    "龙泉",
    "紫林",
    "望城",
    "水口",
    "观澜",
    "云峰",
    "碧海",
    "南湖",
    "北城",
    "西湖",
    "东山",
    "清溪",
    "杏林",
    "荷塘",
    "月亮湾",
    "玉龙",
    "宝山",
    "中华",
    "大营",
    "油榨",
    "太慈",
    "沙冲",
    "甲秀",
)


@dataclass(frozen=True)
class Unit:
    """One administrative unit."""

    code: str
    name: str
    level: Level
    parent_code: str | None

    def is_within(self, ancestor_code: str) -> bool:
        """True when this unit is the given unit or lies below it."""
        return self.code.startswith(ancestor_code)


@dataclass
class Hierarchy:
    """The units of one city, indexed by code, with parent/child navigation."""

    units: dict[str, Unit] = field(default_factory=dict)
    _children: dict[str, list[str]] = field(default_factory=dict)

    def add(self, unit: Unit) -> None:
        self.units[unit.code] = unit
        if unit.parent_code is not None:
            self._children.setdefault(unit.parent_code, []).append(unit.code)

    def get(self, code: str) -> Unit:
        try:
            return self.units[code]
        except KeyError:
            raise UnknownUnitError(
                f"administrative code {code!r} is not in the hierarchy; "
                "list valid codes with `huiliu units list`"
            ) from None

    def __contains__(self, code: object) -> bool:
        return code in self.units

    def __len__(self) -> int:
        return len(self.units)

    def children(self, code: str) -> list[Unit]:
        return [self.units[c] for c in self._children.get(code, [])]

    def subtree(self, code: str) -> Iterator[Unit]:
        """The unit and everything below it, depth first."""
        stack = [code]
        while stack:
            current = stack.pop()
            yield self.get(current)
            stack.extend(reversed(self._children.get(current, [])))

    def ancestors(self, code: str) -> list[Unit]:
        """Parents from the nearest up to the province."""
        out: list[Unit] = []
        unit = self.get(code)
        while unit.parent_code is not None and unit.parent_code in self.units:
            unit = self.units[unit.parent_code]
            out.append(unit)
        return out

    def full_name(self, code: str) -> str:
        """The unit's name prefixed with its ancestors' names, e.g. 贵州省贵阳市南明区…."""
        chain = [*reversed(self.ancestors(code)), self.get(code)]
        return "".join(u.name for u in chain)

    def at_level(self, level: Level, within: str | None = None) -> list[Unit]:
        units = self.units.values() if within is None else self.subtree(within)
        return sorted((u for u in units if u.level == level), key=lambda u: u.code)


def _community_units(street: Unit, seed: int) -> Iterator[Unit]:
    rng = random.Random(f"{seed}:{street.code}")
    count = rng.randint(5, 20)
    stems = rng.sample(_COMMUNITY_STEMS, k=min(count, len(_COMMUNITY_STEMS)))
    rural = street.name.endswith(("镇", "乡"))
    for index, stem in enumerate(stems, start=1):
        suffix = "村委会" if rural and index % 2 == 0 else "社区"
        number = 200 + index if suffix == "村委会" else index
        yield Unit(f"{street.code}{number:03d}", f"{stem}{suffix}", "community", street.code)


def _grid_units(community: Unit, seed: int) -> Iterator[Unit]:
    rng = random.Random(f"{seed}:{community.code}")
    for index in range(1, rng.randint(5, 15) + 1):
        yield Unit(f"{community.code}{index:03d}", f"第{index}网格", "grid", community.code)


def load_hierarchy(
    city_code: str = "5201", districts: Iterable[str] | None = None, seed: int = 20240601
) -> Hierarchy:
    """Build the hierarchy of one city, optionally limited to some of its districts.

    Args:
        city_code: 4-digit city code, e.g. ``5201`` for 贵阳市.
        districts: 6-digit district codes to include; all of the city's districts when omitted.
        seed: seed of the synthetic community and grid levels.
    """
    cities = reference.cities()
    if city_code not in cities:
        raise UnknownUnitError(f"city code {city_code!r} is not a prefecture city in the division tables")
    city_name, province_code = cities[city_code]
    tree = Hierarchy()
    tree.add(Unit(province_code, reference.provinces()[province_code], "province", None))
    tree.add(Unit(city_code, city_name, "city", province_code))
    wanted = set(districts) if districts is not None else None
    city_districts = {c: n for c, (n, parent) in reference.districts().items() if parent == city_code}
    for code in sorted(wanted or ()):
        if code not in city_districts:
            raise UnknownUnitError(f"district {code!r} is not in city {city_code} ({city_name})")
    for code, name in sorted(city_districts.items()):
        if wanted is None or code in wanted:
            tree.add(Unit(code, name, "district", city_code))
    for code, (name, district) in sorted(reference.streets().items()):
        if district in tree.units:
            street = Unit(code, name, "street", district)
            tree.add(street)
            for community in _community_units(street, seed):
                tree.add(community)
                for grid in _grid_units(community, seed):
                    tree.add(grid)
    return tree
