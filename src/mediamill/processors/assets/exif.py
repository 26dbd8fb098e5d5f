"""EXIF facts (orientation, camera, dates, GPS) from a raw EXIF blob, and removing GPS from a file."""

from __future__ import annotations

from pathlib import Path

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
_MAIN_TAGS = {0x0112: "orientation", 0x010F: "make", 0x0110: "model", 0x0131: "software", 0x0132: "datetime"}
_EXIF_TAGS = {0x9003: "datetime_original", 0xA434: "lens_model", 0x829A: "exposure_time", 0x829D: "f_number",
              0x8827: "iso", 0x920A: "focal_length"}


def _plain(value):
    """EXIF values as JSON: rationals become floats, bytes and odd types become short strings."""
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace").strip("\x00 ")[:200]
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int | str):
        return value.strip("\x00 ")[:200] if isinstance(value, str) else value
    try:
        return round(float(value), 6)
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)[:200]


def parse_exif(blob: bytes) -> tuple[dict, dict | None]:
    """(camera facts, GPS facts or None) from an EXIF blob as libvips returns it."""
    from PIL import Image

    exif = Image.Exif()
    exif.load(blob)
    facts = {name: _plain(exif[tag]) for tag, name in _MAIN_TAGS.items() if tag in exif}
    sub = exif.get_ifd(EXIF_IFD)
    facts.update({name: _plain(sub[tag]) for tag, name in _EXIF_TAGS.items() if tag in sub})
    return facts, _gps(exif.get_ifd(GPS_IFD))


def _gps(ifd: dict) -> dict | None:
    if not ifd:
        return None
    gps: dict = {"raw_tags": len(ifd)}
    lat, lon = _degrees(ifd.get(2), ifd.get(1)), _degrees(ifd.get(4), ifd.get(3))
    if lat is not None and lon is not None:
        gps.update(latitude=lat, longitude=lon)
    if 6 in ifd:
        gps["altitude_m"] = _plain(ifd[6])
    return gps


def _degrees(dms, ref) -> float | None:
    try:
        degrees = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
    except (TypeError, IndexError, ValueError, ZeroDivisionError):
        return None
    return round(-degrees if str(ref).upper().startswith(("S", "W")) else degrees, 7)


def exif_without_gps(blob: bytes) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif.load(blob)
    exif.get_ifd(GPS_IFD)
    del exif[GPS_IFD]
    return exif.tobytes()


def strip_gps_jpeg(data: bytes, new_exif: bytes) -> bytes:
    """The JPEG with its EXIF APP1 segment replaced, byte for byte otherwise (no re-encoding)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out, pos = bytearray(data[:2]), 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker in (0xDA, 0xD9):  # start of scan: the rest is entropy-coded data
            break
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        segment = data[pos:pos + 2 + length]
        if marker == 0xE1 and segment[4:10] == b"Exif\x00\x00":
            payload = new_exif if new_exif.startswith(b"Exif") else b"Exif\x00\x00" + new_exif
            segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        out += segment
        pos += 2 + length
    out += data[pos:]
    return bytes(out)


def strip_gps_file(path: Path, image, loader: str) -> tuple[bytes, str]:
    """(bytes without GPS, format) — JPEG losslessly, other formats re-saved by libvips."""
    blob = exif_without_gps(image.get("exif-data"))
    if loader.startswith("jpeg"):
        return strip_gps_jpeg(path.read_bytes(), blob), "jpeg"
    copy = image.copy()
    copy.set_type(copy.get_typeof("exif-data"), "exif-data", blob)
    for field in copy.get_fields():
        if field.startswith("exif-ifd3-"):  # libvips' GPS IFD; it rebuilds EXIF from these on save
            copy.remove(field)
    if loader.startswith("png"):
        return copy.pngsave_buffer(), "png"
    if loader.startswith("webp"):
        return copy.webpsave_buffer(lossless=True), "webp"
    if loader.startswith("tiff"):
        return copy.tiffsave_buffer(compression="deflate"), "tiff"
    if loader.startswith("heif"):
        return copy.heifsave_buffer(Q=95, compression="av1"), "avif"
    raise ValueError(f"cannot strip GPS from {loader} files")
