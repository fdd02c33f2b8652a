"""Restricted evaluation of BPMN expressions and script tasks (the rules of the language).

Scripts are parsed with :mod:`ast`, checked against a whitelist of syntax, rewritten so
that loops, comprehensions and function bodies tick a step budget and so that the
operators that can build huge values (``*``, ``**``, ``<<``, ``+``, ``%``) check sizes
first, then compiled once per source text.  They run with a small set of builtins and
the helper functions the engine passes in: no imports, no reflection, no file, network
or process access, and attributes only from one allow-list (``ALLOWED_ATTRIBUTES``).

Names are checked as Python will read them: identifiers outside string literals must be
ASCII, because Python folds other identifiers with NFKC (a full-width ``ｓ`` or a long
``ſ`` would become ``s`` after the check).  The engine's own helpers (step budget, size
guards, JUEL's ``empty`` and property access) are not names in any namespace: compiled
code holds them as closure cells of the function it runs in, under names no source
text can spell.

This module decides what may run; :mod:`engine.evaluation` decides where: every
evaluation of designer code runs in a worker process with OS limits, which uses this
module inside the worker.  Every refusal is an :class:`engine.errors.ScriptError` whose
message names the construct.
"""
from __future__ import annotations

import ast
import builtins
import copy
import io
import math
import re
import time
import tokenize
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from types import CellType, CodeType, FunctionType, ModuleType

from engine.errors import ScriptError

# Names engine/expressions.py writes into translated source for its helpers.  Designer
# source may not mention them; after checking, they become HELPER names.
INTERNAL_PREFIX = "_sb_"
# Compiled code names the engine's helpers with this prefix, which no identifier can
# contain: they are free variables of the function the code runs in, bound to closure
# cells per run, and never keys of the namespace the code sees.
HELPER = "$"

# Reflection, dynamic code, I/O and interpreter access: each with the reason shown
# to the BPMN author when it is refused.
FORBIDDEN_NAMES: dict[str, str] = {
    **dict.fromkeys(("exec", "eval", "compile", "__import__"), "no dynamic code or imports"),
    **dict.fromkeys(("open", "input", "print", "breakpoint", "help", "exit", "quit"),
                    "no file, console, network or process access"),
    # `type` and `id` are left out on purpose: petition data has variables of those names
    **dict.fromkeys(("getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars",
                     "dir", "object", "super", "memoryview"),
                    "no reflection or object internals"),
}

# Attributes that reach frames, code objects or string-format escapes
# (``'{0.__class__}'.format(x)`` walks attributes named inside the string).
FORBIDDEN_ATTRIBUTES: dict[str, str] = {
    **dict.fromkeys(("format", "format_map"),
                    "str.format can read attributes named inside the string; use an f-string"),
    **dict.fromkeys(("gi_frame", "gi_code", "gi_yieldfrom", "gi_running", "cr_frame", "cr_code",
                     "cr_await", "ag_frame", "ag_code", "ag_await", "f_globals", "f_locals",
                     "f_builtins", "f_back", "f_code", "f_trace", "tb_frame", "tb_next",
                     "co_code", "co_consts", "func_globals", "func_code", "mro"),
                    "no access to interpreter frames, code or class internals"),
}

# The one allow-list of attributes: static ``x.name`` in Python, JUEL/FEEL ``a.b`` on
# objects (on maps it reads the key), and the size-guarded method calls all go through it.
# Methods and fields of the plain data scripts work on: text, numbers, lists, maps, sets,
# dates and durations.  Nothing here reaches a function's, class's or frame's internals.
ALLOWED_ATTRIBUTES: frozenset[str] = frozenset({
    # str
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "index", "isalnum",
    "isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle",
    "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix",
    "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines",
    "startswith", "strip", "swapcase", "title", "upper", "zfill",
    # list, dict, set
    "append", "clear", "copy", "extend", "insert", "pop", "remove", "reverse", "sort", "get", "items",
    "keys", "values", "setdefault", "update", "popitem", "add", "discard", "union", "intersection",
    "difference", "symmetric_difference", "issubset", "issuperset", "isdisjoint",
    # numbers
    "bit_length", "is_integer", "real", "imag", "conjugate",
    # datetime, date, time, timedelta, timezone
    "year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold", "date",
    "time", "timetz", "weekday", "isoweekday", "isocalendar", "isoformat", "fromisoformat",
    "strftime", "astimezone", "timestamp", "utcoffset", "tzname", "days", "seconds", "microseconds",
    "total_seconds", "combine", "fromtimestamp", "now", "today", "utc", "min", "max",
    # exceptions a script catches
    "args",
})

ALLOWED_NODES: tuple[type, ...] = (
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign,
    ast.Delete, ast.Pass, ast.Break, ast.Continue, ast.If, ast.For, ast.While, ast.Try,
    ast.ExceptHandler, ast.Raise, ast.Assert, ast.FunctionDef, ast.Return, ast.Lambda,
    ast.arguments, ast.arg, ast.keyword, ast.Name, ast.Load, ast.Store, ast.Del,
    ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.List, ast.Tuple, ast.Set, ast.Dict,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Starred, ast.NamedExpr, ast.Yield,
    ast.YieldFrom, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)

NODE_NAMES: dict[type, str] = {
    ast.Import: "an import statement", ast.ImportFrom: "an import statement",
    ast.Global: "a 'global' statement", ast.Nonlocal: "a 'nonlocal' statement",
    ast.ClassDef: "a class definition", ast.AsyncFunctionDef: "an async function",
    ast.Await: "'await'", ast.AsyncFor: "'async for'", ast.AsyncWith: "'async with'",
    ast.With: "a 'with' statement", ast.Match: "a 'match' statement",
}


@dataclass(frozen=True)
class Limits:
    """How much one evaluation may do before it is stopped."""

    max_steps: int = 1_000_000     # loop iterations + function calls + comprehension items
    timeout: float = 2.0           # seconds of wall time, checked every 1024 steps
    max_length: int = 1_000_000    # elements of a str/list/tuple/range built by an operator
    max_int_bits: int = 100_000    # about 30,000 decimal digits
    max_format_width: int = 10_000  # widths in '%10d' and f'{x:>10}'


DEFAULT_LIMITS = Limits()


class ScriptRefused(ScriptError):
    """The source uses a construct the sandbox does not allow."""


class ScriptLimitExceeded(ScriptError):
    """The evaluation ran too long or tried to build too large a value."""


class _BudgetExhausted(BaseException):
    """Raised by the step counter; a BaseException so ``except Exception`` cannot swallow it."""


@dataclass(frozen=True)
class Compiled:
    """A checked, rewritten and compiled source text."""

    source: str
    code: CodeType
    mode: str        # "eval" or "exec"
    bounded: bool    # contains loops, comprehensions or functions: needs a step budget
    internal: bool = False        # translated JUEL/FEEL that may use the translator's helpers
    names: frozenset[str] = frozenset()  # the variables it can read or write
    literal: tuple = ()  # (value,) when the source is one constant: nothing to evaluate


# --------------------------------------------------------------------------- checking

def _refusal(what: str, why: str, node: ast.AST | None, show_line: bool = True) -> str:
    line = getattr(node, "lineno", None) if show_line else None
    where = f" (line {line})" if line else ""
    return f"{what} is not allowed{where}: {why}"


def _ascii_problem(name: str, line: int | None, kind: str = "name") -> tuple[int, str]:
    folded = unicodedata.normalize("NFKC", name)
    reads = f"; Python would read it as '{folded}'" if folded != name else ""
    where = f" (line {line})" if line else ""
    return (line or 0, f"the {kind} '{name}' is not allowed{where}: names must be written with ASCII "
                       f"letters, digits and '_'{reads}")


def _fstring_fields(literal: str) -> list[str]:
    """The ``{...}`` fields of an f-string token (its expressions and format specs)."""
    quote_at = next(i for i, ch in enumerate(literal) if ch in "'\"")
    if "f" not in literal[:quote_at].lower():
        return []
    quote = literal[quote_at:quote_at + 3] if literal[quote_at:quote_at + 3] in ('"""', "'''") \
        else literal[quote_at]
    body = literal[quote_at + len(quote):len(literal) - len(quote)]
    fields, i, n = [], 0, len(body)
    while i < n:
        if body.startswith(("{{", "}}"), i):
            i += 2
            continue
        if body[i] != "{":
            i += 1
            continue
        depth, j, inner_quote = 0, i + 1, None
        while j < n:
            ch = body[j]
            if inner_quote:
                if ch == inner_quote:
                    inner_quote = None
            elif ch in "'\"":
                inner_quote = ch
            elif ch in "([{":
                depth += 1
            elif ch in ")]}":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        fields.append(body[i + 1:j])
        i = j + 1
    return fields


def identifier_problems(source: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, message) for every identifier that is not plain ASCII, f-string fields included.

    Python's parser folds identifiers with NFKC, so ``_ｓｂ_x`` or ``ſelf`` would pass a check
    of the raw text and run as another name; refusing them closes that gap in every dialect.
    """
    problems: list[tuple[int, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        if not source.isascii():
            return [(first_line, "text outside string literals must be ASCII (names are folded by NFKC)")]
        return []
    seen: set[tuple[int, int]] = set()
    for tok in tokens:
        line = first_line + tok.start[0] - 1
        if tok.type == tokenize.STRING:
            if not tok.string.isascii():
                for field in _fstring_fields(tok.string):
                    problems.extend(identifier_problems(field, line))
        elif tok.type != tokenize.COMMENT and not tok.string.isascii():
            # tokenize splits `format＿map` at the full-width low line, Python does not
            row, start, end = tok.line, tok.start[1], tok.start[1] + len(tok.string)
            while start > 0 and ("a" + row[start - 1]).isidentifier():
                start -= 1
            while end < len(row) and ("a" + row[end]).isidentifier():
                end += 1
            if (line, start) not in seen:
                seen.add((line, start))
                problems.append(_ascii_problem(row[start:end] if end > start else tok.string, line))
    return problems


class _Checker(ast.NodeVisitor):
    """Collects every forbidden construct, so a deploy reports them all at once."""

    def __init__(self, internal: bool, limits: Limits, show_lines: bool = True):
        self.internal = internal
        self.show_lines = show_lines
        self.limits = limits
        self._found: list[tuple[int, int, str]] = []
        self._function_depth = 0

    @property
    def problems(self) -> list[str]:
        """The problems in source order."""
        return [message for _, _, message in sorted(self._found)]

    def _add(self, what: str, why: str, node: ast.AST):
        position = (getattr(node, "lineno", 0) or 0, getattr(node, "col_offset", 0) or 0)
        self._found.append((*position, _refusal(what, why, node, self.show_lines)))

    def generic_visit(self, node):
        if not isinstance(node, ALLOWED_NODES):
            what = NODE_NAMES.get(type(node), f"'{type(node).__name__}' syntax")
            why = ("scripts cannot load modules" if isinstance(node, (ast.Import, ast.ImportFrom))
                   else "not supported in process scripts")
            self._add(what, why, node)
            return
        super().generic_visit(node)

    def _check_identifier(self, name: str | None, node: ast.AST, kind: str = "name"):
        if name is None:
            return
        if not name.isascii() or not name.isidentifier():
            self._add(f"the {kind} '{name}'", "names must be written with ASCII letters, digits and '_'", node)
        elif name in FORBIDDEN_NAMES:
            self._add(f"'{name}'", FORBIDDEN_NAMES[name], node)
        elif name.startswith("__"):
            self._add(f"the {kind} '{name}'", "dunder names reach interpreter internals", node)
        elif name.startswith(INTERNAL_PREFIX) and not self.internal:
            self._add(f"the {kind} '{name}'", f"names starting with '{INTERNAL_PREFIX}' are reserved", node)

    def visit_Name(self, node):
        self._check_identifier(node.id, node)
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self._check_identifier(node.name, node, "function name")
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1

    def visit_Lambda(self, node):
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1

    def _outside_function(self, node, what: str):
        if self._function_depth == 0:
            self._add(what, "only a function defined in the script may use it", node)
        self.generic_visit(node)

    def visit_Return(self, node):
        self._outside_function(node, "'return' outside a function")

    def visit_Yield(self, node):
        self._outside_function(node, "'yield' outside a function")

    def visit_YieldFrom(self, node):
        self._outside_function(node, "'yield from' outside a function")

    def visit_arg(self, node):
        self._check_identifier(node.arg, node, "parameter")
        self.generic_visit(node)

    def visit_keyword(self, node):
        self._check_identifier(node.arg, node, "keyword")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node):
        self._check_identifier(node.name, node)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        problem = attribute_problem(node.attr)
        if problem:
            self._add(f"the attribute '.{node.attr}'", problem, node)
        self.generic_visit(node)

    def visit_FormattedValue(self, node):
        spec = node.format_spec
        for part in spec.values if spec is not None else ():
            if isinstance(part, ast.FormattedValue):
                self._add("a computed format spec in an f-string", "write widths as numbers", node)
            elif isinstance(part, ast.Constant) and isinstance(part.value, str):
                for width in re.findall(r"\d+", part.value):
                    if int(width) > self.limits.max_format_width:
                        self._add(f"the format width {width}",
                                  f"at most {self.limits.max_format_width} is allowed", node)
        self.generic_visit(node)


def attribute_problem(name: str) -> str | None:
    """Why the attribute ``name`` may not be read, or None when the allow-list has it."""
    if name in ALLOWED_ATTRIBUTES:
        return None
    if name.startswith("_"):
        return "attributes starting with '_' are private"
    if name in FORBIDDEN_ATTRIBUTES:
        return FORBIDDEN_ATTRIBUTES[name]
    return ("it is not one of the methods and fields of text, numbers, lists, maps and dates "
            "that expressions may use (docs/architecture.md)")


TOO_DEEP = "the expression is nested too deeply"


def _parse(source: str, mode: str) -> ast.AST:
    try:
        return ast.parse(source, mode=mode)
    except (RecursionError, MemoryError):
        raise SyntaxError(TOO_DEEP) from None


def check(source: str, mode: str = "exec", *, internal: bool = False,
          limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Problems with ``source`` (syntax errors and forbidden constructs); empty when fine."""
    try:
        tree = _parse(source, mode)
    except SyntaxError as exc:
        return [syntax_message(exc)]
    show_lines = mode == "exec"
    found = [(line if show_lines else 0, 0, message if show_lines else re.sub(r" \(line \d+\)", "", message))
             for line, message in identifier_problems(source)]
    checker = _Checker(internal, limits, show_lines=show_lines)
    try:
        checker.visit(tree)
    except RecursionError:
        return [TOO_DEEP]
    return [message for _, _, message in sorted(found + checker._found)]


def syntax_message(exc: SyntaxError, with_text: bool = True) -> str:
    """A one-line description of a Python syntax error."""
    where = f" (line {exc.lineno}, column {exc.offset})" if exc.lineno else ""
    text = f": {exc.text.strip()}" if with_text and exc.text and exc.text.strip() else ""
    return f"syntax error{where}: {exc.msg}{text}"


# --------------------------------------------------------------------------- rewriting

def _internal(name: str) -> ast.Name:
    return ast.Name(id=HELPER + name, ctx=ast.Load())


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_internal(name), args=list(args), keywords=[])


def _tick_statement() -> ast.Expr:
    return ast.Expr(value=_call("tick"))


# Methods that can grow a string or list far beyond their inputs in one call.
SIZED_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace",
                           "join", "extend"})
_GUARDED_OPERATORS = {ast.Mult: "mul", ast.Pow: "pow", ast.LShift: "lshift",
                      ast.Add: "add", ast.Mod: "mod"}


class _Rewriter(ast.NodeTransformer):
    """Inserts step ticks and size guards; records whether a budget is needed."""

    def __init__(self):
        self.bounded = False

    def _loop(self, node):
        self.generic_visit(node)
        self.bounded = True
        node.body.insert(0, _tick_statement())
        return node

    visit_For = visit_While = _loop

    def visit_FunctionDef(self, node):
        return self._loop(node)

    def visit_Lambda(self, node):
        self.generic_visit(node)
        self.bounded = True
        # tick() returns True, so `tick() and body` is body
        node.body = ast.BoolOp(op=ast.And(), values=[_call("tick"), node.body])
        return node

    def visit_comprehension(self, node):
        self.generic_visit(node)
        self.bounded = True
        # first, so that items the user's own filters drop still count
        node.ifs.insert(0, _call("tick"))
        return node

    def visit_ExceptHandler(self, node):
        self.generic_visit(node)
        if node.type is None:
            # a bare `except:` would also catch the budget's BaseException
            node.type = ast.Name(id="Exception", ctx=ast.Load())
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        return _call(guard, node.left, node.right)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        # `x *= n` becomes `x = _sb_mul(x, n)`; a subscript target is read twice,
        # which is harmless for the plain data scripts work on.
        load = _as_load(node.target)
        return ast.Assign(targets=[node.target], value=_call(guard, load, node.value))

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SIZED_METHODS:
            return ast.Call(func=_internal("sized"),
                            args=[func.value, ast.Constant(func.attr), *node.args],
                            keywords=node.keywords)
        return node


def _as_load(target: ast.expr) -> ast.expr:
    clone = copy.deepcopy(target)
    for child in ast.walk(clone):
        if hasattr(child, "ctx"):
            child.ctx = ast.Load()
    return clone


class _HelperNames(ast.NodeTransformer):
    """``_sb_x`` (written by the translator, checked) becomes the helper name ``$x``."""

    def visit_Name(self, node):
        if node.id.startswith(INTERNAL_PREFIX):
            node.id = HELPER + node.id[len(INTERNAL_PREFIX):]
        return node


def _bound_at_top(body: list[ast.stmt]) -> list[str]:
    """Names a script binds outside its own functions: they stay variables of the case."""
    names: dict[str, None] = {}

    def visit(node, nested: bool):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            if isinstance(node, ast.FunctionDef) and not nested:
                names[node.name] = None
            for child in (*getattr(node, "decorator_list", ()), *node.args.defaults,
                          *[d for d in node.args.kw_defaults if d is not None]):
                visit(child, nested)
            for child in (node.body if isinstance(node.body, list) else [node.body]):
                visit(child, True)
            return
        if not nested:
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names[node.id] = None
            elif isinstance(node, ast.NamedExpr):
                names[node.target.id] = None
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names[node.name] = None
        for child in ast.iter_child_nodes(node):
            visit(child, nested)

    for statement in body:
        visit(statement, False)
    return [n for n in names if not n.startswith(HELPER)]


def _as_function(tree: ast.AST, mode: str, helpers: list[str]) -> ast.Module:
    """``def $outer(<helpers>): def $run(): <body>; return $run`` around the checked code.

    The helpers become free variables of ``$run``: closure cells filled per run, so no
    namespace the code can see holds them.  A script's top-level names are declared
    global, so they are still read from and written to the case variables.
    """
    if mode == "eval":
        body: list[ast.stmt] = [ast.Return(value=tree.body)]
    else:
        body = list(tree.body) or [ast.Pass()]
        bound = _bound_at_top(tree.body)
        if bound:
            body.insert(0, ast.Global(names=bound))
    run = ast.FunctionDef(name=HELPER + "run", args=_no_arguments(), body=body, decorator_list=[],
                          returns=None, type_comment=None)
    outer = ast.FunctionDef(
        name=HELPER + "outer",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=h) for h in helpers], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[run, ast.Return(value=ast.Name(id=HELPER + "run", ctx=ast.Load()))],
        decorator_list=[], returns=None, type_comment=None)
    return ast.Module(body=[outer], type_ignores=[])


def _no_arguments() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                         kwarg=None, defaults=[])


def _inner_code(module_code: CodeType, name: str) -> CodeType:
    for const in module_code.co_consts:
        if isinstance(const, CodeType):
            if const.co_name == name:
                return const
            found = _inner_code(const, name)
            if found is not None:
                return found
    return None


@lru_cache(maxsize=8192)
def compile_source(source: str, mode: str = "eval", internal: bool = False) -> Compiled:
    """Check, rewrite and compile ``source`` once; raises ScriptRefused naming the problem."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    problems = check(source, mode, internal=internal)
    if problems:
        raise ScriptRefused("; ".join(problems))
    try:
        tree = ast.parse(source, mode=mode)
        literal = (tree.body.value,) if mode == "eval" and isinstance(tree.body, ast.Constant) else ()
        if internal:
            tree = _HelperNames().visit(tree)
        rewriter = _Rewriter()
        tree = rewriter.visit(tree)
        helpers = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id.startswith(HELPER)})
        names = _variables_of(tree)
        module = ast.fix_missing_locations(_as_function(tree, mode, helpers))
        filename = "<expression>" if mode == "eval" else "<script>"
        code = _inner_code(compile(module, filename, "exec"), HELPER + "run")
    except (RecursionError, MemoryError):
        raise ScriptRefused(TOO_DEEP) from None
    return Compiled(source, code, mode, rewriter.bounded, internal, names, literal)


def _variables_of(tree: ast.AST) -> frozenset[str]:
    """Every variable name the code mentions, and the names given to getVariable.

    No construct reaches a variable it does not name (no globals(), vars() or eval), so
    these are all the case variables an evaluation needs to be sent.
    """
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not node.id.startswith(HELPER):
            names.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == HELPER + "var":
            names.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return frozenset(names)


# --------------------------------------------------------------------------- runtime guards

def _too_big(what: str, limits: Limits, integer: bool = False) -> ScriptLimitExceeded:
    limit = f"{limits.max_int_bits:,} bits" if integer else f"{limits.max_length:,} elements"
    return ScriptLimitExceeded(f"{what} is too large: the sandbox allows at most {limit}")


def _make_guards(limits: Limits) -> dict[str, object]:
    max_len, max_bits = limits.max_length, limits.max_int_bits

    def check_repeat(seq, times):
        if isinstance(times, int) and hasattr(seq, "__len__") and len(seq) * times > max_len:
            raise _too_big(f"repeating a sequence of {len(seq):,} elements {times:,} times", limits)

    def mul(a, b):
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > max_bits:
                raise _too_big("an integer product", limits, integer=True)
        elif isinstance(b, int):
            check_repeat(a, b)
        elif isinstance(a, int):
            check_repeat(b, a)
        return a * b

    def power(a, b):
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            if b * a.bit_length() > max_bits:
                raise _too_big(f"{a} ** {b}", limits, integer=True)
        return a ** b

    def lshift(a, b):
        if isinstance(a, int) and isinstance(b, int) and a and b + a.bit_length() > max_bits:
            raise _too_big(f"{a} << {b}", limits, integer=True)
        return a << b

    def add(a, b):
        result = a + b
        if isinstance(result, (str, list, tuple, bytes)) and len(result) > max_len:
            raise _too_big("a concatenation", limits)
        return result

    percent_spec = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")

    def mod(a, b):
        if isinstance(a, str):
            for width, precision in percent_spec.findall(a):
                for number in (width, precision):
                    if number == "*" or (number and int(number) > limits.max_format_width):
                        raise ScriptLimitExceeded(
                            f"the %-format width {number!r} exceeds the sandbox limit "
                            f"({limits.max_format_width})")
        return a % b

    def sized(obj, name, *args, **kwargs):
        method = getattr(obj, name)
        if isinstance(obj, (str, bytes)):
            if name in ("ljust", "rjust", "center", "zfill"):
                width = args[0] if args else kwargs.get("width", 0)
                if isinstance(width, int) and width > max_len:
                    raise _too_big(f".{name}({width})", limits)
            elif name == "expandtabs":
                size = args[0] if args else kwargs.get("tabsize", 8)
                if isinstance(size, int) and obj.count("\t" if isinstance(obj, str) else b"\t") * size > max_len:
                    raise _too_big(".expandtabs()", limits)
            elif name == "replace" and len(args) >= 2:
                old, new = args[0], args[1]
                count = obj.count(old) if old else len(obj) + 1
                if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
                    count = min(count, args[2])
                if len(obj) + count * (len(new) - len(old)) > max_len:
                    raise _too_big(".replace()", limits)
            elif name == "join" and args:
                parts = list(args[0])
                total = sum(len(p) for p in parts if hasattr(p, "__len__"))
                if total + len(obj) * max(len(parts) - 1, 0) > max_len:
                    raise _too_big(".join()", limits)
                return method(parts)
        elif name == "extend" and args and hasattr(obj, "__len__") and hasattr(args[0], "__len__"):
            if len(obj) + len(args[0]) > max_len:
                raise _too_big(".extend()", limits)
        return method(*args, **kwargs)

    return {"mul": mul, "pow": power, "lshift": lshift, "add": add, "mod": mod, "sized": sized}


def _make_range(limits: Limits):
    def safe_range(*args):
        """range() limited to the sandbox's maximum length."""
        result = range(*args)
        if len(result) > limits.max_length:
            raise _too_big(f"range of {len(result):,} numbers", limits)
        return result
    return safe_range


def empty(value) -> bool:
    """JUEL's ``empty``: null, an empty string or an empty collection."""
    if value is None:
        return True
    try:
        return len(value) == 0
    except TypeError:
        return False


def attribute(obj, name: str):
    """JUEL/FEEL property access: a map key for dicts (null when missing), else an allowed attribute."""
    if isinstance(obj, dict):
        return obj.get(name)
    problem = attribute_problem(name) if isinstance(name, str) else "not a name"
    if problem:
        raise ScriptRefused(f"the attribute '.{name}' is not allowed: {problem}")
    if obj is None:
        raise ScriptError(f"cannot read '.{name}' of null")
    return getattr(obj, name)


def _variable_reader(ns: dict):
    def variable(name):
        """Camunda's ``execution.getVariable``: a plain variable name, null when unset."""
        if not isinstance(name, str) or not name.isidentifier() or not name.isascii() or name.startswith("_"):
            raise ScriptRefused(f"execution.getVariable needs a plain variable name, not {name!r}")
        value = ns.get(name)
        return None if callable(value) else value
    return variable


def text(value) -> str:
    """How a value reads inside a composite ``${...}`` text: null is the empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# China has kept UTC+8 without daylight saving since 1991; a date or time written
# without an offset in a DMN table means the county's local time.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def to_datetime(value) -> datetime:
    """An aware datetime from ISO text, a date or a datetime (no offset: China time)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise ScriptError(f"{value!r} is not a date or date-time")
    return value if value.tzinfo else value.replace(tzinfo=CHINA)


def to_duration(text: str) -> timedelta:
    """FEEL duration("P1DT2H") as a timedelta (days and times; months and years vary in length)."""
    match = re.fullmatch(r"(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?",
                         text.strip())
    if not match or text.strip() in ("P", "-P") or text.strip().endswith("T"):
        raise ScriptError(f"{text!r} is not a day-time duration like P1D or PT2H")
    sign, weeks, days, hours, minutes, seconds = match.groups()
    span = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                     minutes=int(minutes or 0), seconds=float(seconds or 0))
    return -span if sign else span


SAFE_BUILTINS: dict[str, object] = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float",
        "frozenset", "int", "isinstance", "len", "list", "map", "max", "min", "ord",
        "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip", "repr",
        "True", "False", "None",
        "Exception", "ArithmeticError", "AssertionError", "IndexError", "KeyError",
        "LookupError", "TypeError", "ValueError", "ZeroDivisionError",
    )
}

# Date types every expression may use.
DATE_HELPERS: dict[str, object] = {
    "datetime": datetime, "date": date, "timedelta": timedelta, "timezone": timezone,
}


# --------------------------------------------------------------------------- running

_JSON_SCALARS = (str, int, float, bool, type(None))


def _storable_problem(value, path: str, depth: int = 0) -> str | None:
    """Why ``value`` cannot be kept in task data, or None when it can."""
    if isinstance(value, _JSON_SCALARS):
        if isinstance(value, float) and not math.isfinite(value):
            return f"'{path}' is {value}, which JSON cannot store"
        return None
    if depth > 50:
        return f"'{path}' is nested more than 50 levels deep"
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problem = _storable_problem(item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"'{path}' has the key {key!r}; keys of stored maps must be strings"
            problem = _storable_problem(item, f"{path}[{key!r}]", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, (datetime, timedelta)):
        # SpiffWorkflow's serializer registry round-trips these two
        return None
    hint = {set: "list(...)", frozenset: "list(...)", date: ".isoformat()", range: "list(...)"}
    advice = f"; convert it with {hint[type(value)]}" if type(value) in hint else ""
    return f"'{path}' holds a {type(value).__name__}, which cannot be stored in the case{advice}"


def _line_of(exc: BaseException, filename: str) -> int | None:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class Sandbox:
    """Runs compiled expressions and scripts with whitelisted builtins and helper functions."""

    def __init__(self, functions: dict[str, object] | None = None, limits: Limits = DEFAULT_LIMITS):
        self.limits = limits
        self.functions = dict(functions or {})
        builtins = dict(SAFE_BUILTINS, range=_make_range(limits))
        base: dict[str, object] = {"__builtins__": builtins}
        base.update(DATE_HELPERS)
        base.update(self.functions)
        self._base = base
        self._helper_names = frozenset(k for k in base if k != "__builtins__")
        # the engine's own helpers, by the names compiled code gives its closure cells
        helpers: dict[str, object] = {HELPER + name: guard for name, guard in _make_guards(limits).items()}
        helpers.update({HELPER + "empty": empty, HELPER + "attr": attribute, HELPER + "text": text,
                        HELPER + "date": to_datetime, HELPER + "datetime": to_datetime,
                        HELPER + "duration": to_duration})
        self._helpers = helpers

    def namespace(self, context: dict | None = None, external: dict | None = None) -> dict:
        """The globals one evaluation runs in: helper functions, then external context, then task data."""
        ns = self._base.copy()
        if external:
            ns.update(external)
        if context:
            ns.update(context)
            # a variable called __builtins__ (say from a submitted form) must not replace them
            ns["__builtins__"] = self._base["__builtins__"]
        return ns

    def _cells(self, code: CodeType, ns: dict) -> tuple:
        cells = []
        for name in code.co_freevars:
            if name == HELPER + "tick":
                value = self._budget()
            elif name == HELPER + "var":
                # Camunda's execution.getVariable('x'): the variable, or null when unset
                value = _variable_reader(ns)
            else:
                value = self._helpers[name]
            cells.append(CellType(value))
        return tuple(cells)

    def _budget(self):
        limits = self.limits
        steps = 0
        deadline = time.monotonic() + limits.timeout
        exhausted = False

        def tick():
            nonlocal steps, exhausted
            steps += 1
            if exhausted or steps > limits.max_steps:
                exhausted = True
                raise _BudgetExhausted(f"more than {limits.max_steps:,} steps")
            if not steps & 1023 and time.monotonic() > deadline:
                exhausted = True
                raise _BudgetExhausted(f"more than {limits.timeout:g} seconds")
            return True
        return tick

    def run(self, compiled: Compiled, ns: dict):
        """Run ``compiled`` in the namespace ``ns``; every failure becomes a ScriptError."""
        function = FunctionType(compiled.code, ns, None, None, self._cells(compiled.code, ns))
        try:
            result = function()
            return result if compiled.mode == "eval" else None
        except _BudgetExhausted as exc:
            raise ScriptLimitExceeded(f"stopped after {exc.args[0]}: the script or expression "
                                      f"does not finish (an endless loop?)") from None
        except ScriptError:
            raise
        except RecursionError:
            raise ScriptLimitExceeded("stopped: recursion too deep") from None
        except MemoryError:
            raise ScriptLimitExceeded("stopped: out of memory") from None
        except Exception as exc:
            filename = compiled.code.co_filename
            line = _line_of(exc, filename) if compiled.mode == "exec" else None
            where = f" on line {line}" if line else ""
            if isinstance(exc, NameError) and getattr(exc, "name", None):
                message = f"'{exc.name}' is not defined{where} (no such variable or function)"
            else:
                message = f"{type(exc).__name__}{where}: {exc}"
            error = ScriptError(message)
            error.line = line
            raise error from exc

    def evaluate(self, source: str, context: dict | None = None, external: dict | None = None):
        """Evaluate a Python expression against task data."""
        return self.run(compile_source(source, "eval"), self.namespace(context, external))

    def evaluate_compiled(self, compiled: Compiled, context: dict | None = None,
                          external: dict | None = None):
        """Evaluate an already compiled expression against task data."""
        return self.run(compiled, self.namespace(context, external))

    def execute(self, source: str, context: dict, external: dict | None = None) -> None:
        """Run a script; its new and changed variables are written back into ``context``."""
        self.execute_compiled(compile_source(source, "exec"), context, external)

    def execute_compiled(self, compiled: Compiled, context: dict, external: dict | None = None) -> None:
        """Run a compiled script; its new and changed variables are written back into ``context``."""
        ns = self.namespace(context, external)
        self.run(compiled, ns)
        self._write_back(ns, context, external or {})

    def _write_back(self, ns: dict, context: dict, external: dict) -> None:
        base = self._base
        result: dict[str, object] = {}
        for key, value in ns.items():
            if key == "__builtins__":
                continue
            if key in base and value is base[key] and key not in context:
                continue  # a helper the script did not touch
            if key in external and value is external[key] and key not in context:
                continue
            if callable(value) or isinstance(value, ModuleType):
                continue  # functions a script defines stay in the script
            if key in self._helper_names and not (key in context and context[key] is value):
                raise ScriptError(f"the script assigns '{key}', the name of a helper function; "
                                  f"use another variable name")
            unchanged = key in context and context[key] is value
            # what the script did not create or rebind is checked only if it can have been
            # mutated in place, so an odd value from elsewhere does not fail every script
            problem = None if unchanged and not isinstance(value, (list, dict)) else _storable_problem(value, key)
            if problem:
                raise ScriptError(f"variable {problem}")
            result[key] = value
        for key in [k for k in context if k not in result]:
            del context[key]
        context.update(result)
