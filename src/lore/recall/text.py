"""Text for full-text recall: what is indexed and how a query becomes an FTS5 MATCH expression.

The full-text index is an FTS5 table with ``FTS_TOKENIZER`` (Porter stemming over unicode61).
A query becomes an OR of quoted terms, so a memory matching some of the words still ranks, and
BM25 weighs the rare ones; stop words are dropped because under OR they would match almost
every row. Identifiers (file paths, dotted and snake_case names, error codes) are kept whole as
quoted phrases as well: FTS5 tokenises a quoted string with the table's tokenizer, so
``"src/lore/config.py"`` only matches those tokens in that order, which is the exact match an
agent asking about a file or an error wants. See ``docs/retrieval.md`` for the measurements.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

#: The tokenizer of the main full-text table (``CREATE VIRTUAL TABLE ... USING fts5(...)``).
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
#: The tokenizer of the optional substring index over identifiers.
TRIGRAM_TOKENIZER = "trigram"

# English function words and question words: under an OR query they match nearly every row.
_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either else ever
    few for from further get gets got had has have having he her here hers herself him himself
    his how i if in into is it its itself just kind let me might more most much must my myself
    no nor not of off on once only or other our ours ourselves out over own per same shall she
    should so some such than that the their theirs them themselves then there these they thing
    things this those through to too under until up upon us very was we were what when where
    whether which while who whom whose why will with within without would yes yet you your yours
    yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_WORD = re.compile(r"[^\W_]+")
# A run of word characters with inner path, member or namespace separators.
_CHUNK = re.compile(r"[\w$@#%+~]+(?:(?:->|[./\\:\-])+[\w$@#%+~]+)*")
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_LETTER_DIGIT = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]")
_INNER_SEPARATOR = re.compile(r"\w(?:::|->|[./\\:_\-])\w")


def query_terms(text: str) -> list[str]:
    """Lower-cased words of ``text`` without stop words or one-letter words, first use first."""
    terms: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if word not in terms:
            terms.append(word)
    return terms


def shared_words(query: str, texts: Mapping[int, str]) -> dict[int, float]:
    """For each text holding words of the query: the sum of those words' inverse document
    frequency among ``texts``, so a rare word counts more than one most of them hold."""
    wanted = set(query_terms(query))
    held = {key: wanted.intersection(query_terms(text)) for key, text in texts.items()}
    counts = Counter(word for found in held.values() for word in found)
    return {
        key: sum(math.log(1 + len(texts) / counts[word]) for word in found)
        for key, found in held.items()
        if found
    }


def facts_first(body: str, query: str) -> str:
    """``body`` with its lines after the first (a module's functions, a commit's changes) in the
    order of the rarer query words each holds, the rest as they were: the fact an agent asked
    for comes right after the item's statement, and survives a cut to a token budget."""
    head, *facts = body.split("\n")
    weights = shared_words(query, dict(enumerate(facts))) if len(facts) > 1 else {}
    if not weights:
        return body
    order = sorted(range(len(facts)), key=lambda index: -weights.get(index, 0.0))
    return "\n".join([head, *(facts[index] for index in order)])


def identifiers(text: str) -> list[str]:
    """Code-like tokens of ``text`` to match exactly: paths, dotted/snake/camel names, codes.

    ``src/lore/config.py``, ``lore.recall.fusion``, ``build_embedder``, ``useState``,
    ``ERR_CONNECTION_REFUSED``, ``E501`` and ``0x80070005`` qualify; plain words do not.
    """
    found: list[str] = []
    for chunk in _CHUNK.findall(text):
        if _is_identifier(chunk) and chunk not in found:
            found.append(chunk)
    return found


def _is_identifier(chunk: str) -> bool:
    return bool(
        _INNER_SEPARATOR.search(chunk) or _CAMEL.search(chunk) or _LETTER_DIGIT.search(chunk)
    )


def fts_match_query(text: str) -> str | None:
    """The FTS5 MATCH expression for ``text``, or None when it has nothing worth matching.

    An OR of each identifier as a phrase and each query term, every one quoted so FTS5 syntax
    (``AND``, ``NEAR``, ``*``, ``:``) in user text is matched as words, never parsed.
    """
    return match_expression(fts_alternatives(text))


def fts_alternatives(text: str) -> list[str]:
    """The alternatives of ``fts_match_query``, unquoted: identifiers, then terms, once each."""
    alternatives = [ident for ident in identifiers(text) if _WORD.search(ident)]
    alternatives += query_terms(text)
    return list(dict.fromkeys(alternatives))


def words(alternative: str) -> list[str]:
    """The lower-cased words of a full-text alternative (one for a term, several for a phrase)."""
    return _WORD.findall(alternative.lower())


def match_expression(alternatives: Iterable[str]) -> str | None:
    """An OR of the alternatives, each quoted; None when there are none."""
    return " OR ".join(_quoted(alternative) for alternative in alternatives) or None


def affordable(alternatives: Sequence[str], costs: Sequence[int], budget: int) -> list[str]:
    """The alternatives BM25 can afford: cheapest first while their costs fit in ``budget``.

    The cost of an alternative is the number of index rows FTS5 reads for it: the match count
    of a word, summed over the words of a phrase (a phrase is checked word by word). One that
    matches nothing (cost 0), or costs more than the budget alone, is left out. The common
    terms left out weigh least in BM25 (their IDF is near 0 in any large project) but cost
    most, since every row holding them is read and scored.
    """
    order = sorted(range(len(alternatives)), key=lambda index: costs[index])
    kept: set[int] = set()
    spent = 0
    for index in order:
        cost = costs[index]
        if cost <= 0:
            continue
        if spent + cost > budget:
            break
        kept.add(index)
        spent += cost
    return [alternative for index, alternative in enumerate(alternatives) if index in kept]


def joined_identifiers(text: str) -> list[str]:
    """Identifiers written as one word (``useState``, ``E501``, ``0x80070005``), 3+ characters.

    The word index matches them only whole; the trigram index finds them inside longer words
    too. Identifiers with separators (paths, dotted and snake_case names) need no trigrams: the
    word index matches them as phrases wherever they are written, at a fraction of the cost.
    """
    return [
        ident
        for ident in identifiers(text)
        if len(ident) >= 3 and not _INNER_SEPARATOR.search(ident)
    ]


def trigram_match_query(text: str) -> str | None:
    """The MATCH expression for a trigram table: each identifier of 3+ characters as a substring."""
    alternatives = [_quoted(ident) for ident in identifiers(text) if len(ident) >= 3]
    return " OR ".join(alternatives) or None


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def date_label(timestamp: float) -> str:
    """The day a memory happened on, as indexed text (``8 May 2023``, local time).

    Written into the indexed text so "when" questions and dated queries can match it; the
    measured gain was +0.02 R@10 on LoCoMo, mostly on temporal questions.
    """
    day = time.localtime(timestamp)
    return f"{day.tm_mday} {time.strftime('%B %Y', day)}"


def window_span(count: int, index: int, radius: int = 1) -> range:
    """Positions of the window around event ``index`` in a session of ``count`` events."""
    if not 0 <= index < count:
        raise IndexError(f"event {index} is outside a session of {count}")
    return range(max(0, index - radius), min(count, index + radius + 1))


def window_text(date: str, lines: Iterable[tuple[str, str]]) -> str:
    """Indexed text of an episode window: ``(date) speaker: text speaker: text ...``."""
    body = " ".join(f"{speaker}: {text}" if speaker else text for speaker, text in lines)
    return f"({date}) {body}" if date else body


def event_text(date: str, speaker: str, text: str) -> str:
    """Indexed text of one event: ``speaker (date): text`` (the reference figures' format)."""
    head = f"{speaker} ({date})" if date else speaker
    return f"{head}: {text}" if head else text
