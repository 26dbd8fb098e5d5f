"""3D models (glTF/GLB, OBJ, STL, PLY): what a file is, the counts it declares, and its mesh.

Counts are read from headers and checked against max_model_elements before trimesh parses
anything (a PLY or GLB may claim 10^8 vertices in a few bytes; an OBJ is pre-counted line by line).
A glTF is self-contained or refused: every buffer and image must be embedded (GLB chunk or data:
URI), so nothing is read outside the input and nothing is fetched.
"""

from __future__ import annotations

import io
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from mediamill.errors import BadInput, LimitExceeded
from mediamill.security import Limits

MIMES = {"glb": "model/gltf-binary", "gltf": "model/gltf+json", "obj": "model/obj", "stl": "model/stl",
         "ply": "model/ply"}
_FORMATS = {mime: fmt for fmt, mime in MIMES.items()}
_OBJ_LINE = re.compile(rb"^(v|vt|vn|f|o|g|usemtl|mtllib|s)\s", re.M)
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def sniff(head: bytes, size: int) -> str | None:
    """The model MIME type of a file from its first bytes and size, or None."""
    if head[:4] == b"glTF":
        return MIMES["glb"]
    if head.startswith(b"ply\n") or head.startswith(b"ply\r\n"):
        return MIMES["ply"]
    stripped = head.lstrip()
    if stripped.startswith(b"solid") and b"facet" in head:
        return MIMES["stl"]
    if len(head) >= 84 and size == 84 + 50 * struct.unpack("<I", head[80:84])[0]:
        return MIMES["stl"]  # binary STL: an 80-byte header, a triangle count, 50 bytes a triangle
    if stripped.startswith(b"{") and b'"asset"' in head and re.search(rb'"(meshes|scenes|buffers)"', head):
        return MIMES["gltf"]
    statements = _OBJ_LINE.findall(head)
    lines = [line for line in head.splitlines() if line.strip() and not line.startswith(b"#")]
    if statements.count(b"v") >= 3 and len(statements) * 2 >= len(lines):  # mostly OBJ statements
        return MIMES["obj"]
    return None


@dataclass
class Declared:
    """What a model says about itself before its geometry is parsed."""

    fmt: str
    vertices: int | None = None
    faces: int | None = None
    materials: list[str] | None = None
    textures: list[str] | None = None
    units: str | None = None


def declared(path: Path, mime: str, limits: Limits) -> Declared:
    fmt = _FORMATS[mime]
    found = {"glb": _gltf_declared, "gltf": _gltf_declared, "obj": _obj_declared, "ply": _ply_declared,
             "stl": _stl_declared}[fmt](path, fmt)
    for what, count in (("vertices", found.vertices), ("faces", found.faces)):
        if count is not None and count > limits.max_model_elements:
            raise LimitExceeded(f"the model declares {count:,} {what}, over max_model_elements "
                                f"({limits.max_model_elements:,}); refused before parsing", field="inputs")
    return found


def load_mesh(path: Path, found: Declared):
    """One trimesh.Trimesh of the whole model (a glTF scene flattened with its transforms)."""
    import trimesh

    # From bytes with no resolver: trimesh cannot open a sibling file (an OBJ's .mtl, a glTF's .bin).
    loaded = trimesh.load(io.BytesIO(path.read_bytes()), file_type=found.fmt, force="scene", resolver=None,
                          process=False)
    meshes = [geometry for geometry in loaded.dump() if len(getattr(geometry, "faces", ()))]
    if not meshes:
        raise BadInput("the model has no triangles to show", field="inputs")
    return trimesh.util.concatenate(meshes)


def model_facts(path: Path, mime: str, limits: Limits) -> dict:
    found = declared(path, mime, limits)
    mesh = load_mesh(path, found)
    import numpy as np  # with the first 3D model (trimesh needs it anyway), not with every task process

    low, high = (np.asarray(corner, dtype=float) for corner in mesh.bounds)
    return {"format": found.fmt, "vertices": int(len(mesh.vertices)), "faces": int(len(mesh.faces)),
            "bounding_box": {"min": [round(v, 6) for v in low.tolist()], "max": [round(v, 6) for v in high.tolist()],
                             "size": [round(v, 6) for v in (high - low).tolist()]},
            "units": found.units, "materials": found.materials or [], "textures": found.textures or []}


# -- per format ----------------------------------------------------------------------------
def _gltf_declared(path: Path, fmt: str) -> Declared:
    data = path.read_bytes()
    if fmt == "glb":
        if len(data) < 20:
            raise BadInput("the GLB is truncated", field="inputs")
        length, kind = struct.unpack("<II", data[12:20])
        if kind != 0x4E4F534A or 20 + length > len(data):  # "JSON"
            raise BadInput("the GLB's first chunk is not its JSON", field="inputs")
        document = data[20:20 + length]
    else:
        document = data
    try:
        gltf = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"the glTF JSON cannot be parsed ({exc})", field="inputs") from None
    if not isinstance(gltf, dict):
        raise BadInput("the glTF JSON is not an object", field="inputs")
    for group in ("buffers", "images"):
        for index, item in enumerate(gltf.get(group) or []):
            uri = item.get("uri") if isinstance(item, dict) else None
            if uri is not None and not str(uri).startswith("data:"):
                raise BadInput(f"the glTF's {group}[{index}] points outside the file ({str(uri)[:80]!r}); only "
                               "self-contained models (GLB, or data: URIs) are read, nothing is fetched",
                               field="inputs")
    vertices = faces = 0
    accessors = gltf.get("accessors") or []
    for mesh in gltf.get("meshes") or []:
        for primitive in mesh.get("primitives") or []:
            position = (primitive.get("attributes") or {}).get("POSITION")
            if isinstance(position, int) and 0 <= position < len(accessors):
                vertices += int(accessors[position].get("count") or 0)
            indices = primitive.get("indices")
            if isinstance(indices, int) and 0 <= indices < len(accessors):
                faces += int(accessors[indices].get("count") or 0) // 3
    materials = [str(m.get("name") or f"material_{i}") for i, m in enumerate(gltf.get("materials") or [])]
    textures = [str(image.get("name") or image.get("mimeType") or f"image_{i}")
                for i, image in enumerate(gltf.get("images") or [])]
    return Declared(fmt, vertices, faces or None, materials, textures, units="meters")  # glTF's unit by spec


def _obj_declared(path: Path, fmt: str) -> Declared:
    vertices = faces = 0
    materials: list[str] = []
    libraries: list[str] = []
    with open(path, "rb") as reader:
        for line in reader:
            if line.startswith(b"v "):
                vertices += 1
            elif line.startswith(b"f "):
                faces += max(1, len(line.split()) - 3)  # a polygon of n corners is n-2 triangles
            elif line.startswith(b"usemtl "):
                name = line[7:].strip().decode("utf-8", "replace")
                if name not in materials:
                    materials.append(name)
            elif line.startswith(b"mtllib "):
                libraries.append(line[7:].strip().decode("utf-8", "replace"))  # named, never opened
    return Declared(fmt, vertices, faces, materials, libraries)


def _ply_declared(path: Path, fmt: str) -> Declared:
    with open(path, "rb") as reader:
        header = reader.read(64 * 1024)
    end = header.find(b"end_header")
    if end < 0:
        raise BadInput("the PLY header has no end_header", field="inputs")
    counts = dict(re.findall(rb"^element\s+(\w+)\s+(\d+)", header[:end], re.M))
    textures = [m.decode("utf-8", "replace") for m in re.findall(rb"^comment\s+TextureFile\s+(\S+)", header[:end], re.M)]
    return Declared(fmt, int(counts.get(b"vertex", 0)), int(counts.get(b"face", 0)), [], textures)


def _stl_declared(path: Path, fmt: str) -> Declared:
    with open(path, "rb") as reader:
        head = reader.read(84)
    size = path.stat().st_size
    if len(head) == 84 and size == 84 + 50 * struct.unpack("<I", head[80:84])[0]:
        triangles = struct.unpack("<I", head[80:84])[0]
        return Declared(fmt, triangles * 3, triangles)
    return Declared(fmt, None, None)  # ASCII STL: bounded by its size; trimesh counts
