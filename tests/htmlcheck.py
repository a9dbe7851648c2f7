"""Parse HTML with the standard library: balanced tags, text, and anything that would load."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip


class Checker(HTMLParser):
    """Records unbalanced tags, the visible text, and every attribute that fetches a URL."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self.fetches: list[str] = []  # src=, href= on link/script, css url()/@import
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if "src" in a or "srcset" in a or tag in ("script", "iframe", "object", "embed"):
            self.fetches.append(f"<{tag} {a}>")
        if tag == "link" and not (a.get("href") or "").startswith("data:"):
            self.fetches.append(f"<link {a}>")
        if "style" in a and "url(" in (a["style"] or ""):
            self.fetches.append(f"style url() on <{tag}>")
        if tag in ("style", "title", "desc"):
            self._skip += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        if dict(attrs).get("src"):
            self.fetches.append(f"<{tag} src>")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag in ("style", "title", "desc"):
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            if "url(" in data or "@import" in data:
                self.fetches.append("css url()/@import")
            return
        self.text.append(data)


def check_html(text: str) -> Checker:
    """Parse ``text``; raise AssertionError if its tags do not balance."""
    c = Checker()
    c.feed(text)
    c.close()
    assert not c.errors, c.errors[:5]
    assert not c.stack, f"unclosed tags: {c.stack[-5:]}"
    return c


def visible_text(text: str) -> str:
    return " ".join(" ".join(check_html(text).text).split())
