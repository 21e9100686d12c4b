"""The literal prefilter of codebook patterns skips only patterns that cannot match.

Oracle: the regular-expression engine itself, run on every pattern and every text
(:func:`zhagen.coding.patterns.find_all`), which is what the lexicon did before the filter.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from zhagen.coding.codebook import load_codebook
from zhagen.coding.lexicon import Lexicon
from zhagen.coding.patterns import PatternFilter, find_all, required_literals
from zhagen.coding.text import normalise
from zhagen.corpus.encoding import decode_bytes

STUDIES = Path(__file__).resolve().parents[2] / "src" / "zhagen" / "studies"

#: Patterns with the constructs a prefilter can get wrong: optional parts, classes, alternatives of
#: one character (which the parser turns into a class), lookarounds, case, fuzzy matching of the
#: regex engine (read by Python's parser as a literal brace), classes the regex engine alone reads.
TRICKY = [
    r"年产\s*\d+(\.\d+)?\s*(万|亿)?\s*(吨|台|GWh)",
    r"(本地)?配套率\D{0,10}\d+\s*(%|％)",
    r"(?i)annual (production )?capacity of [\d,.]+",
    r"^(?=.*(北京|上海|Shanghai))(?=.*(成都|chongqing))",
    r"(?<=西部)算力",
    r"(?<!东部)数据中心",
    r"ship|kit",
    r"SKI",
    r"in and",
    r"(?-i:GWh)",
    r"[a-z]+ park",
    r"(a|b*)c?",
    r"(?:supplier)?s? follow",
    r"(配套){e<=1}",
    r"\p{Han}{2}园",
    r"Ünï|çà",
    r"μ",
]

TEXTS = [
    "年产 30 万吨，本地配套率达到 60%",
    "Annual Capacity of 1,200 units in Chongqing, with Shanghai design",
    "西部算力与东部数据中心",
    "ſhip",  # case partners of s, k and i outside ASCII, each alone in its text
    "a \u212ait",
    "the ſki",
    "İ and ı",
    "the SKI",
    "GWh and gwh",
    "supplier park follows; suppliers follow",
    "配奁 and 配套 and x",
    "ÜNÏ ÇÀ Μ µ",
    "",
]


def _all_matches(patterns: list[str], text: str) -> list[list[str]]:
    return [list(find_all(p, text, code_id="x")) for p in patterns]


def _filtered_matches(patterns: list[str], text: str) -> list[list[str]]:
    keep = set(PatternFilter(patterns).candidates(text))
    return [list(find_all(p, text, code_id="x")) if i in keep else [] for i, p in enumerate(patterns)]


def test_required_literals_of_typical_codebook_patterns() -> None:
    assert required_literals(r"年产\s*\d+(万|亿)?吨") == {"年产"}
    assert required_literals(r"(本地)?配套率\D{0,10}\d") == {"配套率"}
    assert required_literals(r"\d+\s*毫秒\s*时延圈") == {"时延圈"}
    assert required_literals(r"北京|上海") == {"北京", "上海"}
    assert required_literals(r"(?i)Annual") == {"annual"}


def test_no_literal_is_claimed_where_none_is_certain() -> None:
    assert required_literals(r"[a-z]+") is None
    assert required_literals(r"(a|b*)c?") is None
    assert required_literals(r"(?<!东部)\d") is None  # a negative lookbehind requires nothing
    assert required_literals(r"(配套){e<=1}") is None  # fuzzy: the regex engine matches 配奁 too
    assert required_literals(r"\p{Han}+") is None


def test_the_filter_changes_no_match_on_tricky_patterns_and_texts() -> None:
    for text in TEXTS:
        for candidate in (text, normalise(text)):
            assert _filtered_matches(TRICKY, candidate) == _all_matches(TRICKY, candidate), candidate


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("年产配套率吨万亿 0123456789%GWhgwkKsSiIſıİ\u212a西部算力东数据中心上海成都ship")),
               max_size=40))
def test_the_filter_changes_no_match_on_generated_texts(text: str) -> None:
    assert _filtered_matches(TRICKY, text) == _all_matches(TRICKY, text)


def test_the_built_in_codebook_finds_the_same_terms_on_its_own_cases() -> None:
    """Every unit of the built-in study's cases, by paragraph: the lexicon with the filter gives
    what matching every pattern gives, and most patterns are skipped on most paragraphs."""
    lexicon = Lexicon.from_codebook(load_codebook(STUDIES / "transfer" / "codebook.yaml"))
    patterns = [p for p, _code in lexicon.patterns]
    assert patterns
    paragraphs = [
        normalise(line)
        for path in sorted((STUDIES / "transfer" / "cases").rglob("*"))
        if path.suffix in {".md", ".txt"}
        for line in decode_bytes(path.read_bytes(), str(path))[0].splitlines()
        if line.strip()
    ]
    assert len(paragraphs) > 200
    run = 0
    for text in paragraphs:
        run += len(lexicon.pattern_filter.candidates(text))
        found = lexicon.terms_by_code(text)
        expected: dict[str, set[str]] = {}
        for (pattern, code_id), matches in zip(lexicon.patterns, _all_matches(patterns, text)):
            if matches:
                expected.setdefault(code_id, set()).update(matches)
        got = {code: {t for t, kind in terms.items() if kind == "pattern"} for code, terms in found.items()}
        assert {c: t for c, t in got.items() if t} == expected, text
    assert run < 0.2 * len(paragraphs) * len(patterns)
