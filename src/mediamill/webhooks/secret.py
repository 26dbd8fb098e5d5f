"""The webhook signing secret: MEDIAMILL_WEBHOOK_SECRET when set, else one generated into the data dir."""

from __future__ import annotations

from mediamill.settings import Settings
from mediamill.signing import secret_from_file

SECRET_FILE = "webhook.key"


def webhook_secret(settings: Settings) -> str:
    """What receivers verify with. Workers on several machines must share it (set it in settings)."""
    configured = getattr(settings, "webhook_secret", None)
    if configured:
        return str(configured)
    return secret_from_file(settings.resolved_data_dir / SECRET_FILE).decode()
