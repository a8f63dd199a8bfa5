"""Trajectory work without a model: the rules that stand in for every prompt of
``prompts_trajectory`` when no LLM is configured (or the configured one fails at append time).

- Subgoal: the topic of the observation, with filler ("the user asked about ...") removed; kept
  word for word while a step continues the topic (shared terms, or "it/that/still ..."), so that
  the 0.75 cosine rule splits trajectories where the topic really changes.
- Reward: success and failure words in the observation that follows the action.
- Facts: declarative sentences of observations, and actions carrying concrete details (files,
  identifiers, numbers); concepts are identifiers, proper names and frequent terms.
- Procedures: what worked in the trajectory, and each failed attempt followed by a fix.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from lore.domain.graph import ItemType
from lore.extraction.offline.text import clip, sentences
from lore.extraction.prompts_trajectory import Fact, Procedure

MAX_FACTS = 6
MAX_PROCEDURES = 3
SUBGOAL_WORDS = 12
NEUTRAL = 0.5


class StepLike(Protocol):
    @property
    def observation(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subgoal(self) -> str | None: ...
    @property
    def state_summary(self) -> str | None: ...
    @property
    def reward(self) -> float | None: ...


STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yes",
        "ok",
        "okay",
        "please",
        "thanks",
        "thank",
        "user",
        "users",
        "asked",
        "asks",
        "ask",
        "asking",
        "wants",
        "want",
        "wanted",
        "need",
        "needs",
        "needed",
        "said",
        "says",
        "say",
        "told",
        "tell",
        "explained",
        "explains",
        "explain",
        "suggested",
        "suggest",
        "suggests",
        "agent",
        "assistant",
        "step",
        "steps",
        "using",
        "use",
        "used",
        "get",
        "got",
        "make",
        "made",
        "go",
        "going",
        "went",
        "try",
        "tried",
        "trying",
        "see",
        "saw",
        "look",
        "looked",
        "like",
        "think",
        "know",
        "well",
        "really",
        "something",
        "thing",
        "things",
        "way",
        "still",
        "already",
        "one",
        "two",
        "new",
        "next",
        "first",
        "last",
        "lot",
        "bit",
    ]
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[./\-][A-Za-z0-9_]+)*")
IDENTIFIER = re.compile(
    r"`[^`\n]{2,60}`"  # code spans
    r"|(?:[\w\-]+/)+[\w\-.]+"  # paths
    r"|\b[\w\-]+\.(?:py|ts|tsx|js|jsx|go|rs|rb|java|kt|md|toml|yaml|yml|json|sql|sh|ex|exs)\b"
    r"|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"  # snake_case
    r"|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b"  # CamelCase
    r"|\b[a-z]+(?:\.[a-z_]+)+\(?\)?"  # dotted.names
)
PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z0-9]+\b")
DETAIL = re.compile(r"\d|/|\.\w{2,4}\b|`|_|[a-z][A-Z]")

FILLER = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:the )?user (?:has |had )?(?:asked|asks|asking|wants|wanted|needs|needed|reported|"
        r"reports|says|said|mentioned|requested|is asking|would like)(?: me)?"
        r"(?: about| for| to| that| if| how)?\s+",
        r"^(?:i|we) (?:need|want|have|would like|'d like) to\s+",
        r"^how (?:do|can|should|would) (?:i|we|you)\s+",
        r"^how to\s+",
        r"^(?:can|could|would|will) you(?: please)?\s+",
        r"^(?:please|let'?s|asked about|asking about|question:|request:|task:)\s*",
    )
]
# A sentence that leans on the one before it is no fact on its own.
DANGLING = re.compile(r"^\s*(?:it|its|it's|this|that|these|those|they|then|still)\b", re.IGNORECASE)
VERBISH = re.compile(r"(?:ed|ing)$|^(?:takes?|makes?|uses?|gets?|sets?|runs?|returns?|adds?|does)$")
LEAD = re.compile(
    r"^(?:(?:now|next|then|also|ok|okay|so|and|but|great|thanks|thank you|perfect|good|cool)"
    r"[,!.:]?\s+)+",
    re.IGNORECASE,
)
CONTINUATION = re.compile(
    r"^\s*(?:it|its|it's|that|this|those|these|they|still|also|ok|okay|yes|no|now|then|thanks|"
    r"thank you|great|perfect|same|again|and|but)\b",
    re.IGNORECASE,
)
REQUEST = re.compile(
    r"^\s*(?:(?:the )?user |please|can you|could you|would you|how |what |why |where |when |"
    r"which |should |is there|are there|do you|does )",
    re.IGNORECASE,
)
CLEAN = re.compile(
    r"\b(?:no|without|zero|0) (?:errors?|failures?|failed|issues?|problems?|warnings?)\b",
    re.IGNORECASE,
)
POSITIVE = re.compile(
    r"\b(?:works?|worked|working|pass(?:es|ed)?|passing|fixed|resolved|succeed(?:s|ed)?|"
    r"success(?:ful)?|thanks?|thank you|great|perfect|done|green|correct|exactly|"
    r"looks good|lgtm|solved|clean)\b",
    re.IGNORECASE,
)
NEGATIVE = re.compile(
    r"\b(?:errors?|fail(?:s|ed|ing|ure)?|broken|breaks?|still|not work(?:ing)?|"
    r"doesn'?t work|didn'?t work|wrong|exception|traceback|crash(?:es|ed)?|undefined|cannot|"
    r"can'?t|unable|incorrect|nope|revert(?:ed)?|timed out|denied|refused)\b",
    re.IGNORECASE,
)
TYPE_RULES: list[tuple[ItemType, re.Pattern[str]]] = [
    (
        "convention",
        re.compile(
            r"\b(?:always|never|don'?t|do not|we use|convention|prefer(?:red)?|must|style|"
            r"naming|instead of)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "decision",
        re.compile(
            r"\b(?:decid(?:e|ed)|chose|choose|rather than|switch(?:ed)? to|went with|opted)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "bug",
        re.compile(
            r"\b(?:bug|errors?|exception|traceback|crash(?:es|ed)?|fails?|failing|broken|"
            r"regression|fix(?:ed|es)?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "todo",
        re.compile(r"\b(?:todo|later|follow[- ]up|not yet|remaining)\b", re.IGNORECASE),
    ),
    (
        "architecture",
        re.compile(
            r"\b(?:architecture|layer|service|component|depends on|schema|endpoint|queue|"
            r"module)\b",
            re.IGNORECASE,
        ),
    ),
]


def stem(word: str) -> str:
    """A crude stem, enough to match "caching", "cache" and "caches"."""
    word = word.lower()
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_terms(text: str) -> list[str]:
    """Stems of the words that carry the topic, in order of first use."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text):
        if word.lower() not in STOPWORDS and len(word) >= 3:
            seen.setdefault(stem(word), None)
    return list(seen)


def topic(text: str) -> str:
    """The topic of a request or observation: its first clause without the filler."""
    first = _unlead(next(iter(sentences(text)), ""))
    for pattern in FILLER:
        first = pattern.sub("", first, count=1)
    words = first.strip(" .!?;:,").split()[:SUBGOAL_WORDS]
    phrase = " ".join(words).strip(" ,;:")
    return phrase[:1].upper() + phrase[1:] if phrase else ""


def continues(observation: str, terms: Sequence[str], previous_terms: set[str]) -> bool:
    """Whether a step stays on the topic of the steps before it."""
    if not previous_terms:
        return False
    if CONTINUATION.match(observation):
        return True
    shared = previous_terms.intersection(terms)
    smaller = max(1, min(len(set(terms)), len(previous_terms)))
    return len(shared) >= 2 or (len(shared) >= 1 and len(shared) / smaller >= 0.25)


def focus(observation: str) -> str:
    """The sentence an observation is about: its last request or question ("Thanks, that
    works. Now how do I ...?" is about the question), else its first sentence."""
    parts = sentences(observation)
    asked = [part for part in parts if part.endswith("?") or REQUEST.match(_unlead(part))]
    return asked[-1] if asked else (parts[0] if parts else "")


def infer_subgoal(observation: str, action: str, history: Sequence[StepLike]) -> str:
    """The previous subgoal, word for word, while the topic continues; else a new topic. A
    later request in the observation ("That works. Now how do I ...?") is judged on its own."""
    previous = history[-1].subgoal if history else None
    sentence = focus(observation)
    parts = sentences(observation)
    later = bool(parts) and sentence != parts[0]
    if previous:
        same = [step for step in history if step.subgoal == previous]
        known = set(content_terms(previous))
        for step in same:
            known.update(content_terms(f"{step.observation} {step.action}"))
        judged = _unlead(sentence) if later else observation
        terms = content_terms(sentence if later else f"{observation} {action}")
        if continues(judged, terms, known):
            return previous
    return topic(sentence) or topic(action) or previous or "Continue the session"


def _unlead(text: str) -> str:
    return LEAD.sub("", text, count=1)


def summarise_state(observation: str, action: str) -> str:
    return clip(f"{clip(observation, 160)} Then: {clip(action, 160)}", 320)


def score_outcome(text: str) -> float:
    """Reward of an action from what followed it: success words high, failure words low."""
    text = CLEAN.sub("clean", text)
    good, bad = len(POSITIVE.findall(text)), len(NEGATIVE.findall(text))
    if good and not bad:
        return 0.9 if good >= 2 else 0.8
    if bad and not good:
        return 0.1 if bad >= 2 else 0.2
    if good and bad:
        return 0.6 if good > bad else 0.4
    return NEUTRAL


def final_reward(last: StepLike) -> float:
    """The last step has no next observation: judge what its action reports ("tests pass")."""
    return score_outcome(last.action)


def classify(text: str, default: ItemType = "implementation") -> ItemType:
    for item_type, pattern in TYPE_RULES:
        if pattern.search(text):
            return item_type
    return default


def concepts(text: str, limit: int = 5) -> list[str]:
    """Identifiers first, then proper names, then the most frequent content words."""
    found: dict[str, None] = {}
    for match in IDENTIFIER.findall(text):
        found.setdefault(match.strip("`()"), None)
    for match in PROPER.findall(text):
        if match.lower() not in STOPWORDS:
            found.setdefault(match, None)
    counts = Counter(
        word.lower()
        for word in WORD.findall(text)
        if word.lower() not in STOPWORDS and len(word) >= 4 and not VERBISH.search(word.lower())
    )
    for word, _ in counts.most_common(max(0, 3 - len(found))):
        found.setdefault(word, None)
    unique: dict[str, str] = {}
    for label in found:
        unique.setdefault(label.lower(), label)
    return list(unique.values())[:limit]


def reward_of(step: StepLike) -> float:
    return NEUTRAL if step.reward is None else step.reward


def mean_reward(steps: Sequence[StepLike]) -> float:
    return sum(reward_of(step) for step in steps) / len(steps) if steps else NEUTRAL


def facts(steps: Sequence[StepLike]) -> list[Fact]:
    """Declarative observation sentences and detailed actions, the best few."""
    quality = mean_reward(steps)
    candidates: dict[str, tuple[float, Fact]] = {}
    for step in steps:
        for text, from_action in _fact_sentences(step):
            fact = _fact(text, from_action, quality)
            key = " ".join(content_terms(text))
            if key and (key not in candidates or candidates[key][0] < fact.confidence):
                candidates[key] = (fact.confidence, fact)
    ranked = sorted(candidates.values(), key=lambda pair: -pair[0])
    return [fact for _, fact in ranked[:MAX_FACTS]]


def _fact_sentences(step: StepLike) -> Iterable[tuple[str, bool]]:
    for sentence in sentences(step.observation):
        if (
            len(sentence.split()) >= 5
            and not sentence.endswith("?")
            and not REQUEST.match(sentence)
            and not DANGLING.match(sentence)
        ):
            yield sentence.rstrip(), False
    for sentence in sentences(step.action):
        if len(sentence.split()) >= 4 and DETAIL.search(sentence):
            yield sentence.rstrip(), True


def _fact(text: str, from_action: bool, quality: float) -> Fact:
    item_type = classify(text)
    confidence = 0.5 + (0.15 if item_type in ("convention", "decision") else 0.0)
    confidence += 0.1 if DETAIL.search(text) else 0.0
    confidence += 0.1 if " because " in f" {text.lower()} " else 0.0
    confidence -= 0.1 if from_action and quality < 0.4 else 0.0
    confidence = min(0.9, max(0.3, confidence * (0.75 + 0.5 * quality)))
    return Fact(
        proposition=clip(text, 500),
        concepts=concepts(text) or content_terms(text)[:1],
        confidence=round(confidence, 3),
        type=item_type,
    )


def procedures(steps: Sequence[StepLike], subgoal: str) -> list[Procedure]:
    """Each failed attempt followed by a fix, then what worked over the whole trajectory."""
    found: list[Procedure] = []
    for index in range(len(steps) - 1):
        failed, fixed = steps[index], steps[index + 1]
        if reward_of(failed) <= 0.3 and reward_of(fixed) >= 0.7 and fixed.action.strip():
            found.append(_fix(failed, fixed, steps[index + 2 :], subgoal))
    worked = [step for step in steps if reward_of(step) >= NEUTRAL and step.action.strip()]
    if worked:
        found.append(_whole(steps, worked, subgoal))
    unique: dict[str, Procedure] = {}
    for procedure in found:
        unique.setdefault(" ".join(content_terms(procedure.instruction)), procedure)
    return list(unique.values())[:MAX_PROCEDURES]


def _fix(failed: StepLike, fixed: StepLike, after: Sequence[StepLike], subgoal: str) -> Procedure:
    problem = clip(next(iter(sentences(failed.observation)), failed.observation), 160)
    outcome = after[0].observation if after else fixed.state_summary or "it works"
    return Procedure(
        instruction=clip(fixed.action, 400),
        condition=f"When {problem[:1].lower()}{problem[1:]} and {clip(failed.action, 120)}"
        " did not work",
        expected_outcome=clip(outcome, 240),
        intent=subgoal,
        type=classify(f"{failed.observation} {fixed.action}", "bug"),
    )


def _whole(steps: Sequence[StepLike], worked: Sequence[StepLike], subgoal: str) -> Procedure:
    actions = list(dict.fromkeys(clip(step.action, 160) for step in worked[:5]))
    first = clip(next(iter(sentences(steps[0].observation)), steps[0].observation), 160)
    last = worked[-1]
    position = list(steps).index(last)
    outcome = (
        steps[position + 1].observation
        if position + 1 < len(steps)
        else last.state_summary or subgoal
    )
    subject = topic(focus(steps[0].observation)) or first
    return Procedure(
        instruction=clip("; then ".join(actions), 500),
        condition=f"When working on {subject[:1].lower()}{subject[1:]}" if subject else "",
        expected_outcome=clip(outcome, 240),
        intent=subgoal,
        type=classify(" ".join(actions)),
    )


def returns(steps: Sequence[StepLike], found: Sequence[Procedure]) -> list[float]:
    """How well each procedure achieved its intent: the rewards of the steps it came from."""
    overall = round(mean_reward(steps), 3)
    scores = []
    for procedure in found:
        source = [step for step in steps if _part_of(step, procedure)]
        scores.append(round(mean_reward(source), 3) if source else overall)
    return scores


def _part_of(step: StepLike, procedure: Procedure) -> bool:
    head = " ".join(step.action.split())[:60]
    return bool(head) and head in procedure.instruction
