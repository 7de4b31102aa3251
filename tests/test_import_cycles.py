"""No module of outage_notify imports itself back, directly or through others.

`lint-imports` (scripts/test) checks the layers and cycles between sibling packages; this test
checks the module graph itself with grimp, import-linter's graph library, so a cycle fails the
ordinary test run too, and names its modules in order. Type-only imports count: they are still
a dependency a reader must follow, and moving the type apart is how the code breaks them.
"""

from __future__ import annotations

import grimp

PACKAGE = "outage_notify"


def find_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every import cycle as one path `a -> b -> ... -> a`, one per strongly connected group
    of modules (Tarjan's algorithm, iterative: the graph has hundreds of modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == module:
                        break
                if len(group) > 1:
                    groups.append(group)
    return [_path_through(graph, group) for group in groups]


def _path_through(graph: grimp.ImportGraph, group: set[str]) -> list[str]:
    """One cycle inside a strongly connected group, starting at its first module by name."""
    start = min(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for step in sorted(graph.find_modules_directly_imported_by(module) & group):
                if step == start:
                    path = [start]
                    while module != start:
                        path.insert(1, module)
                        module = previous[module]
                    return [*path, start]
                if step not in previous:
                    previous[step] = module
                    following.append(step)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {sorted(group)}")


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_a_cycle_is_found_and_named() -> None:
    """The check itself: a cycle added to a graph is reported as a path that closes."""
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    graph.add_import(importer="pkg.d", imported="pkg.a")
    assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
