#!/usr/bin/env python3
"""Fails when a layer includes a header of a layer above it, or headers include each other.

Layers (docs/architecture.md): serde <- engine <- operators; runtime uses engine and serde,
never operators; only the facade's umbrella header (include/) sees every layer.
Usage: check_layers.py ROOT
"""
import pathlib
import re
import sys

ALLOWED = {
    "serde": {"serde"},
    "engine": {"serde", "engine"},
    "operators": {"serde", "engine", "operators"},
    "runtime": {"serde", "engine", "runtime"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def project_header(root, layer, source, name):
    """The repository file an include names, or None for a system header."""
    if name.startswith("streamweave/"):
        parts = name.split("/")
        if len(parts) == 2:
            return root / "include" / name
        return root / parts[1] / "include" / name
    local = source.parent / name
    return local if local.exists() else None


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    problems = []
    graph = {}
    for layer, allowed in ALLOWED.items():
        for source in sorted((root / layer).rglob("*")):
            if source.suffix not in (".hpp", ".cpp", ".h"):
                continue
            text = source.read_text(encoding="utf-8")
            edges = []
            for line_no, name in ((text.count("\n", 0, m.start()) + 1, m.group(1))
                                  for m in INCLUDE.finditer(text)):
                where = f"{source.relative_to(root)}:{line_no}"
                if name.startswith("streamweave/"):
                    parts = name.split("/")
                    target = parts[1] if len(parts) > 2 else "facade"
                    if target not in allowed:
                        problems.append(f"{where}: layer '{layer}' includes <{name}> "
                                        f"(layer '{target}'); it may use {sorted(allowed)}")
                header = project_header(root, layer, source, name)
                if header is not None and header.exists():
                    edges.append(header.resolve())
            graph[source.resolve()] = edges
    # Mutual includes: any cycle in the graph of project headers.
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in graph.get(node, []):
            if state.get(nxt) == "open":
                cycle = path[path.index(nxt):] + [nxt]
                problems.append("include cycle: " +
                                " -> ".join(str(p.relative_to(root)) for p in cycle))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in list(graph):
        if node not in state:
            visit(node, [node])
    for p in problems:
        print(p)
    print(f"{len(graph)} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
