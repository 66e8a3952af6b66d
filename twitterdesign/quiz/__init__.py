"""The lesson's quiz: a question bank, a seeded quiz engine, grading and a JSON export.

The bank ships inside the package as TOML files, one per topic (requirements and
resource estimation; high-level and API design; storage, timelines and fan-out; top-k
and counting at scale; client-side load balancing; regional capacity). Every question
explains why its answer is right and the tempting ones wrong, and links to the docs page
that teaches it. Numeric questions are parametric templates: their inputs come from a
seed and their answers from the library (`twitterdesign.estimation`,
`twitterdesign.topk`, `twitterdesign.lb`), so they never drift from the code.

Examples:
    >>> from twitterdesign.quiz import Quiz, grade, load_bank
    >>> bank = load_bank()
    >>> quiz = Quiz(bank, topics=["load-balancing"], count=2, rng=0)
    >>> result = grade(quiz, {q.id: ",".join(chr(97 + i) for i in q.correct)
    ...                       for q in quiz if q.is_choice})
    >>> result.total
    2
"""

from __future__ import annotations

from twitterdesign.quiz._engine import Quiz
from twitterdesign.quiz._export import EXPORT_FORMAT_VERSION, export_data, export_json
from twitterdesign.quiz._grading import (
    AnswerCheck,
    QuizResult,
    TopicScore,
    check_answer,
    grade,
    parse_response,
)
from twitterdesign.quiz._loader import check_links, load_bank
from twitterdesign.quiz._model import (
    DIFFICULTIES,
    DOCS_URL,
    QUESTION_TYPES,
    TOPICS,
    Difficulty,
    Question,
    QuestionBank,
    QuestionType,
    Topic,
    docs_url,
)
from twitterdesign.quiz._templates import ALL_TEMPLATES, QuestionTemplate, available_templates

__all__ = [
    "ALL_TEMPLATES",
    "DIFFICULTIES",
    "DOCS_URL",
    "EXPORT_FORMAT_VERSION",
    "QUESTION_TYPES",
    "TOPICS",
    "AnswerCheck",
    "Difficulty",
    "Question",
    "QuestionBank",
    "QuestionTemplate",
    "QuestionType",
    "Quiz",
    "QuizResult",
    "Topic",
    "TopicScore",
    "available_templates",
    "check_answer",
    "check_links",
    "docs_url",
    "export_data",
    "export_json",
    "grade",
    "load_bank",
    "parse_response",
]
