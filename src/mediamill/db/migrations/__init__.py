"""Alembic migrations, shipped as package data and run by mediamill.db.migrate on start-up."""
