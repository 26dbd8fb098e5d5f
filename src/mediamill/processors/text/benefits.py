"""Feature-to-benefit phrasing: cue words in a feature map to what it does for the buyer (verb phrases)."""

from __future__ import annotations

import random
import re

# (cue pattern, benefit verb phrases with "it" as the subject). Order matters: the first match wins.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"insulat|double[- ]wall|vacuum|thermal|keeps? .*(hot|cold|warm)",
     ("keeps drinks at the right temperature for hours", "keeps your coffee hot long after you leave")),
    (r"leak[- ]?proof|spill[- ]?proof|seal", ("rides in your bag without a second thought", "never leaks on your things")),
    (r"waterproof|water[- ]resistant|weatherproof", ("shrugs off rain and spills", "handles the weather for you")),
    (r"lightweight|ultralight|feather", ("is easy to carry all day", "weighs next to nothing in your bag")),
    (r"compact|portable|fold|pocket|travel", ("goes wherever you go", "packs small and travels well")),
    (r"battery|charge|mah\b", ("keeps going as long as your day does", "stays powered when you need it")),
    (r"wireless|bluetooth|cordless", ("frees you from tangled cables", "connects in seconds with no cables")),
    (r"dishwasher|easy to clean|wipe", ("cleans up in seconds", "makes cleanup the easy part")),
    (r"recycl|sustainab|eco|biodegrad|compost|plastic[- ]free", ("is kinder to the planet", "cuts waste without cutting corners")),
    (r"organic|natural|non[- ]toxic|bpa", ("is made with materials you can trust", "keeps things clean and simple")),
    (r"vegan|cruelty[- ]free", ("is made without animal products", "lets you shop with a clear conscience")),
    (r"hand[- ]?(made|poured|sewn|stitched|crafted|painted)|handcrafted|artisan",
     ("is made by hand, with care", "carries the care of real craftsmanship")),
    (r"\bspf\b|\buv\b|sun protection", ("protects your skin from the sun", "keeps your skin protected outdoors")),
    (r"lay[- ]?flat", ("stays open on the page you need",)),
    (r"non[- ]?slip|grip", ("stays put where you put it", "feels secure in your hand")),
    (r"gluten[- ]free|sugar[- ]free|low[- ]calorie|high[- ]protein", ("fits the way you eat",)),
    (r"stainless|steel|aluminium|aluminum|titanium|durable|rugged|tough|reinforced",
     ("is built to last for years", "stands up to daily wear")),
    (r"soft|comfort|ergonomic|cushion|breathable", ("feels comfortable from the first use", "stays comfortable all day")),
    (r"quiet|silent|noise", ("does its job without the noise", "keeps things peaceful")),
    (r"fast|quick|instant|rapid|minute", ("saves you time every day", "gets the job done in minutes")),
    (r"\b\d+[- ]?(hour|hr)s?\b|long[- ]lasting", ("keeps going for hours", "lasts longer than you expect")),
    (r"easy|simple|one[- ]click|setup|intuitive", ("is simple from day one", "needs no learning curve")),
    (r"adjustable|custom|personali|modular", ("adapts to the way you work", "fits the way you like it")),
    (r"warranty|guarantee", ("comes with a promise to back it up", "is backed if anything goes wrong")),
    (r"\bapp\b|smart|sync", ("keeps everything in sync on your phone", "works with the devices you already own")),
)


def benefit(feature: str, rng: random.Random, used: set[str]) -> str | None:
    """A benefit verb phrase for a feature, not one in `used` (it is added there), or None when no cue
    is recognised or every phrasing was already said (then the feature speaks for itself)."""
    lowered = feature.lower()
    for pattern, phrases in RULES:
        if re.search(pattern, lowered):
            fresh = [p for p in phrases if p not in used]
            if not fresh:
                return None
            choice = rng.choice(fresh)
            used.add(choice)
            return choice
    return None


def feature_line(feature: str, rng: random.Random, used: set[str]) -> str:
    """'Double-walled steel' -> 'Double-walled steel, so it keeps drinks at the right temperature for hours.'"""
    phrase = benefit(feature, rng, used)
    feature = feature.rstrip(".!")
    return f"{feature}, so it {phrase}." if phrase else f"{feature}."


def top_benefit(features: list[str], rng: random.Random, used: set[str]) -> str | None:
    for feature in features:
        phrase = benefit(feature, rng, used)
        if phrase:
            return phrase
    return None
