"""``generate_city``: the synthetic city's department sources, files and ground truth.

Order of work: the population; the departments' person tables; planted defects (person-level, then
cross-dataset, then per row); the registry, written block by block; the hotline and grid events,
generated and written block by block; businesses; the two dropped files; then
``connections.json``, ``ground_truth.json`` and ``manifest.json``.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Literal, TypeAlias, TypedDict

import numpy as np

from huiliu.city import defects, departments
from huiliu.city.defects import RATES, DefectLog
from huiliu.city.frame import Frame
from huiliu.city.geo import CityGeo, build_geo
from huiliu.city.groundtruth import GroundTruthWriter, TruthHeader
from huiliu.city.people import ALIVE, Population, generate_population, random_people
from huiliu.city.writers import SqlWriter, write_gbk_csv, write_xlsx
from huiliu.contracts import DatasetContract, load_contracts
from huiliu.contracts.model import FileSource, SqlSource
from huiliu.divisions import reference
from huiliu.errors import ConfigurationError, UnknownUnitError
from huiliu.settings import get_settings

log = logging.getLogger(__name__)

Scale: TypeAlias = Literal["small", "medium", "large"]
Progress: TypeAlias = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` while generating."""
CHUNK_ROWS = 100_000
DATASETS: tuple[str, ...] = (
    "resident_registry",
    "subsistence_allowance",
    "disability_registry",
    "elderly_care_services",
    "unemployment_benefit",
    "volunteer_points",
    "hotline_tickets",
    "grid_events",
    "business_registrations",
)
DEFAULT_DISTRICTS: dict[str, tuple[str, ...]] = {
    "small": ("520102",),
    "medium": ("520102", "520103", "520115"),
}


@dataclass(frozen=True)
class ScalePlan:
    """Rows to generate per dataset (residents are people; elderly care rows are service records)."""

    resident_registry: int
    subsistence_allowance: int
    disability_registry: int
    elderly_care_services: int
    unemployment_benefit: int
    volunteer_points: int
    hotline_tickets: int
    grid_events: int
    business_registrations: int

    def scaled(self, residents: int) -> ScalePlan:
        """The same proportions for another number of residents."""
        if residents < 100:
            raise ConfigurationError("generate at least 100 residents")
        factor = residents / self.resident_registry
        sizes = {k: max(20, round(v * factor)) for k, v in asdict(self).items()}
        return replace(self, **{**sizes, "resident_registry": residents})


SCALES: dict[str, ScalePlan] = {
    "small": ScalePlan(50_000, 2_000, 1_500, 3_000, 2_000, 5_000, 20_000, 5_000, 3_000),
    "medium": ScalePlan(300_000, 12_000, 9_000, 18_000, 12_000, 30_000, 150_000, 30_000, 18_000),
    "large": ScalePlan(1_200_000, 48_000, 36_000, 72_000, 48_000, 120_000, 1_000_000, 200_000, 80_000),
}


class ManifestRecord(TypedDict):
    """A :class:`CityManifest` as JSON (``manifest.json``)."""

    out_dir: str
    connections: dict[str, str]
    counts: dict[str, int]
    ground_truth: str
    defects: dict[str, int]
    seed: int
    scale: str
    as_of: str
    districts: list[str]


@dataclass(frozen=True)
class CityManifest:
    """What ``generate_city`` produced.

    Attributes:
        out_dir: the city folder.
        connections: connection name → SQLAlchemy URL (SQL sources) or absolute folder (file drops).
        counts: rows written per dataset (planted duplicates included).
        ground_truth: path of ``ground_truth.json``.
        defects: planted defects per dataset.
        seed: the generator's seed.
        scale: small, medium or large.
        as_of: the date the data is current to (ISO format).
        districts: the districts generated.
    """

    out_dir: Path
    connections: dict[str, str]
    counts: dict[str, int]
    ground_truth: Path
    defects: dict[str, int] = field(default_factory=dict)
    seed: int = 7
    scale: str = "small"
    as_of: str = ""
    districts: tuple[str, ...] = ()

    def as_dict(self) -> ManifestRecord:
        return {
            "out_dir": str(self.out_dir),
            "connections": dict(self.connections),
            "counts": dict(self.counts),
            "ground_truth": str(self.ground_truth),
            "defects": dict(self.defects),
            "seed": self.seed,
            "scale": self.scale,
            "as_of": self.as_of,
            "districts": list(self.districts),
        }


def _rng(seed: int, label: str) -> np.random.Generator:
    """An independent random stream per purpose, stable across runs and Python processes."""
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


def default_districts(city_code: str, scale: str) -> list[str]:
    """南明区 for small, three central districts for medium, the whole city for large.

    Raises:
        UnknownUnitError: the city code is not a prefecture city of the division tables.
    """
    if city_code not in reference.cities():
        raise UnknownUnitError(f"city code {city_code!r} is not a prefecture city in the division tables")
    known = sorted(code for code, (_, parent) in reference.districts().items() if parent == city_code)
    if scale == "large":
        return known
    wanted = [c for c in DEFAULT_DISTRICTS[scale] if c in known]
    size = len(DEFAULT_DISTRICTS[scale])
    return wanted if len(wanted) == size else known[:size]


def city_contracts() -> dict[str, DatasetContract]:
    """The contracts of the nine datasets the city generates.

    Raises:
        ConfigurationError: a contract is missing.
    """
    contracts = load_contracts(get_settings().contracts_dir)
    missing = [name for name in DATASETS if name not in contracts]
    if missing:
        raise ConfigurationError(
            f"the synthetic city needs the contracts {', '.join(missing)}; restore them in include/contracts/"
        )
    return {name: contracts[name] for name in DATASETS}


def _check_columns(frame: Frame, contract: DatasetContract) -> Frame:
    expected = [c.name for c in contract.columns]
    if list(frame.columns) != expected:
        raise ConfigurationError(
            f"contract {contract.name} lists columns {expected} but the generator makes "
            f"{list(frame.columns)}; update huiliu.city.departments to match the contract"
        )
    return frame


def _connections(
    out_dir: Path, contracts: dict[str, DatasetContract], targets: dict[str, str]
) -> dict[str, str]:
    sql = sorted({c.source.connection for c in contracts.values() if isinstance(c.source, SqlSource)})
    files = sorted({c.source.connection for c in contracts.values() if isinstance(c.source, FileSource)})
    unknown = sorted(set(targets) - set(sql))
    if unknown:
        raise ConfigurationError(
            f"unknown target connection(s) {', '.join(unknown)}; SQL connections are {', '.join(sql)}"
        )
    connections = {
        name: targets.get(name) or f"sqlite:///{out_dir / 'sources' / f'{name}.sqlite'}" for name in sql
    }
    connections.update({name: str(out_dir / "drops" / name) for name in files})
    return connections


def _clear_previous(
    out_dir: Path, contracts: dict[str, DatasetContract], connections: dict[str, str]
) -> None:
    """Remove files of an earlier generation that this one replaces (SQLite files, dropped files)."""
    for name, url in connections.items():
        if url.startswith("sqlite:///") and url.endswith(f"{name}.sqlite"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    for contract in contracts.values():
        if isinstance(contract.source, FileSource):
            folder = Path(connections[contract.source.connection])
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob(contract.source.pattern):
                old.unlink()
    (out_dir / "sources").mkdir(parents=True, exist_ok=True)


class _CityRun:
    """One generation: the shared state and a method per step."""

    def __init__(
        self,
        out_dir: Path,
        geo: CityGeo,
        plan: ScalePlan,
        seed: int,
        as_of: date,
        contracts: dict[str, DatasetContract],
        connections: dict[str, str],
        progress: Progress,
    ) -> None:
        self.out_dir = out_dir
        self.geo = geo
        self.plan = plan
        self.seed = seed
        self.as_of = as_of
        self.contracts = contracts
        self.connections = connections
        self.progress = progress
        self.log = DefectLog()
        self.counts: dict[str, int] = {}
        self.truth = GroundTruthWriter(out_dir / "ground_truth.json")
        self.writers: dict[str, SqlWriter] = {}

    def rng(self, label: str) -> np.random.Generator:
        return _rng(self.seed, label)

    def open_targets(self) -> None:
        """Connect to every SQL target first, so a wrong URL fails before any work is done."""
        for name, contract in self.contracts.items():
            if isinstance(contract.source, SqlSource) and contract.source.connection not in self.writers:
                connection = contract.source.connection
                writer = SqlWriter(connection, self.connections[connection])
                writer.open()
                self.writers[connection] = writer
                log.debug("target of %s ready for %s", connection, name)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def write_sql(self, name: str, frames: Iterator[Frame], expected: int) -> None:
        contract = self.contracts[name]
        assert isinstance(contract.source, SqlSource)
        self.progress(name, 0, expected)
        rows = self.writers[contract.source.connection].write(
            contract, frames, lambda done: self.progress(name, min(done, expected), expected)
        )
        self.counts[name] = rows
        self.progress(name, expected, expected)

    def population(self) -> tuple[Population, set[int]]:
        self.progress("population", 0, self.plan.resident_registry)
        population = generate_population(
            self.rng("population"), self.geo, self.plan.resident_registry, self.as_of
        )
        bad = defects.corrupt_population_ids(
            self.rng("invalid_ids"), population, RATES["invalid_id_checksum"]
        )
        self.progress("population", self.plan.resident_registry, self.plan.resident_registry)
        return population, bad

    def person_frames(self, population: Population, bad: set[int]) -> dict[str, Frame]:
        """The five person datasets with person-level, cross-dataset and row defects planted."""
        builders = {
            "subsistence_allowance": departments.subsistence_allowance,
            "disability_registry": departments.disability_registry,
            "elderly_care_services": departments.elderly_care_services,
            "unemployment_benefit": departments.unemployment_benefit,
            "volunteer_points": departments.volunteer_points,
        }
        frames = {
            name: _check_columns(
                build(self.rng(name), population, self.geo, self.as_of, getattr(self.plan, name)),
                self.contracts[name],
            )
            for name, build in builders.items()
        }
        for frame in frames.values():
            defects.mark_invalid_ids(frame, bad, self.log)
        defects.plant_dead_in_registry(
            self.rng("dead"), frames, population, RATES["dead_in_registry"], self.log, self.as_of
        )
        outsiders = self._outsiders(population, frames)
        defects.plant_absent_from_registry(
            self.rng("absent"), frames, outsiders, RATES["absent_from_registry"], self.log
        )
        for name, frame in frames.items():
            defects.plant_row_defects(
                self.rng(f"{name}:rows"),
                frame,
                self.contracts[name],
                self.geo,
                population,
                self.as_of,
                self.log,
            )
        return frames

    def _outsiders(self, population: Population, frames: dict[str, Frame]) -> Population:
        """People unknown to the registry (aged 61+ so they fit every recipient dataset)."""
        needed = sum(len(frames[n]) for n in defects.RECIPIENT_DATASETS)
        count = int(needed * RATES["absent_from_registry"]) + 10
        people = random_people(self.rng("outsiders"), self.geo, count, self.as_of, 61, 95)
        known = set(population.id_number.tolist())
        keep = np.array([i not in known for i in people.id_number.tolist()], dtype=bool)
        return Population(**{k: v[keep] for k, v in vars(people).items()})

    def registry_frames(self, population: Population, bad: set[int], referenced: set[int]) -> Iterator[Frame]:
        """The resident registry, block by block, with its own defects planted in unreferenced people."""
        rng = self.rng("resident_registry")
        free = np.array([p not in referenced and p not in bad for p in range(len(population))], dtype=bool)
        candidates = np.flatnonzero(free)
        count = min(len(candidates), round(RATES["birth_date_mismatch"] * len(population)) or 1)
        mismatched = np.sort(rng.choice(candidates, count, replace=False))
        wrong = defects.wrong_birth_dates(rng, population, mismatched, self.as_of)
        contract = self.contracts["resident_registry"]
        for start in range(0, len(population), CHUNK_ROWS):
            people = np.arange(start, min(start + CHUNK_ROWS, len(population)))
            frame = _check_columns(departments.resident_registry(population, self.geo, people), contract)
            defects.mark_invalid_ids(frame, bad, self.log)
            defects.plant_birth_mismatch(frame, wrong, self.log)
            defects.plant_row_defects(
                rng,
                frame,
                contract,
                self.geo,
                population,
                self.as_of,
                self.log,
                eligible=free[people].tolist(),
                at_least_one=start == 0,
            )
            yield frame

    def text_frames(self, name: str, population: Population, bad: set[int], total: int) -> Iterator[Frame]:
        """Hotline tickets or grid events, block by block, with defects and free-text entities recorded.

        People mentioned in the texts are living adults with a valid ID number.
        """
        rng = self.rng(name)
        age = population.ages(self.as_of)
        pool = np.flatnonzero((population.status == ALIVE) & (age >= 18))
        pool = np.array([p for p in pool.tolist() if p not in bad], dtype=np.int64)
        workers = departments.grid_workers(rng, population, self.geo, self.as_of)
        for start in range(0, total, CHUNK_ROWS):
            block = departments.Block(start + 1, min(CHUNK_ROWS, total - start), total)
            if name == "hotline_tickets":
                frame = departments.hotline_tickets(rng, population, self.geo, self.as_of, block, pool)
            else:
                frame = departments.grid_events(rng, population, self.geo, self.as_of, block, pool, workers)
            _check_columns(frame, self.contracts[name])
            defects.plant_row_defects(
                rng,
                frame,
                self.contracts[name],
                self.geo,
                population,
                self.as_of,
                self.log,
                at_least_one=start == 0,
            )
            self.truth.add_spans(frame)
            yield frame

    def business_frame(self, population: Population) -> Frame:
        name = "business_registrations"
        rng = self.rng(name)
        frame = _check_columns(
            departments.business_registrations(
                rng, population, self.geo, self.as_of, self.plan.business_registrations
            ),
            self.contracts[name],
        )
        defects.plant_invalid_uscc(rng, frame, RATES["invalid_id_checksum"], self.log)
        defects.plant_row_defects(
            rng, frame, self.contracts[name], self.geo, population, self.as_of, self.log
        )
        return frame

    def write_files(self, frames: dict[str, Frame]) -> None:
        month = self.as_of.strftime("%Y%m")
        label = f"{self.as_of.year}年{self.as_of.month}月"
        city = self.geo.city_name
        for name, title in (
            ("unemployment_benefit", f"{city}失业保险待遇发放明细（{label}）"),
            ("volunteer_points", f"{city}志愿服务积分明细（{label}）"),
        ):
            contract = self.contracts[name]
            assert isinstance(contract.source, FileSource)
            folder = Path(self.connections[contract.source.connection])
            path = folder / contract.source.pattern.replace("*", month)
            self.progress(name, 0, len(frames[name]))
            if contract.source.format == "csv":
                self.counts[name] = write_gbk_csv(path, contract, frames[name], title)
            else:
                self.counts[name] = write_xlsx(path, contract, frames[name], title)
            self.progress(name, len(frames[name]), len(frames[name]))

    def run(self) -> None:
        self.open_targets()
        population, bad = self.population()
        frames = self.person_frames(population, bad)
        referenced = {p for frame in frames.values() for p in frame.people if p >= 0}
        self.write_sql(
            "resident_registry",
            self.registry_frames(population, bad, referenced),
            self.plan.resident_registry,
        )
        for name in defects.RECIPIENT_DATASETS:
            self.write_sql(name, iter([frames[name]]), len(frames[name]))
        for name in ("hotline_tickets", "grid_events"):
            total = getattr(self.plan, name)
            self.write_sql(name, self.text_frames(name, population, bad, total), total)
        business = self.business_frame(population)
        self.write_sql("business_registrations", iter([business]), len(business))
        self.write_files(frames)


def generate_city(
    out_dir: Path,
    city_code: str = "5201",
    districts: list[str] | None = None,
    scale: Scale = "small",
    seed: int = 7,
    targets: dict[str, str] | None = None,
    progress: Progress | None = None,
    *,
    residents: int | None = None,
    as_of: date | None = None,
) -> CityManifest:
    """Generate the department sources of a synthetic city, with planted defects and a ground truth.

    Args:
        out_dir: folder of the city (``sources/``, ``drops/``, ``connections.json``,
            ``ground_truth.json``, ``manifest.json``).
        city_code: 4-digit city code (5201 = 贵阳市).
        districts: 6-digit district codes; by default 南明区 (small), three districts (medium) or the
            whole city (large).
        scale: ``small`` (~50k residents), ``medium`` (~300k) or ``large`` (1.2M residents, 1M tickets).
        seed: random seed; the same seed, scale, districts and ``as_of`` give the same city.
        targets: connection name → SQLAlchemy URL for SQL connections to write to a server instead
            of a SQLite file under ``sources/`` (tables are dropped and recreated; a missing database
            is created).
        progress: called as ``progress(step, done, total)`` while generating.
        residents: override the scale's number of residents (other datasets keep their proportion).
        as_of: the date the data is current to; defaults to today. Timestamps fall before it.

    Returns:
        The manifest (also written to ``manifest.json``).

    Raises:
        UnknownUnitError: a city or district code that does not exist.
        ConfigurationError: a bad scale, target name or URL.
        SourceUnavailableError: a target database cannot be reached.
    """
    if scale not in SCALES:
        raise ConfigurationError(f"unknown scale {scale!r}; use small, medium or large")
    as_of = as_of or date.today()
    contracts = city_contracts()
    chosen = list(districts) if districts else default_districts(city_code, scale)
    geo = build_geo(city_code, chosen, get_settings().units_seed, seed)
    plan = SCALES[scale] if residents is None else SCALES[scale].scaled(residents)
    out_dir = Path(out_dir).resolve()
    connections = _connections(out_dir, contracts, dict(targets or {}))
    _clear_previous(out_dir, contracts, connections)
    run = _CityRun(out_dir, geo, plan, seed, as_of, contracts, connections, progress or (lambda *_: None))
    try:
        run.run()
    except BaseException:
        run.truth.abort()
        raise
    finally:
        run.close()
    header: TruthHeader = {
        "seed": seed,
        "city_code": city_code,
        "districts": chosen,
        "scale": scale,
        "as_of": as_of.isoformat(),
        "units_seed": get_settings().units_seed,
        "counts": {name: run.counts[name] for name in DATASETS},
        "rates": RATES,
    }
    run.progress("ground_truth", 0, 1)
    truth = run.truth.finish(header, run.log.items)
    run.progress("ground_truth", 1, 1)
    (out_dir / "connections.json").write_text(
        json.dumps(connections, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    manifest = CityManifest(
        out_dir=out_dir,
        connections=connections,
        counts=header["counts"],
        ground_truth=truth,
        defects={name: run.log.per_dataset.get(name, 0) for name in DATASETS},
        seed=seed,
        scale=scale,
        as_of=as_of.isoformat(),
        districts=tuple(chosen),
    )
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    log.info("synthetic city written to %s (%s, seed %d)", out_dir, scale, seed)
    return manifest
