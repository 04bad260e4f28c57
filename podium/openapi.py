"""The published spec says what the server accepts: a Struct that refuses unknown fields is documented with
``additionalProperties: false``, so clients and fuzzers don't send fields the server will answer 422 to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

# Litestar's Struct plugin is not public API; extending it keeps every other detail of its schemas. Litestar is
# pinned below 3, and tests/podium/test_openapi_spec.py fails if a body schema ever loses the flag.
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's own Struct schemas, plus ``additionalProperties: false`` where msgspec forbids unknown fields.

    Registered in the app's plugins, it is asked before the built-in one (Litestar puts its own last)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        config: msgspec.structs.StructConfig = field_definition.type_.__struct_config__
        if config.forbid_unknown_fields:
            schema.additional_properties = False
        return schema
