"""Find refusals whose words can never be in a catalog: an API answer's detail or field message built from values
with an f-string, ``%`` on a literal, ``.format`` or ``+``, or a literal never marked for extraction.

Problem+json is translated at render time (``podium.errors._in_locale``) by looking the text up in the catalog,
and babel extracts only marked literals (``N_``/``gettext``/``ngettext``), so a refusal with values must be
translated where it is raised (``gettext("... %(name)s ...") % {...}``) and a literal one must be marked.

What counts as a refusal's text: the first argument (or ``detail=``) of a ``DomainError`` subclass, the message
of a ``FieldError`` and every ``message=``/``detail=`` keyword, and, followed one step at a time, what reaches
them through a local variable, a list the text is appended to, or a parameter of a helper (``add_unique(row,
f"...")`` whose parameter becomes the ``Conflict``'s detail).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from podium.errors import DomainError, FieldError

MARKERS = frozenset({"N_", "gettext", "ngettext", "_", "known_or_as_is"})
TEXT_KEYWORDS = frozenset({"detail", "message"})


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    why: str  # "f-string", "% on a literal", ".format", "+ of text", "unmarked literal"
    text: str  # the literal (its constant parts for a built one)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _constant_text(node: ast.expr) -> str:
    return " ".join(
        part.value for part in ast.walk(node) if isinstance(part, ast.Constant) and isinstance(part.value, str)
    )


def _text_positions(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """Record classes (dataclasses, Structs: ``FieldError``, a program conflict) by name, with the position of
    their ``message``/``detail`` field among the fields, as a positional argument fills them."""
    found = {"FieldError": FieldError.__struct_fields__.index("message")}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                fields = [
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                ]
                for index, name in enumerate(fields):
                    if name in TEXT_KEYWORDS:
                        found[node.name] = index
    return found


def _subclasses(cls: type) -> set[type]:
    found = {cls}
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        found |= _subclasses(sub)
    return found


def _refusal_classes(trees: dict[Path, ast.Module]) -> frozenset[str]:
    """``DomainError`` and every class deriving from it, by name: those imported now and those the scanned
    packages define."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(filter(None, (_name(b) for b in node.bases)))
    found = {cls.__name__ for cls in _subclasses(DomainError)}
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            if name not in found and parents & found:
                found.add(name)
                grew = True
    return frozenset(found)


class _Scope:
    """One function (or a module's top level): where its names get their values, for following a text back."""

    def __init__(self, node: ast.AST) -> None:
        self.assigned: dict[str, list[ast.expr]] = {}
        self.params: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            self.params = [a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]]
        for child in _own_nodes(node):
            for name, value in _values_given(child):
                self.assigned.setdefault(name, []).append(value)


def _values_given(node: ast.AST) -> Iterator[tuple[str, ast.expr]]:
    """The (name, value) pairs ``node`` gives: an assignment, an append to a list, a loop over literal tuples."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value
    elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name) and node.value:
        yield node.target.id, node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        if node.func.attr in {"append", "extend", "insert"} and isinstance(node.func.value, ast.Name):
            yield node.func.value.id, node.args[-1]
    elif isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple | ast.List):
        targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
        for index, target in enumerate(targets):
            if isinstance(target, ast.Name):
                for item in node.iter.elts:
                    yield target.id, item.elts[index] if isinstance(item, ast.Tuple) and len(targets) > 1 else item


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``node``'s body, not descending into nested functions (they are scopes of their own)."""
    pending = list(ast.iter_child_nodes(node))
    while pending:
        child = pending.pop()
        yield child
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(child))


class Scanner:
    def __init__(self, root: Path, packages: tuple[str, ...]) -> None:
        self.root = root
        files = sorted(p for package in packages for p in (root / package).rglob("*.py"))
        self.trees = {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in files}
        self.refusals = _refusal_classes(self.trees)
        self.text_positions = _text_positions(self.trees)
        self.findings: set[Finding] = set()
        self.literals: set[Finding] = set()
        # (function name, parameter) pairs whose value becomes a refusal's text, found as the scan goes.
        self.carriers: set[tuple[str, str]] = set()
        self._functions: list[tuple[Path, ast.AST, _Scope]] = []
        for path, tree in self.trees.items():
            self._functions.append((path, tree, _Scope(tree)))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    self._functions.append((path, node, _Scope(node)))

    def run(self) -> Scanner:
        known = -1
        while known != len(self.carriers):  # a carrier found late makes earlier calls to it texts too
            known = len(self.carriers)
            for path, node, scope in self._functions:
                for call in (n for n in _own_nodes(node) if isinstance(n, ast.Call)):
                    for text in self._texts_of(call):
                        self._judge(path, node, scope, text, set())
        return self

    def _texts_of(self, call: ast.Call) -> Iterator[ast.expr]:
        called = _name(call.func)
        if called in self.text_positions:
            position = self.text_positions[called]
            yield from call.args[position : position + 1]
        elif called in self.refusals:
            yield from call.args[:1]
        for keyword in call.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                yield keyword.value
        for function, parameter in sorted(self.carriers):
            if called == function:
                yield from self._argument(call, function, parameter)

    def _argument(self, call: ast.Call, function: str, parameter: str) -> Iterator[ast.expr]:
        for keyword in call.keywords:
            if keyword.arg == parameter:
                yield keyword.value
        for _path, node, scope in self._functions:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
                positional = [p for p in scope.params if p not in {"self", "cls"}]
                if parameter in positional and positional.index(parameter) < len(call.args):
                    yield call.args[positional.index(parameter)]
                    return

    def _judge(self, path: Path, node: ast.AST, scope: _Scope, text: ast.expr, seen: set[str]) -> None:
        where = str(path.relative_to(self.root))
        built = _built(text)
        if built is not None:
            self.findings.add(Finding(where, text.lineno, *built))
        elif isinstance(text, ast.Constant) and isinstance(text.value, str) and text.value:
            self.literals.add(Finding(where, text.lineno, "unmarked literal", text.value))
        elif isinstance(text, ast.Name) and text.id not in seen:
            for value in scope.assigned.get(text.id, []):
                self._judge(path, node, scope, value, seen | {text.id})
            if text.id in scope.params and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.carriers.add((node.name, text.id))
        else:
            for part in _parts(text):
                self._judge(path, node, scope, part, seen)


def _built(text: ast.expr) -> tuple[str, str] | None:
    """Why ``text`` can never be in a catalog, and its constant words; None when it may be."""
    if isinstance(text, ast.JoinedStr):
        return "f-string", _constant_text(text)
    if isinstance(text, ast.BinOp) and isinstance(text.op, ast.Mod) and _is_literal(text.left):
        return "% on a literal", _constant_text(text.left)
    if isinstance(text, ast.BinOp) and isinstance(text.op, ast.Add) and _constant_text(text):
        return "+ of text", _constant_text(text)
    if isinstance(text, ast.Call) and isinstance(text.func, ast.Attribute) and text.func.attr == "format":
        return ".format", _constant_text(text.func.value)
    return None


def _parts(text: ast.expr) -> list[ast.expr]:
    """The expressions a text is picked from: both branches of ``a if c else b``, the items ``"; ".join`` puts
    together, the element of a comprehension."""
    if isinstance(text, ast.IfExp):
        return [text.body, text.orelse]
    if isinstance(text, ast.Call) and _name(text.func) == "join" and text.args:
        return [text.args[0]]
    if isinstance(text, ast.ListComp | ast.GeneratorExp):
        return [text.elt]
    return []


def scan(root: Path, packages: tuple[str, ...]) -> Scanner:
    return Scanner(root, packages).run()
