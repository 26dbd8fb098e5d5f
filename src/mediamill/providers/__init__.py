"""Adapters for third-party services (LLMs, email, cloud speech); each boundary ships a test double."""
