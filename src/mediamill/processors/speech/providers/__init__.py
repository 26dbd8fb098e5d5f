"""Cloud speech providers behind the same small interfaces as the offline engines (used when a key is set)."""
