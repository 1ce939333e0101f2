"""Entity resolution (issue 14): which spellings of a person or organisation are one entity."""
