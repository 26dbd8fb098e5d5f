"""Word lists the offline heuristics read: search intent cues, emotional power words, novelty and list cues."""

from __future__ import annotations

INFORMATIONAL = frozenset("how what why when guide tutorial tips ideas learn examples explained meaning".split())
COMMERCIAL = frozenset("best top review reviews vs versus compare comparison alternative alternatives".split())
TRANSACTIONAL = frozenset("buy order price pricing cheap deal deals discount coupon shop sale".split())
# Words that reliably lift shares and clicks in headline studies (emotion, curiosity, urgency).
POWER = frozenset("""amazing surprising secret secrets proven mistake mistakes shocking ultimate essential
    simple easy free instantly fast never always truth hidden powerful love hate fear win fail epic
    incredible unexpected weird crazy brilliant genius insane perfect honest""".split())
NOVELTY = frozenset("""new first latest trend trends trending viral ai future launch now today emerging
    breakthrough 2025 2026 2027 hack hacks""".split())
LIST_CUES = frozenset("tips ways reasons mistakes ideas steps things lessons rules secrets hacks examples".split())
SEASONAL = frozenset("""christmas holiday holidays summer winter spring autumn fall halloween valentine
    black friday back-to-school new-year easter""".split())


def intent_of(phrase: str) -> str:
    words = set(phrase.lower().split())
    if words & TRANSACTIONAL:
        return "transactional"
    if words & COMMERCIAL:
        return "commercial"
    return "informational"
