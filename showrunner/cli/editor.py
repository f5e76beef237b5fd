"""The ``$EDITOR`` round trip behind ``showrunner edit``: an artifact out as JSON, the person's edit back.

Nothing here validates the edit against a schema: the caller does (the live gate through the graph's
decision parser, a nightly draft through :func:`showrunner.pipelines.review_queue.edit_draft`), so both
refuse the same mistakes with the same one-line message. Every failure here leaves everything unchanged.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from showrunner.errors import BadInput


def edit_json(artifact: Any, label: str) -> Any:
    """Open ``artifact`` as JSON in ``$VISUAL``/``$EDITOR`` and return what the person saved."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise BadInput("set $EDITOR (e.g. EDITOR=nano) to edit the artifact")
    fd, tmp = tempfile.mkstemp(prefix=f"showrunner-{label}-", suffix=".json")
    path = Path(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(artifact, f, indent=2, ensure_ascii=False)
        if subprocess.call([*shlex.split(editor), str(path)]) != 0:
            raise BadInput("the editor exited with an error; nothing changed")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadInput(f"the edited file is not valid JSON ({exc}); nothing changed") from exc
    finally:
        path.unlink(missing_ok=True)
