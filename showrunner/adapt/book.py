r"""Read a book (.txt, .md, .epub) and split it into chapters and scenes, streaming.

:func:`split_book` reads the book one line at a time and writes two files: ``book.txt`` (the book's
text, UTF-8 with ``\n`` newlines: every source offset points into it) and ``chapters.jsonl`` (one
:class:`Chapter` per line: title, character and byte spans, and its scenes), each chapter's record
written the moment it closes. Memory holds the open chapter's scene spans and one line, never the book:
a 300k-word book splits in the same memory as a short story (evals/adapt_bench.py). Chapters start at
headings (``CHAPTER IV``, ``Part Two``, ``Chapter 3: The Fall``, Markdown ``#``/``##``); scenes at
scene breaks (``* * *``, ``***``, ``---``, ``#``) and whenever a scene reaches ``MAX_SCENE_CHARS`` (at a
paragraph end). A table of contents (headings with no text under them) is skipped; a book without
headings is cut into parts of ``PART_CHARS``. EPUB chapters come from the spine through ebooklib.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from showrunner.errors import BadInput

FORMATS = (".txt", ".md", ".epub")
MAX_BOOK_BYTES = 16_000_000  # about 2.5 million words; a longer file is almost surely not one book
MAX_SCENE_CHARS = 6_000  # what one extraction call reads (about 1,500 tokens)
PART_CHARS = 30_000  # a book with no headings is cut into parts this long
MIN_CHAPTER_CHARS = 200  # less text under a heading than this: a table-of-contents line
_NUMBER = r"(?:\d+|[ivxlcdm]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|" \
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|first|second|third|fourth|fifth|sixth|" \
    r"seventh|eighth|ninth|tenth|last)"
HEADING = re.compile(rf"^(?:#{{1,2}}\s+(?P<md>\S.*)|(?:chapter|part|book|volume)\s+{_NUMBER}(?:[.:\-–—]\s*.*|\s*)"
                     rf"|(?:prologue|epilogue|interlude)(?:[.:\-–—]\s*.*)?)$", re.I)
BREAK = re.compile(r"^\s*(?:(?:[*#~]\s*){1,}|-{3,}|_{3,})\s*$")
GUTENBERG = re.compile(r"^\*\*\* ?(START|END) OF (THE|THIS) PROJECT GUTENBERG", re.I)


@dataclass
class Chapter:
    """One chapter: number, title, its span in ``book.txt`` (chars and bytes) and its scenes' spans."""

    number: int
    title: str
    start: int
    end: int = 0
    byte_start: int = 0
    byte_end: int = 0
    scenes: list[tuple[int, int, int, int]] = field(default_factory=list)  # (start, end, byte_start, byte_end)

    @property
    def words(self) -> int:
        return (self.end - self.start) // 6  # English averages about six characters a word with its space


def _lines_txt(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8-sig", newline=None) as f:
            yield from f
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _lines_epub(path: Path) -> Iterator[str]:
    import ebooklib
    from ebooklib import epub
    from lxml import html

    try:
        book = epub.read_epub(str(path), options={"ignore_ncx": True})
    except Exception as exc:  # ebooklib raises zipfile, lxml and its own errors for broken files
        raise BadInput(f"{path} is not a readable EPUB ({type(exc).__name__}); export it again") from None
    for idref, _ in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        try:
            root = html.fromstring(item.get_content())
        except Exception:  # an empty or broken document in the spine: nothing to read there
            continue
        for el in root.iter("h1", "h2", "h3", "p", "div", "li", "blockquote"):
            if el.tag in ("div", "li", "blockquote") and len(el):
                continue  # text is read from its leaf blocks
            text = " ".join(el.text_content().split())
            if el.tag in ("h1", "h2") and text and not HEADING.match(text):
                text = f"# {text}"
            if text:
                yield text + "\n\n"


def book_lines(path: Path) -> Iterator[str]:
    """The book's lines, decoded (``BadInput`` for a missing, foreign, oversized or binary file)."""
    if not path.is_file():
        raise BadInput(f"no book at {path}; give the path of a .txt, .md or .epub file")
    if path.suffix.lower() not in FORMATS:
        raise BadInput(f"{path.name}: unsupported format {path.suffix or '(none)'}; use {', '.join(FORMATS)}")
    size = path.stat().st_size
    if size > MAX_BOOK_BYTES:
        raise BadInput(f"{path.name} is {size // 1_000_000} MB; a book must be under "
                       f"{MAX_BOOK_BYTES // 1_000_000} MB of text (split a series into its volumes)")
    binary = BadInput(f"{path.name} is a binary file, not text; export the book as .txt, .md or .epub")
    if path.suffix.lower() == ".epub":
        yield from _lines_epub(path)
        return
    with path.open("rb") as f:
        if b"\x00" in f.read(8192):
            raise binary
    for line in _lines_txt(path):
        if "\x00" in line:
            raise binary
        yield line


def heading(line: str) -> str | None:
    """The chapter title a line announces ('CHAPTER I. Down the Rabbit-Hole', '## The Fall'), or None."""
    text = line.strip()
    if not text or len(text) > 80 or BREAK.match(text):
        return None
    m = HEADING.match(text)
    if not m:
        return None
    return (m.group("md") or text).strip(" #")


@dataclass
class BookIndex:
    """What :func:`split_book` wrote: the title, the folder, the numbers of chapters, scenes, characters, words."""

    title: str
    folder: Path
    count: int
    scenes: int
    chars: int
    words: int

    @property
    def chapters(self) -> list[Chapter]:
        return load_chapters(self.folder)


class _Splitter:
    """The streaming state: the position in ``book.txt``, the open chapter and the open scene."""

    def __init__(self, out: IO[str], index: IO[str]) -> None:
        self.out, self.index = out, index
        self.pos = self.bpos = self.words = self.count = self.scenes = 0
        self.chapter: Chapter | None = None
        self.scene: tuple[int, int] | None = None  # (start, byte_start) of the open scene
        self.scene_text = 0  # non-blank characters in the open scene
        self.headed = False  # a heading was seen: no more cutting into parts

    def close_scene(self) -> None:
        if self.chapter is not None and self.scene is not None and self.scene_text:
            self.chapter.scenes.append((self.scene[0], self.pos, self.scene[1], self.bpos))
        self.scene, self.scene_text = None, 0

    def close_chapter(self) -> None:
        self.close_scene()
        ch = self.chapter
        if ch is not None and ch.scenes and sum(s[1] - s[0] for s in ch.scenes) >= MIN_CHAPTER_CHARS:
            self.count += 1
            self.scenes += len(ch.scenes)
            ch.end, ch.byte_end, ch.number = self.pos, self.bpos, self.count
            self.index.write(json.dumps(asdict(ch)) + "\n")  # written as it closes: the book is never held
        self.chapter = None

    def open_chapter(self, title: str) -> None:
        self.close_chapter()
        self.chapter = Chapter(number=0, title=title, start=self.pos, byte_start=self.bpos)

    def feed(self, line: str) -> None:
        title = heading(line)
        if title is not None:
            self.headed = True
            self.open_chapter(title)
        elif BREAK.match(line):
            self.close_scene()
        elif not line.strip():
            long_part = not self.headed and self.chapter is not None and self.pos - self.chapter.start >= PART_CHARS
            if long_part:
                self.close_chapter()
            elif self.scene is not None and self.pos - self.scene[0] >= MAX_SCENE_CHARS:
                self.close_scene()
        else:
            if self.chapter is None:
                self.chapter = Chapter(number=0, title=f"Part {self.count + 1}", start=self.pos,
                                       byte_start=self.bpos)
            if self.scene is None:
                self.scene = (self.pos, self.bpos)
            elif self.pos - self.scene[0] >= 2 * MAX_SCENE_CHARS:  # no paragraph breaks at all
                self.close_scene()
                self.scene = (self.pos, self.bpos)
            self.scene_text += len(line.strip())
            self.words += len(line.split())
        self.out.write(line)
        self.pos += len(line)
        self.bpos += len(line.encode("utf-8"))


def split_book(path: Path, out_dir: Path) -> BookIndex:
    """Stream ``path`` into ``out_dir``/book.txt and chapters.jsonl; ``BadInput`` for an unusable book."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "book.txt").open("w", encoding="utf-8", newline="\n") as out, \
            (out_dir / "chapters.jsonl").open("w", encoding="utf-8") as index:
        sp = _Splitter(out, index)
        for line in book_lines(path):
            marker = GUTENBERG.match(line.strip())
            if marker and marker.group(1).upper() == "END":
                break
            if marker:  # the licence header ends here: what came before is not the book
                index.seek(0)
                index.truncate()
                sp.count = sp.scenes = 0
                sp.chapter, sp.scene, sp.headed = None, None, False
            sp.feed(line if line.endswith("\n") else line + "\n")
        sp.close_chapter()
    if not sp.count:
        what = "has no text" if sp.words == 0 else f"has only {sp.words} words: too short to adapt"
        raise BadInput(f"{path.name} {what}; give a book with at least a few paragraphs of text")
    title = " ".join(w.capitalize() for w in re.split(r"[-_\s]+", path.stem) if w)
    return BookIndex(title=title or "Untitled", folder=out_dir, count=sp.count, scenes=sp.scenes, chars=sp.pos,
                     words=sp.words)


def load_chapters(folder: Path) -> list[Chapter]:
    """The chapter index :func:`split_book` wrote."""
    out = []
    for line in (folder / "chapters.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        d["scenes"] = [tuple(s) for s in d["scenes"]]
        out.append(Chapter(**d))
    return out


def read_span(folder: Path, byte_start: int, byte_end: int) -> str:
    """The text of ``book.txt`` between two byte offsets (a scene or a chapter), without reading the rest."""
    with (folder / "book.txt").open("rb") as f:
        f.seek(byte_start)
        return f.read(byte_end - byte_start).decode("utf-8")
