"""The layers of the house, checked on the source with ``ast`` so that they stay true.

- No import cycle among glassnet's modules at run time. An import inside a function
  counts (it runs when the function does); one under ``if TYPE_CHECKING:`` does not.
  Importing ``glassnet.a.b`` runs the package ``glassnet.a`` first, so that counts as an
  import of ``glassnet.a`` too (the top-level ``glassnet`` package aside: every module
  is inside it).
- Each module imports only from its own floor of the house or below (``FLOORS``, the
  table of the README's "How the code is laid out").
- No module over 450 lines.
- No branch on a loss's name (``"mse"``, ``"bce"``, ``"cce"``) or its task's
  (``"regression"``, ``"binary"``, ``"multiclass"``) outside ``losses.py``, in a
  comparison, a ``match``, a dict key, a subscript or a lookup: the loss owns that
  vocabulary.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import glassnet

PACKAGE = Path(glassnet.__file__).parent
MAX_LINES = 450
LOSS_NAMES = {"mse", "bce", "cce"}
TASK_NAMES = {"regression", "binary", "multiclass"}
"""The losses' names and the tasks they learn: the vocabulary :mod:`glassnet.losses` owns.
(The metrics take ``average="binary"``, scikit-learn's name for an averaging mode, not a
task: the task words are not looked for there.)"""


def _module_name(path: Path) -> str:
    parts = ["glassnet", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _packages_above(name: str) -> set[str]:
    """The packages that importing ``name`` runs first, below the top-level one."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(2, len(parts))} & set(MODULES)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The glassnet modules an import statement in ``module`` runs or reads from.

    A name taken from a package (``from glassnet import Network``, ``from . import x``
    where ``x`` is not a submodule) reads the package's ``__init__``, which counts,
    the top-level ``glassnet`` too; the packages that merely contain an imported module
    count unless ``module`` is inside them already (they are then being imported).
    """
    is_package = MODULES[module].name == "__init__.py"
    if isinstance(node, ast.Import):
        read = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        read = [
            f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in MODULES else prefix
            for alias in node.names
        ]
    own = _packages_above(module) | {module}
    targets: set[str] = set()
    for name in read:
        if name == "glassnet" or name.startswith("glassnet."):
            targets |= {name} & set(MODULES)
            targets |= _packages_above(name) - own
    return targets - {module}


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set()
        for node in _runtime_imports(tree):
            graph[module] |= _targets(module, node)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, …, a]``, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_reader_sees_relative_lazy_and_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from .losses import Loss\n"
        "from .training.loop import fit\n"
        "if TYPE_CHECKING:\n"
        "    from .inspect import trace\n"
        "def f():\n"
        "    from .io import save_model\n"
    )
    targets: set[str] = set()
    for node in _runtime_imports(ast.parse(source)):
        targets |= _targets("glassnet.network", node)
    assert {"glassnet.losses", "glassnet.training", "glassnet.training.loop"} <= targets
    assert "glassnet.io" in targets  # lazy, inside a function: it counts
    assert "glassnet.inspect" not in targets  # TYPE_CHECKING only: it does not


def test_names_read_from_a_package_count_as_imports_of_its_front_door() -> None:
    def targets(module: str, line: str) -> set[str]:
        (node,) = _runtime_imports(ast.parse(line))
        return _targets(module, node)

    assert targets("glassnet.losses", "from glassnet import Network") == {"glassnet"}
    assert targets("glassnet.io.onnx", "from .. import __version__") == {"glassnet"}
    assert targets("glassnet.training.loop", "from . import fit") == {"glassnet.training"}
    assert targets("glassnet.training.loop", "from . import state") == {"glassnet.training.state"}
    assert targets("glassnet.cli.train", "import glassnet.inspect.trace") == {
        "glassnet.inspect",
        "glassnet.inspect.trace",
    }


def test_no_import_cycle_among_the_modules_at_run_time() -> None:
    graph = import_graph()
    assert len(graph) > 30  # the reader found the package
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_450_lines(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module]} has {lines} lines"


def _loss_name_branches(tree: ast.AST, words: set[str] = LOSS_NAMES | TASK_NAMES) -> list[int]:
    """Line numbers where a comparison, a ``match``, a dict key, a subscript or a lookup
    uses one of ``words``."""

    def names_a_loss(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in words
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(names_a_loss(e) for e in node.elts)
        return False

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            names_a_loss(n) for n in [node.left, *node.comparators]
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.Dict) and any(
            k is not None and names_a_loss(k) for k in node.keys
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and names_a_loss(node.value):
            lines.append(node.value.lineno)
        elif (  # LOSSES["bce"]; not Literal["binary", …], whose slice is a tuple
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and names_a_loss(node.slice)
        ):
            lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "startswith", "endswith", "index", "count", "pop")
            and any(names_a_loss(arg) for arg in node.args)
        ):
            lines.append(node.lineno)
    return lines


def test_the_loss_name_detector_sees_comparisons_dicts_and_membership() -> None:
    source = (
        'if name == "cce": pass\nx = {"bce": 1}\ny = n in ("mse", "x")\nMetric("mse")\n'
        'z = LOSSES["bce"]\nw = table.get("multiclass")\nif task == "binary": pass\n'
    )
    assert sorted(set(_loss_name_branches(ast.parse(source)))) == [1, 2, 3, 5, 6, 7]


def test_no_branch_on_a_loss_name_outside_the_losses() -> None:
    found = {
        module: lines
        for module, path in MODULES.items()
        if module != "glassnet.losses"
        and (
            lines := _loss_name_branches(
                ast.parse(path.read_text(encoding="utf-8")),
                LOSS_NAMES if module.startswith("glassnet.metrics") else LOSS_NAMES | TASK_NAMES,
            )
        )
    }
    assert not found, f"loss-name branches (module: lines): {found}"


FLOORS = {
    "backend": 1,
    "kernels": 1,
    "datasets": 1,
    "validation": 2,
    "activations": 2,
    "initializers": 2,
    "losses": 2,
    "metrics": 2,
    "data": 2,
    "layers": 3,
    "optimizers": 3,
    "optimizer_rules": 3,
    "training": 4,
    "distributed": 4,
    "network": 5,
    "devices": 5,
    "penalties": 5,
    "ensembles": 5,
    "io": 6,
    "inspect": 7,
    "tabular": 8,
    "report": 8,
    "cli": 9,
    "playground": 9,
    "sklearn": 9,
    "__main__": 10,
    "glassnet": 10,  # the front door re-exports from every floor
    "_version": 1,
    "launcher": 1,
}
"""The floors of the house, as the README's "How the code is laid out" lists them."""


def test_each_floor_imports_only_from_its_own_floor_or_below() -> None:
    def floor(module: str) -> int:
        return FLOORS[module.removeprefix("glassnet.").split(".")[0]]

    graph = import_graph()
    for module, targets in graph.items():
        upward = sorted(t for t in targets if floor(t) > floor(module))
        assert not upward, f"{module} (floor {floor(module)}) imports {upward} from above"


def test_the_front_door_reaches_every_part_by_its_dotted_name_without_loading_it_early() -> None:
    """The README writes ``gn.io.load_safetensors`` and ``glassnet.inspect.diagnose.diagnose``
    after a bare ``import glassnet``; those parts load on first use, not with the package."""
    import subprocess
    import sys

    code = (
        "import sys, glassnet as gn\n"
        "early = [m for m in ('glassnet.io', 'glassnet.tabular', 'glassnet.inspect.diagnose')"
        " if m in sys.modules]\n"
        "assert not early, early\n"
        "assert gn.io.load_safetensors.__module__.startswith('glassnet.io')\n"
        "assert gn.tabular.Model.__name__ == 'Model'\n"
        "assert callable(gn.inspect.diagnose.diagnose)\n"
        "assert callable(gn.inspect.pictures.draw_network)\n"
        "try:\n    gn.nothere\nexcept AttributeError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "module 'glassnet' has no attribute 'nothere'"
