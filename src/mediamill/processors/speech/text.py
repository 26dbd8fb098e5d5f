"""Text for speech: read it from a param or a text/JSON artifact, clean it, split it into sentences."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator

from mediamill.errors import BadInput, LimitExceeded

# A voice-over longer than this (about 33,000 words, 3.5 hours of speech) is refused even when the
# global text limit is higher: it would not finish within the voiceover queue's timeout.
MAX_VOICEOVER_CHARS = 200_000
# Piper's prosody degrades on very long inputs; longer sentences are cut at commas, then at spaces.
MAX_SENTENCE_CHARS = 300
JSON_TEXT_KEYS = ("text", "script", "voiceover", "body", "content", "copy")

# A sentence ends after . ! ? … (and closing quotes or brackets) and a space, unless a lower-case
# word follows or the last word is an abbreviation; and after the CJK stops 。！？.
_SENTENCE_END = re.compile(r"([.!?…]+[\"'”’)\]]*\s+)|[。！？]+[」』）]*\s*")
_ABBREVIATIONS = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|vs|etc|e\.g|i\.e|No|Inc|Ltd|Co|Mt)\.$", re.I)
_CLAUSE_END = re.compile(r"(?<=[,;:—–])\s+")


def text_from_artifact(raw: bytes, mime: str, limit: int) -> str:
    """The text of a text/plain or JSON artifact (a JSON string, or an object with a text-like key)."""
    if len(raw) > limit * 4:
        raise LimitExceeded(f"text input of {len(raw)} bytes is over the limit of {limit} characters", field="inputs")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("the text input is not UTF-8 text", field="inputs") from None
    if mime == "application/json" or text.lstrip().startswith(("{", '"')):
        return _text_from_json(text)
    if "\x00" in text:
        raise BadInput(f"the input ({mime}) is not text", field="inputs")
    return text


def _text_from_json(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text  # plain text that merely starts with a brace or a quote
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        for key in JSON_TEXT_KEYS:
            if isinstance(data.get(key), str):
                return data[key]
    raise BadInput(f"the JSON input has no text; expected a string or an object with one of "
                   f"{', '.join(JSON_TEXT_KEYS)}", field="inputs")


def check_text(text: str, limit: int) -> str:
    if len(text) > limit:
        raise LimitExceeded(f"text of {len(text)} characters is over the limit of {limit}", field="text")
    if not speakable(text):
        raise BadInput("the text is empty (nothing to speak)", field="text")
    return text


def speakable(text: str) -> str:
    """The text with what a voice cannot say removed: emoji, pictographs, control characters."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category in ("So", "Cs", "Co", "Cn") or (category == "Cc" and char not in "\n\t"):
            continue  # emoji and other symbols are skipped, not spelled out as "grinning face"
        if "\U0001f3fb" <= char <= "\U0001f3ff":  # emoji skin-tone modifiers
            continue
        if category in ("Mn", "Cf") and char in "\ufe0f\u200d":
            continue
        kept.append(char)
    return re.sub(r"[ \t]+", " ", "".join(kept)).strip()


def sentences(text: str) -> Iterator[str]:
    """Sentences of a text, in order, none longer than MAX_SENTENCE_CHARS; paragraphs always split."""
    for paragraph in re.split(r"\n\s*\n|\r\n\s*\r\n", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        for sentence in _split_sentences(paragraph):
            yield from _split_long(sentence)


def _split_sentences(paragraph: str) -> Iterator[str]:
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        candidate = paragraph[start:match.end()].strip()
        following = paragraph[match.end():match.end() + 2].lstrip("\"'“‘([¿¡")[:1]
        if match.group(1) and (following.islower() or _ABBREVIATIONS.search(candidate.split()[-1])):
            continue  # "3 p.m. today", "Dr. Smith": not a sentence end
        if candidate:
            yield candidate
        start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        yield rest


def _split_long(sentence: str) -> Iterator[str]:
    if len(sentence) <= MAX_SENTENCE_CHARS:
        if speakable(sentence) and any(ch.isalnum() for ch in sentence):
            yield sentence
        return
    pieces, current = [], ""
    for clause in _CLAUSE_END.split(sentence):
        if current and len(current) + len(clause) + 1 > MAX_SENTENCE_CHARS:
            pieces.append(current)
            current = clause
        else:
            current = f"{current} {clause}".strip()
    pieces.append(current)
    for piece in pieces:
        while len(piece) > MAX_SENTENCE_CHARS:
            cut = piece.rfind(" ", 0, MAX_SENTENCE_CHARS)
            cut = cut if cut > 0 else MAX_SENTENCE_CHARS
            yield piece[:cut].strip()
            piece = piece[cut:].strip()
        if piece and any(ch.isalnum() for ch in piece):
            yield piece
