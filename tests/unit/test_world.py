"""The pure world package: one resolver, world state at a point, admission, shot specs."""

from __future__ import annotations

from showrunner.models import (
    Character,
    CurrentLook,
    DialogueLine,
    Episode,
    Fact,
    FactKind,
    FixedLook,
    Location,
    Scene,
    SceneRef,
    Shot,
)
from showrunner.world import Names, World
from showrunner.world.admit import admit, new_names
from showrunner.world.facts import bible_facts
from showrunner.world.shots import clean_action, on_screen, shot_spec

MIRA = Character(name="Mira Vance", aliases=["the Captain"], look=FixedLook(hair="salt-white braid"),
                 state=CurrentLook(outfit="grey oilskin coat"))
TOM = Character(name="Tom Vance")
MESSENGER = Character(name="Messenger")
TOMAS = Character(name="Tomas Reed")
HARBOUR = Location(name="Harbour", variants=[])
INN = Location(name="Saltmarsh Inn")


def at(ep: int, sc: int | None = None) -> SceneRef:
    return SceneRef(episode=ep, scene=sc)


def test_one_resolver_titles_aliases_extras_never_substrings() -> None:
    people = Names.of([MIRA, TOM, MESSENGER, TOMAS])
    assert people.resolve("mira vance") == "mira-vance"
    assert people.resolve("The Captain") == "mira-vance"
    assert people.resolve("Captain Mira Vance") == "mira-vance"  # a title before a known name
    assert people.resolve("Mira (V.O.)") == "mira-vance"  # a delivery qualifier
    assert people.resolve("Vance") is None  # shared by Mira and Tom: ambiguous, never a guess
    assert people.resolve("Tom") == "tom-vance" and people.resolve("Tomas") == "tomas-reed"
    assert people.find("Tomasz") is None  # no substring or prefix match
    assert people.resolve("Messenger #2") is None and people.is_extra("Messenger #2")
    assert people.suggest("Messenger #2") is None  # a numbered extra is not a typo of 'Messenger'
    assert people.suggest("Mira Vanse") == "mira-vance"  # a real typo is
    places = Names.of([HARBOUR, Location(name="Precinct 9")])
    assert places.resolve("Precinct 9") == "precinct-9" and places.suggest("Precint 9") == "precinct-9"


def test_world_at_a_point_follows_facts_in_time() -> None:
    facts = [Fact(kind=FactKind.status, subject="Tom Vance", predicate="status", object="dead", valid_from=at(3, 5),
                  source="E3 S4: death"),
             Fact(kind=FactKind.current_appearance, subject="mira-vance", predicate="outfit",
                  object="red flight jacket", valid_from=at(12, 2)),
             Fact(kind=FactKind.whereabouts, subject="mira-vance", predicate="at", object="Saltmarsh Inn",
                  valid_from=at(2, 1))]
    world = World([MIRA, TOM], [HARBOUR, INN], facts)
    assert world.at(3, 4).alive("tom-vance") and not world.at(3, 5).alive("tom-vance")
    assert world.at(2, 2).where["mira-vance"] == "saltmarsh-inn"
    assert world.look("mira-vance", 12, 1).state.outfit == "grey oilskin coat"  # type: ignore[union-attr]
    later = world.look("mira-vance", 30, 1)
    assert later is not None and later.state.outfit == "red flight jacket" and later.look.hair == "salt-white braid"


def test_bible_and_canon_share_one_derivation() -> None:
    from showrunner.models import Bible

    bible = Bible(title="T", logline="L", world_rules=["Fog eats light.", "The dead stay dead."],
                  characters=[MIRA], locations=[HARBOUR])
    facts = bible_facts(bible)
    rules = [f for f in facts if f.kind == FactKind.world_rule]
    assert {f.predicate for f in rules} == {"rule"} and len({f.id for f in rules}) == 2
    assert any(f.kind == FactKind.status and f.object == "alive" for f in facts)


def test_admission_keeps_junk_out_of_canon() -> None:
    world = World([MIRA], [HARBOUR], [])

    def fact(kind: FactKind, pred: str, obj: str) -> Fact:
        return Fact(kind=kind, subject="mira-vance", predicate=pred, object=obj, valid_from=at(2, 1))

    junk = [fact(FactKind.current_appearance, "outfit", v) for v in
            ("dragon", "Able to be seen", "The most beautiful person in the world", "{{}}")]
    junk += [fact(FactKind.status, "status", "very happy"), fact(FactKind.whereabouts, "at", "nowhere-land")]
    good = [fact(FactKind.current_appearance, "outfit", "torn red coat"),
            fact(FactKind.current_appearance, "injuries", "arm in a sling"), fact(FactKind.status, "status", "dead"),
            fact(FactKind.whereabouts, "at", "Harbour"), fact(FactKind.possession, "holds", "the brass key")]
    ok, rejected = admit(junk + good, world)
    assert ok == good and len(rejected) == len(junk) and all(reason for _, reason in rejected)


def test_new_names_are_found_but_not_walk_ons_or_typos() -> None:
    world = World([MIRA, TOM], [HARBOUR], [])
    ep = Episode(number=2, title="x", scenes=[Scene(number=1, location="Harbour", characters=[
        "Mira Vance", "Guard #3", "Dock Worker", "Mira Vanse", "Ysolde Marr"]),
        Scene(number=2, location="The Sunken Chapel", characters=["Tom"])])
    assert new_names(ep, world) == (["Ysolde Marr"], ["The Sunken Chapel"])


def test_on_screen_means_drawn_with_the_look_at_that_scene() -> None:
    facts = [Fact(kind=FactKind.current_appearance, subject="mira-vance", predicate="outfit",
                  object="red flight jacket", valid_from=at(4, 1))]
    world = World([MIRA, TOM], [HARBOUR], facts)
    scene = Scene(number=2, location="Harbour", characters=["Mira Vance", "Tom Vance"], time_of_day="night")
    shot = Shot(scene=2, number=1, characters=["Tom Vance"], action="Framing. Camera_Move. Tom hands Mira the lamp.",
                dialogue=[DialogueLine(speaker="Mira Vance", text="Hold it steady."),
                          DialogueLine(speaker="Tom Vance", text="Remember me.", direction="recording")])
    assert on_screen(world, shot, scene.characters) == ["tom-vance", "mira-vance"]
    spec = shot_spec(world, shot, episode=5, scene=scene, style="ink wash", title="Fog")
    assert spec.characters == ["tom-vance", "mira-vance"] and spec.reference_ids[-1] == "harbour"
    assert "red flight jacket" in spec.visual_prompt and "grey oilskin" not in spec.visual_prompt
    assert "Framing" not in spec.visual_prompt and "Camera_Move" not in spec.visual_prompt
    assert spec.visual_prompt.startswith("Tom hands Mira the lamp")  # the action leads the prompt
    assert spec.seed == shot_spec(world, shot, episode=5, scene=scene, style="ink wash", title="Fog").seed
    assert clean_action("frame. dribble. Mira runs to the pier.") == "Mira runs to the pier."


def test_bible_draft_junk_looks_never_reach_canon() -> None:
    from showrunner.agents.drafts import BibleDraft, CharacterDraft, LocationDraft, bible_from_draft

    d = BibleDraft(title="T", logline="L", characters=[
        CharacterDraft(name="Maren Holt", hair="salt-white braid", eyes="grey eyes", outfit="dragon"),
        CharacterDraft(name="Ivo Crane", hair="Able to be seen", eyes="The most beautiful", outfit="patched cloak")],
        locations=[LocationDraft(name="Greyhaven Point", look="a lighthouse on black rock")],
        episode_loglines=["One.", "Two."])
    bible = bible_from_draft(d, premise="p", episodes=2)
    maren, ivo = bible.characters
    assert (maren.look.hair, maren.look.eyes, maren.state.outfit) == ("salt-white braid", "grey eyes", "")
    assert (ivo.look.hair, ivo.look.eyes, ivo.state.outfit) == ("", "", "patched cloak")
