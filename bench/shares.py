"""Share link downloads beside signed-link downloads of the same artifact, measured in the same run. Prints JSON.

A share link does more per request than a signed link: a token lookup and one conditional UPDATE
that counts the download. Both emit one ASSET_DOWNLOAD job for analytics.track per download (the
server runs with analytics.track_downloads on, so the baseline does the same analytics work). Both
go through one real uvicorn server in its own process, at the same client concurrency, on a small
(64 KB) and a larger (4 MB) file; the ratio is share-link requests/s over signed-link requests/s.
A limited link is then raced by all clients at once: exactly its limit of downloads must succeed.

    .venv/bin/python bench/shares.py [--requests 600] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from local_http import free_port, wait_http  # bench/local_http.py: run as a script, bench/ is on the path

from mediamill.engine.connection import redis_url, release_embedded
from mediamill.logs import configure_logging
from mediamill.settings import Settings

SERVER = """
import sys
from mediamill.api.server import serve
from mediamill.settings import Settings
serve(Settings(data_dir=sys.argv[1], log_level="warning"), "127.0.0.1", int(sys.argv[2]))
"""


async def fetch_all(http: httpx.AsyncClient, url: str, count: int, concurrency: int) -> tuple[float, list[int]]:
    """Requests/s for `count` GETs of `url` at `concurrency`, and the status codes."""
    codes: list[int] = []
    todo = iter(range(count))

    async def client() -> None:
        for _ in todo:
            response = await http.get(url)
            codes.append(response.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return count / (time.perf_counter() - started), codes


async def bench_size(http: httpx.AsyncClient, size: int, requests: int, concurrency: int) -> dict:
    upload = (await http.post("/v1/artifacts", content=os.urandom(size), params={"name": "bench.bin"},
                              headers={"Content-Type": "application/octet-stream"})).json()
    signed = upload["download"]["url"]
    link = (await http.post(f"/v1/artifacts/{upload['id']}/shares", json={"expires_in_hours": 1})).json()
    await fetch_all(http, signed, 20, concurrency)  # warm both paths
    await fetch_all(http, link["url"], 20, concurrency)
    signed_rps, signed_codes = await fetch_all(http, signed, requests, concurrency)
    share_rps, share_codes = await fetch_all(http, link["url"], requests, concurrency)
    assert set(signed_codes) == {200} and set(share_codes) == {200}, (set(signed_codes), set(share_codes))
    counted = (await http.get(f"/v1/shares/{link['id']}")).json()["downloads"]
    return {"bytes": size, "requests": requests, "concurrency": concurrency,
            "signed_link_rps": round(signed_rps, 1), "share_link_rps": round(share_rps, 1),
            "ratio": round(share_rps / signed_rps, 3), "downloads_counted": counted,
            "downloads_expected": requests + 20}


async def bench_race(http: httpx.AsyncClient, concurrency: int, limit: int = 5) -> dict:
    upload = (await http.post("/v1/artifacts", content=b"raced", headers={"Content-Type": "application/octet-stream"})
              ).json()
    link = (await http.post(f"/v1/artifacts/{upload['id']}/shares", json={"max_downloads": limit})).json()
    answers = await asyncio.gather(*(http.get(link["url"]) for _ in range(concurrency * 5)))
    codes = [answer.status_code for answer in answers]
    return {"limit": limit, "requests": len(codes), "served": codes.count(200), "refused_410": codes.count(410)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mediamill-bench-shares-") as tmp:
        settings = Settings(data_dir=Path(tmp), log_level="warning", log_format="json")
        configure_logging(settings)
        redis_url(settings)  # start the embedded Redis here, so the server process joins it
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        # Links in the answers (signed and share URLs) name the port the server really listens on.
        server = subprocess.Popen([sys.executable, "-c", SERVER, tmp, str(port)],
                                  env={**os.environ, "MEDIAMILL_PUBLIC_URL": base_url,
                                       "MEDIAMILL_ANALYTICS__TRACK_DOWNLOADS": "true"})
        try:
            wait_http(f"{base_url}/healthz")
            limits = httpx.Limits(max_connections=args.concurrency * 5)
            async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
                report = {"small": await bench_size(http, 64 * 1024, args.requests, args.concurrency),
                          "large": await bench_size(http, 4 * 1024 * 1024, max(50, args.requests // 6),
                                                    args.concurrency),
                          "race": await bench_race(http, args.concurrency)}
        finally:
            server.terminate()
            server.wait()
        release_embedded(settings)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
