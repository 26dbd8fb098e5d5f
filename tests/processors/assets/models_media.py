"""3D models and design files the tests build: trimesh exports of real shapes, a PSD from psd-tools,
an EPS header, and hostile ones (inflated counts, glTF pointing outside the file)."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path


def shapes():
    """A 2 x 1 x 1 box beside a sphere: a shape whose three-quarter view is unmistakable."""
    import trimesh

    box = trimesh.creation.box(extents=(2.0, 1.0, 1.0))
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.6)
    sphere.apply_translation((1.8, 0, 0))
    return trimesh.util.concatenate([box, sphere])


def write_models(root: Path) -> dict[str, Path]:
    mesh = shapes()
    files = {}
    for fmt in ("glb", "obj", "stl", "ply"):
        files[fmt] = root / f"model.{fmt}"
        data = mesh.export(file_type=fmt)
        files[fmt].write_bytes(data.encode() if isinstance(data, str) else data)
    glb = files["glb"].read_bytes()
    files["gltf"] = root / "model.gltf"
    files["gltf"].write_text(json.dumps(_embedded_gltf(glb)))
    return files


def _embedded_gltf(glb: bytes) -> dict:
    """The GLB's JSON with its binary chunk as a data: URI (one self-contained .gltf)."""
    json_length = struct.unpack("<I", glb[12:16])[0]
    document = json.loads(glb[20:20 + json_length])
    bin_start = 20 + json_length
    bin_length = struct.unpack("<I", glb[bin_start:bin_start + 4])[0]
    payload = glb[bin_start + 8:bin_start + 8 + bin_length]
    document["buffers"] = [{"byteLength": len(payload),
                            "uri": "data:application/octet-stream;base64," + base64.b64encode(payload).decode()}]
    document.setdefault("materials", [{"name": "paint"}])
    return document


def gltf_pointing_at(root: Path, uri: str) -> Path:
    path = root / f"outside-{abs(hash(uri))}.gltf"
    path.write_text(json.dumps({"asset": {"version": "2.0"}, "buffers": [{"byteLength": 1000, "uri": uri}],
                                "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
                                "accessors": [{"count": 3, "componentType": 5126, "type": "VEC3",
                                               "bufferView": 0}],
                                "bufferViews": [{"buffer": 0, "byteLength": 36}]}))
    return path


def ply_claiming(root: Path, vertices: int) -> Path:
    path = root / "claims.ply"
    path.write_bytes(f"ply\nformat binary_little_endian 1.0\nelement vertex {vertices}\nproperty float x\n"
                     f"property float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\n"
                     f"end_header\n".encode() + bytes(64))
    return path


def write_psd(path: Path, width: int = 320, height: int = 200) -> Path:
    """Two pixel layers, red left and blue right, saved with the flattened image psd-tools composes."""
    from PIL import Image
    from psd_tools import PSDImage

    psd = PSDImage.new("RGB", (width, height))
    psd.create_pixel_layer(Image.new("RGB", (width // 2, height), (220, 30, 30)), name="Red half")
    psd.create_pixel_layer(Image.new("RGB", (width - width // 2, height), (30, 30, 220)), name="Blue half",
                           left=width // 2)
    psd.save(path)
    return path


def huge_psd(path: Path) -> Path:
    """A PSD header declaring a 30000 x 30000 canvas (900 Mpx) with nothing after it."""
    path.write_bytes(b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 30_000, 30_000, 8, 3) + bytes(64))
    return path


def write_eps(path: Path) -> Path:
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 144 72\n%%EndComments\n"
                     b"newpath 0 0 moveto 144 72 lineto stroke\nshowpage\n%%EOF\n")
    return path
