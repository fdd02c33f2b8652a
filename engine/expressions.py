"""What Camunda Modeler users write, translated into Python the sandbox runs.

Three dialects meet here:

* **JUEL** inside ``${...}`` or ``#{...}`` (conditions, timers, assignees, candidate
  groups): ``&&``, ``||``, ``!``, ``not``, ``empty``, ``eq``/``ne``/``lt``/``gt``/``le``/``ge``,
  ``div``/``mod``, ``null``/``true``/``false``, ``a ? b : c`` and ``a.b`` map access.
  Text around ``${...}`` makes a composite text (``${handling_unit}:handler``).
* **Plain Python** (what SpiffWorkflow users write) passes through unchanged.
* **FEEL** in DMN tables: unary tests (``"a","b"``, ``-``, ``< 10``, ``[1..5]``,
  ``not("x")``) and simple expressions for inputs and outputs.

Timer values may also be bare ISO 8601 literals (``P15D``, ``R3/P1D``,
``2026-12-01T09:00:00+08:00``), which become string constants.

Every translation is checked and compiled by :mod:`engine.sandbox`; ``check_expression``
gives the same verdict at deploy time as a list of messages.
"""
from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from engine import sandbox
from engine.errors import ScriptError

KINDS = ("condition", "expression", "text", "timer", "timeDate", "timeDuration", "timeCycle", "script",
         "unary_tests", "dmn_input", "dmn_output")
# Camunda attributes whose values are texts that may contain ${...}
KIND_ALIASES = dict.fromkeys(("assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate",
                              "priority", "formKey"), "text")
CELL_INPUT = "cellInput"  # Camunda's name for the input value inside DMN input entries


class ExpressionError(ScriptError):
    """An expression could not be translated (syntax the dialect does not have)."""


# --------------------------------------------------------------------------- ISO 8601 timers

_NUM = r"\d+(?:[.,]\d+)?"
DURATION_RE = (rf"P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
               rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?")
DATETIME_RE = (r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
               r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
CYCLE_RE = rf"R\d*/(?:(?:{DATETIME_RE})/)?{DURATION_RE}(?:/(?:{DATETIME_RE}))?"
_TIMER_LITERAL = re.compile(rf"(?:{CYCLE_RE}|{DURATION_RE}|{DATETIME_RE})")
_CRON = re.compile(r"^\S+(\s+\S+){4,6}$")


def timer_literal_kind(text: str) -> str | None:
    """'timeDuration', 'timeDate' or 'timeCycle' when ``text`` is a bare ISO 8601 literal."""
    text = text.strip()
    if re.fullmatch(CYCLE_RE, text):
        return "timeCycle"
    if re.fullmatch(DURATION_RE, text):
        return "timeDuration"
    if re.fullmatch(DATETIME_RE, text):
        return "timeDate"
    return None


def _timer_literal_problem(literal: str, kind: str) -> str | None:
    """Why a bare literal does not fit the timer kind, using SpiffWorkflow's own parsers."""
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition as T

    found = timer_literal_kind(literal)
    names = {"timeDuration": "a duration like P15D or PT2H",
             "timeDate": "a date and time like 2026-12-01T09:00:00+08:00",
             "timeCycle": "a repetition like R3/P1D or R/PT10M"}
    if kind in names and found != kind:
        return f"{kind} needs {names[kind]}, not '{literal}' ({names[found]})"
    try:
        if found == "timeDuration":
            T.parse_iso_duration(literal)
        elif found == "timeDate":
            T.get_datetime(literal)
        else:
            T.parse_iso_recurring_interval(literal)
    except Exception as exc:  # Spiff raises bare Exception/ValueError for bad literals
        return f"'{literal}' is not a valid ISO 8601 {found[4:].lower()}: {exc}"
    return None


def timer_value(value) -> str:
    """Turn what a timer expression evaluated to into the ISO 8601 text SpiffWorkflow parses."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime):
        # naive datetimes would be read in the server's zone by Spiff; storage is UTC
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds <= 0:
            raise ScriptError(f"a timer duration must be positive, not {value}")
        days, rest = divmod(seconds, 86400)
        text = f"P{int(days)}D" if days else "P"
        if rest:
            text += f"T{int(rest) if rest == int(rest) else rest}S"
        return text
    raise ScriptError(f"a timer expression must give an ISO 8601 text, a datetime or a timedelta, "
                      f"not {type(value).__name__} {value!r}")


# --------------------------------------------------------------------------- templates

def split_template(text: str) -> list[tuple[bool, str]]:
    """Split ``a ${x} b`` into literal and expression parts: [(False, 'a '), (True, 'x'), ...]."""
    parts: list[tuple[bool, str]] = []
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("\\${", i) or text.startswith("\\#{", i):
            literal.append(text[i + 1:i + 3])
            i += 3
            continue
        if text[i] in "$#" and text.startswith("{", i + 1):
            end = _matching_brace(text, i + 2)
            if literal:
                parts.append((False, "".join(literal)))
                literal = []
            parts.append((True, text[i + 2:end]))
            i = end + 1
            continue
        literal.append(text[i])
        i += 1
    if literal:
        parts.append((False, "".join(literal)))
    return parts


def _matching_brace(text: str, start: int) -> int:
    depth, i, quote = 0, start, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise ExpressionError(f"'{text[start - 2:start]}' at position {start - 1} has no closing '}}'")


def has_template(text: str) -> bool:
    """Whether ``text`` contains a ``${...}`` or ``#{...}`` expression."""
    return "${" in text or "#{" in text


# --------------------------------------------------------------------------- tokens

@dataclass(frozen=True)
class _Token:
    kind: str   # 'str', 'num', 'name', 'op'
    value: str  # decoded text for 'str'
    pos: int


_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "**", "//", "..", "->",
              "!", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}",
              ",", ".", "?", ":", "=", "~", "&", "|", "^", "@", ";")
_NAME = re.compile(r"[^\W\d]\w*")
_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_FEEL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def _tokenize(text: str, dialect: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            value, i = _read_string(text, i, dialect)
            tokens.append(_Token("str", value, i))
            continue
        number = _NUMBER.match(text, i)
        if number and not (ch == "." and text.startswith("..", i)):
            # `1..5` in a FEEL range is 1, '..', 5 and not the float `1.`
            raw = number.group()
            if dialect == "feel" and "." in raw and text.startswith("..", i + raw.index(".")):
                raw = raw[:raw.index(".")]
            tokens.append(_Token("num", raw, i))
            i += len(raw)
            continue
        name = _NAME.match(text, i)
        if name:
            word = name.group()
            if not word.isascii():
                # Python folds identifiers with NFKC (ｓ, ſ, ﬁ → s, s, fi); a name must be
                # checked as it will run, so only plain ASCII names are accepted at all
                folded = unicodedata.normalize("NFKC", word)
                reads = f" (it would read as '{folded}')" if folded != word else ""
                raise ExpressionError(f"the name '{word}' at position {i + 1} is not allowed: names must be "
                                      f"written with ASCII letters, digits and '_'{reads}")
            tokens.append(_Token("name", word, i))
            i = name.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(_Token("op", op, i))
                i += len(op)
                break
        else:
            raise ExpressionError(f"unexpected character {ch!r} at position {i + 1}")
    return tokens


def _read_string(text: str, start: int, dialect: str) -> tuple[str, int]:
    quote, i, out = text[start], start + 1, []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if dialect == "feel" and nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt in ("\\", "'", '"') or (dialect == "feel" and nxt in _FEEL_ESCAPES):
                out.append(_FEEL_ESCAPES.get(nxt, nxt) if dialect == "feel" else nxt)
                i += 2
                continue
            out.append(ch)  # JUEL keeps other backslashes as they are
            i += 1
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ExpressionError(f"the string starting at position {start + 1} is not closed")


# --------------------------------------------------------------------------- JUEL / FEEL → Python

# Markers for unary operators whose precedence Python does not have: they are emitted
# as `~` / unary `+` (which bind as tightly as JUEL's unary operators) and turned into
# `not` / `_sb_empty(...)` on the AST, so `!a == b` means `(not a) == b` as in JUEL.
_NOT, _EMPTY = "~", "+"
_JUEL_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
               "div": "/", "mod": "%", "null": "None", "true": "True", "false": "False"}
_FEEL_WORDS = {"null": "None", "true": "True", "false": "False"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
MAX_NESTING = 50  # brackets; the translator and Python's parser recurse per level
_KEYWORDS_BEFORE_OPERAND = {"and", "or", "not", "in", "is", "if", "else", "then", "return",
                            "lambda", "yield", "for"} | set(_JUEL_WORDS) - {"null", "true", "false"}


def _check_name(token: _Token) -> None:
    if token.value.startswith(sandbox.INTERNAL_PREFIX):
        raise ExpressionError(f"the name '{token.value}' is reserved")


def _prefix_position(previous: _Token | None) -> bool:
    """Whether an operator at this point is a prefix (unary) operator."""
    if previous is None:
        return True
    if previous.kind == "op":
        return previous.value not in (")", "]", "}")
    if previous.kind == "name":
        return previous.value in _KEYWORDS_BEFORE_OPERAND
    return False


_FEEL_FUNCTIONS = {("date", "and", "time"): "datetime", ("date",): "date", ("duration",): "duration"}


def _feel_functions(tokens: list[_Token]) -> list[_Token]:
    """FEEL's ``date(...)``, ``date and time(...)`` and ``duration(...)`` as sandbox helpers."""
    out: list[_Token] = []
    i = 0
    while i < len(tokens):
        for words, helper in _FEEL_FUNCTIONS.items():
            end = i + len(words)
            if end < len(tokens) and _is_op(tokens[end], "(") and all(
                    tokens[i + k].kind == "name" and tokens[i + k].value == w for k, w in enumerate(words)):
                out.append(_Token("internal", sandbox.INTERNAL_PREFIX + helper, tokens[i].pos))
                i = end
                break
        else:
            if tokens[i].kind == "name" and tokens[i].value == "time" and i + 1 < len(tokens) \
                    and _is_op(tokens[i + 1], "("):
                raise ExpressionError("FEEL time(...) is not supported; use date and time(...)")
            out.append(tokens[i])
            i += 1
    return out


def _map_tokens(tokens: list[_Token], dialect: str) -> list[_Token]:
    """Replace the dialect's operators and words by Python ones (markers for unary ops)."""
    if dialect == "feel":
        tokens = _feel_functions(tokens)
    out: list[_Token] = []
    words = _JUEL_WORDS if dialect == "juel" else _FEEL_WORDS
    for index, tok in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        value = tok.value
        if tok.kind == "name":
            _check_name(tok)
            after_dot = previous is not None and previous.kind == "op" and previous.value == "."
            if after_dot:
                out.append(tok)
            elif value == "not" and not (following and following.kind == "name" and following.value == "in") \
                    and not (previous and previous.kind == "name" and previous.value == "is"):
                out.append(_Token("op", _NOT, tok.pos))
            elif value == "empty" and dialect == "juel":
                out.append(_Token("op", _EMPTY, tok.pos))
            elif value == "instanceof":
                raise ExpressionError("'instanceof' is not supported")
            elif value in words:
                mapped = words[value]
                out.append(_Token("name" if mapped[0].isalpha() else "op", mapped, tok.pos))
            else:
                out.append(tok)
            continue
        if tok.kind == "op":
            if value in ("~", "&", "|", "^", "@", ";", "->") or (value == "+" and _prefix_position(previous)):
                raise ExpressionError(f"the operator '{value}' at position {tok.pos + 1} is not supported here")
            if value == "&&":
                out.append(_Token("name", "and", tok.pos))
            elif value == "||":
                out.append(_Token("name", "or", tok.pos))
            elif value == "!":
                out.append(_Token("op", _NOT, tok.pos))
            elif value == "=" and dialect == "feel":
                out.append(_Token("op", "==", tok.pos))
            elif value == "?" and dialect == "feel":
                out.append(_Token("name", CELL_INPUT, tok.pos))
            elif value == ".." and dialect == "juel":
                raise ExpressionError(f"'..' at position {tok.pos + 1} is not JUEL")
            else:
                out.append(tok)
            continue
        out.append(tok)
    return out


@dataclass
class _Group:
    opener: _Token
    items: list  # of _Token | _Group
    closer: _Token


def _group(tokens: list[_Token]) -> list:
    """Nest bracketed tokens into groups so that `?`/`:` and `if/then/else` are found per level."""
    stack: list[tuple[_Token | None, list]] = [(None, [])]
    for tok in tokens:
        if tok.kind == "op" and tok.value in _OPENERS:
            if len(stack) > MAX_NESTING:
                raise ExpressionError(f"brackets are nested more than {MAX_NESTING} deep")
            stack.append((tok, []))
        elif tok.kind == "op" and tok.value in _OPENERS.values():
            opener, items = stack.pop() if len(stack) > 1 else (None, None)
            if opener is None or _OPENERS[opener.value] != tok.value:
                raise ExpressionError(f"'{tok.value}' at position {tok.pos + 1} does not close anything")
            stack[-1][1].append(_Group(opener, items, tok))
        else:
            stack[-1][1].append(tok)
    if len(stack) > 1:
        opener = stack[-1][0]
        raise ExpressionError(f"'{opener.value}' at position {opener.pos + 1} is not closed")
    return stack[0][1]


def _is_op(item, *values: str) -> bool:
    return isinstance(item, _Token) and item.kind == "op" and item.value in values


def _is_word(item, *values: str) -> bool:
    return isinstance(item, _Token) and item.kind == "name" and item.value in values


def _emit(items: list, dialect: str, bracket: str | None = None) -> list[str]:
    """Python source tokens for one bracket level, restructuring ternaries on the way."""
    segments: list[list] = [[]]
    separators: list[_Token] = []
    pending = 0  # '?' seen without their ':' in the current segment
    for item in items:
        if _is_op(item, ","):
            segments.append([])
            separators.append(item)
            pending = 0
            continue
        if _is_op(item, "?"):
            pending += 1
        elif _is_op(item, ":"):
            if pending:
                pending -= 1
            elif bracket in ("[", "{"):
                segments.append([])  # a slice or a dict entry
                separators.append(item)
                continue
        segments[-1].append(item)
    out: list[str] = []
    for index, segment in enumerate(segments):
        if index:
            out.append(separators[index - 1].value)
        out.extend(_emit_segment(segment, dialect))
    return out


def _emit_segment(items: list, dialect: str) -> list[str]:
    if dialect == "feel" and items and _is_word(items[0], "if"):
        return _emit_feel_if(items, dialect)
    for q, item in enumerate(items):
        if _is_op(item, "?"):
            depth = 0
            for c in range(q + 1, len(items)):
                if _is_op(items[c], "?"):
                    depth += 1
                elif _is_op(items[c], ":"):
                    if depth == 0:
                        condition, then, otherwise = items[:q], items[q + 1:c], items[c + 1:]
                        if not condition or not then or not otherwise:
                            raise ExpressionError(f"incomplete '? :' at position {item.pos + 1}")
                        return ["(", "(", *_emit_segment(then, dialect), ")", "if",
                                "(", *_emit_segment(condition, dialect), ")", "else",
                                "(", *_emit_segment(otherwise, dialect), ")", ")"]
                    depth -= 1
            raise ExpressionError(f"'?' at position {item.pos + 1} has no matching ':'")
    out: list[str] = []
    for item in items:
        if isinstance(item, _Group):
            out.append(item.opener.value)
            out.extend(_emit(item.items, dialect, item.opener.value))
            out.append(item.closer.value)
        elif item.kind == "str":
            out.append(repr(item.value))
        else:
            out.append(item.value)
    return out


def _emit_feel_if(items: list, dialect: str) -> list[str]:
    """FEEL ``if c then a else b`` (nested ifs allowed) as a Python conditional expression."""
    depth, then_at, else_at = 0, None, None
    for index, item in enumerate(items[1:], start=1):
        if _is_word(item, "if"):
            depth += 1
        elif _is_word(item, "then") and depth == 0 and then_at is None:
            then_at = index
        elif _is_word(item, "else"):
            if depth == 0:
                else_at = index
                break
            depth -= 1
    if then_at is None or else_at is None:
        raise ExpressionError("'if' needs 'then' and 'else'")
    condition, then, otherwise = items[1:then_at], items[then_at + 1:else_at], items[else_at + 1:]
    return ["(", "(", *_emit_segment(then, dialect), ")", "if", "(", *_emit_segment(condition, dialect),
            ")", "else", "(", *_emit_segment(otherwise, dialect), ")", ")"]


class _MarkerTransformer(ast.NodeTransformer):
    """Turns the unary markers into `not`/`_sb_empty` and `a.b` into map-aware access."""

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Invert):
            return ast.UnaryOp(op=ast.Not(), operand=node.operand)
        if isinstance(node.op, ast.UAdd):
            return ast.Call(func=ast.Name(id=sandbox.INTERNAL_PREFIX + "empty", ctx=ast.Load()),
                            args=[node.operand], keywords=[])
        return node

    def visit_Call(self, node):
        func = node.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "execution" and func.attr == "getVariable"):
            return self._get_variable(node)
        # a method call keeps its attribute form; only its receiver and arguments change
        if isinstance(node.func, ast.Attribute):
            node.func.value = self.visit(node.func.value)
            node.args = [self.visit(a) for a in node.args]
            node.keywords = [self.visit(k) for k in node.keywords]
            return node
        return self.generic_visit(node)

    @staticmethod
    def _get_variable(node):
        """Camunda's ``execution.getVariable('x')``: the variable, or null when it is not set."""
        args = node.args
        if len(args) != 1 or node.keywords or not isinstance(args[0], ast.Constant) \
                or not isinstance(args[0].value, str) or not args[0].value.isidentifier() \
                or not args[0].value.isascii() or args[0].value.startswith("_"):
            raise ExpressionError("execution.getVariable needs one variable name in quotes")
        return ast.Call(func=ast.Name(id=sandbox.INTERNAL_PREFIX + "var", ctx=ast.Load()),
                        args=[args[0]], keywords=[])

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and not node.attr.startswith("_"):
            return ast.Call(func=ast.Name(id=sandbox.INTERNAL_PREFIX + "attr", ctx=ast.Load()),
                            args=[node.value, ast.Constant(node.attr)], keywords=[])
        return node


def _to_python(text: str, dialect: str) -> str:
    tokens = _map_tokens(_tokenize(text, dialect), dialect)
    if not tokens:
        raise ExpressionError("the expression is empty")
    source = " ".join(_emit(_group(tokens), dialect))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from None
    tree = ast.fix_missing_locations(_MarkerTransformer().visit(tree))
    return ast.unparse(tree)


@lru_cache(maxsize=4096)
def juel_to_python(body: str) -> str:
    """Translate the inside of a JUEL ``${...}`` into a Python expression."""
    return _to_python(body, "juel")


@lru_cache(maxsize=4096)
def feel_to_python(text: str) -> str:
    """Translate a simple FEEL expression (literals, names, paths, arithmetic, if/then/else)."""
    return _to_python(text, "feel")


# --------------------------------------------------------------------------- FEEL unary tests

_COMPARISONS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "==": "==", "!=": "!="}


def _split_tests(tokens: list[_Token]) -> list[list[_Token]]:
    """Split unary tests at top-level commas; intervals like `]1..5[` do not nest like brackets."""
    tests: list[list[_Token]] = []
    i, n = 0, len(tokens)
    while i < n:
        if _is_op(tokens[i], "[", "]", "(") and _is_interval(tokens, i):
            j, depth = i + 1, 0
            while j < n:
                if _is_op(tokens[j], "("):
                    depth += 1
                elif _is_op(tokens[j], ")") and depth:
                    depth -= 1
                elif depth == 0 and _is_op(tokens[j], "]", "[", ")") and (j + 1 == n or _is_op(tokens[j + 1], ",")):
                    break
                j += 1
            tests.append(tokens[i:j + 1])
            i = j + 1
        else:
            j, depth = i, 0
            while j < n and not (depth == 0 and _is_op(tokens[j], ",")):
                if _is_op(tokens[j], "(", "[", "{"):
                    depth += 1
                elif _is_op(tokens[j], ")", "]", "}"):
                    depth -= 1
                j += 1
            tests.append(tokens[i:j])
            i = j
        if i < n:  # at a comma
            i += 1
            if i == n:
                tests.append([])
    return tests


def _is_interval(tokens: list[_Token], start: int) -> bool:
    depth = 0
    for tok in tokens[start + 1:]:
        if _is_op(tok, "("):
            depth += 1
        elif _is_op(tok, ")") and depth:
            depth -= 1
        elif depth == 0 and _is_op(tok, ","):
            return False
        elif _is_op(tok, ".."):
            return True
    return False


def _tokens_text(tokens: list[_Token]) -> str:
    return " ".join(repr(t.value) if t.kind == "str" else t.value for t in tokens)


def _feel_operand(tokens: list[_Token], text: str) -> str:
    if not tokens:
        raise ExpressionError(f"'{text}' is missing a value")
    python = _to_python_tokens(tokens)
    return f"({python})"


def _to_python_tokens(tokens: list[_Token]) -> str:
    mapped = _map_tokens(tokens, "feel")
    source = " ".join(_emit(_group(mapped), "feel"))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in '{_tokens_text(tokens)}': {exc.msg}") from None
    return ast.unparse(ast.fix_missing_locations(_MarkerTransformer().visit(tree)))


def _unary_test(tokens: list[_Token]) -> str:
    name = CELL_INPUT
    text = _tokens_text(tokens)
    first = tokens[0]
    if first.kind == "op" and first.value in ("[", "]", "(") and any(
            t.kind == "op" and t.value == ".." for t in tokens):
        last = tokens[-1]
        if not (last.kind == "op" and last.value in ("]", "[", ")")):
            raise ExpressionError(f"the interval '{text}' must end with ']', '[' or ')'")
        dots = next(i for i, t in enumerate(tokens) if t.kind == "op" and t.value == "..")
        low = _feel_operand(tokens[1:dots], text)
        high = _feel_operand(tokens[dots + 1:-1], text)
        low_op = "<=" if first.value == "[" else "<"
        high_op = "<=" if last.value == "]" else "<"
        return f"({low} {low_op} {name} {high_op} {high})"
    if first.kind == "op" and first.value in _COMPARISONS:
        return f"({name} {_COMPARISONS[first.value]} {_feel_operand(tokens[1:], text)})"
    if first.kind == "name" and first.value == "in":
        return f"({name} in {_feel_operand(tokens[1:], text)})"
    if first.kind == "name" and first.value == "not" and len(tokens) > 1 and tokens[1].value == "in":
        return f"({name} not in {_feel_operand(tokens[2:], text)})"
    if len(tokens) == 1 and first.kind == "name" and first.value == "null":
        return f"({name} is None)"
    if any(t.kind == "op" and t.value == "?" for t in tokens):
        return f"({_to_python_tokens(tokens)})"  # FEEL's `?` stands for the input value
    return f"({name} == {_feel_operand(tokens, text)})"


def _literal_value(tokens: list[_Token]):
    """The Python value of a single literal test (string, number, boolean), else a sentinel."""
    if len(tokens) == 1:
        tok = tokens[0]
        if tok.kind == "str":
            return tok.value
        if tok.kind == "num":
            return float(tok.value) if any(c in tok.value for c in ".eE") else int(tok.value)
        if tok.kind == "name" and tok.value in ("true", "false"):
            return tok.value == "true"
    if len(tokens) == 2 and tokens[0].kind == "op" and tokens[0].value == "-" and tokens[1].kind == "num":
        value = _literal_value(tokens[1:])
        return -value
    return _NO_LITERAL


_NO_LITERAL = object()


@lru_cache(maxsize=8192)
def feel_unary_tests(text: str | None) -> str | None:
    """A FEEL input entry as a Python test of ``cellInput``; None when it matches anything (``-``)."""
    name = CELL_INPUT
    if text is None or not text.strip() or text.strip() == "-":
        return None
    stripped = text.strip()
    if stripped.startswith(("${", "#{")):
        parts = split_template(stripped)
        if len(parts) != 1 or not parts[0][0]:
            raise ExpressionError("an input entry must be a single ${...} expression")
        return f"bool({juel_to_python(parts[0][1])})"
    tokens = _tokenize(stripped, "feel")
    negate = False
    if (len(tokens) >= 3 and tokens[0].kind == "name" and tokens[0].value == "not"
            and tokens[1].kind == "op" and tokens[1].value == "(" and tokens[-1].value == ")"):
        negate, tokens = True, tokens[2:-1]
    tests = _split_tests(tokens)
    if any(not test for test in tests):
        raise ExpressionError(f"'{text}' has an empty test between commas")
    literals = [_literal_value(test) for test in tests]
    if all(value is not _NO_LITERAL for value in literals):
        # the common case, "a","b": one membership test instead of several comparisons
        python = f"({name} == {literals[0]!r})" if len(literals) == 1 else \
            f"({name} in {tuple(literals)!r})"
    else:
        python = " or ".join(_unary_test(test) for test in tests)
    return f"not ({python})" if negate else python


# --------------------------------------------------------------------------- public API

@dataclass(frozen=True)
class Translation:
    """Python source for the sandbox, and whether it uses the translator's internal helpers."""

    python: str
    internal: bool
    mode: str = "eval"


def _juel_or_python(text: str) -> Translation:
    """A whole text that is one ``${...}``, or plain Python (with JUEL operators as fallback)."""
    stripped = text.strip()
    if stripped.startswith(("${", "#{")):
        parts = split_template(stripped)
        if len(parts) == 1 and parts[0][0]:
            return Translation(juel_to_python(parts[0][1]), True)
        raise ExpressionError("text around ${...} makes a composite text; a condition or value "
                              "must be a single ${...} expression")
    try:
        ast.parse(stripped, mode="eval")
        return Translation(stripped, False)
    except SyntaxError as python_error:
        # `a && !b` without ${...} is not Python, but there is only one thing it can mean
        try:
            return Translation(juel_to_python(stripped), True)
        except ExpressionError:
            raise ExpressionError(sandbox.syntax_message(python_error, with_text=False)) from None


def _feel_value(text: str) -> Translation:
    """A DMN input expression or output entry: FEEL, ``${...}``, or Python as SpiffWorkflow has it."""
    stripped = text.strip()
    if stripped.startswith(("${", "#{")):
        return _juel_or_python(stripped)
    try:
        return Translation(feel_to_python(stripped), True)
    except ExpressionError as feel_error:
        try:
            ast.parse(stripped, mode="eval")
        except SyntaxError:
            raise feel_error from None
        return Translation(stripped, False)


def _template(text: str) -> Translation:
    parts = split_template(text)
    expressions = [body for is_expression, body in parts if is_expression]
    if not expressions:
        return Translation(repr(text), False)
    if len(parts) == 1:
        return Translation(juel_to_python(expressions[0]), True)
    pieces = [f"{sandbox.INTERNAL_PREFIX}text({juel_to_python(body)})" if is_expression else repr(body)
              for is_expression, body in parts]
    return Translation(" + ".join(pieces), True)


@lru_cache(maxsize=8192)
def translate(text: str, kind: str = "expression") -> Translation:
    """Python for the sandbox from what a designer wrote; ExpressionError when impossible."""
    kind = _kind(kind)
    try:
        return _translate(text, kind)
    except (RecursionError, MemoryError):
        # very long operator chains recurse in the parser and the translator
        raise ExpressionError(sandbox.TOO_DEEP) from None


def _translate(text: str, kind: str) -> Translation:
    if kind == "unary_tests":
        tests = feel_unary_tests(text)
        return Translation(tests if tests is not None else "True", True)
    if text is None or not text.strip():
        raise ExpressionError(f"the {kind} is empty")
    if kind == "script":
        return Translation(text, False, "exec")
    if kind == "text":
        return _template(text)
    if kind in ("dmn_input", "dmn_output"):
        return _feel_value(text)
    if kind in ("timer", "timeDate", "timeDuration", "timeCycle"):
        stripped = text.strip()
        if _TIMER_LITERAL.fullmatch(stripped):
            return Translation(repr(stripped), False)
        if has_template(stripped):
            return _template(stripped)
        return _juel_or_python(stripped)
    return _juel_or_python(text)


@lru_cache(maxsize=8192)
def compile_expression(text: str, kind: str = "expression") -> sandbox.Compiled:
    """Translate and compile once; ScriptError (ExpressionError/ScriptRefused) when impossible."""
    translation = translate(text, kind)
    return sandbox.compile_source(translation.python, translation.mode, translation.internal)


def _kind(kind: str) -> str:
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or {tuple(KIND_ALIASES)}, not {kind!r}")
    return kind


def check_expression(text: str | None, kind: str = "condition") -> list[str]:
    """Deploy-time problems with an expression of this kind; an empty list means it is fine.

    Kinds: condition, expression, text (and the Camunda attribute names assignee,
    candidateGroups, dueDate …), timeDate, timeDuration, timeCycle, timer, script,
    unary_tests (DMN input entries), dmn_input, dmn_output.
    """
    kind = _kind(kind)
    if kind == "unary_tests" and (text is None or text.strip() in ("", "-")):
        return []  # an empty input entry matches anything
    if text is None or not text.strip():
        return [f"the {kind} is empty"]
    stripped = text.strip()
    if kind in ("timeDate", "timeDuration", "timeCycle", "timer"):
        if _TIMER_LITERAL.fullmatch(stripped):
            problem = _timer_literal_problem(stripped, kind)
            return [problem] if problem else []
        if kind == "timeCycle" and _CRON.match(stripped) and not has_template(stripped):
            return [f"'{stripped}' looks like a cron expression; cycles must be ISO 8601 "
                    f"repetitions like R3/P1D or R/PT10M"]
    try:
        translation = translate(text, kind)
    except ExpressionError as exc:
        return [f"{exc.message} in '{stripped}'"]
    problems = sandbox.check(translation.python, translation.mode, internal=translation.internal)
    if problems and translation.internal:
        return [f"{p} in '{stripped}'" for p in problems]
    return problems
