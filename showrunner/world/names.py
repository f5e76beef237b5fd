"""The one name resolver: ids, names, aliases, titles, first and last names, numbered extras, near-misses.

A script names people and places loosely: ``"mira"``, ``"Mira Vance"``, ``"the Captain"`` (an alias),
``"Captain Vance"`` (a title before a last name), ``"Mira (V.O.)"`` (a delivery qualifier) or
``"Guard #3"`` (a numbered extra). :class:`Names` resolves every exact form to an id and never matches a
substring: ``"Tom"`` does not name ``"Tomas"``. A numbered extra (``"Messenger #2"`` beside a known
``"Messenger"``) is a different person, neither the known character nor a typo of it. An unresolved name
is a *near-miss* only when it is one or two edits from a known form, shares its first letter, and is not a
generic role or a numbered extra.
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
bystander onlooker neighbour neighbor citizen refugee prisoner inmate warden judge lawyer mayor
herald crier courier footman page steward innkeeper barkeep barmaid cook chef baker butcher blacksmith
smith groom stablehand porter doorman janitor cleaner technician tech engineer mechanic crewman crewmember
ensign cadet trooper marine deputy sheriff constable bailiff clerk secretary assistant aide orderly
paramedic surgeon patient victim witness suspect hostage official delegate envoy emissary ambassador
noble noblewoman nobleman peasant serf slave beggar urchin orphan traveller traveler pilgrim hermit
monster creature beast soldiers guardsman guardsmen archer archers rider riders mercenary assassin spy
""".split())
TITLES = frozenset("""
mr mrs ms miss mx dr doctor prof professor sir ser dame lady lord king queen prince princess captain capt
commander cmdr lieutenant lt sergeant sgt general admiral major colonel detective det inspector officer
agent father mother brother sister uncle aunt master mistress madam madame lady saint st the
""".split())
ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth another other".split())
# delivery qualifiers a script writes after a name: "Mira (V.O.)", "Tom (O.S.)", "Ana (hologram)"
QUALIFIER = re.compile(r"\s*[(\[]([^)\]]*)[)\]]\s*$")
_WORD = re.compile(r"[a-z0-9]+")


def norm(text: str) -> str:
    """Lowercase words joined by single spaces (punctuation dropped)."""
    return " ".join(_WORD.findall(text.lower()))


def split_qualifier(ref: str) -> tuple[str, str]:
    """``"Mira (V.O.)"`` → ``("Mira", "v o")``: the name and its normalised parenthetical ('' if none)."""
    m = QUALIFIER.search(ref)
    if not m:
        return ref.strip(), ""
    return ref[:m.start()].strip(), norm(m.group(1))


def extra_base(name: str) -> str | None:
    """The role of a numbered extra ('Guard #3', 'Messenger 2', 'Second Guard') or None."""
    words = norm(name).split()
    if len(words) >= 2 and words[-1].isdigit():
        return " ".join(words[:-1])
    if len(words) >= 2 and words[0] in ORDINALS:
        return " ".join(words[1:])
    return None


def is_generic(name: str) -> bool:
    """True for role names: 'Guard', 'Guard 2', 'Second Soldier', 'Old Woman', 'Man #3', 'Dock Worker'.

    A name is a role when every word is one, or when its head (last word) is one and it has no title
    ('Dock Worker', 'Palace Guard'; but 'Captain Guard' and 'Mira Guard' are not).
    """
    words = [w for w in norm(name).split() if not w.isdigit()]
    if not words:
        return False
    if all(w in GENERIC_ROLES for w in words):
        return True
    return len(words) == 2 and words[-1] in GENERIC_ROLES and words[0] not in TITLES


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
class Names:
    """Resolves names of characters (or locations) to ids; finds near-misses of unknown names."""

    forms: dict[str, str] = field(default_factory=dict)  # normalised form -> id (unambiguous forms only)
    display: dict[str, str] = field(default_factory=dict)  # id -> display name
    ambiguous: set[str] = field(default_factory=set)  # forms two entities share (e.g. a first name)
    _strong: dict[str, set[str]] = field(default_factory=dict)  # id, name, alias forms
    _weak: dict[str, set[str]] = field(default_factory=dict)  # first and last names
    extras: bool = True  # people have walk-ons ('Guard #3'); places do not ('Precinct 9' is a name)

    @classmethod
    def of(cls, items: Iterable[Character | Location]) -> Names:
        idx = cls()
        for it in items:
            idx.add(it)
        return idx

    def add(self, it: Character | Location) -> None:
        """Make a character or location resolvable (exact forms win over first and last names)."""
        self.display[it.id] = it.name
        self.extras = self.extras and isinstance(it, Character)
        for form in (it.id, it.id.replace("-", " "), it.name, *it.aliases):
            key = norm(form)
            if key:
                self._strong.setdefault(key, set()).add(it.id)
                self._settle(key)
        if isinstance(it, Character):
            words = norm(it.name).split()
            while len(words) > 1 and words[0] in TITLES:
                words = words[1:]
            for part in {words[0], words[-1]} if len(words) > 1 else set(words):
                if len(part) >= 3 and part not in GENERIC_ROLES:
                    self._weak.setdefault(part, set()).add(it.id)
                    self._settle(part)

    def _settle(self, key: str) -> None:
        ids = self._strong.get(key) or self._weak.get(key, set())
        if len(ids) == 1:
            self.forms[key] = next(iter(ids))
            self.ambiguous.discard(key)
        else:
            self.forms.pop(key, None)
            self.ambiguous.add(key)

    def candidates(self, ref: str) -> set[str]:
        """Every id ``ref`` could name exactly (an id wins; a shared alias gives several)."""
        if ref in self.display:
            return {ref}
        key = norm(split_qualifier(ref)[0])
        return set(self._strong.get(key, set())) or ({slugify(ref)} & set(self.display))

    def resolve(self, ref: str) -> str | None:
        """The id ``ref`` names (id, name, alias, title + name, unambiguous first/last name), else None."""
        if ref in self.display:
            return ref
        name = split_qualifier(ref)[0]
        if self.extras and extra_base(name) is not None:
            return None  # 'Guard #3' is an extra, never the known 'Guard'
        key = norm(name)
        if not key or key in self.ambiguous:
            return None
        hit = self.forms.get(key)
        if hit is None and slugify(name, fallback="") in self.display:
            hit = slugify(name)
        words = key.split()
        while hit is None and len(words) > 1 and words[0] in TITLES:
            words = words[1:]
            hit = self.forms.get(" ".join(words))
        return hit

    def find(self, ref: str) -> str | None:
        """``resolve``, else the one entity whose name occurs as whole words in ``ref`` ('Maren, the keeper')."""
        hit = self.resolve(ref)
        if hit is None and not (self.extras and extra_base(split_qualifier(ref)[0]) is not None):
            found = self.mentions(split_qualifier(ref)[0])
            hit = next(iter(found)) if len(found) == 1 else None
        return hit

    def is_extra(self, ref: str) -> bool:
        """A walk-on: a generic role ('Guard') or a numbered extra ('Messenger #2'), known or not."""
        name = split_qualifier(ref)[0]
        return self.extras and self.resolve(name) is None and (is_generic(name) or extra_base(name) is not None)

    def suggest(self, ref: str) -> str | None:
        """For an unknown name that is not an extra, the id it is most likely a typo of; else None."""
        name = split_qualifier(ref)[0]
        if self.resolve(name) is not None or self.is_extra(name) or norm(name) in self.ambiguous:
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
                if f" {form} " in low and form not in GENERIC_ROLES}

    def name(self, ident: str) -> str:
        return self.display.get(ident, ident)
