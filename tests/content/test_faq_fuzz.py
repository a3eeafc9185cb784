"""Property-based fuzzing of the FAQ loader: entries or a typed format error, nothing else, never a hang."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faq_bot.content import faq
from faq_bot.errors import FaqFormatError

pytestmark = pytest.mark.fuzz

HEADER = "id\tcategory\tquestion\tanswer\talternates\n"
CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
NASTY = st.sampled_from(['"', '""', "\t", "\n", "\r\n", "\r", "\x00", "\ufeff", "|", "<script>", "&lt;", " ", "１"])


def check(raw: bytes) -> None:
    try:
        loaded = faq.read_bytes(raw, "fuzz.tsv", max_bytes=50_000)
    except FaqFormatError as exc:
        assert exc.problems, "a format error must say what is wrong"
        for p in exc.problems:
            assert p.message and (p.line is None or p.line >= 1)
        return
    assert loaded.entries
    for e in loaded.entries:
        assert e.question.strip() and e.answer.strip() and e.id


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_give_entries_or_a_format_error(raw: bytes) -> None:
    check(raw)


@st.composite
def almost_valid(draw: st.DrawFn) -> bytes:
    rows = []
    for i in range(draw(st.integers(1, 6))):
        cells = [str(i), draw(CELL), draw(CELL) or "質問", draw(CELL) or "回答", draw(CELL)]
        if draw(st.booleans()):
            pos = draw(st.integers(0, 4))
            cells[pos] = cells[pos] + draw(NASTY) + draw(CELL)
        if draw(st.integers(0, 5)) == 0:
            cells = cells[: draw(st.integers(1, 6))]
        rows.append("\t".join(cells))
    text = HEADER + "\n".join(rows) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(almost_valid())
def test_almost_valid_tsvs_give_entries_or_a_format_error(raw: bytes) -> None:
    check(raw)


def test_input_past_the_size_limit_is_refused_quickly() -> None:
    raw = (HEADER + "1\tc\tq\t" + "あ" * 100_000 + "\t\n").encode()
    try:
        faq.read_bytes(raw, "big.tsv", max_bytes=50_000)
    except FaqFormatError as exc:
        assert "大きすぎます" in str(exc)
    else:
        raise AssertionError("expected a size error")
