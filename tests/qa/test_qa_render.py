from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.learnings.service import SearchHit
from bot.learnings.service import SearchPage as LearningsPage
from bot.qa.service import (
    Answer,
    Draft,
    ForgetReport,
    Question,
    QuestionHit,
    QuestionList,
    SearchPage,
)
from cogs._kit.limits import CHOICE_NAME, embed_problems
from cogs.learnings import render as learnings_render
from cogs.qa import render

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def question(
    qid: int = 12,
    title: str = "How do I retry a **Celery** task?",
    details: str = "Details.",
    *,
    answers: int = 0,
    accepted: int | None = None,
    author: int | None = 1,
    tags: tuple[str, ...] = ("celery",),
) -> Question:
    return Question(qid, 111, author, 10, 20, title, details, tags, answers, accepted, NOW, None)


def answer(aid: int, body: str = "Use autoretry_for.", *, accepted: bool = False) -> Answer:
    return Answer(aid, 111, 12, 2, body, NOW, None, accepted)


def test_titles_are_escaped_and_status_marked() -> None:
    embed = render.question_embed(question())
    assert embed.title == "❓ #12 · How do I retry a \\*\\*Celery\\*\\* task?"
    accepted = render.question_embed(question(answers=2, accepted=5))
    assert accepted.title is not None
    assert accepted.title.startswith("✅ #12")
    fields = {f.name: f.value for f in accepted.fields}
    assert fields["Answers"] == "2 answers · ✅ accepted"
    assert fields["Asked by"] == "<@1>"
    assert fields["Tags"] == "`celery`"
    assert render.question_embed(question(answers=1)).title.startswith("💬")  # type: ignore[union-attr]


def test_anonymous_authors_are_shown_as_former_members() -> None:
    embed = render.question_embed(question(author=None))
    assert {f.name: f.value for f in embed.fields}["Asked by"] == "a former member"


def test_biggest_question_and_answer_fit_one_message() -> None:
    big = question(title="T" * 150, details="D" * 2000, tags=("x" * 24,) * 5)
    embeds = [render.question_embed(big), render.answer_embed(big, answer(1, "A" * 2000))]
    for embed in embeds:
        assert embed_problems(embed) == []
    assert sum(len(e) for e in embeds) <= 6000


def test_answers_are_paged_without_cutting_any() -> None:
    answers = [answer(i, "A" * 2000, accepted=i == 1) for i in range(1, 8)]
    pages = render.answer_pages(answers)
    assert [len(p) for p in pages] == [1] * 7
    small = render.answer_pages([answer(i) for i in range(1, 13)])
    assert [len(p) for p in small] == [5, 5, 2]
    embed, shown, page, total = render.answers_embed(question(answers=7), answers, 99)
    assert (page, total, [a.id for a in shown]) == (7, 7, [7])
    assert embed_problems(embed) == []
    first, *_ = render.answers_embed(question(answers=7), answers, 1)
    assert "✅ **Accepted** · **Answer #1**" in (first.description or "")
    empty, shown, *_ = render.answers_embed(question(), [], 1)
    assert shown == []
    assert "No answers yet" in (empty.description or "")


def test_search_and_similar_embeds() -> None:
    hits = tuple(QuestionHit(question(i, answers=1), f"a **match** {i}", -1.0) for i in range(1, 6))
    page = SearchPage("celery", "celery", "answered", hits, 11, 1, 3)
    embed = render.search_embed(page)
    assert embed.title == "🔎 Answered questions about “celery” tagged celery"
    assert len(embed.fields) == 5
    assert "/qa show question:1" in (embed.fields[0].value or "")
    assert embed.footer.text == "11 questions · page 1/3"
    assert embed_problems(embed) == []
    nothing = render.search_embed(SearchPage("zzz", None, "all", (), 0, 1, 1))
    assert "No question mentions that" in (nothing.description or "")
    similar = render.similar_embed(Draft("Retry *celery*", "x"), hits[:3])
    assert "Retry \\*celery\\*" in (similar.description or "")
    assert len(similar.fields) == 3


def test_general_search_marks_answered_questions() -> None:
    learning = SearchHit("celery", "concept", "Celery", "a **celery** snippet", -1.0)
    hits = [QuestionHit(question(answers=1), "use **celery** retries", -2.0)]
    embed = learnings_render.search_results(LearningsPage("celery", (learning,), 1, 1, 1), hits)
    names = [f.name or "" for f in embed.fields]
    assert names[0] == "📘 Celery"
    assert names[1].startswith("🙋 Answered question · 💬 #12")
    only_questions = learnings_render.search_results(LearningsPage("celery", (), 0, 1, 1), hits)
    assert "members answered these" in (only_questions.description or "")
    assert learnings_render.search_results(LearningsPage("x", (), 0, 1, 1)).description == (
        "No learning mentions that. Try fewer or different words."
    )


def test_general_search_never_exceeds_the_embed_limit() -> None:
    learning = SearchHit("s" * 60, "concept", "T" * 100, "S" * 1000, -1.0)
    hits = [QuestionHit(question(i, "Q" * 150, answers=1), "N" * 1000, -1.0) for i in range(3)]
    page = LearningsPage("q", (learning,) * 5, 5, 1, 1)
    assert embed_problems(learnings_render.search_results(page, hits)) == []


def test_lists_choices_and_forget_texts() -> None:
    listing = QuestionList("open", (question(1), question(2, answers=1)), 12, 1, 2)
    embed = render.list_embed(listing)
    assert "by <@1>" in (embed.description or "")
    assert embed.footer.text == "12 questions · page 1/2 · open one with /qa show"
    mine = render.list_embed(QuestionList("mine", (), 0, 1, 1))
    assert "not asked anything" in (mine.description or "")
    name = render.choice_name(question(title="x\n" * 200))
    assert len(name) <= CHOICE_NAME
    assert "\n" not in name
    assert render.forget_done(ForgetReport("delete", 1, 2)) == (
        "🗑️ Done: 1 question and 2 answers deleted."
    )
    assert "anonymised" in render.forget_done(ForgetReport("anonymise", 0, 1))
    with_backups = render.forget_done(ForgetReport("delete", 1, 0), backups_kept=7)
    assert "within 7 days" in with_backups
    assert "cannot be undone" in render.forget_prompt(3, 0)


def test_the_notice_mentions_asker_and_answerer() -> None:
    text = render.answer_notice(question(), answer(3))
    assert text.startswith("<@1> — <@2> answered your question **#12")


@settings(max_examples=150, deadline=None)
@given(
    st.text(min_size=10, max_size=150),
    st.text(min_size=1, max_size=2000),
    st.lists(st.text(min_size=1, max_size=24), max_size=5),
    st.text(min_size=1, max_size=2000),
)
def test_any_text_renders_inside_the_limits(
    title: str, details: str, tags: list[str], body: str
) -> None:
    q = question(title=title, details=details, tags=tuple(tags), answers=1)
    a = answer(1, body)
    embeds = [
        render.question_embed(q),
        render.answer_embed(q, a),
        render.answers_embed(q, [a, a, a], 1)[0],
        render.similar_embed(Draft(title, details), [QuestionHit(q, body[:300], 0.0)]),
    ]
    for embed in embeds:
        assert embed_problems(embed) == []
    assert len(render.choice_name(q)) <= CHOICE_NAME
    assert len(render.answer_choice_name(a)) <= CHOICE_NAME
