"""The webhook signing secret (`whsec_...`): MEDIAMILL_WEBHOOK_SECRET when set, else one generated into the data dir."""

from __future__ import annotations

from mediamill.settings import Settings
from mediamill.signing import secret_from_file
from mediamill.webhooks.signature import standard_secret

SECRET_FILE = "webhook.key"


def webhook_secret(settings: Settings) -> str:
    """What receivers verify with, in the Standard Webhooks `whsec_<base64>` form.

    Workers on several machines must share it (set it in settings). A configured secret that is not
    in `whsec_` form is used as raw key bytes, as before, so existing receivers keep verifying.
    """
    configured = getattr(settings, "webhook_secret", None)
    if configured:
        return standard_secret(str(configured))
    return standard_secret(secret_from_file(settings.resolved_data_dir / SECRET_FILE))
