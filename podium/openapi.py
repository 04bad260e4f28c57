"""The published spec says what the server accepts: a Struct that refuses unknown fields is documented with
``additionalProperties: false``, and the constraints on a list's items (``list[ItemCode]``) are documented on
its ``items`` (Litestar keeps only the list's own), so clients and fuzzers don't send what will be a 422."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

# Litestar's Struct plugin is not public API; extending it keeps every other detail of its schemas. Litestar is
# pinned below 3, and tests/podium/test_openapi_spec.py fails if a body schema ever loses the flag.
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.openapi.spec import Schema

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's own Struct schemas, plus ``additionalProperties: false`` where msgspec forbids unknown fields.

    Registered in the app's plugins, it is asked before the built-in one (Litestar puts its own last)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        config: msgspec.structs.StructConfig = field_definition.type_.__struct_config__
        if config.forbid_unknown_fields:
            schema.additional_properties = False
        info: msgspec.inspect.StructType = msgspec.inspect.type_info(field_definition.type_)  # type: ignore[assignment]
        for field in info.fields:
            _constrain_items(schema.properties.get(field.encode_name) if schema.properties else None, field.type)
        return schema


_ITEM_CONSTRAINTS = {
    "pattern": "pattern",
    "min_length": "min_length",
    "max_length": "max_length",
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusive_minimum",
    "lt": "exclusive_maximum",
}


def _constrain_items(schema: Any, field_type: msgspec.inspect.Type) -> None:
    """Copy msgspec's constraints on a list's (or optional list's) items onto the items' schema."""
    if isinstance(field_type, msgspec.inspect.UnionType):
        lists = [t for t in field_type.types if isinstance(t, _LISTS)]
        alternatives = [s for s in (getattr(schema, "one_of", None) or []) if getattr(s, "items", None) is not None]
        if len(lists) == 1 and len(alternatives) == 1:
            _constrain_items(alternatives[0], lists[0])
        return
    if not isinstance(field_type, _LISTS) or not isinstance(getattr(schema, "items", None), Schema):
        return
    item = field_type.item_type
    while isinstance(item, msgspec.inspect.Metadata):  # extra JSON schema (examples) wraps the constrained type
        item = item.type
    for source, target in _ITEM_CONSTRAINTS.items():
        value = getattr(item, source, None)
        if value is not None and getattr(schema.items, target) is None:
            setattr(schema.items, target, value)


_LISTS = (
    msgspec.inspect.ListType,
    msgspec.inspect.SetType,
    msgspec.inspect.FrozenSetType,
    msgspec.inspect.VarTupleType,
)
