"""Job id prefix search on both backends: literal prefixes only, and on PostgreSQL through an index."""

from __future__ import annotations

from sqlalchemy import text

from mediamill.db import open_database
from mediamill.db.repositories import jobs

IDS = ["job_1a2b", "job_1a2c", "job_1b00", "jobX1a2b", "job_1A2b", "run_9.step.g0", "job_1a%", "job_1a_"]


def test_an_id_prefix_finds_the_ids_that_start_with_it_literally(db_settings):
    db = open_database(db_settings)
    with db.session() as s:
        jobs.upsert_many(s, [{"id": job_id, "task": "t"} for job_id in IDS])
    with db.session() as s:
        def found(prefix):
            rows, total = jobs.list_page(s, job_id=prefix)
            assert total == len(rows)
            return sorted(row.id for row in rows)

        assert found("job_1a") == ["job_1a%", "job_1a2b", "job_1a2c", "job_1a_"]  # case counts: not job_1A2b
        assert found("job_1a%") == ["job_1a%"] and found("job_1a_") == ["job_1a_"]  # no wildcards
        assert found("job_1a2b") == ["job_1a2b"]
        assert found("run_9.step") == ["run_9.step.g0"]
        assert found("1a2b") == []


def test_postgresql_answers_an_id_prefix_from_the_pattern_index(db_settings):
    db = open_database(db_settings)
    if db.dialect != "postgresql":
        return  # SQLite: a range on the primary key
    with db.session() as s:
        jobs.upsert_many(s, [{"id": f"job_{i:08x}", "task": "t"} for i in range(5000)])
    statements = jobs.list_statements(limit=50, offset=0, dialect="postgresql", job_id="job_000001f")
    values = {"id_like": "job\\_000001f%", "limit": 50, "offset": 0}
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE jobs"))
        for statement in statements:  # the page of rows and its total
            compiled = statement.compile(connection)
            plan = "\n".join(row[0] for row in connection.exec_driver_sql(
                f"EXPLAIN {compiled}", compiled.construct_params(values)))
            # Without the index the primary key cannot serve LIKE under a non-C collation: every row is read.
            assert "ix_jobs_id_pattern" in plan, plan
