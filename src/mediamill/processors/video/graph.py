"""The timeline as ONE ffmpeg command: inputs, a filter graph (video and audio) and the encoder options.

Why a filter graph and not Python compositing: on the 2-core reference machine a 1080x1920 frame
is 6 MB of RGB; moving each through Python (Pillow/numpy resize, blend, pipe to the encoder) cost
more than the whole budget of a 30 s promo, while ffmpeg's scale/crop/xfade/overlay run in C on
yuv420p, stream frame by frame (memory flat in the video's length) and thread alongside x264.
Python prepares what ffmpeg is bad at (fitting pictures with Lanczos, drawing text and captions,
rendering HTML) as PNGs once per clip; ffmpeg moves, blends and encodes every frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mediamill.processors.video.timeline import TRANSITIONS, Timeline


@dataclass
class Source:
    """A clip ready for the graph: a prepared still, a flat colour, or a video file."""

    kind: str  # "still" | "color" | "video"
    path: Path | None = None
    size: tuple[int, int] = (0, 0)  # of the prepared still
    color: str = "#000000"
    trim_start: float = 0.0
    fit: str = "cover"
    background: str = "#000000"


@dataclass
class Layer:
    """A PNG burned in over [start, end) at (x, y)."""

    path: Path
    x: int
    y: int
    start: float
    end: float


@dataclass
class Track:
    path: Path
    role: str
    start: float
    trim_start: float
    duration: float | None
    volume: float
    fade_in: float
    fade_out: float
    loop: bool


@dataclass
class Plan:
    timeline: Timeline
    sources: list[Source]
    layers: list[Layer] = field(default_factory=list)
    captions: tuple[Path, int] | None = None  # (ffconcat, y)
    tracks: list[Track] = field(default_factory=list)
    gain_db: float | None = None  # measured by the loudness pass; None = leave the level alone


def frames(seconds: float, fps: int) -> int:
    return max(1, round(seconds * fps))


def total_frames(timeline: Timeline) -> int:
    """Frames of the finished video: clips end to end, minus the overlap of each transition."""
    fps = timeline.fps
    total = sum(frames(c.duration, fps) for c in timeline.clips)
    total -= sum(frames(c.transition.duration, fps) for i, c in enumerate(timeline.clips) if i and c.transition)
    return total


class _Graph:
    def __init__(self) -> None:
        self.inputs: list[list[str]] = []
        self.chains: list[str] = []

    def add_input(self, *args: str) -> int:
        self.inputs.append(list(args))
        return len(self.inputs) - 1

    def chain(self, text: str) -> None:
        self.chains.append(text)


def build_loudness_probe(ffmpeg: str, plan: Plan) -> list[str] | None:
    """An audio-only run of the same mix through ebur128, to measure its integrated loudness.

    Two passes (measure, then a fixed gain and a limiter) instead of one-pass loudnorm: linear
    gain keeps the mix's dynamics, and the main run skips loudnorm's 192 kHz resampling (~50 MB
    and most of the audio CPU). The probe decodes only the audio: ~1 s for a 30 s promo.
    """
    if not plan.tracks or plan.timeline.loudness_lufs is None:
        return None
    graph = _Graph()
    total = total_frames(plan.timeline) / plan.timeline.fps
    label = _audio_chain(graph, plan, total, normalise=False)
    graph.chain(f"[{label}]ebur128=peak=sample[measured]")
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "info"]
    for args in graph.inputs:
        argv += args
    return [*argv, "-filter_complex", ";\n".join(graph.chains), "-map", "[measured]", "-f", "null", "-"]


def build_command(ffmpeg: str, plan: Plan, out: Path) -> tuple[list[str], int]:
    """The argv of the one ffmpeg run, and the frame count progress is measured against."""
    timeline, graph = plan.timeline, _Graph()
    fps, (width, height) = timeline.fps, timeline.size
    n_total = total_frames(timeline)
    video = _video_chain(graph, plan, width, height, fps)
    audio = _audio_chain(graph, plan, n_total / fps)
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y"]
    for args in graph.inputs:
        argv += args
    argv += ["-filter_complex", ";\n".join(graph.chains), "-map", f"[{video}]", "-map", f"[{audio}]"]
    out_opts = timeline.output
    argv += [
        "-c:v", "libx264", "-preset", out_opts.preset, "-crf", str(out_opts.crf), "-pix_fmt", "yuv420p",
        "-profile:v", "high", "-r", str(fps), "-frames:v", str(n_total),
        # A short lookahead and two threads keep x264 at ~260 MB instead of ~380 MB at 1080x1920
        # (measured), for a small cost in compression; the worker's budget is 600 MB in all.
        "-threads", "2", "-x264-params", "rc-lookahead=10:sync-lookahead=0",
        "-c:a", "aac", "-b:a", out_opts.audio_bitrate, "-ar", "48000", "-ac", "2",
        "-t", f"{n_total / fps:.6f}", "-movflags", "+faststart",
        "-progress", "pipe:1", "-stats_period", "0.25", str(out),
    ]
    return argv, n_total


# -- video -------------------------------------------------------------------------------------
def _video_chain(graph: _Graph, plan: Plan, width: int, height: int, fps: int) -> str:
    timeline = plan.timeline
    labels = [_clip(graph, index, clip, source, width, height, fps)
              for index, (clip, source) in enumerate(zip(timeline.clips, plan.sources, strict=True))]
    current = _join(graph, timeline, labels, fps)
    length = total_frames(timeline)
    current = _layers(graph, current, plan.layers, fps)
    if plan.captions:
        concat, y = plan.captions
        index = graph.add_input("-f", "concat", "-safe", "0", "-i", str(concat))
        graph.chain(f"[{current}][{index}:v]overlay=x=0:y={y}:format=yuv420:eof_action=pass[capt]")
        current = "capt"
    fades = []
    if timeline.fade_in:
        fades.append(f"fade=t=in:st=0:d={timeline.fade_in}")
    if timeline.fade_out:
        fades.append(f"fade=t=out:st={max(0.0, length / fps - timeline.fade_out):.6f}:d={timeline.fade_out}")
    graph.chain(f"[{current}]{','.join([*fades, 'format=yuv420p'])}[vout]")
    return "vout"


def _join(graph: _Graph, timeline: Timeline, labels: list[str], fps: int) -> str:
    """Clips end to end; a transition blends only the overlapping frames of its two neighbours.

    Chaining xfade over the growing whole (the textbook way) pushes every earlier frame through
    every later xfade: measured ~6 ms per frame per transition at 1080x1920. Here each clip is split
    into head (blended with the previous tail), body (passed through) and tail, and one concat joins
    the pieces, so a frame goes through at most one xfade.
    """
    clips = timeline.clips
    into = [frames(c.transition.duration, fps) if i and c.transition else 0 for i, c in enumerate(clips)]
    pieces: list[str] = []
    tails: dict[int, str] = {}
    for index, clip in enumerate(clips):
        n, head, tail = frames(clip.duration, fps), into[index], into[index + 1] if index + 1 < len(clips) else 0
        spans = [(name, a, b) for name, a, b in (("h", 0, head), ("b", head, n - tail), ("t", n - tail, n)) if b > a]
        outs = "".join(f"[s{index}{name}]" for name, _, _ in spans)
        graph.chain(f"[{labels[index]}]split={len(spans)}{outs}" if len(spans) > 1 else f"[{labels[index]}]null{outs}")
        for name, a, b in spans:
            graph.chain(f"[s{index}{name}]trim=start_frame={a}:end_frame={b},setpts=PTS-STARTPTS[p{index}{name}]")
        if head:
            kind = TRANSITIONS[clip.transition.type]
            graph.chain(f"[{tails[index - 1]}][p{index}h]xfade=transition={kind}:duration={head / fps:.6f}"
                        f":offset=0[x{index}]")
            pieces.append(f"x{index}")
        if n - tail > head:
            pieces.append(f"p{index}b")
        if tail:
            tails[index] = f"p{index}t"
    if len(pieces) == 1:
        return pieces[0]
    graph.chain(f"{''.join(f'[{p}]' for p in pieces)}concat=n={len(pieces)}:v=1:a=0[joined]")
    return "joined"


def _clip(graph: _Graph, index: int, clip, source: Source, width: int, height: int, fps: int) -> str:
    n, seconds = frames(clip.duration, fps), frames(clip.duration, fps) / fps
    label = f"c{index}"
    # Every clip leaves as exactly n frames at 1/fps, yuv420p: what xfade and concat need to line up.
    tail = f"settb=1/{fps},setpts=N,format=yuv420p"
    if source.kind == "color":
        graph.chain(f"color=c={source.color[:7]}:s={width}x{height}:r={fps}:d={seconds:.6f},{tail}[{label}]")
        return label
    if source.kind == "video":
        at = graph.add_input("-ss", f"{source.trim_start:.3f}", "-t", f"{seconds + 1:.3f}", "-i", str(source.path))
        graph.chain(f"[{at}:v]{_fit_video(source, width, height)},fps={fps},"
                    f"tpad=stop_mode=clone:stop_duration={seconds:.3f},trim=end_frame={n},{tail}[{label}]")
        return label
    # A still is decoded once and repeated by `loop`: decoding a PNG per frame cost more than x264.
    at = graph.add_input("-framerate", str(fps), "-i", str(source.path))
    motion = _ken_burns(clip.ken_burns, source.size, width, height, seconds) if getattr(clip, "ken_burns", None) \
        else _crop_still(clip, source.size, width, height)
    graph.chain(f"[{at}:v]format=yuv420p,loop=loop={n - 1}:size=1:start=0,{tail},{motion},setsar=1[{label}]")
    return label


def _fit_video(source: Source, width: int, height: int) -> str:
    if source.fit == "stretch":
        return f"scale={width}:{height}"
    if source.fit == "cover":
        return f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}"
    return (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color={source.background[:7]}")


def _crop_still(clip, size: tuple[int, int], width: int, height: int) -> str:
    if size == (width, height):
        return "null"
    return f"crop={width}:{height}:{(size[0] - width) // 2}:{(size[1] - height) // 2}"


def _ken_burns(kb, size: tuple[int, int], width: int, height: int, seconds: float) -> str:
    """Zoom by rescaling the prepared (zoom_max x) picture each frame, then crop a frame around the focus.

    zoompan was measured 2x slower here and jitters (it rounds the crop window before scaling); a
    per-frame `scale` keeps sub-pixel zoom smooth and only the crop offset is rounded. Bilinear:
    the picture only ever shrinks by < zoom_max here, where it looks the same as bicubic and
    costs ~30% less per frame (measured 6 vs 8 ms at 1080x1920).
    """
    z_max = max(kb.zoom_start, kb.zoom_end)
    progress = f"min(t/{seconds:.6f},1)"
    if kb.ease:
        progress = f"({progress})*({progress})*(3-2*({progress}))"
    zoom = f"({kb.zoom_start:.6g}+({kb.zoom_end - kb.zoom_start:.6g})*{progress})/{z_max:.6g}"
    fx = f"({kb.focus_start[0]:.6g}+({kb.focus_end[0] - kb.focus_start[0]:.6g})*{progress})"
    fy = f"({kb.focus_start[1]:.6g}+({kb.focus_end[1] - kb.focus_start[1]:.6g})*{progress})"
    scale_w = f"max({width},2*trunc({size[0]}*{zoom}/2))"
    scale_h = f"max({height},2*trunc({size[1]}*{zoom}/2))"
    return (f"scale=w='{scale_w}':h='{scale_h}':eval=frame:flags=bilinear,"
            f"crop={width}:{height}:x='clip({fx}*iw-{width}/2,0,iw-{width})':y='clip({fy}*ih-{height}/2,0,ih-{height})'")


def _layers(graph: _Graph, current: str, layers: list[Layer], fps: int) -> str:
    for index, layer in enumerate(layers):
        at = graph.add_input("-i", str(layer.path))
        label = f"l{index}"
        graph.chain(f"[{current}][{at}:v]overlay=x={layer.x}:y={layer.y}:format=yuv420:eof_action=repeat"
                    f":enable='between(t,{layer.start:.4f},{layer.end:.4f})'[{label}]")
        current = label
    return current


# -- audio -------------------------------------------------------------------------------------
_NORMALISE = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"


def _audio_chain(graph: _Graph, plan: Plan, total: float, normalise: bool = True) -> str:
    timeline = plan.timeline
    voices, music, effects = [], [], []
    for index, track in enumerate(plan.tracks):
        label = _track(graph, index, track, total)
        {"voice": voices, "music": music, "effect": effects}[track.role].append(label)
    if not plan.tracks:
        graph.chain(f"anullsrc=r=48000:cl=stereo,atrim=end={total:.6f}[aout]")
        return "aout"
    voice = _mix(graph, voices, "voice")
    bed = _mix(graph, music, "music")
    if voice and bed and timeline.ducking.enabled:
        d = timeline.ducking
        graph.chain(f"[{voice}]asplit=2[voicemix][voicekey]")
        graph.chain(f"[{bed}][voicekey]sidechaincompress=threshold={d.threshold}:ratio={d.ratio}"
                    f":attack={d.attack_ms}:release={d.release_ms}:makeup=1[ducked]")
        voice, bed = "voicemix", "ducked"
    parts = [p for p in (voice, bed, *effects) if p]
    mixed = _mix(graph, parts, "mixed")
    post = [f"apad=whole_dur={total:.6f}", f"atrim=end={total:.6f}"]
    if normalise and plan.gain_db is not None:
        # -1.5 dBFS ceiling; latency=1 removes the limiter's look-ahead delay (keeps A/V sync).
        post += [f"volume={plan.gain_db:.2f}dB", "alimiter=limit=0.84:level=0:latency=1"]
    if timeline.fade_in:
        post.append(f"afade=t=in:st=0:d={timeline.fade_in}")
    if timeline.fade_out:
        post.append(f"afade=t=out:st={max(0.0, total - timeline.fade_out):.6f}:d={timeline.fade_out}")
    graph.chain(f"[{mixed}]{','.join(post)}[aout]")
    return "aout"


def _track(graph: _Graph, index: int, track: Track, total: float) -> str:
    loop = ["-stream_loop", "-1"] if track.loop else []
    at = graph.add_input(*loop, "-i", str(track.path))
    span = min(track.duration or total, total - track.start)
    filters = [f"atrim=start={track.trim_start:.6f}", "asetpts=PTS-STARTPTS", _NORMALISE,
               f"atrim=end={span:.6f}", f"volume={track.volume}"]
    if track.fade_in:
        filters.append(f"afade=t=in:st=0:d={track.fade_in}")
    if track.fade_out:
        filters.append(f"afade=t=out:st={max(0.0, span - track.fade_out):.6f}:d={track.fade_out}")
    if track.start:
        filters.append(f"adelay=delays={round(track.start * 1000)}:all=1")
    label = f"a{index}"
    graph.chain(f"[{at}:a]{','.join(filters)}[{label}]")
    return label


def _mix(graph: _Graph, labels: list[str], name: str) -> str | None:
    if not labels:
        return None
    if len(labels) == 1:
        return labels[0]
    inputs = "".join(f"[{label}]" for label in labels)
    graph.chain(f"{inputs}amix=inputs={len(labels)}:duration=longest:normalize=0[{name}]")
    return name
