"""Submit -> worker -> result on the embedded Redis, and bad params refused before enqueueing."""

import pytest

from mediamill.errors import BadInput


async def test_file_inspect_end_to_end(client, worker, tmp_path):
    source = tmp_path / "hello.txt"
    source.write_text("hello world\n")
    async with worker(["assets"]):
        handle = await client.submit("file.inspect", {}, [source])
        result = await handle.result(timeout=30)
    assert result["mime"] == "text/plain"
    assert result["size"] == 12
    status = await handle.status()
    assert status.state == "completed" and status.progress == 100


async def test_unknown_param_is_refused_before_enqueue(client, tmp_path):
    source = tmp_path / "x.bin"
    source.write_bytes(b"\x00\x01")
    with pytest.raises(BadInput, match="params.bogus"):
        await client.submit("file.inspect", {"bogus": 1}, [source])
