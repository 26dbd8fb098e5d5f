"""Maintenance: storage.cleanup (expired artifacts and stale temporary files), run hourly on "cleanup"."""
