"""The portal: a FastAPI app through which receiving units pull their extracts with bearer tokens."""
