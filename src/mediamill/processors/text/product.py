"""What a product is, as the copy tasks take it (params), and the facts the offline writer derives from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediamill.processors.text.keywords import extract_keywords, stopwords

Tone = Literal["friendly", "bold", "playful", "professional", "luxury", "calm"]
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


class ProductInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(..., min_length=1, max_length=120, description="product name, e.g. 'Trail Mug'")
    description: str = Field("", description="what it is and does (a sentence or a paragraph)")
    features: list[str] = Field(default_factory=list, max_length=20, description="one feature per item")
    audience: str = Field("", max_length=200, description="who it is for, e.g. 'hikers and commuters'")
    tone: Tone = Field("friendly", description="voice of the copy")
    price: float | str | None = Field(None, description="24.99 (formatted with currency) or text like '$24.99'")
    currency: str = Field("USD", min_length=3, max_length=3, description="ISO code used when price is a number")
    url: str | None = Field(None, max_length=500, description="where to buy; used in the call to action")
    keywords: list[str] = Field(default_factory=list, max_length=20, description="extra words for hashtags")

    def text_size(self) -> int:
        return sum(len(part) for part in (self.name, self.description, self.audience, *self.features, *self.keywords))


def price_text(product: ProductInfo) -> str:
    if product.price is None or product.price == "":
        return ""
    if isinstance(product.price, str):
        return product.price
    amount = f"{product.price:,.2f}".removesuffix(".00")
    symbol = CURRENCY_SYMBOLS.get(product.currency.upper())
    return f"{symbol}{amount}" if symbol else f"{amount} {product.currency.upper()}"


@dataclass
class Facts:
    """What the offline copywriter knows about a product, tidied for templates."""

    name: str
    category: str                     # the head noun: "mug" for "Trail Mug"; "" when unknown
    summary: str                      # one sentence from the description, or ""
    features: list[str]
    audience: str
    tone: str
    price: str
    url: str
    keywords: list[str] = field(default_factory=list)


def sentence_case(text: str) -> str:
    text = text.strip().rstrip(".;,")
    return text[:1].upper() + text[1:]


def first_sentence(text: str, max_words: int = 28) -> str:
    """The description's first sentence, cut at a word boundary if it is long."""
    text = " ".join(text.split())
    if not text:
        return ""
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    wordlist = sentence.split()
    if len(wordlist) > max_words:
        sentence = " ".join(wordlist[:max_words]).rstrip(",;:") + "."
    sentence = sentence_case(sentence)
    return sentence if sentence[-1] in ".!?" else sentence + "."


def category_of(name: str, keywords: list[str]) -> str:
    """The name's head noun ('Trail Mug' -> 'mug'); single-word brand names borrow one from the keywords."""
    stops = stopwords()
    words = re.findall(r"[A-Za-z]+", name)
    # "Nimbus Headphones With Extra Bass": the head noun comes before the first preposition.
    cut = next((i for i, w in enumerate(words) if i and w.lower() in stops), len(words))
    words = words[:cut]
    if len(words) >= 2 and len(words[-1]) > 2:
        # Plural heads ("headphones") break "a {category}" templates: leave the category unknown.
        head = words[-1].lower()
        return "" if head.endswith("s") and not head.endswith("ss") else head
    for phrase in keywords:
        head = phrase.split()[-1]
        if head.isalpha() and len(head) > 2 and head.lower() != name.lower():
            return head.lower()
    return ""  # unknown: templates that need a category are skipped


def gather(product: ProductInfo) -> Facts:
    corpus = ". ".join([product.name, product.description, *product.features])
    # A word said once ("people", "minutes") is noise as a keyword or hashtag; phrases and repeats are not.
    found = [k.phrase for k in extract_keywords(corpus, 12) if " " in k.phrase or k.count > 1]
    keywords = [*(k.lower() for k in product.keywords), *found]
    features = [sentence_case(f) for f in product.features if f.strip()]
    return Facts(
        name=product.name, category=category_of(product.name, keywords[len(product.keywords):]),
        summary=first_sentence(product.description), features=features, audience=product.audience.strip(),
        tone=product.tone, price=price_text(product), url=(product.url or "").strip(), keywords=keywords,
    )
