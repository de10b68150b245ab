"""`NormalizeConfig`: the `normalize:` section of a config and of a model's manifest.

Apart from `khabar.normalize` (which re-exports it) because it is a dataclass: the steps
themselves need no `dataclasses`, and `khabar normalize` should not pay for it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .normalize import build_normalizer


@dataclass
class NormalizeConfig:
    """The `normalize:` section of a config and of a model's manifest: a preset (see
    `khabar normalize --list`) plus single steps switched on or off. Without a preset in the
    config the model kind's default applies (see `models.registry.Kind.default_preset`)."""

    preset: str = "standard"
    steps: dict[str, bool] = field(default_factory=dict)

    def build(self) -> Callable[[str], str]:
        """The normalizer these options describe."""
        return build_normalizer(self.preset, self.steps)
