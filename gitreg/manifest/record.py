"""`Record`: the runtime base of every manifest class, validated by pydantic-core alone.

A record behaves like the pydantic model it was compiled from (`models.py`) for what gitreg
uses: keyword construction with validation and defaults, attribute access, `model_validate`,
`model_copy(update=...)` and `model_dump`. It never imports pydantic itself, which is what
makes a one-shot `gitreg model show` fast. If the installed pydantic-core is not the one the
schemas were generated with, they are rebuilt from `models.py` (see `schema_cache.py`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from pydantic_core import SchemaSerializer, SchemaValidator

R = TypeVar("R", bound="Record")

_lock = threading.Lock()
_schemas: Mapping[type, Any] | None = None
_validators: dict[type, SchemaValidator] = {}
_serializers: dict[type, SchemaSerializer] = {}


def _load_schemas() -> Mapping[type, Any]:
    global _schemas
    if _schemas is None:
        import pydantic_core

        from gitreg.manifest import _generated

        if pydantic_core.__version__ == _generated.PYDANTIC_CORE_VERSION:
            _schemas = _generated.SCHEMAS
        else:
            from gitreg.manifest.schema_cache import rebuilt_schemas

            _schemas = rebuilt_schemas(pydantic_core.__version__)
    return _schemas


def _compiled(cache: dict[type, Any], cls: type, make: Any) -> Any:
    """`make(schema, config)` for a record class, built once per process."""
    obj = cache.get(cls)
    if obj is None:
        with _lock:
            obj = cache.get(cls)
            if obj is None:
                schema = _load_schemas()[cls]
                # as pydantic does, the model's config also goes in as the global config
                # (ser_json_inf_nan, for one, is read only from there)
                obj = cache[cls] = make(schema, schema.get("config"))
    return obj


def validator(cls: type) -> SchemaValidator:
    """The pydantic-core validator of a record class, built on first use."""
    from pydantic_core import SchemaValidator

    v: SchemaValidator = _compiled(_validators, cls, SchemaValidator)
    return v


def serializer(cls: type) -> SchemaSerializer:
    from pydantic_core import SchemaSerializer

    s: SchemaSerializer = _compiled(_serializers, cls, SchemaSerializer)
    return s


class Record:
    """A manifest object: fields in `__dict__`, checked against its pydantic-core schema."""

    # the slots pydantic-core fills when it builds an instance of a `model` schema
    __slots__ = (
        "__dict__",
        "__pydantic_extra__",
        "__pydantic_fields_set__",
        "__pydantic_private__",
    )
    __pydantic_fields_set__: set[str]
    _fields: ClassVar[frozenset[str]] = frozenset()  # set by each generated class

    def __init__(self, **data: Any) -> None:
        validator(type(self)).validate_python(data, self_instance=self)

    @classmethod
    def model_validate(cls: type[R], data: Any) -> R:
        """A record from plain data (e.g. parsed YAML); raises pydantic-core's ValidationError."""
        out: R = validator(cls).validate_python(data)
        return out

    if not TYPE_CHECKING:  # hidden from mypy, which then flags a misspelt field itself

        def __setattr__(self, name: str, value: Any) -> None:
            # as pydantic: a misspelt field is an error, not an attribute never written
            if name not in self._fields:
                raise ValueError(f'"{type(self).__name__}" object has no field "{name}"')
            self.__dict__[name] = value
            self.__pydantic_fields_set__.add(name)

    def __copy__(self: R) -> R:
        return self.model_copy()

    def __getstate__(self) -> tuple[dict[str, Any], set[str]]:
        return dict(self.__dict__), set(self.__pydantic_fields_set__)

    def __setstate__(self, state: tuple[dict[str, Any], set[str]]) -> None:
        # the slots as pydantic-core fills them (bypassing __setattr__, which checks fields)
        object.__setattr__(self, "__dict__", state[0])
        object.__setattr__(self, "__pydantic_fields_set__", state[1])
        object.__setattr__(self, "__pydantic_extra__", None)
        object.__setattr__(self, "__pydantic_private__", None)

    def model_copy(self: R, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> R:
        """A copy with some fields replaced (not validated, as in pydantic)."""
        new = object.__new__(type(self))
        values = copy.deepcopy(self.__dict__) if deep else dict(self.__dict__)
        if update:
            values.update(update)
        new.__setstate__((values, set(self.__pydantic_fields_set__) | set(update or ())))
        return new

    def model_dump(
        self, *, mode: str = "python", by_alias: bool = False, exclude_none: bool = False
    ) -> dict[str, Any]:
        """The fields as plain data, as pydantic's `model_dump` gives them."""
        out: dict[str, Any] = serializer(type(self)).to_python(
            self, mode=mode, by_alias=by_alias, exclude_none=exclude_none
        )
        return out

    def model_dump_json(
        self, *, indent: int | None = None, by_alias: bool = False, exclude_none: bool = False
    ) -> str:
        """The fields as a JSON document, as pydantic's `model_dump_json` gives them."""
        return (
            serializer(type(self))
            .to_json(self, indent=indent, by_alias=by_alias, exclude_none=exclude_none)
            .decode()
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, like pydantic models

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"
