"""A worker that serves the cleanup queue schedules the recurring jobs, once each."""


async def test_cleanup_worker_ensures_the_hourly_schedule(worker, client):
    async with worker(["cleanup"]):
        pass
    async with worker(["cleanup"]):  # a second start does not add a second scheduler
        pass
    schedulers = await client.broker.queue("cleanup").getJobSchedulers()
    assert sorted(s["key"] for s in schedulers) == ["pipelines.sweep:5min", "storage.cleanup:daily",
                                                    "storage.cleanup:hourly", "storage.cleanup:monthly"]
