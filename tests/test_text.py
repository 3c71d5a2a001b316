"""Tests for the fashion-aware tokenizer, the lexicon and learned phrases."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from fashion_lab.text import FashionTokenizer, Lexicon, normalize_text, split_tokens

CASES = Path(__file__).resolve().parents[2] / "shared" / "cases" / "inputs"


@pytest.fixture(scope="module")
def tokenizer() -> FashionTokenizer:
    return FashionTokenizer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("boot cut jeans", ["bootcut", "jeans"]),
        ("Boot-Cut jeans", ["bootcut", "jeans"]),
        ("BOOTCUT jeans", ["bootcut", "jeans"]),
        ("tea length dress", ["tea-length", "dress"]),
        ("Tea-Length dress", ["tea-length", "dress"]),
        ("wide leg trousers", ["wide-leg", "trousers"]),
        ("high-rise, wide-legged jeans", ["high-rise", "wide-leg", "jeans"]),
        ("an a line skirt", ["an", "a-line", "skirt"]),
        ("a line of buttons", ["a", "line", "of", "buttons"]),
        ("Piqué polo with a V neck", ["pique", "polo", "with", "a", "v-neck"]),
        ("women\u2019s fit & flare dress", ["womens", "fit-and-flare", "dress"]),
        ("5-pocket jeans", ["5-pocket", "jeans"]),
    ],
)
def test_tokenize_maps_variants_to_one_token(tokenizer, text, expected):
    assert tokenizer.tokenize(text) == expected


def test_normalize_term_is_idempotent(tokenizer):
    for term in ["tea-length", "bootcut", "a-line", "fit-and-flare", "v-neck"]:
        assert tokenizer.normalize_term(term) == term


def test_normalize_text_folds_accents_and_dashes():
    assert normalize_text("Crêpe\u2013de\u2013chine") == "crepe-de-chine"
    assert split_tokens("crêpe de chine") == ["crepe", "de", "chine"]


def test_tokenize_rejects_non_string(tokenizer):
    with pytest.raises(TypeError, match="float NaN"):
        tokenizer.tokenize(float("nan"))


def test_lexicon_user_entries_extend_defaults():
    lexicon = Lexicon(entries={"barrel-leg": ["barrel leg", "barrel legged"]})
    tokenizer = FashionTokenizer(lexicon)
    assert tokenizer.tokenize("barrel legged jeans") == ["barrel-leg", "jeans"]
    assert tokenizer.tokenize("boot cut") == ["bootcut"]


def test_lexicon_file_without_tab_raises(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("bootcut boot cut\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:1: expected 'canonical<TAB>variant"):
        Lexicon(path)


def test_lexicon_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="lexicon file not found"):
        Lexicon(tmp_path / "absent.tsv")


def test_lexicon_canonical_must_be_one_token():
    with pytest.raises(ValueError, match="must be a single token"):
        Lexicon(paths=None, entries={"tea length": ["tea-length"]})


def test_variants_of_lists_surface_forms():
    variants = Lexicon().variants_of("bootcut")
    assert "boot cut" in variants
    assert "boot-cut" in variants


@pytest.fixture
def c07_sentences(tokenizer):
    path = CASES / "C07_phrases_corpus.txt"
    if not path.is_file():
        pytest.skip("shared cases not available")
    return tokenizer.tokenize_many(line for line in path.read_text().splitlines() if line.strip())


def test_phrases_lexicon_joins_garment_terms_first(c07_sentences):
    # The lexicon joins "boot cut" and "tea length" before Phrases sees them, so each garment
    # term is one token in every sentence, whatever the pair statistics.
    assert c07_sentences == [
        ["i", "love", "bootcut", "jeans"],
        ["we", "stock", "bootcut", "jeans"],
        ["her", "slim", "cut", "jeans"],
        ["his", "straight", "cut", "jeans"],
        ["a", "tea-length", "dress"],
        ["one", "tea-length", "dress"],
    ]


def test_phrases_with_lexicon_keep_garment_terms_whole(tokenizer, c07_sentences):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted, report = tokenizer.fit_phrases(c07_sentences, min_count=1, threshold=0.1)
    # Phrases containing a lexicon term (bootcut, tea-length) are dropped, so the garment term
    # stays one token of its own whatever the pair statistics.
    assert dict(report.merged) == {"cut-jeans": 2}
    assert report.skipped_overlaps == {}
    assert fitted.tokenize("we stock boot cut jeans") == ["we", "stock", "bootcut", "jeans"]
    assert fitted.tokenize("her slim cut jeans") == ["her", "slim", "cut-jeans"]


def test_phrases_unprotected_absorb_lexicon_terms(tokenizer, c07_sentences):
    fitted, report = tokenizer.fit_phrases(c07_sentences, min_count=1, threshold=0.1,
                                           protect_lexicon=False)
    assert dict(report.merged) == {"bootcut-jeans": 2, "cut-jeans": 2, "tea-length-dress": 2}
    assert fitted.tokenize("we stock boot cut jeans") == ["we", "stock", "bootcut-jeans"]


def test_phrases_without_lexicon_warn_on_overlaps():
    # Without the lexicon, "boot cut" and "cut jeans" compete for "cut" (the reported bug).
    path = CASES / "C07_phrases_corpus.txt"
    if not path.is_file():
        pytest.skip("shared cases not available")
    plain = FashionTokenizer(Lexicon(paths=None))
    sentences = plain.tokenize_many(line for line in path.read_text().splitlines() if line.strip())
    with pytest.warns(UserWarning, match="overlapping phrase candidates were skipped"):
        _, report = plain.fit_phrases(sentences, min_count=1, threshold=0.1)
    assert report.skipped_overlaps[("boot-cut", "cut-jeans")] == 2
    assert report.merged["boot-cut"] == 2


def test_phrases_no_overlap_no_warning(tokenizer):
    sentences = [["linen", "shirt"]] * 5 + [["denim", "skirt"]] * 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, report = tokenizer.fit_phrases(sentences, min_count=2, threshold=0.1)
    assert report.skipped_overlaps == {}
    assert report.to_frame()["phrase"].tolist() == ["linen-shirt", "denim-skirt"]


def test_tokenizer_save_load_roundtrip(tokenizer, tmp_path):
    tokenizer.save(tmp_path / "tok.pkl")
    loaded = FashionTokenizer.load(tmp_path / "tok.pkl")
    assert loaded.tokenize("boot cut tea length") == ["bootcut", "tea-length"]


def test_tokenize_strips_html(tokenizer):
    assert tokenizer.tokenize("<p>Boot&nbsp;Cut <b>jeans</b></p> &amp; more") == [
        "bootcut", "jeans", "more"]


def test_tokenize_many_rejects_single_string(tokenizer):
    with pytest.raises(TypeError, match="not one string"):
        tokenizer.tokenize_many("boot cut")
