"""Audio in and out: a streaming encoder (WAV, MP3, M4A/AAC through PyAV) and a decoder to mono float32."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from mediamill.errors import BadInput, LimitExceeded

# format -> (PyAV container format, codec, MIME type, bit rate)
FORMATS = {
    "wav": (None, None, "audio/wav", None),
    "mp3": ("mp3", "libmp3lame", "audio/mpeg", 96_000),
    "m4a": ("ipod", "aac", "audio/mp4", 96_000),
}


class AudioWriter:
    """Writes mono float32 chunks to a file as they come: memory stays flat however long the audio."""

    def __init__(self, path: Path, fmt: str, sample_rate: int) -> None:
        self.path, self.format, self.sample_rate = path, fmt, sample_rate
        self.mime = FORMATS[fmt][2]
        if fmt == "wav":
            self._wav = wave.open(str(path), "wb")
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(sample_rate)
        else:
            import av

            container_format, codec, _, bit_rate = FORMATS[fmt]
            self._container = av.open(str(path), "w", format=container_format)
            self._stream = self._container.add_stream(codec, rate=sample_rate, layout="mono")
            self._stream.bit_rate = bit_rate
            # The encoder wants its own sample format and fixed-size frames (1024 for AAC, 1152 MP3).
            self._resampler = av.AudioResampler(format=self._stream.format.name, layout="mono",
                                                rate=sample_rate, frame_size=self._stream.codec_context.frame_size or None)
            self._pts = 0

    def write(self, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        if self.format == "wav":
            pcm = np.clip(samples * 32767.0, -32768, 32767).astype("<i2")
            self._wav.writeframes(pcm.tobytes())
            return
        import av

        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, dtype=np.float32)[np.newaxis, :],
                                           format="flt", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._pts
        self._pts += samples.size
        for resampled in self._resampler.resample(frame):
            self._container.mux(self._stream.encode(resampled))

    def close(self) -> None:
        if self.format == "wav":
            self._wav.close()
            return
        for resampled in self._resampler.resample(None):
            self._container.mux(self._stream.encode(resampled))
        self._container.mux(self._stream.encode(None))
        self._container.close()


def decode_mono(path: Path, sample_rate: int, max_duration_s: float) -> np.ndarray:
    """The first audio stream of an audio or video file, as mono float32 at `sample_rate`.

    BadInput for a file PyAV cannot read or one without audio; LimitExceeded past max_duration_s.
    """
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"the input is not a readable audio or video file ({exc})", field="inputs") from None
    with container:
        if not container.streams.audio:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
            raise BadInput(f"the input has no audio stream (it has: {kinds})", field="inputs")
        stream = container.streams.audio[0]
        declared = float(container.duration / av.time_base) if container.duration else 0.0
        if declared > max_duration_s:
            raise LimitExceeded(f"the input lasts {declared:.0f} s; the limit is {max_duration_s:.0f} s",
                                field="inputs")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks, total, limit = [], 0, int(max_duration_s * sample_rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1).copy())
                    total += chunks[-1].size
                if total > limit:
                    raise LimitExceeded(f"the input lasts more than the limit of {max_duration_s:.0f} s",
                                        field="inputs")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).copy())
        except av.error.FFmpegError as exc:
            if not chunks:
                raise BadInput(f"the audio stream cannot be decoded ({exc})", field="inputs") from None
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def probe_duration(path: Path) -> float:
    """Duration in seconds of a file's first audio stream, from its decoded samples."""
    samples = decode_mono(path, 16_000, 24 * 3600)
    return samples.size / 16_000
