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
