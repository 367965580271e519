"""The docs keep up with the code: every command, option and params key is documented, every link leads
somewhere, and every file path the pages name exists. Each item is its own test, so a failure names it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from backlog_alerts.run.arguments import parser
from backlog_alerts.run.model import Params

ROOT = Path(__file__).parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
# Paths the docs name that a user creates, so they are not in the repository.
USER_FILES = {"params/production.yaml"}
TOP_FOLDERS = ("backlog_alerts", "bench", "deploy", "notebooks", "params", "tests")


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def all_docs() -> str:
    return "\n".join(text(page) for page in DOCS)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def options() -> list[tuple[str, str]]:
    return [
        (name, option)
        for name, parser in subcommands().items()
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]


def anchors(page: Path) -> set[str]:
    """GitHub's ids for the page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", text(page), flags=re.S), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def links() -> list[tuple[str, str]]:
    """(page, target) for every relative Markdown link, outside code blocks."""
    found = []
    for page in PAGES:
        prose = re.sub(r"```.*?```", "", text(page), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if not re.match(r"[a-z]+:", target):
                found.append((str(page.relative_to(ROOT)), target))
    return found


def named_paths() -> list[tuple[str, str]]:
    """(page, path) for every repository path in backticks, such as `bench/sync_calls.py`."""
    found = set()
    for page in PAGES:
        for span in re.findall(r"`([^`\s]+)`", text(page)):
            path = span.rstrip("/")
            in_repo = "/" in path and path.split("/")[0] in TOP_FOLDERS
            if in_repo and not re.search(r"[<>*]", path) and path not in USER_FILES:
                found.add((str(page.relative_to(ROOT)), path))
    return sorted(found)


def test_the_docs_pages_exist():
    assert len(DOCS) >= 8


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_subcommand_is_documented(name):
    assert f"backlog-alerts {name}" in all_docs(), f"no docs/*.md page shows `backlog-alerts {name}`"


@pytest.mark.parametrize(("name", "option"), options())
def test_every_option_is_documented(name, option):
    assert re.search(rf"{re.escape(option)}\b", all_docs()), (
        f"`backlog-alerts {name} {option}` is undocumented"
    )


@pytest.mark.parametrize("key", list(Params.model_fields))
def test_every_params_key_is_in_the_params_page(key):
    page = text(ROOT / "docs" / "params.md")
    assert re.search(rf"^(\| `{key}` \||#+ .*`{key}`)", page, re.M), f"docs/params.md has no row for `{key}`"


@pytest.mark.parametrize(("page", "target"), links())
def test_every_relative_link_leads_to_a_file(page, target):
    path, _, anchor = target.partition("#")
    destination = (ROOT / page).parent / path if path else ROOT / page
    assert destination.exists(), f"{page} links to {path}, which does not exist"
    if anchor:
        assert anchor in anchors(destination), f"{page} links to #{anchor}, not a heading of {path or page}"


def make_targets() -> list[tuple[str, str]]:
    """(page, target) for every `make <target>` the pages show, in backticks or starting a line of code."""
    pattern = re.compile(r"(?:`|^)make ([a-z][\w-]*)", re.M)
    return sorted({(str(page.relative_to(ROOT)), t) for page in PAGES for t in pattern.findall(text(page))})


@pytest.mark.parametrize(("page", "target"), make_targets())
def test_every_make_target_named_is_in_the_makefile(page, target):
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^{re.escape(target)}:", makefile, re.M), (
        f"{page} shows `make {target}`, not in the Makefile"
    )


@pytest.mark.parametrize(("page", "path"), named_paths())
def test_every_file_path_named_exists(page, path):
    assert (ROOT / path).exists(), f"{page} names {path}, which does not exist"
