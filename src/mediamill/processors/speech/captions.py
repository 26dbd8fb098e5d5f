"""speech.captions: audio or video -> SRT, WebVTT and word-level JSON, laid out for social video.

With a known script (the `script` param or a second, text input) the captions show the script's
exact words, timed by the recogniser (see align.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mediamill.tasks import TaskContext, task


class CaptionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: Literal["whisper", "openai", "auto"] = Field(
        "whisper", description="whisper = faster-whisper tiny.en, offline (default); openai needs its API key; "
                               "auto = openai when its key is set, else whisper")
    language: str | None = Field("en", description="spoken language (the bundled tiny.en model is English only)")
    script: str | None = Field(None, description="the known spoken text: captions then show its exact words")
    max_chars_per_line: int = Field(42, ge=10, le=120, description="characters per caption line")
    max_lines: int = Field(2, ge=1, le=4, description="lines per cue")
    min_cue_s: float = Field(0.8, ge=0, le=10, description="shortest cue, when the next cue leaves room")
    max_cue_s: float = Field(6.0, ge=0.5, le=30, description="longest cue")
    min_gap_s: float = Field(0.04, ge=0, le=2, description="gap kept between consecutive cues")
    beam_size: int = Field(5, ge=1, le=10, description="Whisper beam search width (1 = greedy, faster)")

    @model_validator(mode="after")
    def _durations(self) -> CaptionParams:
        if self.min_cue_s > self.max_cue_s:
            raise ValueError("min_cue_s must not exceed max_cue_s")
        return self


@dataclass
class Captioning:
    """The state the steps share."""

    params: CaptionParams
    script: str | None = None
    samples: Any = None
    duration: float = 0.0
    engine: str = "whisper"
    words: list[dict] = field(default_factory=list)
    recognised_text: str = ""
    cues: list[dict] = field(default_factory=list)


@task("speech.captions", queue="captions", inputs=(1, 2), timeout_s=3600, tags=("speech",))
def captions(ctx: TaskContext, params: CaptionParams) -> dict:
    """Transcribe speech with word timings and lay it out as SRT/WebVTT captions (plus word JSON)."""
    from mediamill.processors.speech import caption_steps as steps

    state = Captioning(params=params)
    ctx.run_steps(state, [
        ("decode", 5, lambda s: steps.decode(ctx, s)),
        ("transcribe", 85, lambda s: steps.transcribe(ctx, s)),
        ("align", 5, lambda s: steps.align(ctx, s)),
        ("layout", 5, lambda s: steps.layout(ctx, s)),
    ])
    return _outputs(ctx, state)


def _outputs(ctx: TaskContext, state: Captioning) -> dict:
    from mediamill.processors.speech.subtitles import to_srt, to_vtt

    source = ctx.input(0)
    words_doc = {"duration_s": round(state.duration, 3), "language": state.params.language,
                 "engine": state.engine, "script_aligned": state.script is not None,
                 "text": " ".join(word["word"] for word in state.words), "words": state.words}
    return {
        "srt": ctx.put(to_srt(state.cues).encode(), name="captions.srt", mime="application/x-subrip",
                       source_artifact=source),
        "vtt": ctx.put(to_vtt(state.cues).encode(), name="captions.vtt", mime="text/vtt", source_artifact=source),
        "words": ctx.put(json.dumps(words_doc, ensure_ascii=False).encode(), name="words.json",
                         mime="application/json", source_artifact=source),
        "duration_s": round(state.duration, 3),
        "engine": state.engine,
        "language": state.params.language,
        "script_aligned": state.script is not None,
        "cue_count": len(state.cues),
        "word_count": len(state.words),
    }
