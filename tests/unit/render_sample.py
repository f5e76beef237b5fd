"""A small approved series (bible, episode 1, storyboard) shared by the render tests and evals."""

from __future__ import annotations

from pathlib import Path

from showrunner.memory.canon import Canon
from showrunner.models import (
    Bible,
    CameraMove,
    Character,
    CurrentLook,
    DialogueLine,
    Episode,
    FixedLook,
    Framing,
    Location,
    LocationVariant,
    Scene,
    Shot,
)
from showrunner.pipelines.project import Project


def sample_bible() -> Bible:
    return Bible(
        title="Brass Harbor", logline="A young mechanic and her cat keep a floating city afloat.",
        style_guide="flat cel-shaded animation, warm palette",
        characters=[
            Character(name="Ada Quill", role="protagonist",
                      look=FixedLook(hair="short red hair", eyes="green eyes", build="small, wiry", age="teen"),
                      state=CurrentLook(outfit="blue overalls", props=["brass wrench"])),
            Character(name="Bruno", role="sidekick", look=FixedLook(hair="black fur", build="round"),
                      palette=["#333344", "#ffcc33"]),
            Character(name="Captain Vell", role="antagonist",
                      look=FixedLook(hair="silver hair", age="60s", marks=["scar over left eye"]),
                      state=CurrentLook(outfit="purple greatcoat")),
        ],
        locations=[
            Location(name="Harbor Docks", look="wooden docks, brass cranes, harbor water",
                     variants=[LocationVariant(when="night", look="lanterns on the docks, dark water")]),
            Location(name="Workshop", look="cluttered workshop room with a workbench and tools"),
            Location(name="Old Town", look="narrow city street with tall houses"),
        ],
    )


def sample_episode() -> Episode:
    return Episode(number=1, title="The Leak", logline="Ada finds a leak.", scenes=[
        Scene(number=1, location="harbor-docks", characters=["ada-quill", "bruno"], time_of_day="dawn"),
        Scene(number=2, location="workshop", characters=["ada-quill", "captain-vell"], time_of_day="day"),
        Scene(number=3, location="old-town", characters=["captain-vell"], time_of_day="night"),
    ])


def sample_shots() -> list[Shot]:
    line = DialogueLine
    return [
        Shot(id="s01-01", scene=1, number=1, framing=Framing.wide, camera_move=CameraMove.pan_right, duration=2.0,
             characters=["ada-quill", "bruno"], action="Ada and Bruno walk along the docks at dawn.", seed=11),
        Shot(id="s01-02", scene=1, number=2, framing=Framing.medium, duration=1.5, characters=["ada-quill"],
             action="Ada kneels and spots water bubbling up.", dialogue=[line(speaker="Ada Quill", text="A leak!")],
             seed=12),
        Shot(id="s02-01", scene=2, number=1, framing=Framing.over_shoulder, camera_move=CameraMove.dolly_in,
             duration=1.5, characters=["ada-quill", "captain-vell"], action="Vell looms over the workbench.",
             dialogue=[line(speaker="Captain Vell", text="You will fix nothing.", direction="cold")], seed=21),
        Shot(id="s03-01", scene=3, number=1, framing=Framing.close_up, camera_move=CameraMove.tilt_up,
             duration=1.0, characters=["captain-vell"], action="Vell smiles in the dark.",
             dialogue=[line(speaker="Captain Vell", text="Sink, little city.")], seed=31),
    ]


def make_project(root: Path, shots: list[Shot] | None = None) -> Project:
    project = Project.create(root, premise="test")
    canon = Canon(project.canon_dir)
    canon.save_bible(sample_bible())
    canon.save_episode(sample_episode())
    canon.save_storyboard(1, shots or sample_shots())
    return project
