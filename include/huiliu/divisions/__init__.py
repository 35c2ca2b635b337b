"""The administrative hierarchy: real divisions down to streets, synthetic communities and grids."""

from huiliu.divisions.hierarchy import LEVELS, Hierarchy, Level, Unit, load_hierarchy

__all__ = ["LEVELS", "Hierarchy", "Level", "Unit", "load_hierarchy"]
