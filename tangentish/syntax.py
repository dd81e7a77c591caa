"""The one module that knows gast and Python-version details.

Every other pass builds and inspects nodes through these helpers, so a new
gast or Python release is absorbed here.  Source comes out through the
standard library's ``ast.unparse`` (astor is unmaintained).
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Iterable
from typing import List, Optional

import gast

Node = gast.AST


def parse_function(source: str) -> gast.FunctionDef:
    """The first function definition in ``source``."""
    module = gast.parse(source)
    for node in module.body:
        if isinstance(node, gast.FunctionDef):
            return node
    raise ValueError("no function definition in source")


def parse_expr(source: str) -> Node:
    return gast.parse(source, mode="eval").body


def parse_stmts(source: str) -> List[Node]:
    return gast.parse(source).body


def to_source(node) -> str:
    """Python source for a gast node or list of statements."""
    if isinstance(node, list):
        node = gast.Module(body=node, type_ignores=[])
    tree = ast.fix_missing_locations(gast.gast_to_ast(node))
    return ast.unparse(tree)


def to_ast(node) -> ast.AST:
    return ast.fix_missing_locations(gast.gast_to_ast(node))


def name(id: str, store: bool = False) -> gast.Name:
    ctx = gast.Store() if store else gast.Load()
    return gast.Name(id=id, ctx=ctx, annotation=None, type_comment=None)


def const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str, value: Node) -> gast.Assign:
    return gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)


def assign_to(target: Node, value: Node) -> gast.Assign:
    return gast.Assign(targets=[target], value=value, type_comment=None)


def call(func, args: Iterable[Node] = (), keywords: Iterable[gast.keyword] = ()) -> gast.Call:
    if isinstance(func, str):
        func = parse_expr(func)
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def keyword(arg: str, value: Node) -> gast.keyword:
    return gast.keyword(arg=arg, value=value)


def binop(left: Node, op: gast.operator, right: Node) -> gast.BinOp:
    return gast.BinOp(left=left, op=op, right=right)


def tuple_(elts: List[Node], store: bool = False) -> gast.Tuple:
    return gast.Tuple(elts=list(elts), ctx=gast.Store() if store else gast.Load())


def ret(value: Optional[Node]) -> gast.Return:
    return gast.Return(value=value)


def comment(text: str) -> gast.Expr:
    """A statement that `emit` turns into a ``# text`` comment line."""
    return gast.Expr(value=call(name(COMMENT), [const(text)]))


COMMENT = "__tangentish_comment__"


def is_comment(stmt: Node) -> bool:
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)
            and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == COMMENT)


def copy_node(node: Node) -> Node:
    return copy.deepcopy(node)


def load(node: Node) -> Node:
    """A copy of ``node`` with every context set to Load."""
    node = copy.deepcopy(node)
    for n in gast.walk(node):
        if hasattr(n, "ctx"):
            n.ctx = gast.Load()
    return node


def store(node: Node) -> Node:
    node = copy.deepcopy(node)
    if hasattr(node, "ctx"):
        node.ctx = gast.Store()
    if isinstance(node, (gast.Tuple, gast.List)):
        node.elts = [store(e) for e in node.elts]
    return node


def rename(nodes, old: str, new: str) -> None:
    """Rename every ``old`` identifier in ``nodes`` (in place)."""
    for root in (nodes if isinstance(nodes, list) else [nodes]):
        for n in gast.walk(root):
            if isinstance(n, gast.Name) and n.id == old:
                n.id = new


def names_in(node) -> set:
    """Every identifier read or written in ``node`` (or a list of nodes)."""
    nodes = node if isinstance(node, list) else [node]
    out = set()
    for root in nodes:
        for n in gast.walk(root):
            if isinstance(n, gast.Name):
                out.add(n.id)
            elif isinstance(n, (gast.FunctionDef, gast.ClassDef)):
                out.add(n.name)
    return out


def loaded_names(node) -> set:
    nodes = node if isinstance(node, list) else [node]
    out = set()
    for root in nodes:
        for n in gast.walk(root):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                out.add(n.id)
    return out


def stored_names(node) -> set:
    """Names assigned anywhere in ``node`` (targets, loop variables)."""
    nodes = node if isinstance(node, list) else [node]
    out = set()
    for root in nodes:
        for n in gast.walk(root):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.add(n.id)
    return out


def is_atom(node: Node) -> bool:
    """A name or a constant: what normalized statements take as operands."""
    return isinstance(node, (gast.Name, gast.Constant))


def is_constant_expr(node: Node) -> bool:
    """An expression made only of literals (``(0, 1)``, ``-1``, ``slice(None)``)."""
    for n in gast.walk(node):
        if isinstance(n, (gast.Name, gast.Call, gast.Attribute, gast.Subscript, gast.Lambda)):
            return False
    return True


def dotted_name(node: Node) -> Optional[str]:
    """``np.linalg.inv`` for an Attribute chain over a Name, else None."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, gast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
