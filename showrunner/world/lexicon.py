"""Words the world knows: colours, body parts, garments, injuries, kin terms, and who a phrase belongs to.

Canon admission (:mod:`showrunner.world.admit`) and the continuity checks read the same vocabulary.
:meth:`World.tag <showrunner.world.state.World.tag>` turns a sentence into lowercase tokens with every
known character name replaced by ``@<id>``, so patterns such as ``@mira s red hair`` or ``my brother @tom``
are plain token matches. :func:`owner` answers "whose hair is this" only from a possessive
(``his``/``her``/``their`` with the nearest preceding name, or ``<name>'s``); a phrase introduced by
``the``/``a`` belongs to a stranger.
"""

from __future__ import annotations

import re

from showrunner.world.names import norm

# colour word -> the groups it is compatible with (overlapping groups: 'dark' fits black and brown)
HAIR_COLOURS: dict[str, set[str]] = {
    "black": {"black"}, "raven": {"black"}, "jet": {"black"}, "ebony": {"black"}, "dark": {"black", "brown"},
    "brown": {"brown"}, "brunette": {"brown"}, "chestnut": {"brown", "red"}, "mousy": {"brown", "blond"},
    "auburn": {"red", "brown"}, "red": {"red"}, "ginger": {"red"}, "copper": {"red"}, "russet": {"red"},
    "scarlet": {"red"}, "crimson": {"red"}, "blond": {"blond"}, "blonde": {"blond"}, "golden": {"blond"},
    "flaxen": {"blond"}, "fair": {"blond"}, "yellow": {"blond"}, "platinum": {"blond", "grey"},
    "silver": {"grey"}, "grey": {"grey"}, "gray": {"grey"}, "white": {"grey"}, "snowy": {"grey"},
    "ashen": {"grey"}, "salt": {"grey"}, "pepper": {"black", "grey"}, "pink": {"pink"}, "purple": {"purple"},
    "violet": {"purple"},
    "blue": {"blue"}, "green": {"green"}, "teal": {"green", "blue"}, "orange": {"red"},
}
EYE_COLOURS: dict[str, set[str]] = {
    "blue": {"blue"}, "azure": {"blue"}, "sapphire": {"blue"}, "ice": {"blue", "grey"}, "grey": {"grey"},
    "gray": {"grey"}, "silver": {"grey"}, "steel": {"grey", "blue"}, "steely": {"grey", "blue"},
    "green": {"green"}, "emerald": {"green"}, "jade": {"green"}, "hazel": {"green", "brown"},
    "brown": {"brown"}, "amber": {"brown", "gold"}, "dark": {"brown", "black"}, "chocolate": {"brown"},
    "honey": {"brown", "gold"}, "golden": {"gold"}, "gold": {"gold"}, "black": {"black", "brown"},
    "red": {"red"}, "crimson": {"red"}, "violet": {"violet"}, "purple": {"violet"}, "yellow": {"gold"},
}
GARMENT_COLOURS = set(HAIR_COLOURS) | set(EYE_COLOURS) | {"navy", "maroon", "khaki", "beige", "tan", "olive"}
GARMENTS = {"jacket", "coat", "dress", "shirt", "hoodie", "cloak", "robe", "robes", "uniform", "suit",
            "sweater", "scarf", "hat", "cap", "boots", "trousers", "pants", "skirt", "vest", "armor", "armour",
            "gown", "tunic", "blouse", "overcoat", "raincoat", "jumpsuit", "cape", "shawl", "kimono", "jeans",
            "overalls", "coveralls", "apron", "parka", "anorak", "poncho", "sari", "hakama", "jerkin", "doublet",
            "mantle", "smock", "leggings", "shorts", "blazer", "cardigan", "pullover", "jumper", "tights",
            "sandals", "shoes", "gloves", "mittens", "helmet", "hood", "veil", "turban", "bonnet", "beret",
            "spacesuit", "flightsuit", "wetsuit", "bodysuit", "tracksuit", "tuxedo", "waistcoat", "corset",
            "breeches", "greatcoat", "trenchcoat", "oilskins", "oilskin", "sweatshirt", "tee", "t-shirt",
            "tshirt", "attire", "clothes", "garb", "outfit", "livery", "vestments", "chainmail",
            "fatigues", "scrubs", "pyjamas", "pajamas", "nightgown", "gi", "yukata", "coat"}
PARTS = {"eye", "eyes", "cheek", "arm", "hand", "leg", "brow", "eyebrow", "jaw", "shoulder", "ear", "temple",
         "lip", "chin", "neck", "wrist", "forearm", "knee", "ankle", "foot", "palm", "side", "hip", "thigh"}
SIDES = {"left": "right", "right": "left"}
MARK_NOUNS = {"scar", "scars", "scarred", "tattoo", "tattooed", "burn", "patch", "prosthetic", "mechanical",
              "metal", "birthmark", "brand", "branded", "cybernetic", "eyepatch", "missing"}
INJURY_NOUNS = {"sling", "cast", "bandage", "bandaged", "bandages", "broken", "wound", "wounded", "injured",
                "splint", "limp", "limps", "limping", "bruised", "bleeding", "cut", "gash", "stitches",
                "stitched", "fractured", "sprained", "burned", "burnt", "shot"}
KIN: dict[str, str] = {
    **dict.fromkeys(("father", "mother", "dad", "mum", "mom", "papa", "mama", "parent", "son", "daughter",
                     "child", "stepfather", "stepmother", "stepson", "stepdaughter"), "lineal"),
    **dict.fromkeys(("brother", "sister", "sibling", "twin", "stepbrother", "stepsister"), "sibling"),
    **dict.fromkeys(("husband", "wife", "spouse"), "spouse"),
    **dict.fromkeys(("grandfather", "grandmother", "grandson", "granddaughter", "grandparent", "grandchild",
                     "grandpa", "grandma", "granny"), "grand"),
    **dict.fromkeys(("uncle", "aunt", "nephew", "niece", "auntie"), "avuncular"),
    "cousin": "cousin",
}
# canon relation kinds (fact predicates, Relation.kind) -> kin category
CANON_KIN: dict[str, str] = {
    **KIN, "parent_of": "lineal", "child_of": "lineal", "sibling_of": "sibling", "married": "spouse",
    "married_to": "spouse", "spouse_of": "spouse", "twin_of": "sibling", "half_sibling": "sibling",
    "half-sibling": "sibling", "grandparent_of": "grand", "uncle_of": "avuncular", "aunt_of": "avuncular",
    "cousin_of": "cousin", "children": "lineal", "parents": "lineal", "siblings": "sibling",
}
POSSESSIVE = {"his", "her", "their", "its"}
# a line or an appearance that is not the person physically there: voice-over, recordings, calls, holograms,
# memories, visions, letters (O.S. is off screen but present, so it is *not* here)
NOT_PRESENT = re.compile(r"\b(v\.?\s?o\.?|voice[- ]?over|narrat\w*|record(ed|ing|ings)?|tape|tapes|voicemail|"
                         r"message|radio|phone|call|hologram|holographic|projection|broadcast|video|footage|"
                         r"screen|memory|memories|flashback|dream|vision|hallucinat\w*|imagined|ghost|spirit|"
                         r"echo|letter|diary|journal|portrait|photo|photograph|statue)\b", re.I)


def owner(toks: list[str], det: int, antecedent: str | None = None) -> str | None:
    """Whose is the phrase whose determiner sits at ``det``: ``<name> s``, or a pronoun's referent.

    A possessive pronoun refers to the nearest name before it, else the first name after it in the
    sentence ("her right eye as Mira turns"), else ``antecedent`` (the last character named before).
    """
    if det < 0:
        return None
    word = toks[det]
    if word == "s" and det > 0 and toks[det - 1].startswith("@"):
        return toks[det - 1][1:]
    if word in POSSESSIVE:
        for j in range(det - 1, max(-1, det - 12), -1):
            if toks[j].startswith("@"):
                return toks[j][1:]
        for j in range(det + 1, min(len(toks), det + 9)):
            if toks[j].startswith("@"):
                return toks[j][1:]
        return antecedent
    return None


def names_in(toks: list[str]) -> list[str]:
    return [t[1:] for t in toks if t.startswith("@")]


def colours(text: str, table: dict[str, set[str]]) -> set[str]:
    """The colour groups named in a canon value such as 'short silver hair' (empty if none)."""
    groups: set[str] = set()
    for w in norm(text).split():
        groups |= table.get(w, set())
    return groups


def sides_parts(text: str) -> set[tuple[str, str]]:
    """(side, body part) pairs in a value such as 'scar over the left eye' or 'broken right arm'."""
    toks = norm(text).split()
    out = set()
    for i, t in enumerate(toks):
        if t in SIDES:
            for p in toks[i + 1:i + 3]:
                if p in PARTS:
                    out.add((t, p.rstrip("s") if p != "eyes" else "eye"))
                    break
    return out
