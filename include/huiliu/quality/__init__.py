"""Data quality: domain rules and the checks that gate landed batches."""
