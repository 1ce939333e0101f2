"""Errors that say where they happened, so a person can find and fix the input."""

from __future__ import annotations


class KgError(Exception):
    """Base error: carries where it happened (file, line, record, field)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.record = record
        self.field = field

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.record:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ReadError(KgError):
    """An input file or line could not be read as a record."""


class NotARecord(ReadError):
    """The input is a page but not a record page (e.g. a listing page)."""


class ConfigError(KgError):
    """A setting or command-line option is wrong."""


class StoreError(KgError):
    """The built graph or the remote store cannot be used."""


class QueryError(KgError):
    """A SPARQL query was refused or failed; for a malformed one, where: the line and column
    (from 1, in characters) and that line of the query with a caret under the column."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        context: str | None = None,
    ) -> None:
        super().__init__(message, line=line)
        self.column = column
        self.context = context
