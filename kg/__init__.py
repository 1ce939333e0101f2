"""kg: publish the NCJRS Virtual Library as a linked-data knowledge graph."""

__version__ = "0.1.0"
