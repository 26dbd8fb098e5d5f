"""Queries over the records, one module per table family; each function takes an open Session."""
