"""Runs the Node verification example from docs/guides/webhooks.md with node, on given bytes and headers."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "webhooks.md"
DRIVER = """
import { verifyWebhook } from "./verify-webhook.mjs";
const input = JSON.parse(await new Promise((done) => {
  let text = ""; process.stdin.on("data", (c) => (text += c)); process.stdin.on("end", () => done(text));
}));
try {
  console.log(JSON.stringify({ ok: true, id: verifyWebhook(input.secret, Buffer.from(input.body, "base64"), input.headers) }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: error.message }));
}
"""


def node_available() -> bool:
    return shutil.which("node") is not None


def documented_example() -> str:
    blocks = re.findall(r"```js\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) == 1, "the guide should hold exactly one js block: the verification example"
    return blocks[0]


def verify_with_node(tmp_path: Path, secret: str, body: bytes, headers: dict[str, str]) -> dict:
    """{"ok": True, "id": ...} or {"ok": False, "error": ...}, as the documented function answered."""
    (tmp_path / "verify-webhook.mjs").write_text(documented_example())
    (tmp_path / "driver.mjs").write_text(DRIVER)
    lowered = {key.lower(): value for key, value in headers.items()}  # as Node's http module gives them
    payload = json.dumps({"secret": secret, "body": base64.b64encode(body).decode(), "headers": lowered})
    done = subprocess.run(["node", "driver.mjs"], cwd=tmp_path, input=payload, capture_output=True, text=True,
                          timeout=30, check=True)
    return json.loads(done.stdout)
