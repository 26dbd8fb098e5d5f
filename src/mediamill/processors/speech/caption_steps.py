"""The steps of speech.captions, in order: decode, transcribe, align (known script), layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mediamill.errors import BadInput

if TYPE_CHECKING:
    from mediamill.processors.speech.captions import Captioning
    from mediamill.tasks import TaskContext


def decode(ctx: TaskContext, state: Captioning) -> None:
    """The media's first audio stream as 16 kHz mono, and the script if one was given."""
    from mediamill.processors.speech.audio_io import decode_mono
    from mediamill.processors.speech.text import check_text, text_from_artifact
    from mediamill.processors.speech.transcribe import SAMPLE_RATE

    media = ctx.input(0)
    require_speech_input(media.mime)
    state.samples = decode_mono(ctx.path(media), SAMPLE_RATE, ctx.limits.max_media_duration_s)
    state.duration = state.samples.size / SAMPLE_RATE
    script = state.params.script
    if len(ctx.inputs) > 1:
        if script is not None:
            raise BadInput("give the script either as the `script` param or as the second input, not both",
                           field="script")
        second = ctx.input(1)
        script = text_from_artifact(ctx.path(second).read_bytes(), second.mime, ctx.limits.max_text_chars)
    if script is not None:
        state.script = check_text(script, ctx.limits.max_text_chars)


def require_speech_input(mime: str) -> None:
    """Refuse what is surely not media before decoding (the MIME type was sniffed from the content)."""
    if mime.startswith(("text/", "image/")) or mime in ("application/json", "application/pdf"):
        raise BadInput(f"the first input must be audio or video, got {mime}", field="inputs")


def transcribe(ctx: TaskContext, state: Captioning) -> None:
    from mediamill.processors.speech.providers.base import OPENAI

    engine = state.params.engine
    if engine == "auto":
        engine = "openai" if OPENAI.api_key else "whisper"
    state.engine = engine
    if engine == "openai":
        state.words = _transcribe_openai(ctx, state)
        return
    from mediamill.processors.speech.transcribe import transcribe_words

    state.words = transcribe_words(
        state.samples, state.params.language, state.params.beam_size,
        on_progress=lambda done: ctx.progress(5 + 85 * done, "transcribe"), check=ctx.check,
    )


def _transcribe_openai(ctx: TaskContext, state: Captioning) -> list[dict]:
    from mediamill.processors.speech.audio_io import AudioWriter
    from mediamill.processors.speech.providers.openai import transcribe_words
    from mediamill.processors.speech.transcribe import SAMPLE_RATE, is_silent

    if is_silent(state.samples):
        return []
    upload = ctx.scratch_file("speech.mp3")  # 16 kHz mono MP3: a 25 MB upload holds over an hour
    writer = AudioWriter(upload, "mp3", SAMPLE_RATE)
    try:
        writer.write(state.samples)
    finally:
        writer.close()
    return transcribe_words(upload, state.params.language)


def align(ctx: TaskContext, state: Captioning) -> None:
    """With a known script, show its exact words at the recognised times."""
    if state.script is None:
        return
    from mediamill.processors.speech.align import align_to_script

    if not state.words:
        ctx.log("no speech recognised: the script cannot be timed, captions stay empty")
        return
    state.words = align_to_script(state.words, state.script, state.duration)


def layout(ctx: TaskContext, state: Captioning) -> None:
    from mediamill.processors.speech.layout import LayoutRules, build_cues

    params = state.params
    rules = LayoutRules(max_chars_per_line=params.max_chars_per_line, max_lines=params.max_lines,
                        min_cue_s=params.min_cue_s, max_cue_s=params.max_cue_s, min_gap_s=params.min_gap_s)
    state.cues = build_cues(state.words, rules, state.duration)
    state.samples = None  # the audio is no longer needed: free it before the outputs are written
