"""Meta-tests that keep the docs and the code in step."""

from pathlib import Path

from vigie.settings import settings_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_settings_doc_is_generated_from_declaration():
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings_markdown(), (
        "docs/settings.md is stale: run `make settings-doc`"
    )


def test_architecture_doc_names_every_context():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "src" / "vigie"
    for child in sorted(package.iterdir()):
        if child.is_dir() and (child / "__init__.py").exists():
            assert f"{child.name}/" in text, f"docs/architecture.md does not mention {child.name}/"
        elif child.suffix == ".py" and child.name != "__init__.py":
            assert child.name in text, f"docs/architecture.md does not mention {child.name}"


def test_readme_quick_start_is_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]


def test_openapi_has_unique_operation_ids(tmp_path):
    """Every route is registered once: a duplicate would give the spec two operations of one id."""
    import warnings

    from vigie.app import create_app
    from vigie.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", environment="development"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns "Duplicate Operation ID"
        spec = app.openapi()
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values() if "operationId" in op]
    assert len(ids) == len(set(ids))


def test_city_profiles_doc_lists_every_key_of_the_schema():
    from vigie.city.schema import with_keys_table

    text = (ROOT / "docs" / "city-profiles.md").read_text(encoding="utf-8")
    assert text == with_keys_table(text), "docs/city-profiles.md is stale: run `make settings-doc`"


def test_city_profiles_doc_shows_the_example_profile_as_it_is():
    text = (ROOT / "docs" / "city-profiles.md").read_text(encoding="utf-8")
    example = (ROOT / "docs" / "example-profile" / "city.yaml").read_text(encoding="utf-8")
    assert f"```yaml\n{example}```" in text, "docs/city-profiles.md: copy docs/example-profile/city.yaml"


def test_security_doc_shows_the_permission_registry():
    from vigie.accounts.permissions import with_permissions_table

    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert text == with_permissions_table(text), "docs/security.md is stale: run `make settings-doc`"


def test_import_doc_lists_every_key_of_the_mapping_schema():
    from vigie.importer.doc import with_keys_table

    text = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    assert text == with_keys_table(text), "docs/import.md is stale: run `make settings-doc`"


def test_import_doc_examples_are_valid_mappings(vigie):
    """Every YAML example of docs/import.md loads against the Dijon catalogue."""
    import re

    from vigie.importer.mapping import load_mapping

    text = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    examples = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(examples) >= 6
    for example in examples:
        load_mapping("import.md", service_codes=vigie.catalogue.services.keys(), text=example)


def test_openapi_refs_all_resolve() -> None:
    """Every $ref of /openapi.json names a component (a dangling one leaves an operation undocumented)."""
    import json
    import re

    from vigie.app import create_app
    from vigie.settings import Settings

    spec = create_app(Settings(environment="test")).openapi()
    text = json.dumps(spec)
    components = set(spec.get("components", {}).get("schemas", {}))
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert refs and refs <= components, sorted(refs - components)


def test_openapi_schema_titles_unique() -> None:
    """Swagger UI lists schemas by title: two bodies both called "AssignIn" could not be told apart."""
    from collections import Counter

    from vigie.app import create_app
    from vigie.settings import Settings

    schemas = create_app(Settings(environment="test")).openapi()["components"]["schemas"]
    titles = Counter(schema.get("title", name) for name, schema in schemas.items())
    assert [title for title, n in titles.items() if n > 1] == []
