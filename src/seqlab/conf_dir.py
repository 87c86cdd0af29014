"""Where the Hydra configs are: inside the package (a built wheel) or the checkout's conf/."""

from __future__ import annotations

from pathlib import Path


def conf_dir() -> Path:
    """The folder holding config.yaml and the config groups.

    A wheel carries them as `seqlab/conf`; an editable install or a source checkout
    reads the top-level `conf/` directly, so edits there take effect at once.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "conf", here.parent.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(
        f"seqlab's configs were not found in {here / 'conf'} or {here.parent.parent / 'conf'}; "
        "the installation is incomplete. Reinstall with `pip install .` from a checkout."
    )
