"""Landing: extract a department source and commit it to ``landing.<dataset>`` atomically."""

from huiliu.ingest.landing import LandingResult, batch_id_for, land_dataset, land_drop_folder, land_file

__all__ = ["LandingResult", "batch_id_for", "land_dataset", "land_drop_folder", "land_file"]
