"""Shared fixtures: built graphs made once per session from the project's own seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import BuildSummary, build
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
BASE = "http://localhost:5000/"


class Built:
    """A finished build: its settings, summary and data folder."""

    def __init__(self, settings: Settings, summary: BuildSummary) -> None:
        self.settings = settings
        self.summary = summary
        self.data_dir = Path(settings.data_dir)
        self.current = self.data_dir / "current"


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> Built:
    """The graph built from seeds/ (read-only: tests must not change it)."""
    data_dir = tmp_path_factory.mktemp("seed-build")
    settings = Settings.from_env(environ={}, base=BASE, data_dir=data_dir, progress=False,
                                 workers=2)
    return Built(settings, build([SEEDS], settings=settings))
