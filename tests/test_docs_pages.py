"""The hand-written docs pages name only modules, files and tests that exist.

The README's module map drifted from the code for months; these checks make a moved module or
test fail here, naming the page and the name to correct. Generated pages (`docs/reference/`,
`docs/messages.md`) have checks of their own.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from outage_notify.config.settings import Settings
from tests.docs_reference import sections, variables

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "src" / "outage_notify"
GENERATED = {DOCS / "messages.md", *DOCS.joinpath("reference").glob("*")}
PAGES = sorted(path for path in [*DOCS.rglob("*.md"), ROOT / "README.md"] if path not in GENERATED)
# Queue and task names look like dotted module paths; they are strings of worker/names.py.
NAMES = set(re.findall(r'"(outage_notify\.[a-z_.]+)"', (PACKAGE / "worker/names.py").read_text()))


FILES = r"\.(?:ya?ml|json|csv|md|j2|txt|db|po|html|atom|toml|ini)\b"


def _code_spans(path: Path) -> list[str]:
    # The layout page's table of old names says what moved: the old names are its point.
    text = path.read_text(encoding="utf-8").split("## What moved where")[0]
    return re.findall(r"`([^`\n]+)`", text)


def _setting(dotted: str) -> bool:
    """`dotted` is a field path of `Settings`, as its validation errors name them."""
    model: object = Settings
    for part in dotted.split("."):
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return False
        model = fields[part].annotation
    return True


def _resolves(dotted: str) -> bool:
    """`dotted` names a module of ours, or an attribute of one, or a settings field."""
    if _setting(dotted.removeprefix("outage_notify.")):
        return True
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        target: object = module
        for part in parts[cut:]:
            if not hasattr(target, part):
                return False
            target = getattr(target, part)
        return True
    return False


def _file_exists(name: str) -> bool:
    """A path from the repository root, from src/outage_notify, or a test file's bare name."""
    if (ROOT / name).exists() or (PACKAGE / name).exists():
        return True
    return "/" not in name and name.startswith("test_") and any(ROOT.joinpath("tests").rglob(name))


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_python_file_a_page_names_exists(page: Path) -> None:
    names = {
        match
        for span in _code_spans(page)
        for match in re.findall(r"(?<![\w/.])((?:[\w-]+/)*\w+\.py)\b", span)
    }
    missing = sorted(name for name in names if not _file_exists(name))
    assert not missing, f"{page.relative_to(ROOT)} names files that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_module_a_page_names_exists(page: Path) -> None:
    packages = {path.name for path in PACKAGE.iterdir() if path.is_dir()}
    modules: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        dotted_path = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules.setdefault(path.stem, []).append(dotted_path)
    dotted, unqualified = set(), set()
    for span in _code_spans(page):
        span = re.sub(r"[\w./-]*" + FILES, "", span)
        for name in re.findall(r"(?<![\w/.-])((?:outage_notify|[a-z_]+)(?:\.[A-Za-z_]\w*)+)", span):
            first = name.split(".", 1)[0]
            if first == "outage_notify" and name not in NAMES:
                dotted.add(name)
            elif first in packages and first not in ("messages", "contacts", "status"):
                dotted.add(f"outage_notify.{name}")
            elif first in packages and name.count(".") >= 2:
                # `messages.catalogs.Words` is ours; `users.info` is Slack's and `status.json`
                # a route, so one-dot names of these three packages are left alone.
                dotted.add(f"outage_notify.{name}")
            elif first in modules and first not in packages:
                # A real name of ours written without its package: `lifecycle.X` for
                # `incidents.lifecycle.X` (a YAML path in an error message resolves to nothing).
                rest = name.split(".", 1)[1]
                if any(_resolves(f"{module}.{rest}") for module in modules[first]):
                    unqualified.add(name)
    assert not unqualified, (
        f"{page.relative_to(ROOT)} names modules without their package: {sorted(unqualified)}"
    )
    missing = sorted(name for name in dotted if not _resolves(name))
    assert not missing, f"{page.relative_to(ROOT)} names modules that do not exist: {missing}"


def test_the_layout_page_names_every_package() -> None:
    text = (DOCS / "developer" / "layout.md").read_text(encoding="utf-8")
    packages = sorted(
        path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()
    )
    missing = [name for name in packages if f"\n  {name}/" not in text]
    assert not missing, f"docs/developer/layout.md does not describe the package(s) {missing}"


def test_every_link_of_the_readme_leads_to_a_file() -> None:
    # The docs site's own links are checked by `mkdocs build --strict`; the README is not in it.
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    missing = [target for target in targets if "://" not in target and not (ROOT / target).exists()]
    assert targets and not missing, f"README.md links to missing files: {missing}"


def test_the_layout_page_names_every_module() -> None:
    # The README's old module map left out 35 modules; a new module belongs in the map.
    text = (DOCS / "developer" / "layout.md").read_text(encoding="utf-8")
    tree = text.split("## What moved where")[0]
    missing = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
        and "migrations" not in path.parts
        and not re.search(rf"(?<!\w){re.escape(path.name)}", tree)
    )
    assert not missing, f"docs/developer/layout.md: add to the layout tree: {missing}"
    names = {path.name for path in PACKAGE.rglob("*.py")}
    gone = sorted(set(re.findall(r"\b(\w+\.py)\b", tree)) - names)
    assert not gone, (
        f"docs/developer/layout.md: the layout tree names modules that are gone: {gone}"
    )


def test_every_setting_has_a_topic_on_the_configuration_page() -> None:
    # The reference lists each variable; the guide says where it fits. A new setting needs both.
    text = (DOCS / "operator" / "configuration.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"#outage_notify_([a-z0-9_]+)\)", text))
    wanted = {
        variable.removeprefix("OUTAGE_NOTIFY_").lower()
        for prefix, model in sections()
        for variable, _, _ in variables(model, prefix)
    }
    missing = sorted(f"OUTAGE_NOTIFY_{name.upper()}" for name in wanted - listed)
    assert not missing, f"docs/operator/configuration.md: give these a topic: {missing}"
