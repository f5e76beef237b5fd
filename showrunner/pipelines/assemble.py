"""Episode assembly: the cut as H.264 mp4 with a soft subtitle track, the SRT, and a contact sheet.

Encoding goes through PyAV (FFmpeg's libraries: libx264 video, a ``mov_text`` subtitle stream muxed in
the same pass); optional burned-in subtitles go through imageio-ffmpeg's bundled ``ffmpeg`` binary,
which has libass. Nothing here writes an encoder by hand. Each shot contributes either its clip
(frames resampled to the shot's duration) or its keyframe held for the duration.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw

from showrunner.errors import ServiceError
from showrunner.models import Shot
from showrunner.pipelines.timing import Timeline
from showrunner.tools import draw as d

ASS_HEADER = """[Script Info]
ScriptType: v4.00+
PlayResX: {w}
PlayResY: {h}

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,DejaVu Sans,{fs},&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


@dataclass
class CutItem:
    """One shot on the timeline: a held still or clip frames, for ``duration`` seconds."""

    shot: Shot
    duration: float
    still: Image.Image | None = None
    frames: list[Image.Image] = field(default_factory=list)


@dataclass(frozen=True)
class Cue:
    """One subtitle: its time span, its text, and the pixels at the bottom of the frame it must keep clear."""

    start: float
    end: float
    text: str
    clear: int = 0


def cues_for(timeline: Timeline, clear: dict[str, int] | None = None) -> list[Cue]:
    """One cue per dialogue line, on the line's span of the timeline (its audio when there is sound).

    ``clear`` maps a shot id to the height of the band at the bottom of its frame that burned-in subtitles
    must stay above (a storyboard panel's caption band).
    """
    return [Cue(s.start, s.end, s.label, (clear or {}).get(s.shot, 0)) for s in timeline.lines]


def _ts(sec: float) -> str:
    ms = int(round(sec * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def srt_text(cues: list[Cue]) -> str:
    """SubRip text; ends with a blank line (some parsers drop the last cue otherwise)."""
    return "".join(f"{i}\n{_ts(c.start)} --> {_ts(c.end)}\n{c.text}\n\n" for i, c in enumerate(cues, 1))


def fit(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale to cover ``size`` and centre-crop (a still of another aspect is reframed, never stretched)."""
    if img.size == size:
        return img.convert("RGB")
    w, h = size
    scale = max(w / img.width, h / img.height)
    r = img.convert("RGB").resize((max(w, round(img.width * scale)), max(h, round(img.height * scale))),
                                  Image.Resampling.LANCZOS)
    x, y = (r.width - w) // 2, (r.height - h) // 2
    return r.crop((x, y, x + w, y + h))


def _frames_for(item: CutItem, fps: int, size: tuple[int, int]) -> list[Image.Image]:
    n = max(1, round(item.duration * fps))
    if item.frames:
        src = [fit(f, size) for f in item.frames]
        return [src[min(len(src) - 1, i * len(src) // n)] for i in range(n)]
    assert item.still is not None
    return [fit(item.still, size)] * n


def encode_video(items: list[CutItem], fps: int, size: tuple[int, int], cues: list[Cue] | None = None) -> bytes:
    """H.264 mp4 (yuv420p, faststart) of the items; ``cues`` become a soft mov_text subtitle track."""
    import av
    from av.subtitles.subtitle import SubtitleSet

    w, h = size[0] - size[0] % 2, size[1] - size[1] % 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cut.mp4"
        with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
            vs = out.add_stream("libx264", rate=fps, options={"crf": "20", "preset": "veryfast"})
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
            ss = None
            if cues:
                ss = out.add_stream("mov_text")
                ss.codec_context.subtitle_header = ASS_HEADER.format(w=w, h=h, fs=max(12, h // 18)).encode()
                ss.time_base = Fraction(1, 1000)
            for item in items:
                for img in _frames_for(item, fps, (w, h)):
                    for pkt in vs.encode(av.VideoFrame.from_image(img)):
                        out.mux(pkt)
            for pkt in vs.encode():
                out.mux(pkt)
            for i, cue in enumerate(cues or []):
                assert ss is not None
                start, dur = int(cue.start * 1000), int((cue.end - cue.start) * 1000)
                text = cue.text.replace("\n", "\\N")
                sub = SubtitleSet.create(f"{i},0,Default,,0,0,0,,{text}".encode(), start=0, end=dur, pts=start)
                pkt = ss.codec_context.encode_subtitle(sub)
                pkt.stream, pkt.pts, pkt.dts, pkt.duration = ss, start, start, dur
                out.mux(pkt)
        return path.read_bytes()


def burn_font_size(size: tuple[int, int]) -> int:
    """Burned-in subtitle size in pixels: readable on the short side of the frame, portrait or landscape."""
    return max(12, min(size) // 18)


def _ass_time(sec: float) -> str:
    cs = int(round(sec * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def ass_text(cues: list[Cue], size: tuple[int, int]) -> str:
    """An ASS script in frame pixels: each cue bottom-centred just above the band it must keep clear."""
    w, h = size
    fs = burn_font_size(size)
    head = ASS_HEADER.format(w=w, h=h, fs=fs).replace("[V4+ Styles]", "WrapStyle: 0\n\n[V4+ Styles]")
    events = []
    for c in cues:
        text = c.text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\N")
        margin = c.clear + max(6, fs // 2)
        events.append(f"Dialogue: 0,{_ass_time(c.start)},{_ass_time(c.end)},Default,,0,0,{margin},,{text}")
    return head + "\n".join(events) + "\n"


def burn_subtitles(mp4: bytes, cues: list[Cue], size: tuple[int, int]) -> bytes:
    """Burn ``cues`` into the picture with libass (imageio-ffmpeg's ffmpeg), keeping the soft track too.

    Each cue sits above the band its frame keeps clear (``Cue.clear``), so it never covers a caption.
    """
    import imageio_ffmpeg

    ff = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        src, subs, dst = Path(tmp) / "in.mp4", Path(tmp) / "subs.ass", Path(tmp) / "out.mp4"
        src.write_bytes(mp4)
        subs.write_text(ass_text(cues, size), encoding="utf-8")
        cmd = [ff, "-y", "-loglevel", "error", "-i", str(src), "-vf", f"subtitles={subs}", "-map", "0:v",
               "-map", "0:s?", "-c:v", "libx264", "-crf", "20", "-preset", "veryfast", "-pix_fmt", "yuv420p",
               "-c:s", "copy", "-movflags", "+faststart", str(dst)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ServiceError(f"ffmpeg could not burn subtitles: {proc.stderr.strip()[-200:]}")
        return dst.read_bytes()


def decode_frames(mp4: bytes) -> list[Image.Image]:
    """All video frames of an mp4 (used to cut clips into the episode)."""
    import av

    with av.open(io.BytesIO(mp4), "r") as c:
        return [f.to_image() for f in c.decode(video=0)]


def contact_sheet(items: list[tuple[str, Image.Image]], title: str, *, cols: int = 4,
                  thumb_w: int = 320) -> Image.Image:
    """A grid of labelled thumbnails: the whole episode's storyboard on one page."""
    first = items[0][1]
    tw, th = thumb_w, round(thumb_w * first.height / first.width)
    rows = (len(items) + cols - 1) // cols
    pad, label_h, head = 12, 22, 44
    sheet = Image.new("RGB", (pad + cols * (tw + pad), head + rows * (th + label_h + pad) + pad), (236, 233, 226))
    draw = ImageDraw.Draw(sheet)
    draw.text((pad, head / 2), title, font=d.font(20, bold=True), fill=(30, 30, 36), anchor="lm")
    for i, (label, img) in enumerate(items):
        x = pad + (i % cols) * (tw + pad)
        y = head + (i // cols) * (th + label_h + pad)
        sheet.paste(fit(img, (tw, th)), (x, y))
        draw.rectangle((x - 1, y - 1, x + tw, y + th), outline=(60, 60, 66))
        draw.text((x, y + th + 4), label, font=d.font(13), fill=(40, 40, 48))
    return sheet
