"""The sandbox refuses escapes with a clear message and stops runaway scripts."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from engine.errors import ScriptError
from engine.sandbox import (
    Limits, Sandbox, ScriptLimitExceeded, ScriptRefused, check, compile_source,
)


@pytest.fixture
def box():
    return Sandbox({"double": lambda x: x * 2})


@pytest.fixture
def small_box():
    """A sandbox with low limits, so runaway tests finish quickly."""
    return Sandbox(limits=Limits(max_steps=20_000, timeout=1.0, max_length=10_000, max_int_bits=2_000))


# --------------------------------------------------------------------------- escapes

ESCAPES = [
    ("__import__('os')", "'__import__' is not allowed"),
    ("open('/etc/passwd')", "'open' is not allowed"),
    ("().__class__.__mro__", "the attribute '.__class__' is not allowed"),
    ("[].__class__.__base__.__subclasses__()", "the attribute '.__class__' is not allowed"),
    ("'{0.__class__}'.format(1)", "the attribute '.format' is not allowed"),
    ("'{a.__globals__}'.format_map({'a': 1})", "the attribute '.format_map' is not allowed"),
    ("f'{(1).__class__}'", "the attribute '.__class__' is not allowed"),
    ("getattr(1, '__class__')", "'getattr' is not allowed"),
    ("setattr(x, 'a', 1)", "'setattr' is not allowed"),
    ("eval('1')", "'eval' is not allowed"),
    ("exec('x = 1')", "'exec' is not allowed"),
    ("compile('1', 'f', 'eval')", "'compile' is not allowed"),
    ("globals()", "'globals' is not allowed"),
    ("locals()", "'locals' is not allowed"),
    ("vars()", "'vars' is not allowed"),
    ("input()", "'input' is not allowed"),
    ("breakpoint()", "'breakpoint' is not allowed"),
    ("__builtins__", "the name '__builtins__' is not allowed"),
    ("(x for x in []).gi_frame.f_globals", "the attribute '.gi_frame' is not allowed"),
    ("(lambda: 0).__globals__", "the attribute '.__globals__' is not allowed"),
    ("int.mro()", "the attribute '.mro' is not allowed"),
    ("x._private", "the attribute '._private' is not allowed"),
    ("_sb_tick()", "the name '_sb_tick' is not allowed"),
]


@pytest.mark.parametrize(("source", "message"), ESCAPES)
def test_escape_in_expression_is_refused_naming_the_construct(box, source, message):
    with pytest.raises(ScriptRefused) as caught:
        box.evaluate(source, {"x": 1})
    assert message in caught.value.message


SCRIPT_ESCAPES = [
    ("import os", "an import statement is not allowed (line 1): scripts cannot load modules"),
    ("from os import system", "an import statement is not allowed"),
    ("def f():\n    global x\n    x = 1", "a 'global' statement is not allowed (line 2)"),
    ("def f():\n    y = 1\n    def g():\n        nonlocal y", "a 'nonlocal' statement is not allowed"),
    ("class A:\n    pass", "a class definition is not allowed"),
    ("with x:\n    pass", "a 'with' statement is not allowed"),
    ("def __init__(self):\n    pass", "the function name '__init__' is not allowed"),
    ("try:\n    pass\nexcept Exception as __e:\n    pass", "the name '__e' is not allowed"),
    ("x = 1\ny = open('/etc/passwd').read()", "'open' is not allowed (line 2)"),
]


@pytest.mark.parametrize(("source", "message"), SCRIPT_ESCAPES)
def test_escape_in_script_is_refused_naming_the_construct_and_line(box, source, message):
    with pytest.raises(ScriptRefused) as caught:
        box.execute(source, {"x": 1})
    assert message in caught.value.message


def test_every_forbidden_construct_is_reported_at_once():
    problems = check("import os\nx = open('f')\ny = ().__class__", "exec")
    assert problems == [
        "an import statement is not allowed (line 1): scripts cannot load modules",
        "'open' is not allowed (line 2): no file, console, network or process access",
        "the attribute '.__class__' is not allowed (line 3): attributes starting with '_' are private",
    ]


def test_check_reports_a_syntax_error_with_its_position():
    problems = check("x = = 1", "exec")
    assert len(problems) == 1
    assert problems[0].startswith("syntax error (line 1, column 5)")


def test_refusals_are_script_errors_for_the_engine(box):
    with pytest.raises(ScriptError):
        box.evaluate("open('x')")


# --------------------------------------------------------------------------- bounded execution

def test_infinite_loop_in_a_script_is_stopped(small_box):
    started = time.monotonic()
    with pytest.raises(ScriptLimitExceeded) as caught:
        small_box.execute("n = 0\nwhile True:\n    n += 1", {})
    assert "stopped after more than 20,000 steps" in caught.value.message
    assert time.monotonic() - started < 5


def test_loop_that_swallows_exceptions_is_still_stopped(small_box):
    script = "while True:\n    try:\n        pass\n    except:\n        pass"
    with pytest.raises(ScriptLimitExceeded):
        small_box.execute(script, {})


def test_catching_exception_inside_the_loop_does_not_hide_the_budget(small_box):
    script = ("def spin():\n    while True:\n        pass\n"
              "while True:\n    try:\n        spin()\n    except Exception:\n        pass")
    with pytest.raises(ScriptLimitExceeded):
        small_box.execute(script, {})


def test_nested_comprehension_that_runs_too_long_is_stopped(small_box):
    with pytest.raises(ScriptLimitExceeded):
        small_box.evaluate("sum(1 for a in range(1000) for b in range(1000) if False)")


def test_runaway_recursion_is_stopped(small_box):
    with pytest.raises(ScriptLimitExceeded):
        small_box.execute("def f(n):\n    return f(n + 1)\nf(0)", {})


def test_exponential_recursion_with_lambdas_is_stopped(small_box):
    source = "(lambda f: f(f, 40))(lambda f, n: n and f(f, n - 1) + f(f, n - 1))"
    with pytest.raises(ScriptLimitExceeded):
        small_box.evaluate(source)


def test_wall_clock_timeout_stops_slow_loops():
    box = Sandbox(limits=Limits(max_steps=10**9, timeout=0.2))
    started = time.monotonic()
    with pytest.raises(ScriptLimitExceeded) as caught:
        box.execute("while True:\n    pass", {})
    assert "more than 0.2 seconds" in caught.value.message
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(("source", "message"), [
    ("'a' * 10**10", "repeating a sequence of 1 elements 10,000,000,000 times is too large"),
    ("[0] * 10**9", "is too large"),
    ("2 ** 10 ** 10", "2 ** 10000000000 is too large"),
    ("1 << 10**9", "is too large"),
    ("list(range(10**9))", "range of 1,000,000,000 numbers is too large"),
    ("'x'.ljust(10**9)", ".ljust(1000000000) is too large"),
    ("'%0999999999d' % 1", "the %-format width '999999999' exceeds the sandbox limit (10000)"),
    ("'%*d' % (10**9, 1)", "the %-format width '*' exceeds the sandbox limit"),
])
def test_huge_values_are_refused_before_they_are_built(small_box, source, message):
    with pytest.raises(ScriptLimitExceeded) as caught:
        small_box.evaluate(source)
    assert message in caught.value.message


def test_doubling_a_string_in_a_loop_is_refused(small_box):
    with pytest.raises(ScriptLimitExceeded) as caught:
        small_box.execute("s = 'ab'\nfor i in range(100):\n    s += s", {})
    assert "a concatenation is too large" in caught.value.message


def test_augmented_multiplication_is_guarded_too(small_box):
    with pytest.raises(ScriptLimitExceeded):
        small_box.execute("s = [1]\ns *= 10**8", {})


def test_f_string_with_huge_width_is_refused_at_compile_time():
    assert check("f'{x:>99999999}'", "eval") == [
        "the format width 99999999 is not allowed: at most 10000 is allowed"]


# --------------------------------------------------------------------------- what is allowed

def test_whitelisted_builtins_and_date_helpers_work(box):
    data = {"items": [3, 1, 2], "start": "2026-03-02T09:00:00+08:00"}
    assert box.evaluate("sorted(items)", data) == [1, 2, 3]
    assert box.evaluate("sum(i * 2 for i in items if i > 1)", data) == 10
    assert box.evaluate("len(items), min(items), max(items), abs(-2), round(2.5)", data) == (3, 1, 3, 2, 2)
    assert box.evaluate("any(i > 2 for i in items) and all(isinstance(i, int) for i in items)", data)
    assert box.evaluate("dict(zip(['a', 'b'], range(2)))", data) == {"a": 0, "b": 1}
    assert box.evaluate("(datetime.fromisoformat(start) + timedelta(days=15)).date().isoformat()",
                        data) == "2026-03-17"
    assert box.evaluate("double(21)", data) == 42


def test_task_data_overrides_helpers_of_the_same_name_in_expressions(box):
    assert box.evaluate("double", {"double": "yes"}) == "yes"


def test_script_writes_new_and_changed_variables_back(box):
    data = {"count": 1, "gone": True, "notices": []}
    box.execute("count += 1\nnotices.append({'kind': '告知书'})\nnew = count * 10\ndel gone", data)
    assert data == {"count": 2, "notices": [{"kind": "告知书"}], "new": 20}


def test_functions_defined_in_a_script_do_not_leak_into_task_data(box):
    data = {}
    box.execute("def helper(x):\n    return x + 1\nsquare = lambda x: x * x\nvalue = helper(square(3))", data)
    assert data == {"value": 10}


def test_script_storing_a_set_is_refused_with_advice(box):
    with pytest.raises(ScriptError) as caught:
        box.execute("units = {'rsj', 'zjj'}", {})
    assert caught.value.message == ("variable 'units' holds a set, which cannot be stored in the case; "
                                    "convert it with list(...)")


def test_script_storing_non_string_keys_is_refused(box):
    with pytest.raises(ScriptError) as caught:
        box.execute("counts = {1: 'a'}", {})
    assert "keys of stored maps must be strings" in caught.value.message


def test_datetimes_may_be_stored_because_the_serializer_round_trips_them(box):
    data = {}
    box.execute("at = datetime(2026, 3, 2)\nspan = timedelta(days=1)", data)
    assert data == {"at": datetime(2026, 3, 2), "span": timedelta(days=1)}


def test_script_assigning_a_helper_name_is_refused(box):
    with pytest.raises(ScriptError) as caught:
        box.execute("double = 2", {})
    assert "assigns 'double', the name of a helper function" in caught.value.message


def test_failed_script_leaves_task_data_untouched(box):
    data = {"a": 1}
    with pytest.raises(ScriptError):
        box.execute("a = 2\nb = 1 / 0", data)
    assert data == {"a": 1}


def test_runtime_error_names_the_line(box):
    with pytest.raises(ScriptError) as caught:
        box.execute("a = 1\nb = missing + 1", {})
    assert caught.value.message == "'missing' is not defined on line 2 (no such variable or function)"
    assert caught.value.line == 2


def test_type_error_is_reported_as_script_error(box):
    with pytest.raises(ScriptError) as caught:
        box.evaluate("'a' + 1")
    assert caught.value.message.startswith("TypeError: can only concatenate str")


def test_bare_except_does_not_hide_ordinary_errors_from_the_script(box):
    data = {}
    box.execute("try:\n    x = 1 / 0\nexcept:\n    x = 'caught'", data)
    assert data == {"x": "caught"}


def test_compiled_code_is_cached_per_source_text():
    assert compile_source("a + 1", "eval") is compile_source("a + 1", "eval")
    assert compile_source("a + 1", "eval") is not compile_source("a + 2", "eval")


def test_straight_line_expressions_need_no_step_budget():
    assert compile_source("a and b or c", "eval").bounded is False
    assert compile_source("[x for x in a]", "eval").bounded is True
    assert compile_source("while a:\n    pass", "exec").bounded is True


def test_variable_named_builtins_cannot_replace_the_builtins(box):
    assert box.evaluate("len('ab')", {"__builtins__": {"len": "not a function"}}) == 2


def test_script_mutating_a_list_into_something_unstorable_is_refused(box):
    with pytest.raises(ScriptError) as caught:
        box.execute("notices.append({'to': {'a'}})", {"notices": []})
    assert caught.value.message.startswith("variable 'notices[0]['to']' holds a set")
