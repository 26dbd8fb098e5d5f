"""Social platforms: their names, length limits and hashtag habits, in one table."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    name: str
    max_chars: int          # hard limit of a post (X counts weighted characters, see post_length)
    target_chars: int       # what tends to perform: we aim below this, never above max_chars
    hashtags: int           # how many hashtags the platform's culture welcomes
    link_in_bio: bool       # links in the caption are not clickable
    style: str              # how the post is laid out: "caption", "short", "tweet", "post", "professional"


PLATFORMS: dict[str, Platform] = {
    "instagram": Platform("instagram", 2_200, 900, 8, True, "caption"),
    "tiktok": Platform("tiktok", 2_200, 300, 4, True, "short"),
    "twitter": Platform("twitter", 280, 280, 2, False, "tweet"),
    "facebook": Platform("facebook", 63_206, 600, 2, False, "post"),
    "linkedin": Platform("linkedin", 3_000, 1_200, 3, False, "professional"),
}
ALIASES = {"x": "twitter", "ig": "instagram", "fb": "facebook", "tweet": "twitter"}
DEFAULT_PLATFORMS = ("instagram", "tiktok", "twitter")
# X counts every URL as 23 characters whatever its length (t.co wrapping).
X_URL_LENGTH = 23
_URL = re.compile(r"https?://\S+")


def resolve(name: str) -> Platform | None:
    key = name.strip().lower()
    return PLATFORMS.get(ALIASES.get(key, key))


def post_length(text: str, platform: Platform) -> int:
    """Length as the platform counts it: X weighs URLs as 23 and wide characters (emoji, CJK) as 2."""
    if platform.name != "twitter":
        return len(text)
    without_urls = _URL.sub("", text)
    urls = len(_URL.findall(text))
    wide = sum(1 for ch in without_urls if ord(ch) > 0x10FF or unicodedata.east_asian_width(ch) in "WF")
    return len(without_urls) + wide + urls * X_URL_LENGTH
