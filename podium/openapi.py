"""The published spec says what the server accepts: a Struct that refuses unknown fields is documented with
``additionalProperties: false``, and the constraints on a list's items (``list[ItemCode]``) are documented on
its ``items`` (Litestar keeps only the list's own), so clients and fuzzers don't send what will be a 422."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import msgspec

# Litestar's Struct plugin is not public API; extending it keeps every other detail of its schemas. Litestar is
# pinned below 3, and tests/podium/test_openapi_spec.py fails if a body schema ever loses the flag.
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.openapi.spec import OpenAPIType, Schema

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
        # A Struct type always inspects as a StructType (this plugin only sees Structs); type_info's return is wider.
        info = cast(msgspec.inspect.StructType, msgspec.inspect.type_info(field_definition.type_))
        for field in info.fields:
            _constrain(schema.properties.get(field.encode_name) if schema.properties else None, field.type)
        return schema


_CONSTRAINTS = {
    "pattern": "pattern",
    "min_length": "min_length",
    "max_length": "max_length",
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusive_minimum",
    "lt": "exclusive_maximum",
}
_LISTS = (
    msgspec.inspect.ListType,
    msgspec.inspect.SetType,
    msgspec.inspect.FrozenSetType,
    msgspec.inspect.VarTupleType,
)
_SCALARS = (msgspec.inspect.StrType, msgspec.inspect.IntType, msgspec.inspect.FloatType)
_PLAIN_STR = msgspec.inspect.StrType()
_OPENAPI_TYPES = {msgspec.inspect.StrType: "string", msgspec.inspect.BoolType: "boolean"}


def _constrain(schema: Any, field_type: msgspec.inspect.Type) -> None:
    """Fill in msgspec's constraints the schema lacks, inside containers: a list's items, a dict's keys
    (``propertyNames``) and values, the alternatives of a union. Only missing values are set."""
    while isinstance(field_type, msgspec.inspect.Metadata):  # extra JSON schema (examples) wraps the type
        field_type = field_type.type
    if not isinstance(schema, Schema):
        return
    if isinstance(field_type, msgspec.inspect.UnionType):
        _constrain_alternatives(schema, field_type)
    elif isinstance(field_type, _LISTS):
        _constrain(schema.items, field_type.item_type)
    elif isinstance(field_type, msgspec.inspect.DictType):
        _constrain_dict(schema, field_type)
    elif isinstance(field_type, _SCALARS):
        for source, target in _CONSTRAINTS.items():
            value = getattr(field_type, source, None)
            if value is not None and hasattr(schema, target) and getattr(schema, target) is None:
                setattr(schema, target, value)


def _constrain_alternatives(schema: Schema, field_type: msgspec.inspect.UnionType) -> None:
    """Each alternative of the schema's ``oneOf`` gets the constraints of the one union member of its type."""
    for alternative in schema.one_of or []:
        kind = getattr(alternative, "type", None)
        matching = [t for t in field_type.types if _OPENAPI_TYPES.get(type(t)) == kind or _is(t, kind)]
        if len(matching) == 1:
            _constrain(alternative, matching[0])


def _constrain_dict(schema: Schema, field_type: msgspec.inspect.DictType) -> None:
    """A dict's size, its keys' constraints (``propertyNames``) and its values'."""
    if schema.max_properties is None and field_type.max_length is not None:
        schema.max_properties = field_type.max_length
    key = field_type.key_type
    if schema.property_names is None and isinstance(key, msgspec.inspect.StrType) and key != _PLAIN_STR:
        schema.property_names = Schema(type=OpenAPIType.STRING)
    _constrain(schema.property_names, key)
    _constrain(schema.additional_properties, field_type.value_type)


def _is(field_type: msgspec.inspect.Type, kind: Any) -> bool:
    if kind == "array":
        return isinstance(field_type, _LISTS)
    return kind == "object" and isinstance(field_type, msgspec.inspect.DictType)
