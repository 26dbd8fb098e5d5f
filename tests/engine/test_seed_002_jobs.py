"""Seed 002 (the content workers): content-generation and research jobs added by Node's bullmq on the seed's
own queues, with the brand (voice, audience) and the idea record the seed's workers fetched by id."""

from __future__ import annotations

import pytest
from seed_helpers import seed_add

APP_IDS = ["queueEntryId", "brandId", "ideaId"]
SEED_002 = {
    "content-generation": {"queue": "content", "task": "content.generate", "keep_fields": APP_IDS},
    "research": {"queue": "research", "task": "content.research", "keep_fields": APP_IDS},
}
BRAND = {"id": "brand_9", "name": "Trail Co", "brandVoice": "warm, practical, a little playful",
         "targetAudience": "weekend hikers", "values": ["less waste"]}
IDEA = {"id": "idea_4", "title": "Why a steel mug beats paper cups on the trail",
        "description": "Cost per coffee, waste and heat retention compared over a season."}


@pytest.mark.engine_settings(seed_queues=SEED_002)
async def test_seed_002_content_and_research_jobs(node, settings, client, worker):
    research_job = {"queueEntryId": "q_1", "brandId": "brand_9", "ideaId": "idea_4", "idea": IDEA,
                    "researchType": "keywords"}
    content_job = {"queueEntryId": "q_2", "brandId": "brand_9", "ideaId": "idea_4", "brand": BRAND, "idea": IDEA,
                   "contentType": "blog", "length": "short"}
    async with worker(["content", "research"]):
        researched = await seed_add(node, settings, "research", "research", research_job)
        written = await seed_add(node, settings, "content-generation", "generate",
                                 {**content_job, "research": researched.get("result")})
        no_brand = await seed_add(node, settings, "content-generation", "generate",
                                  {k: v for k, v in content_job.items() if k != "brand"})
        bad_type = await seed_add(node, settings, "research", "research", {**research_job, "researchType": "vibes"})
    research = researched.get("result")
    assert research is not None, researched
    assert research["type"] == "keywords" and research["keywords"], research
    assert any("mug" in row["keyword"] for row in research["keywords"])
    content = written.get("result")
    assert content is not None, written
    assert content["kind"] == "blog" and content["title"] and content["sections"]
    assert 0 <= content["quality"]["score"] <= 100
    stored = client.artifact(content["content_file"]["artifact"])  # the piece is in storage
    assert stored.mime == "application/json" and stored.size > 200
    assert "brand" in no_brand["failedReason"], no_brand
    assert "researchType" in bad_type["failedReason"], bad_type


SEED_002_MEDIA = {"media-generation": {"queue": "media", "keep_fields": ["contentId", "brandId"],
                                       "tasks": {"image": "image.generate", "thumbnail": "image.thumbnail_art"}}}


@pytest.mark.engine_settings(seed_queues=SEED_002_MEDIA)
async def test_seed_002_media_jobs_by_media_type(node, settings, client, worker):
    # The seed's media worker makes two media types, an image and a thumbnail, from a prompt; the job
    # name says which (the seed documents no field names beyond that: mediamill's choice, in the guide).
    prompt = "A steel trail mug on a mossy rock at sunrise"
    async with worker(["media"]):
        image = await seed_add(node, settings, "media-generation", "image",
                               {"contentId": "c_7", "brandId": "brand_9", "prompt": prompt, "preset": "social-post"})
        thumb = await seed_add(node, settings, "media-generation", "thumbnail",
                               {"contentId": "c_7", "prompt": prompt, "width": 320})
        empty = await seed_add(node, settings, "media-generation", "image", {"contentId": "c_8", "prompt": " "})
    made = image.get("result")
    assert made is not None, image
    assert made["engine"] == "html-card" and made["prompt"] == prompt and made["kind"] == "image"
    assert (made["width"], made["height"]) == (1080, 1080)
    stored = client.artifact(made["image"]["artifact"])  # the media record's file is in storage
    assert stored.mime == "image/png" and stored.size > 1000
    small = thumb.get("result")
    assert small is not None, thumb
    assert small["kind"] == "thumbnail" and (small["width"], small["height"]) == (320, 180)
    assert "prompt" in empty["failedReason"], empty
