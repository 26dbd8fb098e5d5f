"""The speech quality bar: a varied English test text and word error rate (used by tests and bench/speech.py)."""

from __future__ import annotations

import re

# 32 sentences: numbers, money, dates, names, abbreviations, questions, quotes and one long sentence.
QUALITY_SENTENCES = (
    "Welcome to the spring product update.",
    "Our new kettle boils a full litre of water in 90 seconds.",
    "It costs $49 and ships on March 3.",
    "Dr. Patel tested it in her kitchen in Denver, Colorado.",
    "Is it really that fast?",
    "Yes, and it stays quiet the whole time.",
    "Maria, Kenji and Oliver designed the handle together.",
    "The lid opens with one finger, even when your hands are full.",
    "We sold 12,000 units in the first week.",
    "That is three times more than last year.",
    "Please recycle the box; it is made from paper.",
    "The warranty lasts for 2 years.",
    "Customers in London, Paris and Tokyo can order today.",
    "Shipping is free on orders over $25.",
    "The base turns off by itself after ten minutes.",
    "Why did we choose steel instead of plastic?",
    "Steel keeps the water clean and lasts much longer.",
    "Our support team answers calls from 8 to 5, Monday to Friday.",
    "You can reach them at the number on the back of the box.",
    "The kettle comes in black, white and forest green.",
    "Green was the favourite colour in our survey of 500 people.",
    "Mr. Johnson from Chicago called it the best kettle he had ever owned.",
    "We also made a smaller version for travel.",
    "It holds half a litre and weighs less than a kilogram.",
    "The travel kettle works on both 110 and 230 volts.",
    "Read the manual before the first use.",
    "Never fill the kettle above the maximum line.",
    "Clean it once a month with water and a little vinegar.",
    "Thank you for choosing our products, and for telling your friends about them.",
    "When we started this company in a small garage, with two old tools, a borrowed table and a lot of "
    "hope, we never imagined that so many families around the world would one day make their morning tea "
    "with something we built by hand.",
    "See you at the next update!",
    "Goodbye for now.",
)

_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def quality_text() -> str:
    return " ".join(QUALITY_SENTENCES)


def number_words(value: int) -> list[str]:
    """English words for 0..999,999,999 ("12000" -> twelve thousand)."""
    if value < 20:
        return [_SMALL[value]]
    if value < 100:
        tens, rest = divmod(value, 10)
        return [_TENS[tens]] + ([_SMALL[rest]] if rest else [])
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if value >= size:
            high, rest = divmod(value, size)
            return number_words(high) + [name] + (number_words(rest) if rest else [])
    return [str(value)]


def normalise_words(text: str) -> list[str]:
    """Lower-case words without punctuation, numbers spelled out, for comparing transcripts fairly."""
    text = text.lower().replace("%", " percent").replace("&", " and ")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)  # 12,000 -> 12000
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    words: list[str] = []
    for token in re.findall(r"[a-z0-9']+", text.replace("-", " ")):
        token = token.strip("'")
        if token.isdigit() and len(token) <= 9:
            words.extend(number_words(int(token)))
        elif token:
            words.append(token)
    return words


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on normalised words."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1] / len(ref)
