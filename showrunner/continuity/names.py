"""Name resolution for the continuity engine: ids, names, aliases, first names, generic roles, near-misses.

A script names people and places loosely: ``"mira"``, ``"Mira Vance"``, ``"the Captain"`` (an alias) or
``"Guard 2"``. :class:`NameIndex` resolves every exact form to an id and never calls an exact alias an
error. An unresolved name is a *near-miss* only when it is one or two edits from a known form, shares its
first letter, and is not a generic role (``Guard``, ``Soldier #2``, ``Old Woman``): two different extras
called "Guard" are normal, not a typo and not an identity conflict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from showrunner.models import Character, Location, slugify

GENERIC_ROLES = frozenset("""
guard guards soldier soldiers officer cop police policeman policewoman nurse doctor medic waiter waitress
bartender driver pilot servant maid butler man woman men women boy girl child children kid kids crowd
villager villagers farmer merchant vendor shopkeeper clerk receptionist priest monk nun knight squire
sailor pirate captain sergeant lieutenant private agent reporter journalist student teacher stranger
thug henchman goon bandit thief passenger customer patron worker miner fisherman fisherwoman king queen
prince princess lord lady narrator voice announcer messenger scout sentry watchman gatekeeper attendant
old young elderly first second third fourth fifth another tall short masked hooded other the a an
bystander onlooker neighbour neighbor citizen refugee prisoner inmate warden judge lawyer clerk mayor
""".split())

_WORD = re.compile(r"[a-z0-9]+")


def norm(text: str) -> str:
    """Lowercase words joined by single spaces (punctuation dropped)."""
    return " ".join(_WORD.findall(text.lower()))


def is_generic(name: str) -> bool:
    """True for role names such as 'Guard', 'Guard 2', 'Second Soldier', 'Old Woman', 'Man #3'."""
    words = norm(name).split()
    return bool(words) and all(w in GENERIC_ROLES or w.isdigit() for w in words)


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance: a swap of two letters costs one."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def near_miss(unknown: str, known: str) -> bool:
    """A plausible typo: same first letter, 1 edit (2 for names of 7+ letters), similarity >= 0.75."""
    a, b = norm(unknown), norm(known)
    if not a or not b or a == b or a[0] != b[0]:
        return False
    limit = 2 if min(len(a), len(b)) >= 7 else 1
    if abs(len(a) - len(b)) > limit:
        return False
    return edit_distance(a, b) <= limit and SequenceMatcher(None, a, b).ratio() >= 0.75


@dataclass
class NameIndex:
    """Resolves names and ids of characters (or locations) to ids; finds near-misses of unknown names."""

    forms: dict[str, str] = field(default_factory=dict)  # normalised form -> id
    display: dict[str, str] = field(default_factory=dict)  # id -> display name
    ambiguous: set[str] = field(default_factory=set)  # forms shared by two entities (e.g. first names)

    @classmethod
    def of(cls, items: Iterable[Character | Location]) -> NameIndex:
        idx = cls()
        items = list(items)
        for it in items:  # exact forms first: id, full name, aliases
            idx.display[it.id] = it.name
            for form in (it.id, it.id.replace("-", " "), it.name, *it.aliases):
                idx._add(form, it.id, strong=True)
        for it in items:  # then first and last names, unless ambiguous or generic
            if isinstance(it, Character):
                words = norm(it.name).split()
                for part in {words[0], words[-1]} if len(words) > 1 else set():
                    if len(part) >= 3 and part not in GENERIC_ROLES:
                        idx._add(part, it.id, strong=False)
        return idx

    def _add(self, form: str, ident: str, *, strong: bool) -> None:
        key = norm(form)
        if not key:
            return
        have = self.forms.get(key)
        if have is None:
            self.forms[key] = ident
        elif have != ident and not strong:
            self.ambiguous.add(key)

    def resolve(self, name: str) -> str | None:
        """The id for ``name`` (id, name, alias, or an unambiguous first/last name), else None."""
        key = norm(name)
        if key in self.ambiguous:
            return None
        hit = self.forms.get(key)
        if hit is None and slugify(name) in self.display:
            hit = slugify(name)
        return hit

    def suggest(self, name: str) -> str | None:
        """For an unknown, non-generic name, the id it is most likely a typo of; None when no near-miss."""
        if self.resolve(name) is not None or is_generic(name) or norm(name) in self.ambiguous:
            return None
        best: tuple[float, str] | None = None
        for form, ident in self.forms.items():
            if near_miss(name, form):
                score = SequenceMatcher(None, norm(name), form).ratio()
                if best is None or score > best[0]:
                    best = (score, ident)
        return best[1] if best else None

    def mentions(self, text: str) -> set[str]:
        """Ids of the entities whose name, alias or first/last name occurs as whole words in ``text``."""
        low = f" {norm(text)} "
        return {ident for form, ident in self.forms.items()
                if form not in self.ambiguous and f" {form} " in low and form not in GENERIC_ROLES}

    def name(self, ident: str) -> str:
        return self.display.get(ident, ident)
