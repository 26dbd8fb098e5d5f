"""HTTP pieces both web edges use (the API and the dashboard): artifact downloads with byte ranges.

A layer of its own between the edges and the services, so that neither edge imports the other.
"""
