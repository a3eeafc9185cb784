from __future__ import annotations

import random

from faq_bot.config import PROJECT_ROOT
from faq_bot.content.faq import load
from faq_bot.text.normalize import normalize
from faq_bot.text.synonyms import SynonymTable

SYNONYMS = SynonymTable.load(PROJECT_ROOT / "data" / "synonyms.tsv")


def test_a_canonical_word_containing_a_variant_is_left_alone() -> None:
    table = SynonymTable.from_groups([["クレジットカード", "クレジット"]])
    assert table.apply("クレジットカード") == "クレジットカード"
    assert table.apply("クレジット払い") == "クレジットカード払い"


def test_ascii_variants_match_whole_words_only() -> None:
    table = SynonymTable.from_groups([["ダウンロード", "dl"]])
    assert table.apply("dl したい handle") == "ダウンロード したい handle"


def test_synonym_table_ignores_comments_and_blank_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.tsv"
    path.write_text("# comment\n\n正\t誤\n", encoding="utf-8")
    assert SynonymTable.load(path).apply("誤字") == "正字"


def test_english_domain_words_meet_the_faqs_japanese_terms() -> None:
    assert SYNONYMS.apply(normalize("Can I get a quotation for my contract?")) == "can i get a 見積 for my 契約?"
    assert SYNONYMS.apply(normalize("Where is the user manual")) == "where is the ユーザー マニュアル"
    assert SYNONYMS.apply(normalize("payment deadline")) == "支払い 期限"
    assert SYNONYMS.apply(normalize("reorder")) == "reorder"  # whole words only


def test_an_empty_table_changes_nothing() -> None:
    assert SynonymTable().apply("見積もり dl") == "見積もり dl"
    assert SynonymTable()._pattern.sub("x", "見積もり") == "見積もり"


def test_variants_starting_with_characters_a_regex_treats_specially_are_found() -> None:
    table = SynonymTable.from_groups([["ハイフン", "-x"], ["括弧", "]閉じ"], ["山形", "^上"], ["円記号", "\\円"]])
    assert table.apply("a -x ]閉じ ^上 \\円 x") == "a ハイフン 括弧 山形 円記号 x"


def _by_scan(table: SynonymTable, text: str) -> str:
    """The rewrite spelled out: at each place the longest variant that stands there (ASCII on word bounds)."""
    out, i = [], 0
    while i < len(text):
        for variant, canonical in table.pairs:  # longest first
            end = i + len(variant)
            if text.startswith(variant, i) and not (
                (variant[0].isascii() and variant[0].isalnum() and i > 0 and _word_char(text[i - 1]))
                or (variant[-1].isascii() and variant[-1].isalnum() and end < len(text) and _word_char(text[end]))
            ):
                out.append(canonical)
                i = end
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _word_char(c: str) -> bool:
    return c.isascii() and (c.isdigit() or c.islower())


def test_the_rewrite_is_the_longest_variant_at_each_place_in_real_texts() -> None:
    entries = load(PROJECT_ROOT / "data" / "faq.tsv").entries
    texts = [normalize(t) for e in entries for t in (e.question, *e.alternates, e.answer)]
    words = [w for w, _ in SYNONYMS.pairs]
    rng = random.Random(7)
    pieces = [*words, "の", "a", "x1", "お支払"]
    # Joined by spaces and glued together: ASCII variants stand on a word bound only in the first.
    texts += [sep.join(rng.choices(pieces, k=12)) for sep in (" ", "") for _ in range(100)]
    changed = 0
    for text in texts:
        expected = _by_scan(SYNONYMS, text)
        assert SYNONYMS.apply(text) == expected, text
        changed += expected != text
    assert changed > 100  # the texts do contain variants
