"""Personal identifiers and the rules that tell them apart, free of any pipeline machinery."""
