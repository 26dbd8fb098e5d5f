"""A lit three-quarter view of a mesh, rasterised on the CPU with numpy and Pillow (no GPU, no GL).

The camera looks from 45 degrees round and 30 degrees up (the view product shots use), orthographic,
fitted to the box. Faces are flat-shaded (Lambert, one key light plus ambient) and painted far to
near; past MAX_DRAWN_FACES the smallest faces are dropped, which a thumbnail cannot show anyway.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

BACKGROUND = (244, 245, 248)
BASE_COLOUR = np.array([110, 140, 190], dtype=float)
LIGHT = np.array([0.35, 0.8, 0.5])  # from the upper left, in front
AMBIENT = 0.28
YAW_DEG, PITCH_DEG = 45.0, 30.0
MAX_DRAWN_FACES = 400_000
SUPERSAMPLE = 2  # drawn at twice the size, then shrunk: smooth edges without an anti-aliasing pass


def three_quarter_view(vertices: np.ndarray, faces: np.ndarray, width: int, height: int) -> np.ndarray:
    """An RGB array (height x width) of the mesh."""
    camera = _rotate(vertices - (vertices.min(axis=0) + vertices.max(axis=0)) / 2)
    triangles = camera[faces]  # (n, 3 corners, xyz)
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    area = np.linalg.norm(normals, axis=1)
    keep = area > 0
    if keep.sum() > MAX_DRAWN_FACES:
        keep &= area >= np.partition(area, -MAX_DRAWN_FACES)[-MAX_DRAWN_FACES]
    triangles, normals, area = triangles[keep], normals[keep], area[keep]
    normals = normals / area[:, None]
    # Two-sided lighting: meshes with inconsistent winding still read as solid.
    light = LIGHT / np.linalg.norm(LIGHT)
    shade = AMBIENT + (1 - AMBIENT) * np.abs(normals @ light)
    colours = np.clip(BASE_COLOUR[None, :] * shade[:, None] * 1.25, 0, 255).astype(np.uint8)

    big_w, big_h = width * SUPERSAMPLE, height * SUPERSAMPLE
    xy = triangles[:, :, :2]
    low, high = xy.reshape(-1, 2).min(axis=0), xy.reshape(-1, 2).max(axis=0)
    span = np.maximum(high - low, 1e-12)
    scale = 0.9 * min(big_w / span[0], big_h / span[1])
    offset = np.array([big_w, big_h]) / 2 - (low + high) / 2 * scale
    screen = xy * scale + offset
    screen[:, :, 1] = big_h - screen[:, :, 1]  # y up in the scene, down in the picture

    order = np.argsort(triangles[:, :, 2].mean(axis=1))  # far (small z) first
    canvas = Image.new("RGB", (big_w, big_h), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for index in order:
        corners = screen[index]
        draw.polygon([(corners[0, 0], corners[0, 1]), (corners[1, 0], corners[1, 1]),
                      (corners[2, 0], corners[2, 1])], fill=tuple(int(c) for c in colours[index]))
    return np.asarray(canvas.resize((width, height), Image.Resampling.LANCZOS))


def _rotate(points: np.ndarray) -> np.ndarray:
    """World to camera: turn YAW round the vertical (y) axis, then tilt PITCH to look down."""
    yaw, pitch = np.radians(YAW_DEG), np.radians(PITCH_DEG)
    around = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    down = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    return points @ around.T @ down.T
