"""Topic search over the plan's items with BM25 (rank-bm25) on folded words and bigrams.

Each item is indexed with its text, its group's title, its assignments and the
subjects of the documents it cites. Queries are expanded with the synonyms of
`knowledge/vocabulary.yaml` ("NGO" → "tổ chức phi chính phủ nước ngoài").

rank-bm25 builds the index (idf, term frequencies); each term's per-item BM25 weights
are then computed once at load, so a query only adds up the weights of its known terms.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from rank_bm25 import BM25Okapi

from bot.core.text import fold
from bot.core.yaml_io import load_yaml_file
from bot.nlu.lexicon import PhraseIndex, phrase_tokens
from bot.plan.models import Assignment, Plan

MAX_HITS = 4
RELATIVE_CUTOFF = 0.6


def _bigrams(tokens: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True)
class SearchResult:
    hits: list[tuple[str, float]]  # item id, score
    coverage: float  # share of the query's content words the plan knows

    @property
    def item_ids(self) -> list[str]:
        return [item_id for item_id, _ in self.hits]


class TopicSearch:
    """BM25 index of the plan's items."""

    def __init__(
        self,
        plan: Plan,
        vocabulary_file: Path,
        stop_words: set[str],
        agency_names: dict[str, str] | None = None,
    ):
        self.stop_words = stop_words
        data = load_yaml_file(vocabulary_file) or {}
        self._synonyms = PhraseIndex(
            {entry["means"]: [str(s) for s in entry["say"]] for entry in data.get("synonyms", [])}
        )
        self.item_ids: list[str] = []
        corpus: list[list[str]] = []
        for item in plan.items:
            parts = [item.text, item.group_title]
            for assignment in item.assignments:
                parts.append(assignment.task or self._without_agencies(assignment, agency_names))
                parts.extend(plan.legal_refs[r].subject for r in assignment.refs)
            for ref in item.refs:
                legal = plan.legal_refs[ref]
                parts.append(f"{legal.kind} {legal.number} {legal.subject}")
            tokens = [t for p in parts for t in phrase_tokens(p)]
            corpus.append(tokens + _bigrams(tokens))
            self.item_ids.append(item.id)
        self.words = {t for doc in corpus for t in doc}
        self._bm25 = BM25Okapi(corpus)
        self._postings = self._weights(self._bm25)

    @staticmethod
    def _weights(bm25: BM25Okapi) -> dict[str, list[tuple[int, float]]]:
        """term → [(item index, BM25 weight)] for the items holding it: the terms of
        `BM25Okapi.get_scores` with the same float operations in the same order, so sums
        are bit-identical (a term no item holds adds exact zeros and is left out)."""
        k1, b, avgdl = bm25.k1, bm25.b, bm25.avgdl
        postings: dict[str, list[tuple[int, float]]] = {}
        for index, (freqs, length) in enumerate(zip(bm25.doc_freqs, bm25.doc_len, strict=True)):
            norm = k1 * (1 - b + b * length / avgdl)
            for term, freq in freqs.items():
                weight = (bm25.idf.get(term) or 0) * (freq * (k1 + 1) / (freq + norm))
                postings.setdefault(term, []).append((index, weight))
        return postings

    def _scores(self, terms: list[str]) -> list[float]:
        """BM25 score of every item for the query terms (as `BM25Okapi.get_scores`)."""
        scores = [0.0] * len(self.item_ids)
        for term in terms:
            for index, weight in self._postings.get(term, ()):
                scores[index] += weight
        return scores

    @staticmethod
    def _without_agencies(assignment: Assignment, names: dict[str, str] | None) -> str:
        """An assignment's sentence minus the names of its agencies (they are not topics)."""
        text = fold(assignment.source_text)
        for ar in assignment.agencies:
            name = (names or {}).get(ar.agency)
            if name:
                text = text.replace(fold(name), " ")
        return text

    def query_tokens(
        self, tokens: list[str], exclude: frozenset[str] = frozenset()
    ) -> tuple[list[str], int, int]:
        """Content words of a query plus synonym expansions; (terms, known, total).
        Words in `exclude` are not topics unless they are part of a synonym found."""
        synonym_words: set[str] = set()
        expansions: list[str] = []
        found = self._synonyms.find(tokens)
        for start, end, means in found:
            expansions.extend(phrase_tokens(means))
            synonym_words.update(tokens[start:end])
        content = [
            t
            for t in tokens
            if t not in self.stop_words
            and not t.isdigit()
            and (t not in exclude or t in synonym_words)
        ]
        expanded = content + expansions
        plain = [t for t in content if t not in synonym_words]
        known = sum(1 for t in plain if t in self.words) + len(found)
        return expanded, known, len(plain) + len(found)

    def search(self, tokens: list[str], exclude: frozenset[str] = frozenset()) -> SearchResult:
        """Items ranked for the query words (content words, synonyms and word pairs)."""
        terms, known, total = self.query_tokens(tokens, exclude)
        if not terms or not known:
            return SearchResult([], 0.0)
        keep = set(terms)
        pairs = [p for p in _bigrams(tokens) if set(p.split("_")) & keep] + _bigrams(terms)
        bigram_terms = [p for p in dict.fromkeys(pairs) if p in self.words]
        scores = self._scores(terms + bigram_terms)
        ranked = sorted(zip(self.item_ids, scores, strict=True), key=lambda x: -x[1])
        top = ranked[0][1]
        if top <= 0:
            return SearchResult([], known / max(total, 1))
        hits = [(i, float(s)) for i, s in ranked if s >= top * RELATIVE_CUTOFF][:MAX_HITS]
        return SearchResult(hits, known / max(total, 1))
