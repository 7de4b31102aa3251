"""Compiled templates shared by the process's renderers (messages/compiled_templates.py): reused
only for the same source under the same syntax options, and bounded; kept on disk for the next
process only in a folder no one else may write to."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment, TemplateSyntaxError, pass_context
from jinja2.runtime import Context

from outage_notify.messages.compiled_templates import CompiledTemplates

BLOCK = "{% if true %}\n  yes\n{% endif %}\n"


def environment(cache: CompiledTemplates, templates: dict[str, str], **options: Any) -> Environment:
    return Environment(
        loader=DictLoader(templates), bytecode_cache=cache, autoescape=True, **options
    )


def test_a_second_environment_reuses_the_code_and_renders_the_same() -> None:
    cache = CompiledTemplates()
    first = environment(cache, {"t.j2": "Hello {{ name }}"}).get_template("t.j2")
    second = environment(cache, {"t.j2": "Hello {{ name }}"}).get_template("t.j2")

    assert len(cache) == 1
    assert first.render(name="Ana") == second.render(name="Ana") == "Hello Ana"
    # The very code object, not a recompilation of it.
    assert second.root_render_func.__code__ is first.root_render_func.__code__


def test_a_changed_file_is_compiled_afresh() -> None:
    cache = CompiledTemplates()
    environment(cache, {"t.j2": "Old {{ name }}"}).get_template("t.j2")

    edited = environment(cache, {"t.j2": "New {{ name }}"}).get_template("t.j2")

    assert edited.render(name="Ana") == "New Ana"
    assert len(cache) == 2


def test_other_syntax_options_never_share_code() -> None:
    cache = CompiledTemplates()
    trimmed = environment(cache, {"t.j2": BLOCK}, trim_blocks=True, lstrip_blocks=True)
    plain = environment(cache, {"t.j2": BLOCK})

    assert trimmed.get_template("t.j2").render() == "  yes\n"
    assert plain.get_template("t.j2").render() == "\n  yes\n"
    assert len(cache) == 2


def test_a_finalize_that_takes_the_context_is_keyed_apart() -> None:
    @pass_context
    def tagged(context: Context, value: object) -> str:
        return f"({value})"

    def plain(value: object) -> str:
        return f"[{value}]"

    cache = CompiledTemplates()
    templates = {"t.j2": "{{ name }}"}
    with_context = environment(cache, templates, finalize=tagged).get_template("t.j2")
    without = environment(cache, templates, finalize=plain).get_template("t.j2")

    assert (with_context.render(name="Ana"), without.render(name="Ana")) == ("(Ana)", "[Ana]")


def test_a_filter_one_environment_lacks_is_still_refused_there() -> None:
    cache = CompiledTemplates()
    templates = {"t.j2": "{{ name | shout }}"}
    with_filter = environment(cache, templates)
    with_filter.filters["shout"] = str.upper
    assert with_filter.get_template("t.j2").render(name="ana") == "ANA"

    # Compiled without the filter, the template is refused, as it would be with no cache.
    with pytest.raises(TemplateSyntaxError, match="No filter named 'shout'"):
        environment(cache, templates).get_template("t.j2")


def test_the_oldest_are_dropped_beyond_the_capacity() -> None:
    cache = CompiledTemplates(capacity=2)
    templates = {f"t{i}.j2": f"{i} {{{{ name }}}}" for i in range(3)}
    env = environment(cache, templates)
    for name in templates:
        env.get_template(name)

    assert len(cache) == 2
    # The dropped one still renders: it is compiled again.
    fresh = environment(cache, templates).get_template("t0.j2")
    assert fresh.render(name="Ana") == "0 Ana"


class Counting(Environment):
    """An environment that counts what it compiles (Jinja's own `compile`)."""

    compiled = 0

    def compile(self, *args: Any, **kwargs: Any) -> Any:
        type(self).compiled += 1
        return super().compile(*args, **kwargs)


def on_disk(folder: Path) -> CompiledTemplates:
    """A new process's cache: empty memory, `folder` on disk."""
    return CompiledTemplates(folder=lambda: folder)


def counting(cache: CompiledTemplates, source: str) -> Counting:
    return Counting(loader=DictLoader({"t.j2": source}), bytecode_cache=cache, autoescape=True)


def test_a_new_process_reads_the_code_an_earlier_one_wrote_instead_of_compiling(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "compiled"
    Counting.compiled = 0
    assert counting(on_disk(folder), "Hello {{ name }}").get_template("t.j2").render(name="A")
    assert Counting.compiled == 1 and len(list(folder.iterdir())) == 1
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    later = on_disk(folder)
    assert counting(later, "Hello {{ name }}").get_template("t.j2").render(name="Bo") == "Hello Bo"
    assert Counting.compiled == 1 and len(later) == 1
    # An edited file is another key: compiled, and kept beside the first.
    assert counting(later, "Hi {{ name }}").get_template("t.j2").render(name="Bo") == "Hi Bo"
    assert Counting.compiled == 2 and len(list(folder.iterdir())) == 2


def test_a_damaged_file_is_compiled_again_and_rewritten(tmp_path: Path) -> None:
    folder = tmp_path / "compiled"
    counting(on_disk(folder), "Hello {{ name }}").get_template("t.j2")
    [written] = folder.iterdir()
    whole = written.read_bytes()
    for damage in (b"", whole[:20], whole[:-5], b"not a compiled template at all"):
        written.write_bytes(damage)
        Counting.compiled = 0
        template = counting(on_disk(folder), "Hello {{ name }}").get_template("t.j2")
        assert template.render(name="Ana") == "Hello Ana"
        assert Counting.compiled == 1 and written.read_bytes() == whole


def test_a_folder_someone_else_may_write_to_is_never_read_nor_written(tmp_path: Path) -> None:
    folder = tmp_path / "compiled"
    counting(on_disk(folder), "Hello {{ name }}").get_template("t.j2")
    folder.chmod(0o777)  # anyone could have put code here: it is not run
    Counting.compiled = 0
    counting(on_disk(folder), "Hello {{ name }}").get_template("t.j2")
    counting(on_disk(folder), "Other {{ name }}").get_template("t.j2")
    assert Counting.compiled == 2 and len(list(folder.iterdir())) == 1


def test_a_folder_that_cannot_be_made_is_no_cache(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("where the folder would be\n")
    Counting.compiled = 0
    for _ in range(2):
        template = counting(on_disk(blocked / "compiled"), "Hello {{ name }}").get_template("t.j2")
        assert template.render(name="Ana") == "Hello Ana"
    assert Counting.compiled == 2
