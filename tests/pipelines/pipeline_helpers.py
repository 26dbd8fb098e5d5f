"""Waiting for a run in tests (a module of its own: every test folder has a conftest.py)."""


async def wait_run(coordinator, run_id: str, timeout: float = 60.0):
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        status = await coordinator.status(run_id)
        if status.state in ("completed", "failed", "cancelled"):
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {status.state}: {status.model_dump_json()}")
        await asyncio.sleep(0.05)
