"""huiliu (回流): collect department data into a lake, gate it, and return it to the grassroots."""

__version__ = "0.1.0"
