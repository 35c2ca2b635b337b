"""The ``huiliu`` command line."""
