"""Each deterministic continuity check fires on a planted error and stays silent on its controls."""

from __future__ import annotations

from showrunner.continuity import check_episode
from showrunner.models import (
    Character,
    DialogueLine,
    Episode,
    Fact,
    FactKind,
    FixedLook,
    Location,
    Relation,
    Scene,
    SceneRef,
    Shot,
)

CHARS = [
    Character(name="Mira Vance", aliases=["the Captain"], look=FixedLook(hair="short silver hair", eyes="green eyes",
                                                                       marks=["scar over the left eye"])),
    Character(name="Tom Vance", relations=[Relation(kind="sibling", target="mira-vance")]),
    Character(name="Ann Holt"),
    Character(name="Anna Brisk"),
    Character(name="Lena Marsh"),
    Character(name="Jonas Reed", look=FixedLook(hair="black hair")),
]
LOCS = [Location(name="Harbour"), Location(name="Lighthouse"), Location(name="Lamp Room", parent="Lighthouse")]


def ref(e: int, s: int | None = None) -> SceneRef:
    return SceneRef(episode=e, scene=s)


FACTS = [
    Fact(kind=FactKind.status, subject="jonas-reed", predicate="status", object="dead", valid_from=ref(3, 2)),
    Fact(kind=FactKind.status, subject="lena-marsh", predicate="status", object="missing", valid_from=ref(2, 1)),
    Fact(kind=FactKind.possession, subject="mira-vance", predicate="holds", object="the brass key",
         valid_from=ref(1, 1), valid_until=ref(4, 3)),
    Fact(kind=FactKind.possession, subject="tom-vance", predicate="holds", object="the silver compass",
         valid_from=ref(1, 1)),
    Fact(kind=FactKind.current_appearance, subject="tom-vance", predicate="injury", object="broken left arm",
         valid_from=ref(5, 1)),
    Fact(kind=FactKind.current_appearance, subject="mira-vance", predicate="outfit", object="red flight jacket",
         valid_from=ref(5, 1)),
    Fact(kind=FactKind.event, subject="harbour-fire", predicate="occurs", object="the harbour fire",
         valid_from=ref(7, 2)),
]


def run(*scenes: Scene, number: int = 5, facts: list[Fact] | None = None, shots: list[Shot] | None = None):
    ep = Episode(number=number, title="t", scenes=list(scenes))
    return check_episode(ep, characters=CHARS, locations=LOCS, facts=FACTS + (facts or []), shots=shots)


def codes(findings) -> list[tuple[str, int | None]]:
    return [(f.code, f.scene) for f in findings]


def sc(n: int = 1, loc: str = "Harbour", chars=("Mira Vance",), **kw) -> Scene:
    return Scene(number=n, location=loc, characters=list(chars), **kw)


def test_dead_character_speaking_cites_the_death():
    out = run(sc(2, chars=["Mira Vance", "Jonas Reed"], dialogue=[DialogueLine(speaker="Jonas", text="Hello.")]))
    assert codes(out) == [("dead_character_speaks", 2)]
    assert out[0].established == ref(3, 2) and out[0].line == 0 and "E3 S2" in out[0].message


def test_dead_character_on_screen_via_shot():
    out = run(sc(1), shots=[Shot(scene=1, number=2, characters=["jonas-reed"], action="Jonas waves.")])
    assert codes(out) == [("dead_character_on_screen", 1)] and out[0].shot == "s01-02"


def test_dead_controls_flashback_dream_mention_body_recording_death_scene_and_return():
    assert run(sc(1, chars=["Jonas Reed"], flashback=True), sc(2, chars=["Jonas Reed"], dream=True)) == []
    talk = sc(1, dialogue=[DialogueLine(speaker="Mira Vance", text="Jonas Reed is dead. I saw it.")])
    body = sc(2, chars=["Mira Vance", "Jonas Reed"], action=["Mira kneels by Jonas's body."])
    tape = sc(3, dialogue=[DialogueLine(speaker="Jonas Reed", text="If you hear this...", direction="recording")])
    assert run(talk, body, tape) == []
    assert run(sc(2, chars=["Jonas Reed"]), number=3) == []  # he dies in that scene
    back = [Fact(kind=FactKind.status, subject="jonas-reed", predicate="status", object="returned",
                 valid_from=ref(4, 1))]
    assert run(sc(1, chars=["Jonas Reed"]), facts=back) == []


def test_missing_character_is_a_warning():
    out = run(sc(1, chars=["Lena Marsh"]))
    assert codes(out) == [("missing_character_on_screen", 1)] and out[0].severity == "warning"


def test_near_miss_names_and_their_controls():
    out = run(sc(1, loc="Harbor", chars=["Mria Vance", "Tom Vance"]))
    assert sorted(codes(out)) == [("near_miss_name", 1), ("near_miss_name", 1)]
    clean = sc(2, chars=["the Captain", "Guard", "Guard 2", "Ann", "Anna", "Old Fisherman", "Tom"])
    assert run(clean) == []


def test_fixed_appearance_hair_eyes_scar():
    planted = [sc(1, action=["Mira tugs at her long blonde hair."]),
               sc(2, action=["Rain runs down the scar over Mira's right eye."]),
               sc(3, action=["The brown-eyed Mira squints."])]
    assert codes(run(*planted)) == [("fixed_appearance_contradiction", n) for n in (1, 2, 3)]
    controls = [sc(1, action=["Mira pushes back her silver hair; the scar over her left eye itches."]),
                sc(2, action=["Mira meets a stranger with long blonde hair."]),
                sc(3, action=["Mira, in a blonde wig, slips past the guards."]),
                sc(4, flashback=True, action=["Young Mira shakes her black hair."])]
    assert run(*controls) == []


def test_current_state_outfit_injury_lost_prop():
    planted = [sc(2, action=["Mira zips her blue jacket."]),
               sc(3, chars=["Tom Vance"], action=["Tom cradles his right arm in its sling."])]
    assert codes(run(*planted)) == [("current_appearance_contradiction", 2), ("current_appearance_contradiction", 3)]
    lost = sc(1, action=["Mira unlocks the door with the brass key."])
    assert codes(run(lost, number=6)) == [("lost_item_reappears", 1)]
    controls = [sc(1, action=["Mira searches the sand for the brass key."]),
                sc(2, action=["Mira changes into a blue jacket."]), sc(3, action=["Mira zips her blue jacket."])]
    assert run(*controls, number=6) == []


def test_possession_held_by_another():
    out = run(sc(1, chars=["Mira Vance", "Tom Vance"], action=["Mira reads the silver compass."]))
    assert codes(out) == [("possession_contradiction", 1)]
    handed = sc(1, chars=["Mira Vance", "Tom Vance"], action=["Tom hands Mira the silver compass. Tom reads it."])
    assert run(handed) == []


def test_relationship_contradiction_and_figurative_control():
    out = run(sc(1, chars=["Mira Vance", "Tom Vance"],
                 dialogue=[DialogueLine(speaker="Mira Vance", text="This is my father Tom.")]))
    assert codes(out) == [("relationship_contradiction", 1)]
    fine = sc(1, chars=["Mira Vance", "Tom Vance", "Ann Holt"], dialogue=[
        DialogueLine(speaker="Mira Vance", text="This is my brother Tom."),
        DialogueLine(speaker="Tom Vance", text="And you, my sister Ann, are family too.")])
    assert run(fine) == []


def test_two_places_and_time_order():
    a = sc(1, loc="Harbour", chars=["Mira Vance"], start=10, end=11)
    b = sc(2, loc="Lighthouse", chars=["Mira Vance"], start=10.5, end=12)
    c = sc(3, loc="Harbour", chars=["Mira Vance"], start=8, end=9)
    assert codes(run(a, b, c)) == [("two_places_at_once", 2), ("time_goes_backwards", 3)]
    sub = sc(2, loc="Lamp Room", chars=["Mira Vance"], start=10.5, end=12)
    house = sc(1, loc="Lighthouse", chars=["Mira Vance"], start=10, end=11)
    fb = sc(3, loc="Harbour", chars=["Mira Vance"], start=2, end=3, flashback=True)
    guards = [sc(4, loc="Harbour", chars=["Guard"], start=13, end=14),
              sc(5, loc="Lighthouse", chars=["Guard"], start=13, end=14)]
    assert run(house, sub, fb, *guards) == []


def test_event_referenced_before_it_happens():
    out = run(sc(1, dialogue=[DialogueLine(speaker="Mira Vance", text="Ever since the harbour fire, nobody sails.")]))
    assert codes(out) == [("event_out_of_order", 1)]
    ok = [sc(1, dialogue=[DialogueLine(speaker="Mira Vance", text="If the harbour fire comes, we run.")])]
    assert run(*ok) == [] and codes(run(*[sc(3, action=["Since the harbour fire, the quay is black."])],
                                        number=8)) == []
    death = [sc(1, dialogue=[DialogueLine(speaker="Mira Vance", text="Jonas is dead, and I know it.")])]
    assert codes(run(*death, number=2)) == [("event_out_of_order", 1)]
