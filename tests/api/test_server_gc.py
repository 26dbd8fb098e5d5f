"""The API server moves what its start-up made out of the collector's generations (gc.freeze)."""

from __future__ import annotations

import gc


async def test_startup_objects_are_frozen_once_the_app_is_up(make_api):
    gc.unfreeze()  # another test's in-process worker may have frozen this process already
    assert gc.get_freeze_count() == 0
    async with make_api() as http:
        assert gc.get_freeze_count() > 0
        assert (await http.get("/healthz")).status_code == 200
