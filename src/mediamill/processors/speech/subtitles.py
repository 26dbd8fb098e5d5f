"""Caption files: SRT and WebVTT text from laid-out cues."""

from __future__ import annotations


def timestamp(seconds: float, separator: str) -> str:
    millis = int(round(max(0.0, seconds) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(cues: list[dict]) -> str:
    blocks = [f"{index}\n{timestamp(cue['start'], ',')} --> {timestamp(cue['end'], ',')}\n{_safe(cue['text'])}\n"
              for index, cue in enumerate(cues, start=1)]
    return "\n".join(blocks)


def to_vtt(cues: list[dict]) -> str:
    blocks = [f"{timestamp(cue['start'], '.')} --> {timestamp(cue['end'], '.')}\n{_vtt_escape(_safe(cue['text']))}\n"
              for cue in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _safe(text: str) -> str:
    # A blank line would end the cue early in both formats.
    return "\n".join(line for line in text.splitlines() if line.strip()) or "…"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")
