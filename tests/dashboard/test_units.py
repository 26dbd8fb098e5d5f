"""The dashboard's pure parts: DAG layout, sparklines, schema forms, job filters, masked settings."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from mediamill.dashboard.forms import fields_for, params_from_form
from mediamill.dashboard.svg import layout_dag, sparkline
from mediamill.errors import BadInput
from mediamill.services.catalog import masked_settings
from mediamill.services.history import JobFilter
from mediamill.settings import Settings


def test_dag_layers_follow_dependencies():
    graph = layout_dag({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}, ["a", "b", "c", "d"])
    x = {n.name: n.x for n in graph["nodes"]}
    assert x["a"] < x["b"] == x["c"] < x["d"]
    assert len(graph["edges"]) == 4


def test_sparkline_shares_one_scale():
    spark = sparkline({"completed": [0, 4, 2], "failed": [0, 1, 0]}, width=100, height=40)
    assert spark["peak"] == 4 and spark["totals"] == {"completed": 6, "failed": 1}
    assert spark["lines"]["completed"].split()[1] == "50.0,2.0"


def test_form_fields_convert_back_to_typed_params():
    schema = {"type": "object", "required": ["size"], "properties": {
        "size": {"type": "integer", "minimum": 1}, "ratio": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        "mode": {"enum": ["fit", "fill"]}, "sharp": {"type": "boolean"}, "extra": {"type": "object"}}}
    kinds = {f.name: f.kind for f in fields_for(schema)}
    assert kinds == {"size": "integer", "ratio": "number", "mode": "select", "sharp": "checkbox", "extra": "json"}
    params = params_from_form(schema, {"p.size": "12", "p.ratio": "", "p.mode": "fill", "p.extra": '{"a": 1}'})
    assert params == {"size": 12, "mode": "fill", "sharp": False, "extra": {"a": 1}}
    with pytest.raises(BadInput) as caught:
        params_from_form(schema, {"p.size": "big"})
    assert caught.value.field == "size"


def test_job_filter_round_trips_through_the_url():
    parsed = JobFilter.parse({"status": "failed", "since": "2026-12-01T08:30", "text": "mug"})
    assert parsed.since == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert JobFilter.parse(dict(parse_qsl(parsed.query()))) == parsed
    with pytest.raises(BadInput, match="status"):
        JobFilter.parse({"status": "exploded"})
    with pytest.raises(BadInput) as caught:
        JobFilter.parse({"until": "tomorrow"})
    assert caught.value.field == "until"


def test_settings_are_masked(tmp_path):
    settings = Settings(data_dir=tmp_path, webhook_secret="s3cret",
                        redis_url="redis://app:hunter2@cache:6379/0")
    shown = masked_settings(settings)
    assert shown["webhook_secret"] == "••••"
    assert shown["redis_url"] == "redis://app:••••@cache:6379/0"
    assert "hunter2" not in str(shown) and "s3cret" not in str(shown)


def test_text_search_ignores_case_and_treats_wildcards_literally(tmp_path):
    from mediamill.db import open_database
    from mediamill.db.repositories import jobs as job_records

    settings = Settings(data_dir=tmp_path)
    database = open_database(settings)
    rows = [{"id": "job_a", "task": "t", "params": {"name": "Trail MUG"}},
            {"id": "job_b", "task": "t", "params": {"name": "50% off"}},
            {"id": "job_c", "task": "t", "params": {"name": "500 off"}, "error": {"message": "mug broke"}}]
    with database.session() as session:
        job_records.upsert_many(session, rows)
    with database.session() as session:
        assert {r.id for r in job_records.search(session, text="mug")} == {"job_a", "job_c"}
        assert [r.id for r in job_records.search(session, text="50%")] == ["job_b"]
        assert job_records.count(session, text="mug", job_id="job_c") == 1
    database.dispose()


def test_a_list_page_reads_light_rows_newest_first_with_the_total(tmp_path):
    from datetime import timedelta, timezone

    from mediamill.db import open_database
    from mediamill.db.repositories import jobs as job_records

    database = open_database(Settings(data_dir=tmp_path))
    start = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [{"id": f"job_{i}", "task": "t", "state": "failed" if i % 2 else "completed", "params": {"n": i},
             "error": {"message": f"broke {i}"} if i % 2 else None, "created_at": start + timedelta(minutes=i)}
            for i in range(7)]
    with database.session() as session:
        job_records.upsert_many(session, rows)
    with database.session() as session:
        page, total = job_records.list_page(session, limit=2, offset=1, state="failed")
    assert total == 3
    assert [(r.id, r.status, r.error["message"]) for r in page] == [("job_3", "failed", "broke 3"),
                                                                   ("job_1", "failed", "broke 1")]
    assert page[0].created_at == start + timedelta(minutes=3)
    assert "params" not in page[0]._fields  # the list never decodes params or results
    with database.session() as session:  # times compare as the stored UTC values (a zone-aware bound)
        window, total = job_records.list_page(session, since=start + timedelta(minutes=2),
                                              until=(start + timedelta(minutes=5)).astimezone(timezone(timedelta(hours=2))))
        assert [r.id for r in window] == ["job_4", "job_3", "job_2"] and total == 3
        assert job_records.count(session, since=start + timedelta(minutes=6)) == 1
    database.dispose()


def test_an_id_prefix_matches_literally_and_only_the_start(tmp_path):
    from mediamill.db import open_database
    from mediamill.db.repositories import jobs as job_records

    database = open_database(Settings(data_dir=tmp_path))
    ids = ["job_1a2b", "job_1a2c", "job_1b00", "jobX1a2b", "run_9.step.g0", "job_1a%"]
    with database.session() as session:
        job_records.upsert_many(session, [{"id": job_id, "task": "t"} for job_id in ids])
    with database.session() as session:
        def found(prefix):
            return sorted(r.id for r in job_records.search(session, job_id=prefix))

        assert found("job_1a") == ["job_1a%", "job_1a2b", "job_1a2c"]
        assert found("job_1a%") == ["job_1a%"]  # % is a character, not a wildcard
        assert found("job_") == ["job_1a%", "job_1a2b", "job_1a2c", "job_1b00"]  # _ too (jobX... is not)
        assert found("run_9.step") == ["run_9.step.g0"]
        assert found("1a2b") == []  # a prefix, not a substring
        assert job_records.count(session, job_id="job_1a2") == 2
    database.dispose()


def test_the_jobs_table_rows_escape_every_recorded_value(tmp_path):
    from datetime import timedelta

    from mediamill.dashboard.pages.jobs import _rows_html
    from mediamill.db import open_database
    from mediamill.db.repositories import jobs as job_records

    database = open_database(Settings(data_dir=tmp_path))
    created = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    with database.session() as session:
        job_records.upsert_many(session, [
            {"id": 'job_"q"&<b>', "task": "t<i>", "state": "failed", "run": "run_<x>", "attempts": 2,
             "max_attempts": 3, "error": {"message": "<script>alert('x')</script>"}, "created_at": created,
             "started_at": created, "finished_at": created + timedelta(seconds=2)}])
    with database.session() as session:
        rows, _total = job_records.list_page(session)
    html = str(_rows_html(rows, created + timedelta(minutes=3)))
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html and "<x>" not in html
    assert 'href="/dashboard/jobs/job_&quot;q&quot;&amp;&lt;b&gt;"' in html
    assert 'href="/dashboard/runs/run_&lt;x&gt;"' in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert '<span class="badge bad">failed</span>' in html and "<td>2/3</td>" in html
    assert '<td title="2026-12-01 08:30:00 UTC">3 min ago</td><td>2.0 s</td>' in html
    database.dispose()
