"""Every security limit in one place: sizes, pixels, durations, fetch rules, render timeouts.

Defaults live here and are overridable in settings (`[limits]` in mediamill.toml or
MEDIAMILL_LIMITS__<FIELD>); a job cannot loosen them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Limits(BaseModel):
    max_upload_bytes: int = Field(2 * 1024**3, description="largest upload or input artifact")
    max_pixels: int = Field(268_402_689, description="largest decoded image (width*height), checked before decoding")
    max_dimension: int = Field(65_500, description="largest image side in pixels")
    max_aspect_ratio: float = Field(50.0, description="longest side / shortest side of a full-size output "
                                                      "(generated images, video frames); inspect and "
                                                      "thumbnails crop or letterbox instead")
    max_frames: int = Field(10_000, description="frames of an animated image (each is decoded into memory)")
    max_video_frames: int = Field(1_000_000, description="frames of a video to transcode (duration x fps: "
                                                         "stops a tiny file that declares an absurd frame rate)")
    max_media_duration_s: float = Field(3 * 3600, description="longest audio or video input")
    max_text_chars: int = Field(2_000_000, description="longest text input")
    max_archive_entries: int = Field(10_000, description="entries of a zip-based document (DOCX, XLSX, ODT...)")
    max_archive_bytes: int = Field(256 * 1024**2, description="uncompressed bytes a zip-based document may "
                                                               "hold (a zip bomb declares or inflates to more)")
    max_model_elements: int = Field(20_000_000, description="vertices or faces of a 3D model")
    fetch_timeout_s: float = Field(30.0, description="total time for fetching one remote input")
    fetch_max_bytes: int = Field(512 * 1024**2, description="largest remote input")
    fetch_max_redirects: int = Field(5)
    fetch_allowed_schemes: list[str] = Field(default_factory=lambda: ["http", "https"])
    fetch_allow_hosts: list[str] = Field(
        default_factory=list,
        description="hosts (or host:port) allowed even when they resolve to private addresses",
    )
    # Article pages' HTML is typically 50 kB to 2 MB; 5 MiB leaves room and bounds what is parsed.
    research_page_max_bytes: int = Field(5 * 1024**2, description="largest page content.research fetches "
                                                                  "(its urls and competitors' urls)")
    render_timeout_s: float = Field(60.0, description="one HTML render in Chromium")
