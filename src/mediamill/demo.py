"""`make demo`: the embedded stack (Redis, workers, API) in one process, the promo-video pipeline on the
bundled example photo, the outputs written to ./out/demo and listed, then a clean stop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from pathlib import Path

from mediamill.api.server import build_server
from mediamill.cli.jobs import write_outputs
from mediamill.cli.output import console
from mediamill.cli.pipelines import _follow, assign_inputs
from mediamill.client import AsyncClient
from mediamill.dashboard import mount
from mediamill.examples import example_path
from mediamill.logs import configure_logging
from mediamill.pipelines.catalog import get_pipeline
from mediamill.pipelines.coordinator import Coordinator
from mediamill.serve import build_worker
from mediamill.services.context import Services
from mediamill.settings import Settings, get_settings

OUT = Path("out/demo")
PRODUCT = {
    "name": "Trail Mug",
    "description": "a double-walled steel travel mug that keeps coffee hot for six hours",
    "features": ["leak-proof lid", "fits every cup holder", "dishwasher safe"],
    "audience": "commuters and hikers",
    "tone": "friendly",
}


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


async def main(settings: Settings) -> int:
    console.print(f"[bold]mediamill demo[/] · data dir {settings.resolved_data_dir}")
    service = build_worker(settings)
    await service.start()
    server = api_task = None
    url = f"http://{settings.api_host}:{settings.api_port}"
    if _port_free(settings.api_host, settings.api_port):
        server = build_server(settings, extend=mount)
        api_task = asyncio.ensure_future(server.serve())
    services = await Services.open(settings)
    coordinator = Coordinator(settings, broker=services.broker)
    try:
        spec = get_pipeline(settings, "promo-video")
        photo = example_path("product")
        inputs, params = assign_inputs(services, spec, [str(photo)], {"product": PRODUCT, "brand": "Trail Co"})
        console.print(f"running [bold]promo-video[/] on {photo.name} (first run loads the voice and ASR models)")
        run = await coordinator.start(spec, inputs, params)
        status = await _follow(coordinator, run.id, timeout=1800, show=True)
        if status.state != "completed":
            console.print(f"[red]run {status.state}: {(status.error or {}).get('message')}[/]")
            return 1
        async with AsyncClient(settings) as client:
            write_outputs(client, status.outputs, OUT)
        _print_outputs(status)
        console.print(f"\ndashboard of this run: {url}/dashboard/runs/{status.id}  "
                      f"(served while `mediamill up` runs; API docs at {url}/docs)")
        return 0
    finally:
        await coordinator.close()
        await services.close()
        if server is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await api_task
        await service.stop(grace_s=10)


def _print_outputs(status) -> None:
    outputs = status.outputs
    video = outputs["video"]
    console.print(f"\n[green]done[/] in {status.duration_s:.0f} s · run {status.id}")
    console.print(f"  video      {video['video']['path']}  ({video['resolution']}, {video['duration']} s, "
                  f"{video['fileSize'] / 1e6:.1f} MB)")
    for index, image in enumerate(outputs["images"], start=1):
        console.print(f"  image {index}    {image['artifact']['path']}")
    console.print(f"  voice-over {outputs['voiceover']['path']}")
    console.print(f"  captions   {outputs['captions']['path']}")
    console.print(f"  script     {outputs['script']}")
    for platform, post in outputs["copy"].items():
        text = " ".join(post["text"].split())
        console.print(f"  {platform:<10} {text[:100]}{'…' if len(text) > 100 else ''}")


if __name__ == "__main__":
    settings = get_settings().model_copy(update={"log_level": "warning"})
    configure_logging(settings)
    sys.exit(asyncio.run(main(settings)))
