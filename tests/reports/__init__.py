"""Tests of the shared report renderer: labels, charts, pages and report files."""
