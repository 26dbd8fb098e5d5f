"""The offline content writer: a structured draft (title, sections, CTA, hashtags) from templates.

It cannot know facts about the topic, so it writes guidance-style prose around the idea, the brand and
the research it is given, and the result is marked `draft: true`. Deterministic per inputs and variant.
"""

from __future__ import annotations

import random
import re

from mediamill.processors.text.keywords import hashtags

TONE_CUES = {
    "playful": ("playful", "witty", "fun", "cheeky", "quirky", "humor", "humour"),
    "bold": ("bold", "confident", "daring", "energetic", "edgy"),
    "professional": ("professional", "expert", "authoritative", "formal", "corporate", "technical"),
    "luxury": ("luxury", "elegant", "premium", "refined", "sophisticated"),
    "calm": ("calm", "gentle", "mindful", "soothing", "quiet"),
}
OPENERS = {
    "friendly": "Let's talk about {k1}.", "playful": "Confession: we think about {k1} more than is healthy.",
    "bold": "Most advice about {k1} plays it safe. This does not.", "professional": "{K1} deserves a clear-eyed look.",
    "luxury": "Some things reward attention to detail. {K1} is one of them.", "calm": "There is no rush with {k1}.",
}
WHY = ("{K1} comes up again and again, and for good reason: getting it right saves time, money and frustration.",
       "Done well, {k1} quietly makes everything around it easier.",
       "The difference between a good and a poor approach to {k1} shows up every single day.")
FOR_AUDIENCE = "If you are one of the {audience} who care about {k1}, this piece is for you."
ANSWERS = ("The honest answer depends on what you need from {k}. Write down the one result you care about most, "
           "then judge every option against it.",
           "Start with the basics of {k} before chasing the details. Most of the benefit comes from a few simple habits "
           "done consistently.",
           "Look at {k} from the point of view of the people who use it every day. What do they notice first, "
           "and what do they never think about?",
           "Compare at least two approaches to {k} side by side. The differences are easier to see in practice "
           "than on paper.",
           "Be specific about what you want from {k}: vague goals lead to vague results. Pick one thing to "
           "improve this week.",
           "Ask someone who has done it. A short conversation about {k} can save weeks of trial and error.")
STEPS = ("Decide what success with {k1} looks like for you, in one sentence.",
         "List the options you have today, and what each one costs in time and money.",
         "Try the simplest option first, for a week, and note what changes.",
         "Keep what works, drop what does not, and repeat.",
         "Share what you learned with someone who is starting out.")
MISTAKES = ("Starting without a clear goal.", "Copying what works for someone else without checking that it fits you.",
            "Changing too many things at once, so you cannot tell what helped.",
            "Giving up before the results have had time to show.")
CTAS = {
    "friendly": "Want more ideas like this? Follow {brand} and tell us how your {k1} journey goes.",
    "playful": "Go on, give it a try, then come tell {brand} how it went.",
    "bold": "Stop waiting. Start with {brand} today.",
    "professional": "Talk to {brand} about putting this into practice.",
    "luxury": "Discover what {brand} can do for you.",
    "calm": "Take the first small step when you are ready. {brand} is here to help.",
}


def tone_of(voice: str) -> str:
    lowered = voice.lower()
    return next((tone for tone, cues in TONE_CUES.items() if any(c in lowered for c in cues)), "friendly")


def title_for(idea: str, kind: str, k1: str, rng: random.Random) -> str:
    words = idea.split()
    if 3 <= len(words) <= 12 and not idea.rstrip().endswith("."):
        return idea.strip()[:1].upper() + idea.strip()[1:]
    k1_title = k1.title() if k1 else "This Idea"
    if kind == "newsletter":
        return f"This week: {k1_title}"
    return rng.choice((f"{k1_title}: A Practical Guide", f"Getting {k1_title} Right",
                       f"What to Know About {k1_title}"))


def write(*, idea: str, brand: dict, kind: str, target_words: int, keywords: list[str], questions: list[str],
          rng: random.Random) -> dict:
    """Title, summary, sections, CTA and hashtags for `idea`, sized towards `target_words`."""
    tone = tone_of(brand.get("voice", ""))
    k1 = keywords[0] if keywords else " ".join(idea.split()[:4]).lower().rstrip(".!?")
    k2 = keywords[1] if len(keywords) > 1 else k1
    slots = {"k1": k1, "K1": k1[:1].upper() + k1[1:], "audience": brand.get("audience", ""), "brand": brand["name"]}
    # An idea written as a sentence (a brief) belongs in the intro; a title-like idea is already the title.
    said = [_sentence(idea)] if idea.rstrip().endswith((".", "!", "?")) or len(idea.split()) > 12 else []
    intro = [OPENERS[tone].format(**slots), *said, rng.choice(WHY).format(**slots)]
    if slots["audience"]:
        intro.append(FOR_AUDIENCE.format(**slots))
    sections = [{"heading": f"Why {k1} matters", "body": " ".join(intro)}]
    if kind != "social":
        answers = rng.sample(ANSWERS, len(ANSWERS))
        # The start-up steps get their own section below, so a "get started" question would repeat it.
        asked = [q for q in questions if not re.search(r"get(ting)? started", q, re.IGNORECASE)]
        for index, question in enumerate(asked):
            if _words(sections) >= target_words * 0.6 or index >= len(answers):  # never the same answer twice
                break
            subject = _subject(question, keywords) or k1
            sections.append({"heading": question, "body": answers[index % len(answers)].format(k=subject)})
        steps = "\n".join(f"{i}. {step.format(**slots)}" for i, step in enumerate(STEPS[:4 if target_words < 600 else 5], 1))
        sections.append({"heading": f"How to get started with {k1}", "body": steps})
        if target_words >= 600:
            mistakes = "\n".join(f"- {m}" for m in MISTAKES)
            sections.append({"heading": "Common mistakes to avoid", "body": mistakes})
    values = [v for v in brand.get("values", []) if v.strip()]
    if values:
        sections.append({"heading": f"How {brand['name']} sees it",
                         "body": f"At {brand['name']}, we care about {_join(values)}. "
                                 f"That is the lens we use for {k2}, and we think it is a good one for you too."})
    cta = brand.get("cta") or CTAS[tone].format(**slots)
    summary = " ".join([*said, f"A practical look at {k1}" + (f" for {slots['audience']}." if slots["audience"] else ".")])
    return {"title": title_for(idea, kind, k1, rng), "summary": summary, "sections": sections, "cta": cta,
            "hashtags": hashtags([brand["name"], *keywords], 5)}


def _subject(question: str, keywords: list[str]) -> str | None:
    """The longest keyword the question is about, so the answer talks about the same thing."""
    inside = [k for k in keywords if k and k.lower() in question.lower()]
    return max(inside, key=len) if inside else None


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _words(sections: list[dict]) -> int:
    return sum(len(re.findall(r"\w+", s["body"])) for s in sections)
