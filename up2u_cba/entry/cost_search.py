"""Finding unit costs by words or by code: the one ranking that `costs search`, guided entry and
the correction of stored cases share, and the short menu lines that tell similar costs apart.

Words are matched at the start of words (``alc`` finds alcohol), after a light stemming
(``children's``, ``childrens`` and ``child`` are one word) and with a few synonyms (``abuse``
finds domestic violence). A cost that contains every word ranks above one that contains some;
then words found in the description or outcome detail weigh more than in the agency, the
category or theme, and those more than in the comment; an exact phrase beats scattered words;
ties go in code order (parents before their parts). The table is indexed once (``Index``), so a
query costs one pass over the table's vocabulary and the costs its words appear in.
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import re

from up2u_cba import models
from up2u_cba.inputs import unit_costs

FIELD_WEIGHTS = {"description": 6, "outcome_detail": 6, "agency": 4, "category": 2, "theme": 2, "comment": 1}
"""How much a word found in each field counts: the description and outcome detail most, the comment least."""
CODE_WEIGHT = 100
"""A word that is a cost's code, or the start of it (``CR2`` for CR2.0 and its parts): above any
word found in the text (where a code may be named, as in 'do not count with CR2.0')."""
PHRASE_FIELDS = ("description", "outcome_detail", "agency")
"""Fields where the words typed, one after another, count as the exact phrase."""
PHRASE_BONUS = 4
"""Added once when the words typed appear one after another, as typed, in a phrase field."""

MAX_TERMS = 20
"""Words of one query searched for: a paragraph pasted by mistake is not searched word by word."""
STOP_WORDS = frozenset("a an and at by for from in into of on or per the to with".split())
"""Words too common to search for (unless nothing else was typed)."""
IRREGULAR = {"children": "child", "people": "person", "women": "woman", "men": "man", "wives": "wife",
             "lives": "life", "kid": "child", "kids": "child"}
"""Words whose other form is not the word plus s."""
SYNONYMS = {"abuse": ("violence", "misuse"), "abusive": ("violence",), "drink": ("alcohol",),
            "drinking": ("alcohol",), "drug": ("substance",), "cop": ("police",)}
"""Words a programme manager types for what the GMCA tables call by another name."""

CODE_PATTERN = re.compile(r"^[A-Za-z&-]+\s*\d+(\.\d+)*\.?$")
"""What a typed unit cost code looks like: letters then numbers (``CR2.0``, ``E&S1.0``, ``BCP-SS1``)."""


def stem(word: str) -> str:
    """One form for a word's singular, plural and possessive (``childrens`` -> ``child``)."""
    word = word.lower()
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith("s") and word[:-1] in IRREGULAR:
        return IRREGULAR[word[:-1]]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_of(text: str) -> list[str]:
    """The words of ``text`` as typed, lower case, possessives dropped (``children's`` -> ``children``)."""
    text = re.sub(r"['\u2019]s\b|(?<=s)['\u2019]", "", text.lower())
    return re.findall(r"[a-z0-9]+", text)


def terms_of(text: str) -> list[str]:
    """The words of a query worth searching for: a code kept whole (``cr2.0``), stop words left
    out unless there is nothing else."""
    found = []
    for token in text.split():
        found.extend([token.lower()] if looks_like_code(token) else words_of(token))
    kept = [word for word in found if word not in STOP_WORDS]
    return (kept or found)[:MAX_TERMS]


def find_code(text: str, costs: dict[str, models.UnitCost]) -> models.UnitCost | None:
    """The cost whose code is ``text``, in any case and with spaces around it ignored, or None."""
    wanted = text.strip().upper()
    if not wanted:
        return None
    if wanted in costs:
        return costs[wanted]
    return next((cost for code, cost in costs.items() if code.strip().upper() == wanted), None)


def looks_like_code(text: str) -> bool:
    """True if ``text`` is typed as a unit cost code would be (``HE1.9``), not as words."""
    return bool(CODE_PATTERN.match(text.strip())) and any(character.isdigit() for character in text)


@dataclasses.dataclass(frozen=True)
class Matches:
    """What a search found: every matching cost, best first, and how many contain every word."""

    query: str
    costs: list[models.UnitCost]
    complete: int
    """How many of ``costs`` (the first ones) contain every word searched for."""

    def __len__(self) -> int:
        return len(self.costs)


@dataclasses.dataclass
class _Entry:
    cost: models.UnitCost
    code: str
    fields: dict[str, list[str]]
    """Each phrase field as its stemmed words, in order."""


class Index:
    """A unit cost table made ready for searching: built once, then searched per query."""

    def __init__(self, costs: dict[str, models.UnitCost]):
        self.costs = costs
        self.entries: list[_Entry] = []
        self.postings: dict[str, dict[int, int]] = collections.defaultdict(dict)
        """word (as typed or stemmed) -> entry number -> the weights of the fields it is in"""
        self.exact: dict[str, dict[int, int]] = collections.defaultdict(dict)
        """stemmed word -> entry number -> the weights of the fields it is in"""
        stems: dict[str, str] = {}
        for number, cost in enumerate(costs.values()):
            texts = {"description": cost.description, "outcome_detail": cost.outcome_detail,
                     "agency": f"{cost.agency_1} {cost.agency_2}", "category": cost.category,
                     "theme": cost.theme, "comment": cost.comment}
            fields = {}
            for name, text in texts.items():
                raw = words_of(text)
                stemmed = [stems.get(word) or stems.setdefault(word, stem(word)) for word in raw]
                if name in PHRASE_FIELDS:
                    fields[name] = stemmed
                weight = FIELD_WEIGHTS[name]
                for word in {*raw, *stemmed}:
                    found = self.postings[word]
                    found[number] = found.get(number, 0) + weight
                for word in set(stemmed):
                    found = self.exact[word]
                    found[number] = found.get(number, 0) + weight
            self.entries.append(_Entry(cost=cost, code=cost.code.strip().lower(), fields=fields))
        self.vocabulary = tuple(self.postings)

    def search(self, query: str, narrowing: str = "") -> Matches:
        """Costs matching any word of ``query`` (and, with ``narrowing``, every word of it too),
        best first."""
        terms = terms_of(query)
        required = terms_of(narrowing) if narrowing.strip() else []
        scores: dict[int, int] = {}
        matched: dict[int, int] = {}
        must: dict[int, int] = {}
        for term in [*terms, *required]:
            found = self._term(term)
            for number, weight in found.items():
                scores[number] = scores.get(number, 0) + weight
                matched[number] = matched.get(number, 0) + 1
            if term in required:
                for number in found:
                    must[number] = must.get(number, 0) + 1
        every = len(terms) + len(required)
        wanted = [number for number in matched if must.get(number, 0) >= len(required)]
        phrase = [*terms, *required]
        ranked = sorted(wanted, key=lambda number: (
            -matched[number],
            -(scores[number] + (PHRASE_BONUS if matched[number] == every and self._phrase(number, phrase) else 0)),
            unit_costs.code_order(self.entries[number].code)))
        complete = sum(1 for number in ranked if matched[number] == every)
        shown = f"{query} + {narrowing}" if required else query
        return Matches(query=" ".join(shown.split()), costs=[self.entries[number].cost for number in ranked],
                       complete=complete)

    def respelled(self, query: str) -> str | None:
        """``query`` with each word that finds nothing put as the most alike word the table has
        (``alcahol`` -> ``alcohol``), or None if no word could be put right."""
        words, changed = [], False
        for word in words_of(query):
            alike = [] if word in STOP_WORDS or len(word) < 3 or self._term(word) else \
                difflib.get_close_matches(word, self.vocabulary, n=1, cutoff=0.75)
            words.append(alike[0] if alike else word)
            changed = changed or bool(alike)
        return " ".join(words) if changed else None

    def _term(self, term: str) -> dict[int, int]:
        """Entry number -> weight, for every cost that ``term`` is found in (a word starting with it,
        in any field; the whole word weighs double; a code, or the start of one, most)."""
        found: dict[int, int] = {}
        stems = {stem(term), *(stem(other) for other in SYNONYMS.get(term, ()))}
        starts = (term, *stems)
        for word in self.vocabulary:
            if word.startswith(starts):
                for number, weight in self.postings[word].items():
                    found[number] = max(found.get(number, 0), weight)
        for word in stems:
            for number, weight in self.exact.get(word, {}).items():
                found[number] = max(found.get(number, 0), 2 * weight)
        if looks_like_code(term):
            for number, entry in enumerate(self.entries):
                if entry.code == term.rstrip(".") or entry.code.startswith(term.rstrip(".") + "."):
                    found[number] = CODE_WEIGHT  # the code alone ranks these: in code order
        return found

    def _phrase(self, number: int, terms: list[str]) -> bool:
        """True if ``terms`` appear one after another in one of the entry's phrase fields."""
        if len(terms) < 2:
            return False
        wanted = [stem(term) for term in terms]
        for name in PHRASE_FIELDS:
            words = [word for word in self.entries[number].fields[name] if word not in STOP_WORDS]
            for start in range(len(words) - len(wanted) + 1):
                if all(words[start + offset].startswith(term) for offset, term in enumerate(wanted)):
                    return True
        return False


def search(words: list[str] | str, costs: dict[str, models.UnitCost]) -> Matches:
    """Search ``costs`` once (for a repeated search, keep an ``Index``)."""
    return Index(costs).search(words if isinstance(words, str) else " ".join(words))


def menu_lines(descriptions: list[str], width: int) -> list[str]:
    """Each description cut to ``width`` characters so that no two read the same: a long one
    keeps its first words and, for every other that shares them, the words where the two part
    (with the word before), the shared stretches between elided as "…"; then the kept stretches
    grow in turn while they fit."""
    words = [text.split() for text in descriptions]
    return [_told_apart(index, words, width) for index in range(len(words))]


def _told_apart(index: int, words: list[list[str]], width: int) -> str:
    mine = words[index]
    if len(" ".join(mine)) <= width:
        return " ".join(mine)
    keep: set[int] = set()
    length = 0
    for position, word in enumerate(mine):  # the first words, to say what it is
        if keep and length + len(word) > width // 4:
            break
        keep.add(position)
        length += len(word) + 1
    for position, other in enumerate(words):
        if position == index or other == mine:
            continue
        first = _common_start(mine, other)
        last = max(len(mine) - _common_start(mine[::-1], other[::-1]), first + 1)
        if first < len(mine) and not any(first <= kept < last for kept in keep):
            keep.update({max(first - 1, 0), first})
    while True:  # widen every kept stretch by a word in turn while the line fits
        grown = False
        for position in sorted(keep):
            if position + 1 < len(mine) and position + 1 not in keep and \
                    len(_joined(mine, keep | {position + 1})) <= width:
                keep.add(position + 1)
                grown = True
        if not grown:
            break
    shown = _joined(mine, keep)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _joined(words: list[str], keep: set[int]) -> str:
    """The kept words, "…" where words are left out."""
    parts: list[str] = []
    previous = -1
    for position in sorted(keep):
        if position != previous + 1:
            parts.append("…")
        parts.append(words[position])
        previous = position
    if previous < len(words) - 1:
        parts.append("…")
    return " ".join(parts)


def _common_start(one, other) -> int:
    """How many items (characters, words) two sequences share at their start."""
    length = 0
    for first, second in zip(one, other):
        if first != second:
            break
        length += 1
    return length
