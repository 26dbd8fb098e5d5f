"""Use cases, one function each, shared by the HTTP API and the CLI (edges parse, call one, render)."""
