"""Pipelines: declared graphs of steps (spec -> validated DAG -> jobs), run by a coordinator."""
