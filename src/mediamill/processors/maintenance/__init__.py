"""Maintenance: storage.cleanup (expired artifacts and links, temp files, orphaned variants, old records) on "cleanup"."""
