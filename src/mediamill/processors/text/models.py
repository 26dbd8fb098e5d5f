"""Result shapes shared by the offline writers and the LLM answers (validated with pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PlatformCopy(BaseModel):
    """One platform's post: its parts, and `text`, the post as it should be published."""

    hook: str = Field(..., min_length=1, description="first line / headline of the post")
    body: str = Field("", description="the middle of the post")
    cta: str = Field(..., min_length=1, description="call to action")
    hashtags: list[str] = Field(default_factory=list)
    text: str = Field("", description="hook, body, call to action and hashtags joined, within the limit")
    length: int = Field(0, description="length as the platform counts it")
    limit: int = Field(0, description="the platform's hard limit")


class CopyAnswer(BaseModel):
    """What an LLM must answer for text.copy (extra keys are ignored)."""

    model_config = ConfigDict(extra="ignore")
    headline: str = Field(..., min_length=1)
    script: str = Field(..., min_length=1)
    platforms: dict[str, PlatformCopy]


class KeywordScore(BaseModel):
    model_config = ConfigDict(extra="ignore")
    keyword: str = Field(..., min_length=1)
    score: float = Field(..., ge=0, le=100)
    intent: str = "informational"


class ResearchScores(BaseModel):
    model_config = ConfigDict(extra="ignore")
    virality: float = Field(..., ge=0, le=100)
    relevance: float = Field(..., ge=0, le=100)
    competition: float = Field(..., ge=0, le=100)


class ResearchAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    keywords: list[KeywordScore] = Field(default_factory=list)
    angles: list[str] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    competitors: list[dict] = Field(default_factory=list)
    trends: list[str] = Field(default_factory=list)
    scores: ResearchScores


class Section(BaseModel):
    model_config = ConfigDict(extra="ignore")
    heading: str = Field(..., min_length=1)
    body: str = Field(..., min_length=1)


class ContentAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str = Field(..., min_length=1)
    summary: str = ""
    sections: list[Section] = Field(..., min_length=1)
    cta: str = Field(..., min_length=1)
    hashtags: list[str] = Field(default_factory=list)
