import pathlib

import schemas
from transforms import rejects

SCHEMA_MD = (pathlib.Path(schemas.__file__).parent / "SCHEMA.md").read_text(encoding="utf-8")


def test_schema_md_documents_every_column_of_every_table():
    for table, schema in schemas.TABLES.items():
        assert f"## {table}" in SCHEMA_MD
        for field in list(schema) + list(schemas.PARTITION_FIELDS):
            assert f"| `{field.name}` |" in SCHEMA_MD, f"{table}.{field.name} is not documented"


def test_schema_md_documents_every_reject_reason():
    for reason in rejects.REASONS:
        assert f"| `{reason}` |" in SCHEMA_MD


def test_partition_columns_are_not_inside_the_files():
    for schema in schemas.TABLES.values():
        assert not {f.name for f in schemas.PARTITION_FIELDS} & set(schema.names)



def test_schema_md_documents_every_boilerplate_reason():
    from transforms.boilerplate import LAYER_OF

    for reason, layer in LAYER_OF.items():
        assert f"| `{reason}` | {layer} |" in SCHEMA_MD, reason
