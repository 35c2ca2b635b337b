"""Department sources: SQL databases and dropped files, read as Arrow record batches."""
