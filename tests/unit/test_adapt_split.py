"""Splitting a book into chapters and scenes, and refusing what is not a book (nothing half-written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from showrunner.adapt.book import MAX_SCENE_CHARS, PART_CHARS, heading, load_chapters, read_span, split_book
from showrunner.errors import BadInput
from showrunner.pipelines.adapt import adapt_book
from showrunner.testing import ScriptedLLM

REPO = Path(__file__).resolve().parents[2]
ALICE = REPO.parent / "shared" / "data" / "alice-in-wonderland.txt"
EXCERPT = REPO / "tests" / "data" / "alice-ch1-2.txt"
PARA = "Mira walked along the quay and counted the boats that had not come home. " * 6 + "\n\n"


@pytest.mark.skipif(not ALICE.is_file(), reason="../shared/data/alice-in-wonderland.txt is not in this checkout")
def test_alice_splits_into_its_twelve_chapters(tmp_path: Path) -> None:
    index = split_book(ALICE, tmp_path)
    assert [c.title.split(".")[0] for c in index.chapters] == [f"CHAPTER {r}" for r in (
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")]
    assert 25_000 < index.words < 28_000
    text = (tmp_path / "book.txt").read_text(encoding="utf-8")
    assert text == ALICE.read_text(encoding="utf-8")  # offsets point into the book as it is
    for ch in load_chapters(tmp_path):
        assert text[ch.start:ch.end].startswith("CHAPTER")
        for s0, s1, b0, b1 in ch.scenes:
            assert read_span(tmp_path, b0, b1) == text[s0:s1] and s1 - s0 < 2 * MAX_SCENE_CHARS


def test_headings_scene_breaks_contents_and_licence_header(tmp_path: Path) -> None:
    book = tmp_path / "b.md"
    body = PARA * 3
    book.write_text("The Project Gutenberg eBook\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n"
                    "Contents\n\nChapter 1: The Quay\nChapter 2: The Storm\n\n"
                    f"# Chapter 1: The Quay\n\n{body}* * *\n\n{body}## The Storm\n\n{body}"
                    "*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence text\n", encoding="utf-8")
    chapters = split_book(book, tmp_path / "out").chapters
    assert [(c.title, len(c.scenes)) for c in chapters] == [("Chapter 1: The Quay", 2), ("The Storm", 1)]
    assert "licence" not in (tmp_path / "out" / "book.txt").read_text()[chapters[-1].end:chapters[-1].end + 1]


def test_a_book_without_headings_is_cut_into_parts_and_long_scenes_are_cut(tmp_path: Path) -> None:
    book = tmp_path / "plain.txt"
    book.write_text(PARA * (2 * PART_CHARS // len(PARA) + 3), encoding="utf-8")
    chapters = split_book(book, tmp_path / "out").chapters
    assert [c.title for c in chapters] == ["Part 1", "Part 2", "Part 3"]
    assert all(s[1] - s[0] <= MAX_SCENE_CHARS + len(PARA) for c in chapters for s in c.scenes)


@pytest.mark.parametrize("line, title", [("CHAPTER IV. The Rabbit Sends in a Little Bill", "CHAPTER IV. The Rabbit "
                                          "Sends in a Little Bill"), ("Part Two", "Part Two"), ("## Storm", "Storm"),
                                         ("Part of the reason was the rain.", None), ("Book-shelves and maps", None),
                                         ("* * *", None), ("Chapter 3: The Fall", "Chapter 3: The Fall")])
def test_heading(line: str, title: str | None) -> None:
    assert heading(line) == title


def _epub(path: Path, chapters: list[str]) -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("id-1")
    book.set_title("Harbour")
    book.set_language("en")
    items = []
    for i, body in enumerate(chapters, 1):
        item = epub.EpubHtml(title=f"Chapter {i}", file_name=f"c{i}.xhtml", lang="en")
        item.content = f"<html><body><h1>Chapter {i}</h1>{body}</body></html>"
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = items
    epub.write_epub(str(path), book)
    return path


def test_epub_chapters_come_from_the_spine(tmp_path: Path) -> None:
    para = "<p>" + PARA.strip() + "</p>"
    index = split_book(_epub(tmp_path / "h.epub", [para * 3, para * 2]), tmp_path / "out")
    assert [c.title for c in index.chapters] == ["Chapter 1", "Chapter 2"]
    assert "Mira walked along the quay" in (tmp_path / "out" / "book.txt").read_text()


def _bad_books(tmp: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp / "empty.txt"
    empty.write_text("")
    binary = tmp / "binary.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    huge = tmp / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(50_000_000)
    foreign = tmp / "book.pdf"
    foreign.write_text("%PDF-1.4")
    broken = tmp / "broken.epub"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    return {"missing": (tmp / "nope.txt", "no book at"), "empty": (empty, "has no text"),
            "binary": (binary, "binary file"), "50 MB": (huge, "must be under"),
            "pdf": (foreign, "unsupported format .pdf"), "broken epub": (broken, "not a readable EPUB"),
            "epub without text": (_epub(tmp / "blank.epub", ["<p></p>"]), "has no text")}


def test_bad_books_are_one_line_errors_and_nothing_is_written(tmp_path: Path) -> None:
    books = tmp_path / "books"
    books.mkdir()
    llm = ScriptedLLM()
    for label, (book, message) in _bad_books(books).items():
        projects = tmp_path / "projects"
        with pytest.raises(BadInput) as err:
            adapt_book(book, projects / "p", 2, llm=llm)
        assert message in str(err.value) and "\n" not in str(err.value), label
        assert not projects.exists(), label  # no project, no temp folder, not even the parent folder
    assert not llm.requests


def test_too_many_episodes_for_the_book_is_refused_before_anything_exists(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="too few for 40 episodes"):
        adapt_book(EXCERPT, tmp_path / "p", 40, llm=ScriptedLLM())
    assert not any(tmp_path.iterdir())
