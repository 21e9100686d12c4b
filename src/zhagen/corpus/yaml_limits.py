"""YAML from others, read with a bound on what aliases expand to.

``&a [x, x, x]`` then ``&b [*a, *a, *a]`` and so on ("billion laughs") is ten
lines of YAML that expands to billions of values: ``yaml.safe_load`` builds
them all and runs out of memory.  Here the document is first composed into
its node graph, in which an alias is one shared node; the size the document
would have once expanded is counted over that graph, and a document over the
limit is refused before anything is built.
"""

from __future__ import annotations

from typing import Any

import yaml

from zhagen.errors import UserError

#: The most values (scalars, lists and mappings, aliases counted as often as they are used) a document may expand to.
MAX_NODES = 200_000


def expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has with every alias expanded (without expanding them)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in _children(node)), MAX_NODES + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ValueError("an alias refers to a node that contains it")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_limited(text: str, where: str) -> Any:
    """``yaml.safe_load(text)``, refusing documents whose aliases expand beyond :data:`MAX_NODES`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = expanded_size(node)
        except ValueError as exc:
            raise UserError(f"the YAML refers to itself ({exc})", where=where, hint="remove the recursive alias") from None
        if size > MAX_NODES:
            raise UserError(
                f"the YAML expands to more than {MAX_NODES:,} values through its aliases (&name / *name)",
                where=where, hint="write the values out, or use fewer aliases",
            )
        return loader.construct_document(node)
    except RecursionError:
        raise UserError("the YAML is nested too deeply", where=where, hint="flatten the lists and mappings") from None
    finally:
        loader.dispose()
