"""The synthetic city: department sources that look like a real Chinese city's, with planted defects.

``generate_city`` writes the SQL sources of every department (SQLite files, or PostgreSQL/MariaDB
targets), the file drops (a GBK CSV from 人社, an XLSX workbook from the communities),
``connections.json``, ``manifest.json`` and ``ground_truth.json`` listing every planted defect and
every personal entity hidden in free text. ``write_resident_rows`` bulk-writes a large valid
resident registry for benchmarks.
"""

from huiliu.city.bulk import write_resident_rows
from huiliu.city.defects import RATES
from huiliu.city.generator import SCALES, CityManifest, ScalePlan, generate_city

__all__ = ["RATES", "SCALES", "CityManifest", "ScalePlan", "generate_city", "write_resident_rows"]
