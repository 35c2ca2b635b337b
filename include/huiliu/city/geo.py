"""The city's places as arrays: communities, their grids, roads and residential compounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from huiliu.city.arrays import Indexes
from huiliu.city.vocab import COMPOUND_STEMS, COMPOUND_SUFFIXES, GENERIC_ROADS, ROADS
from huiliu.divisions import Hierarchy, Unit, load_hierarchy
from huiliu.errors import ConfigurationError

ROADS_PER_COMMUNITY = 3
COMPOUNDS_PER_COMMUNITY = 4


@dataclass
class CityGeo:
    """Communities of the generated districts with the roads, compounds and grids inside them.

    Attributes:
        hierarchy: the loaded hierarchy (real districts and streets, synthetic communities and grids).
        city_code: 4-digit city code.
        city_name: e.g. 贵阳市.
        districts: district units generated, sorted by code.
        communities: community units, sorted by code.
        community_codes: 12-digit codes, parallel to ``communities``.
        community_district: index into ``districts`` of each community.
        community_weight: share of the population living in each community.
        prefixes: full names down to the community, e.g. 贵州省贵阳市南明区新华路街道和平社区.
        roads: road names; ``community_roads[c]`` indexes the roads of community ``c``.
        compounds: compound names; ``community_compounds[c]`` indexes those of community ``c``.
        grid_codes: 15-digit grid codes; ``grid_community`` indexes each grid's community.
    """

    hierarchy: Hierarchy
    city_code: str
    city_name: str
    districts: list[Unit]
    communities: list[Unit]
    community_codes: npt.NDArray[np.str_]
    community_district: npt.NDArray[np.int32]
    community_weight: npt.NDArray[np.float64]
    prefixes: list[str]
    roads: list[str]
    community_roads: npt.NDArray[np.int32]
    compounds: list[str]
    community_compounds: npt.NDArray[np.int32]
    grid_codes: npt.NDArray[np.str_]
    grid_community: npt.NDArray[np.int32]

    @property
    def district_codes(self) -> list[str]:
        return [d.code for d in self.districts]

    def district_of(self, community: Indexes) -> npt.NDArray[np.int64]:
        """6-digit district codes (as int) of community indexes."""
        codes = np.array([int(d.code) for d in self.districts], dtype=np.int64)
        return codes[self.community_district[community]]

    def unknown_community_code(self, rng: np.random.Generator) -> str:
        """A well-formed 12-digit code under a real street that is not a community of the hierarchy.

        Generated communities are numbered 001-020 (社区) and 201-220 (村委会); 1xx never exists.
        """
        streets = [u.code for u in self.hierarchy.units.values() if u.level == "street"]
        while True:
            code = f"{streets[int(rng.integers(0, len(streets)))]}1{int(rng.integers(0, 100)):02d}"
            if code not in self.hierarchy:
                return code


def build_geo(city_code: str, districts: list[str], units_seed: int, seed: int) -> CityGeo:
    """Load the hierarchy and lay roads, compounds and population weights over its communities.

    Args:
        city_code: 4-digit city code.
        districts: 6-digit district codes to generate.
        units_seed: seed of the hierarchy's synthetic communities and grids (the settings' ``units_seed``,
            so the rest of huiliu sees the same communities).
        seed: seed of the city generator.

    Raises:
        UnknownUnitError: a city or district code that does not exist.
        ConfigurationError: no district to generate.
    """
    if not districts:
        raise ConfigurationError("no district to generate; pass at least one 6-digit district code")
    tree = load_hierarchy(city_code, districts, units_seed)
    rng = np.random.default_rng([seed, 101])
    district_units = tree.at_level("district")
    communities = tree.at_level("community")
    district_index = {d.code: i for i, d in enumerate(district_units)}
    roads: list[str] = []
    road_index: dict[str, int] = {}
    community_roads = np.zeros((len(communities), ROADS_PER_COMMUNITY), dtype=np.int32)
    for c, community in enumerate(communities):
        pool = ROADS.get(community.code[:6], GENERIC_ROADS)
        for k, pick in enumerate(
            rng.choice(len(pool), ROADS_PER_COMMUNITY, replace=len(pool) < ROADS_PER_COMMUNITY)
        ):
            name = pool[int(pick)]
            if name not in road_index:
                road_index[name] = len(roads)
                roads.append(name)
            community_roads[c, k] = road_index[name]
    compounds = [f"{stem}{suffix}" for stem in COMPOUND_STEMS for suffix in COMPOUND_SUFFIXES]
    community_compounds = rng.integers(0, len(compounds), (len(communities), COMPOUNDS_PER_COMMUNITY)).astype(
        np.int32
    )
    grids = [(g.code, c) for c, community in enumerate(communities) for g in tree.children(community.code)]
    weight = rng.lognormal(0.0, 0.5, len(communities))
    city = tree.get(city_code)
    return CityGeo(
        hierarchy=tree,
        city_code=city_code,
        city_name=city.name,
        districts=district_units,
        communities=communities,
        community_codes=np.array([c.code for c in communities], dtype="U12"),
        community_district=np.array([district_index[c.code[:6]] for c in communities], dtype=np.int32),
        community_weight=weight / weight.sum(),
        prefixes=[tree.full_name(c.code) for c in communities],
        roads=roads,
        community_roads=community_roads,
        compounds=compounds,
        community_compounds=community_compounds,
        grid_codes=np.array([code for code, _ in grids], dtype="U15"),
        grid_community=np.array([c for _, c in grids], dtype=np.int32),
    )
