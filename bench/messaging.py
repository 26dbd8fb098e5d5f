"""Messaging and analytics benchmarks, each beside a baseline measured in the same run. Prints JSON.

1. email: plain emails through the `email` queue (submit -> worker -> email.send -> a local aiosmtpd)
   vs a plain aiosmtplib loop sending the same number at the queue's concurrency (10).
2. analytics: events through POST /v1/events (batches, a real uvicorn in its own process) and
   analytics.track jobs into SQLite, vs a raw `executemany` of the same rows into the same table.
3. notifications: from submitting notify.create to the event arriving on the user's SSE stream
   (median, p99), beside the submit -> job completed round trip of the same jobs.

    .venv/bin/python bench/messaging.py [--emails 500] [--rounds 3] [--events 100000] [--batch 5000] [--notifications 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
from aiosmtpd.controller import Controller
from local_http import free_port  # bench/local_http.py: run as a script, bench/ is on the path
from proc_cpu import tree_cpu_s
from sqlalchemy import delete, func, select

from mediamill.client import AsyncClient
from mediamill.db import open_database
from mediamill.db.models.analytics import AnalyticsEvent
from mediamill.engine.connection import release_embedded
from mediamill.logs import configure_logging
from mediamill.settings import Settings
from mediamill.testing import running_worker

SERVER = """
import sys
from mediamill.api.server import serve
from mediamill.settings import Settings
serve(Settings(data_dir=sys.argv[1], log_level="warning"), "127.0.0.1", int(sys.argv[2]))
"""
EMAIL_CONCURRENCY = 10  # the email queue's concurrency (the seed's)


class Sink:
    """An aiosmtpd handler that only counts what it accepts."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.count += 1
        return "250 OK"



async def wait_for(predicate, timeout: float, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        await asyncio.sleep(step)


# -- 1. email ------------------------------------------------------------------------------
def plain_message(index: int, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = sender, f"user{index}@example.com"
    message["Subject"] = f"Bench {index}"
    message.set_content("A plain benchmark email.\n")
    return message


async def email_loop(port: int, sender: str, count: int, reuse: bool) -> None:
    """The baseline: `count` messages at the queue's concurrency, with `aiosmtplib.send` (a connection
    per message, as the seed sends) or over one connection per lane."""
    next_index = iter(range(count))

    async def lane() -> None:
        if not reuse:
            for index in next_index:
                await aiosmtplib.send(plain_message(index, sender), hostname="127.0.0.1", port=port,
                                      use_tls=False, start_tls=False)
            return
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, use_tls=False, start_tls=False) as smtp:
            for index in next_index:
                await smtp.send_message(plain_message(index, sender))

    await asyncio.gather(*(lane() for _ in range(EMAIL_CONCURRENCY)))


async def bench_email(settings: Settings, count: int, rounds: int) -> dict:
    """Interleaved rounds (medians): the two loops, then the same messages through the queue. CPU is
    that of this process (client, worker, SMTP sink) and its children (Redis) for each side."""
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    samples: dict[str, list[float]] = {}
    cpu_ms: dict[str, list[float]] = {}

    def sample(key: str, started: float, cpu_started: float) -> None:
        samples.setdefault(key, []).append(round(time.perf_counter() - started, 3))
        cpu_ms.setdefault(key, []).append(round((tree_cpu_s() - cpu_started) * 1000 / count, 2))

    try:
        config = settings.email.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                   "smtp_security": "none", "domain_rate_limit": 1_000_000})
        settings = settings.model_copy(update={"email": config})
        async with running_worker(settings, ["email"]), AsyncClient(settings) as client:
            await email_loop(port, config.from_address, 20, reuse=False)  # warm-up: imports, first connections
            for index in range(20):
                await client.submit("email.send", {"to": f"warm{index}@example.com", "subject": "w", "text": "w\n"})
            await wait_for(lambda: sink.count >= 40, timeout=600)
            for round_index in range(rounds):
                for key, reuse in (("aiosmtplib_send", False), ("aiosmtplib_reused", True)):
                    cpu, start = tree_cpu_s(), time.perf_counter()
                    await email_loop(port, config.from_address, count, reuse)
                    sample(key, start, cpu)
                sink.count = 0
                cpu, start = tree_cpu_s(), time.perf_counter()
                for index in range(count):
                    await client.submit("email.send", {"to": f"r{round_index}u{index}@example.com",
                                                       "subject": f"Bench {index}", "text": "A plain benchmark email.\n"})
                await wait_for(lambda: sink.count >= count, timeout=600)
                sample("queue", start, cpu)
        with open_database(settings).session() as session:
            from mediamill.db.models.messaging import EmailMessage as Row

            sent = session.scalar(select(func.count()).select_from(Row).where(Row.status == "sent"))
    finally:
        controller.stop()
    rate = {key: count / statistics.median(values) for key, values in samples.items()}
    cpu = {key: statistics.median(values) for key, values in cpu_ms.items()}
    return {"emails": count, "rounds": rounds, "queue_per_s": round(rate["queue"], 1),
            "aiosmtplib_loop_per_s": round(rate["aiosmtplib_send"], 1),
            "ratio": round(rate["queue"] / rate["aiosmtplib_send"], 3),
            "aiosmtplib_reused_connection_per_s": round(rate["aiosmtplib_reused"], 1),
            "ratio_vs_reused_connection": round(rate["queue"] / rate["aiosmtplib_reused"], 3),
            "cpu_ms_per_email": {key: round(value, 2) for key, value in cpu.items()},
            "cpu_ratio": round(cpu["aiosmtplib_send"] / cpu["queue"], 3),
            "recorded_sent": sent, "samples_s": samples,
            "method": f"all at concurrency {EMAIL_CONCURRENCY}; the queue figure runs from the first submit to the "
                      "sink holding every message; aiosmtplib_send opens a connection per message (the seed's "
                      "way), aiosmtplib_reused keeps one per lane; cpu_ratio = loop CPU / queue CPU per email"}


# -- 2. analytics ----------------------------------------------------------------------------
KINDS = ("ASSET_VIEW", "ASSET_DOWNLOAD", "SEARCH", "ASSET_VIEW", "ACTIVITY")


def events_batch(start: int, size: int, keys: str = "distinct") -> list[dict]:
    """`distinct`: every event of a batch is its own rollup key (48,500 keys, each seen once per 48,500
    events). `skewed`: what a library's traffic looks like, a few popular assets and active users
    (Pareto-distributed, seeded per batch so both sides get the same rows)."""
    now = datetime.now(UTC).isoformat()
    if keys == "skewed":
        draw = random.Random(start)
        picks = [(min(int(draw.paretovariate(1.2)) - 1, 499), min(int(draw.paretovariate(1.5)) - 1, 96))
                 for _ in range(size)]
        return [{"type": KINDS[i % 5], "assetId": f"ast_{asset}", "userId": f"usr_{user}", "data": {"n": i},
                 "timestamp": now} for i, (asset, user) in zip(range(start, start + size), picks, strict=True)]
    return [{"type": KINDS[i % 5], "assetId": f"ast_{i % 500}", "userId": f"usr_{i % 97}",
             "data": {"n": i}, "timestamp": now} for i in range(start, start + size)]


def count_events(settings: Settings) -> int:
    with open_database(settings).session() as session:
        return session.scalar(select(func.count()).select_from(AnalyticsEvent)) or 0


def raw_executemany(settings: Settings, total: int, batch: int, keys: str = "distinct") -> float:
    """The same rows into the same table with sqlite3's executemany, one transaction per batch."""
    database = open_database(settings)
    rows = []
    for start in range(0, total, batch):
        for event in events_batch(start, batch, keys):
            rows.append(("raw", event["type"], event["assetId"], event["userId"], json.dumps(event["data"]),
                         event["timestamp"], event["timestamp"]))
    connection = database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cpu, started = time.process_time(), time.perf_counter()
        for start in range(0, total, batch):
            cursor.executemany("INSERT INTO analytics_events (batch, type, asset_id, user_id, data, occurred_at, "
                               "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows[start:start + batch])
            connection.commit()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        connection.close()
    with database.session() as session:
        session.execute(delete(AnalyticsEvent).where(AnalyticsEvent.batch == "raw"))
    return elapsed, cpu


async def bench_analytics(settings: Settings, base_url: str, total: int, batch: int, rounds: int,
                          keys: str = "distinct") -> dict:
    """Interleaved rounds (medians): the raw executemany, then the same rows through the API and jobs
    (the table keeps each round's rows: both sides insert into the same growing table)."""
    bodies = [json.dumps({"events": events_batch(start, batch, keys)}).encode() for start in range(0, total, batch)]
    samples: dict[str, list[float]] = {"raw_executemany": [], "api_and_jobs": [], "posting_only": []}
    cpu_us: dict[str, list[float]] = {"raw_executemany": [], "api_and_jobs": []}
    async with running_worker(settings, ["analytics"]), httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        # Warm-up (imports, the first connections), as the email figure has: one small batch, waited for.
        warm = json.dumps({"events": events_batch(0, 10)}).encode()
        assert (await http.post("/v1/events", content=warm, headers={"Content-Type": "application/json"})).status_code == 202
        await wait_for(lambda: count_events(settings) >= 10, timeout=600, step=0.1)
        with open_database(settings).session() as session:
            session.execute(delete(AnalyticsEvent))  # each round counts only its own rows
        for round_index in range(rounds):
            baseline_s, baseline_cpu = raw_executemany(settings, total, batch, keys)
            samples["raw_executemany"].append(round(baseline_s, 3))
            cpu_us["raw_executemany"].append(round(baseline_cpu * 1e6 / total, 2))
            # The API server is a child of this process: its CPU, the worker's and this client's all count.
            cpu, start = tree_cpu_s(), time.perf_counter()
            for body in bodies:
                answer = await http.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
                assert answer.status_code == 202, answer.text
            samples["posting_only"].append(round(time.perf_counter() - start, 3))
            # COUNT(*) scans the table: polled rarely, so the poll does not weigh on what it measures.
            expected = total * (round_index + 1)
            await wait_for(lambda: count_events(settings) >= expected, timeout=600, step=0.25)  # noqa: B023
            samples["api_and_jobs"].append(round(time.perf_counter() - start, 3))
            cpu_us["api_and_jobs"].append(round((tree_cpu_s() - cpu) * 1e6 / total, 2))
    wall = {key: statistics.median(values) for key, values in samples.items()}
    cpu = {key: statistics.median(values) for key, values in cpu_us.items()}
    ratios = [round(raw / api, 3) for raw, api in zip(samples["raw_executemany"], samples["api_and_jobs"], strict=True)]
    return {"events": total, "batch": batch, "keys": keys, "rounds": rounds, "api_and_jobs_per_s": round(total / wall["api_and_jobs"]),
            "raw_executemany_per_s": round(total / wall["raw_executemany"]), "ratio": statistics.median(ratios),
            "ratio_per_round": ratios, "posting_only_per_s": round(total / wall["posting_only"]),
            "cpu_us_per_event": cpu, "cpu_ratio": round(cpu["raw_executemany"] / cpu["api_and_jobs"], 3),
            "samples_s": samples,
            "method": "one uvicorn process (API) + one in-process worker; SQLite; from the first POST to every "
                      "row counted; the pipeline also writes the daily rollups, the baseline does not; "
                      "ratio = median over rounds of (baseline time / pipeline time) in the same round"}


def bench_analytics_postgresql(total: int, batch: int, rounds: int) -> dict:
    """The batch write alone on the local PostgreSQL (a throwaway database): write_batch (events by COPY
    and the rollups) vs psycopg's executemany of the same rows (no rollups), interleaved rounds."""
    from mediamill.db.repositories import analytics as records
    from mediamill.db.testing import throwaway_postgres
    from mediamill.processors.analytics.events import decode_events

    now = datetime.now(UTC)
    batches = [decode_events(json.dumps({"events": events_batch(start, batch)}).encode(), now)
               for start in range(0, total, batch)]
    samples: dict[str, list[float]] = {"write_batch": [], "psycopg_executemany": []}
    cpu_us: dict[str, list[float]] = {"write_batch": [], "psycopg_executemany": []}
    with throwaway_postgres() as url, tempfile.TemporaryDirectory() as tmp:
        database = open_database(Settings(data_dir=Path(tmp), log_level="warning", database_url=url))
        for round_index in range(rounds):
            cpu, started = time.process_time(), time.perf_counter()
            for index, rows in enumerate(batches):
                with database.session() as session:
                    records.write_batch(session, f"r{round_index}b{index}", rows)
            samples["write_batch"].append(round(time.perf_counter() - started, 3))
            cpu_us["write_batch"].append(round((time.process_time() - cpu) * 1e6 / total, 2))
            prepared = [[(f"raw{round_index}b{index}", *row, rows.created_at) for row in rows.rows]
                        for index, rows in enumerate(batches)]
            connection = database.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cpu, started = time.process_time(), time.perf_counter()
                for rows in prepared:
                    cursor.executemany("INSERT INTO analytics_events (batch, type, asset_id, user_id, data, "
                                       "occurred_at, created_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s)", rows)
                    connection.commit()
                samples["psycopg_executemany"].append(round(time.perf_counter() - started, 3))
                cpu_us["psycopg_executemany"].append(round((time.process_time() - cpu) * 1e6 / total, 2))
            finally:
                connection.close()
        database.engine.dispose()
    wall = {key: statistics.median(values) for key, values in samples.items()}
    cpu = {key: statistics.median(values) for key, values in cpu_us.items()}
    return {"events": total, "batch": batch, "rounds": rounds,
            "write_batch_per_s": round(total / wall["write_batch"]),
            "psycopg_executemany_per_s": round(total / wall["psycopg_executemany"]),
            "ratio": round(wall["psycopg_executemany"] / wall["write_batch"], 3), "cpu_us_per_event": cpu,
            "cpu_ratio": round(cpu["psycopg_executemany"] / cpu["write_batch"], 3), "samples_s": samples,
            "method": "the batch write alone (no API, no job) on the local PostgreSQL; write_batch also "
                      "writes the daily rollups, the baseline does not; CPU is this process's"}


# -- 3. notifications ------------------------------------------------------------------------
async def bench_notifications(settings: Settings, base_url: str, count: int) -> dict:
    latencies, roundtrips = [], []
    async with running_worker(settings, ["notifications"]), AsyncClient(settings) as client, \
            httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        async with http.stream("GET", "/v1/notifications/stream", params={"user": "usr_bench"}) as response:
            chunks, buffer = response.aiter_text(), ""

            async def next_event() -> str:
                nonlocal buffer
                while True:
                    while "\n\n" not in buffer:
                        buffer += await anext(chunks)
                    block, buffer = buffer.split("\n\n", 1)
                    if "event: " in block:
                        return block.split("event: ", 1)[1].split("\n", 1)[0]

            assert await next_event() == "ready"
            for index in range(count):
                sent = time.perf_counter()
                handle = await client.submit("notify.create", {"userId": "usr_bench", "type": "BENCH",
                                                               "title": f"n{index}", "message": "m"})
                while await next_event() != "notification":
                    pass
                latencies.append(time.perf_counter() - sent)
                await handle.result(timeout=30)
                roundtrips.append(time.perf_counter() - sent)
    ms = sorted(1000 * x for x in latencies)
    rt = sorted(1000 * x for x in roundtrips)
    return {"notifications": count, "sse_median_ms": round(statistics.median(ms), 1),
            "sse_p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
            "job_roundtrip_median_ms": round(statistics.median(rt), 1),
            "method": "submit notify.create -> event on GET /v1/notifications/stream (0.2 s table poll); the "
                      "round trip is submit -> client sees the job completed (broker wait), for the same jobs"}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=500)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--notifications", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keys", choices=["distinct", "skewed"], default="distinct",
                        help="analytics: how the events' rollup keys repeat (see events_batch)")
    parser.add_argument("--only", choices=["email", "analytics", "analytics-postgresql", "notifications"],
                        default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), log_level="warning", log_format="json")
        configure_logging(settings)
        open_database(settings)  # migrated before either process uses it
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, tmp, str(port)])
        base_url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(base_url + "/health", timeout=1).status_code < 500:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            results = {}
            if args.only in (None, "email"):
                results["email"] = await bench_email(settings, args.emails, args.rounds)
            if args.only in (None, "analytics"):
                results["analytics"] = await bench_analytics(settings, base_url, args.events, args.batch, args.rounds,
                                                              args.keys)
            if args.only == "analytics-postgresql":  # needs the machine's PostgreSQL: only when asked
                results["analytics_postgresql"] = bench_analytics_postgresql(args.events, args.batch, args.rounds)
            if args.only in (None, "notifications"):
                results["notifications"] = await bench_notifications(settings, base_url, args.notifications)
        finally:
            server.terminate()
            server.wait(20)
            release_embedded(settings)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
