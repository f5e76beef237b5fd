"""Layout conditioning from the storyboard: OpenPose skeletons and per-entity masks (Pillow only).

The storyboard panel already knows where each figure stands (:func:`preview.figure_layout`). Here the
same placements become what a diffusion model can read:

* :func:`pose_image`: an OpenPose-style stick figure (18 COCO keypoints, the usual limb colours, black
  background) per figure, for a pose ControlNet;
* :func:`entity_masks`: one white-on-black mask per reference entity (each character's figure box;
  the location plate gets the background, i.e. everything no figure covers), for IP-Adapter masks;
* :func:`layout_signature`: the boxes as plain numbers, so shots with the same layout can share a batch.

Keypoints follow the figure's proportions in :func:`showrunner.tools.draw.figure` (seven head heights).
A figure seen from behind is mirrored and has no face points.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from showrunner.tools.base import RenderJob
from showrunner.tools.preview import Placed, figure_layout

# keypoint -> (x, y) in head heights from the head's centre-top; the person's right is image-left
KEYPOINTS: tuple[tuple[float, float], ...] = (
    (0.0, 0.75), (0.0, 1.15), (-0.8, 1.4), (-0.95, 2.6), (-0.95, 3.8), (0.8, 1.4), (0.95, 2.6), (0.95, 3.8),
    (-0.35, 3.9), (-0.35, 5.4), (-0.35, 6.9), (0.35, 3.9), (0.35, 5.4), (0.35, 6.9),
    (-0.18, 0.55), (0.18, 0.55), (-0.45, 0.6), (0.45, 0.6),
)
FACE = frozenset({0, 14, 15})
LIMBS = ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
         (1, 0), (0, 14), (14, 16), (0, 15), (15, 17))
COLORS = ((255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
          (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
          (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85))


def placements(job: RenderJob, w: int, h: int) -> list[Placed]:
    """The storyboard's figures on a ``w`` x ``h`` frame (no header or caption band: the whole frame is stage)."""
    return figure_layout(job, (0, 0, w, h))


def _points(p: Placed) -> dict[int, tuple[float, float]]:
    u = p.height / 7.0
    side = -1.0 if p.back_view else 1.0
    return {i: (p.cx + side * dx * u, p.top + dy * u) for i, (dx, dy) in enumerate(KEYPOINTS)
            if not (p.back_view and i in FACE)}


def pose_image(job: RenderJob, w: int, h: int) -> Image.Image:
    """OpenPose-style skeletons of the shot's figures on black (what a pose ControlNet was trained on)."""
    img = Image.new("RGB", (w, h), (0, 0, 0))
    draw = ImageDraw.Draw(img)
    for p in placements(job, w, h):
        pts, u = _points(p), p.height / 7.0
        width = max(2, round(u * 0.16))
        for n, (a, b) in enumerate(LIMBS):
            if a in pts and b in pts:
                draw.line((*pts[a], *pts[b]), fill=tuple(int(c * 0.6) for c in COLORS[n % len(COLORS)]),
                          width=width)
        r = max(1.5, u * 0.1)
        for i, (x, y) in pts.items():
            draw.ellipse((x - r, y - r, x + r, y + r), fill=COLORS[i])
    return img


def _box(p: Placed, w: int, h: int) -> tuple[int, int, int, int]:
    u = p.height / 7.0
    x0, x1 = max(0, int(p.cx - 1.15 * u)), min(w, int(p.cx + 1.15 * u) + 1)
    y0, y1 = max(0, int(p.top - 0.1 * u)), min(h, int(p.top + 7.0 * u) + 1)
    return x0, y0, max(x0, x1), max(y0, y1)


def layout_signature(job: RenderJob, w: int, h: int) -> tuple[tuple[str, tuple[int, int, int, int]], ...]:
    return tuple((p.character.id, _box(p, w, h)) for p in placements(job, w, h))


def entity_masks(job: RenderJob, entity_ids: list[str], w: int, h: int) -> list[Image.Image]:
    """One mask per entity, in order: a character's figure box; the location's background.

    A character the layout does not show (the listener of a close-up) gets an empty mask, so their
    reference cannot leak into someone else's face. With no figures, the location covers the frame.
    """
    boxes: dict[str, list[tuple[int, int, int, int]]] = {}
    for cid, box in layout_signature(job, w, h):
        boxes.setdefault(cid, []).append(box)
    location = job.location.id if job.location else None
    out = []
    for eid in entity_ids:
        mask = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(mask)
        if eid == location:
            draw.rectangle((0, 0, w, h), fill=255)
            for bs in boxes.values():
                for b in bs:
                    draw.rectangle(b, fill=0)
        for b in boxes.get(eid, []):
            draw.rectangle(b, fill=255)
        out.append(mask)
    return out
