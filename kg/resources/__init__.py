"""The files kg ships beside its code: SHACL shapes, the ontology and JSON-LD context, the example
queries, the web templates and static files.

They are read through `importlib.resources`, so an installed wheel finds them exactly as a
checkout does. In the repository `shapes/`, `ontology/` and `queries/` stay at the top level, the
one source of truth; the links of the same names in this folder point there, and the wheel and
sdist carry copies of what they point to (package data in `pyproject.toml`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from kg.errors import ConfigError

SHAPES, ONTOLOGY, QUERIES = "shapes", "ontology", "queries"


def shipped(name: str) -> Path:
    """The folder `name` as shipped with the package, as a path other processes can open.

    Workers and pySHACL take paths, so a package that is not on a file system (a zip) is refused
    with a clear error instead of failing later in a worker.
    """
    folder = files(__name__) / name
    path = Path(str(folder))
    if not path.is_dir():
        raise ConfigError(
            f"the package's {name}/ folder is missing ({path}): reinstall kg from a wheel or sdist",
            field=name,
        )
    return path
