"""A scripted "browser" for the OAuth consent page of the emulator.

It does what a user does: open the authorize URL, press "Grant access" (or "Cancel") and let
the browser follow the redirect to the callback, here over plain HTTP with httpx.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


@dataclass
class ScriptedBrowser:
    """``open(url)`` consents and follows the redirect to the callback (unless ``follow`` is False)."""

    decision: str = "grant"
    follow: bool = True
    opened: list[str] = field(default_factory=list)
    redirected_to: list[str] = field(default_factory=list)

    def consent(self, url: str) -> str:
        page = httpx.get(url)
        page.raise_for_status()
        form = _FormParser()
        form.feed(page.text)
        answer = httpx.post(
            httpx.URL(url).join(form.action), data={**form.fields, "decision": self.decision}
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def open(self, url: str) -> bool:
        # A real browser's traffic is not our program's output: keep this client's own httpx
        # debug lines (which show the emulator's redirect with the code) out of captured logs.
        logging.disable(logging.CRITICAL)
        try:
            self.opened.append(url)
            location = self.consent(url)
            self.redirected_to.append(location)
            if self.follow:
                httpx.get(location).raise_for_status()
        finally:
            logging.disable(logging.NOTSET)
        return True
