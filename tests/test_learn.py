"""`iastm-coach learn`: the topic list, one page, unknown topics and the data files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.errors import UsageError
from iastm_coach.learn import (
    READING_ORDER,
    complete_topic,
    find_topic,
    learn_dir,
    list_topics,
    title_of,
)
from tests.cli import FixedRunner

runner = FixedRunner()
SHIPPED = sorted(path.stem for path in learn_dir().glob("*.md"))


def test_every_shipped_page_is_a_topic_in_reading_order() -> None:
    """All data/learn pages are listed, the reading order first, each with its title."""
    topics = list_topics()
    assert sorted(t.name for t in topics) == SHIPPED
    assert topics[0].name == "what-is-iastm"
    assert [t.name for t in topics if t.name in READING_ORDER] == [
        n for n in READING_ORDER if n in SHIPPED
    ]
    assert all(t.title and not t.title.startswith("#") for t in topics)


def test_title_is_the_first_line_without_heading_marks() -> None:
    """'# Title' gives 'Title'; leading blank lines are skipped; empty text gives the fallback."""
    assert (
        title_of("\n# The evidence, and its limits\n\nText", "x") == "The evidence, and its limits"
    )
    assert title_of("Plain first line\n", "x") == "Plain first line"
    assert title_of("", "fallback") == "fallback"


def test_list_command_shows_names_and_titles() -> None:
    """`learn` without a topic lists every topic with its title."""
    result = runner.invoke(app, ["learn"])
    assert result.exit_code == 0, result.output
    for topic in list_topics():
        assert topic.name in result.stdout
        assert topic.title in result.stdout


def test_list_as_json() -> None:
    """`learn --json`: {learn_version, topics: [{topic, title}]}."""
    result = runner.invoke(app, ["learn", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["learn_version"] == 1
    assert [item["topic"] for item in data["topics"]] == [t.name for t in list_topics()]
    assert set(data["topics"][0]) == {"topic", "title"}


def test_page_is_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    """`learn evidence` shows the page (rendered Markdown: no '#' marks)."""
    # `session --plain` sets this in os.environ for the rest of its process.
    result = runner.invoke(app, ["learn", "evidence"])
    assert result.exit_code == 0, result.output
    assert "The evidence, and its limits" in result.stdout
    assert "# The evidence" not in result.stdout


def test_plain_prints_the_markdown_text() -> None:
    """`--plain` (and NO_COLOR) print the page's text exactly."""
    text = (learn_dir() / "evidence.md").read_text(encoding="utf-8")
    result = runner.invoke(app, ["learn", "evidence", "--plain"])
    assert result.exit_code == 0
    assert result.stdout == text.rstrip("\n") + "\n"


def test_no_color_prints_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR: the text as written, no escape sequences."""
    monkeypatch.setenv("NO_COLOR", "1")
    result = runner.invoke(app, ["learn", "why-exercises"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Why the exercises matter")
    assert "\x1b[" not in result.stdout


def test_page_as_json() -> None:
    """`learn TOPIC --json`: {topic, title, text} with the whole file."""
    result = runner.invoke(app, ["learn", "choosing-a-tool", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["topic"] == "choosing-a-tool"
    assert data["title"] == "Choosing a tool"
    assert data["text"] == (learn_dir() / "choosing-a-tool.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["Evidence", "evidence.md", " evidence "])
def test_topic_names_forgive_case_and_extension(name: str) -> None:
    """Case, surrounding spaces and a .md suffix do not matter."""
    assert find_topic(name).name == "evidence"


def test_unknown_topic_is_a_usage_error_with_a_suggestion() -> None:
    """A typo: exit 2, the unknown name, a did-you-mean and the topic list."""
    result = runner.invoke(app, ["learn", "evidance"])
    assert result.exit_code == 2
    assert "unknown topic 'evidance'" in result.stderr
    assert "Did you mean 'evidence'?" in result.stderr
    assert "what-is-iastm" in result.stderr


def test_unknown_topic_without_a_close_match() -> None:
    """Nothing close: still exit 2 with the list, no suggestion."""
    with pytest.raises(UsageError) as caught:
        find_topic("zzzz")
    assert caught.value.hint is not None
    assert "Did you mean" not in caught.value.hint


def test_completion_offers_matching_topics() -> None:
    """Shell completion: topics starting with what was typed."""
    assert complete_topic("ev") == ["evidence"]
    assert set(complete_topic("")) == set(SHIPPED)


def test_pages_come_from_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IASTM_COACH_DATA_DIR: pages from there; unlisted topics follow the reading order."""
    pages = tmp_path / "data" / "learn"
    pages.mkdir(parents=True)
    (pages / "zebra.md").write_text("# Zebra\n", encoding="utf-8")
    (pages / "evidence.md").write_text("# Evidence here\n", encoding="utf-8")
    (pages / "notes.txt").write_text("not a page", encoding="utf-8")
    monkeypatch.setenv("IASTM_COACH_DATA_DIR", str(tmp_path / "data"))
    assert [(t.name, t.title) for t in list_topics()] == [
        ("evidence", "Evidence here"),
        ("zebra", "Zebra"),
    ]


def test_missing_pages_are_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No learn pages at all: exit 4 (the installation is damaged)."""
    monkeypatch.setenv("IASTM_COACH_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["learn"])
    assert result.exit_code == 4
    assert "no learn pages found" in result.stderr


# --- the learn pages agree with the safety table -------------------------------------------

# Sentences the rule table contradicts: any rise, however small, from 24 to 48 h or 72 h
# (the rules need 2 points, or a score of 4 or more: §8a, a small rise at 24-48 h is normal).
CONTRADICTING = re.compile(
    r"(higher|worse) at (48|72) hours than (it did |it was )?at 24 hours", re.IGNORECASE
)


def test_no_learn_page_or_readme_sentence_contradicts_the_soreness_rules() -> None:
    from tests.builders import REPO

    texts = {p.name: p.read_text("utf-8") for p in (REPO / "data" / "learn").glob("*.md")}
    texts["README.md"] = (REPO / "README.md").read_text("utf-8")
    assert {name: CONTRADICTING.findall(text) for name, text in texts.items()} == {
        name: [] for name in texts
    }


def test_the_soreness_page_states_the_rule_tables_thresholds() -> None:
    """Each soreness hold of the rule table is on the page with the table's own numbers."""
    from iastm_coach.safety import redflags
    from iastm_coach.safety.rules import all_rules
    from tests.builders import REPO

    page = " ".join((REPO / "data" / "learn" / "soreness-scale.md").read_text("utf-8").split())
    ids = {rule.id for rule in all_rules()}
    assert {"soreness-7", "worse-48h", "worse-72h", "still-4-at-72h", "not-settled"} <= ids
    change, moderate = redflags.MEANINGFUL_CHANGE, redflags.MODERATE_SORENESS
    for phrase in (
        f"soreness of **{redflags.SEVERE_SORENESS} or more** at any point",
        f"at 48 hours, soreness **{change} or more points higher** than at 24 hours, or any "
        f"rise that reaches **{moderate} or more**",
        f"at 72 hours or later, soreness **{change} or more points higher** than at an "
        f"earlier check-in, or **still {moderate} or more**",
        f"soreness **{change} or more points above your usual level**",
        f"**{moderate} or more** before you start, or **more than {change} points above",
    ):
        assert phrase in page, phrase
