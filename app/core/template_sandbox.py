"""A Jinja sandbox with budgets: chat templates from strangers end in bounded time and memory.

jinja2's sandbox stops a template from reaching Python internals, but not from burning CPU
or memory: ``9**9**9`` is folded while the template compiles, ``range`` loops nest, and
``'x' * 10**10`` asks for gigabytes in one C call. Here every place where a template can do
work passes through a hook that counts steps, checks a deadline and a cancel token, and
refuses an operation whose result would be too large *before* Python allocates it:

- arithmetic that can grow (``**``, ``*``, ``+``, ``%``) is intercepted, which also keeps
  the compiler from folding it at load time;
- filters are wrapped as context filters, which the compiler never folds either, and every
  filter call and every function or method call has its arguments sized first;
- each ``for`` loop's iterable and each ``~`` concatenation are rewritten (on the parsed
  tree) into calls of hidden helpers that count and size;
- every ``{{ expression }}`` is sized before it is turned into text, and the rendered
  output is streamed through :func:`render_bounded`, which caps its length.

The budget of the current render lives in a context variable, so one compiled template is
safe to render from several threads.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

from app.core.cancel import CancelToken
from app.core.errors import CancelledError

log = logging.getLogger(__name__)

#: Longest template source compiled at all (real chat templates are at most a few tens of KB).
MAX_SOURCE_CHARS: Final = 256 * 1024
#: Largest integer argument to a filter or call (widths, counts, ``range`` lengths).
MAX_INT_ARGUMENT: Final = 100_000
#: Largest value (characters or items, counted one level deep into containers) an operation
#: may take or make. Chat contents are far below it; a gigabyte string is far above.
MAX_VALUE_SIZE: Final = 32 * 1024 * 1024
#: Largest integer a template may compute, in bits (``10**20000`` has ~66k bits).
MAX_INT_BITS: Final = 1 << 16
#: Containers are sized by walking at most this many elements.
_MAX_SIZE_WALK: Final = 100_000
# Format widths and precisions of six digits or more are refused outright: in a
# str.format field, and in a printf-style conversion.
_BIG_FORMAT_WIDTH: Final = re.compile(r"\d{6,}")
_BIG_PERCENT_WIDTH: Final = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d{6,}|\d*\.\d{6,})")

_ITER_HELPER: Final = "__hearth_iter"
_CONCAT_HELPER: Final = "__hearth_concat"


class TemplateLimitError(Exception):
    """A template went over one of its budgets (time, steps, size)."""


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """What one render may spend."""

    #: Wall-clock seconds for one render, compile excluded.
    seconds: float = 2.0
    #: Counted operations: loop iterations, calls, filters, concatenations, lookups.
    steps: int = 2_000_000
    #: Output characters, on top of four times the size of the conversation being formatted.
    extra_output_chars: int = 1024 * 1024


class _Budget:
    __slots__ = ("_cancel", "_deadline", "_limits", "steps")

    def __init__(self, limits: RenderLimits, cancel: CancelToken | None) -> None:
        self._limits = limits
        self._cancel = cancel
        self._deadline = time.monotonic() + limits.seconds
        self.steps = 0

    def tick(self) -> None:
        self.steps += 1
        # The clock and the token are read every 256 steps: cheap, and still many checks
        # per millisecond.
        if self.steps & 0xFF == 0:
            self.check()

    def check(self) -> None:
        if self._cancel is not None and self._cancel.cancelled:
            raise CancelledError()
        if self.steps > self._limits.steps:
            raise TemplateLimitError(f"more than {self._limits.steps:,} steps")
        if time.monotonic() > self._deadline:
            raise TemplateLimitError(f"took longer than {self._limits.seconds:g} s")


_BUDGET: Final[contextvars.ContextVar[_Budget | None]] = contextvars.ContextVar(
    "hearth_template_budget", default=None
)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def value_size(value: Any) -> int:
    """Characters or items in ``value``, counting strings inside containers (bounded walk)."""
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if not isinstance(value, list | tuple | dict | set | frozenset):
        return 0
    total = 0
    walked = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        walked += 1
        if walked > _MAX_SIZE_WALK or total > MAX_VALUE_SIZE:
            return MAX_VALUE_SIZE + 1
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, dict):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend(item)
    return total


def _int_size(value: Any) -> int:
    return abs(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def check_arguments(what: str, values: Iterable[Any]) -> None:
    """Refuse a call whose arguments could make a result over :data:`MAX_VALUE_SIZE`.

    Widths and counts are capped; of the sizes involved, the largest must fit and so must
    the product of the two largest (``replace``, ``join``, ``indent``, ``expandtabs`` and
    formatting can multiply one argument by another).
    """
    sizes: list[int] = []
    for value in values:
        number = _int_size(value)
        if number > MAX_INT_ARGUMENT:
            raise TemplateLimitError(f"{what}: number {number} is too large")
        if isinstance(value, int):
            sizes.append(number)
            continue
        sizes.append(value_size(value))
    sizes.sort(reverse=True)
    if sizes and sizes[0] > MAX_VALUE_SIZE:
        raise TemplateLimitError(f"{what}: value too large")
    if len(sizes) >= 2 and sizes[0] * sizes[1] > MAX_VALUE_SIZE:
        raise TemplateLimitError(f"{what}: result could be too large")


def _check_format_string(text: str) -> None:
    # Widths like "{:>999999999}" are inside the string, not among the arguments.
    for field in re.findall(r"\{[^{}]*\}", text):
        if _BIG_FORMAT_WIDTH.search(field):
            raise TemplateLimitError("format width too large")


def _check_percent_format(text: str) -> None:
    if _BIG_PERCENT_WIDTH.search(text):
        raise TemplateLimitError("format width too large")


def _bound_self(obj: Any) -> Any:
    inner = getattr(obj, "__wrapped__", obj)  # jinja wraps str.format in a sandboxed copy
    return getattr(inner, "__self__", None)


def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        bits = max(1, abs(base).bit_length())
        if abs(base) > 1 and bits * exponent > MAX_INT_BITS:
            raise TemplateLimitError("power too large")


def _check_multiply(left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        if (
            isinstance(count, int)
            and not isinstance(seq, int | float)
            and count > 0
            and value_size(seq) * count > MAX_VALUE_SIZE
        ):
            raise TemplateLimitError("repetition too large")
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > MAX_INT_BITS
    ):
        raise TemplateLimitError("product too large")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with step, time and size budgets (see the module docstring)."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        # lipsum(n=10**9) writes gigabytes; no chat template uses it.
        self.globals.pop("lipsum", None)
        self.globals["range"] = _bounded_range
        self.globals[_ITER_HELPER] = _counted
        self.globals[_CONCAT_HELPER] = _concat

    def seal_filters(self) -> None:
        """Wrap every filter so it is counted, sized and never folded at compile time.

        Call once, after all filters are registered.
        """
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_multiply(left, right)
        elif operator == "+":
            if value_size(left) + value_size(right) > MAX_VALUE_SIZE:
                raise TemplateLimitError("sum too large")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
            check_arguments("%", (left, right))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()
        if __obj is not _counted and __obj is not _concat:
            bound = _bound_self(__obj)
            if isinstance(bound, str) and getattr(__obj, "__name__", "") in (
                "format",
                "format_map",
            ):
                _check_format_string(bound)
            check_arguments(getattr(__obj, "__name__", "call"), (bound, *args, *kwargs.values()))
        result = super().call(__context, __obj, *args, **kwargs)
        if __obj is not _counted:
            _check_result(getattr(__obj, "__name__", "call"), result)
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)


def _check_result(what: str, result: Any) -> None:
    """After each call or filter: the clock, and the size of what it made.

    A few calls into C can each run for a while and make a huge list (``s.splitlines()`` on
    a 30M-character string: half a second, 250 MB) while taking too few steps for
    :meth:`_Budget.tick` to look at the clock; kept with ``set``, a dozen of them would
    exhaust memory without ever being printed. So each result is sized when it is made,
    and the deadline is checked after every call rather than every 256 steps.
    """
    budget = _BUDGET.get()
    if budget is not None:
        budget.check()
    if value_size(result) > MAX_VALUE_SIZE:
        raise TemplateLimitError(f"{what}: result too large")


def _finalize(value: Any) -> Any:
    # Runs for every {{ expression }} before it becomes text: str() of a list holding the
    # same long string a million times would otherwise be a terabyte.
    _tick()
    if value_size(value) > MAX_VALUE_SIZE:
        raise TemplateLimitError("output value too large")
    return value


def _bounded_range(*args: int) -> range:
    for value in args:
        if _int_size(value) > 10 * MAX_INT_ARGUMENT:
            raise TemplateLimitError("range bound too large")
    rng = range(*args)
    if len(rng) > MAX_INT_ARGUMENT:
        raise TemplateLimitError(f"range of more than {MAX_INT_ARGUMENT:,} items")
    return rng


def _counted(iterable: Any) -> Iterator[Any]:
    # Every loop iteration is a step, so nested loops run out of steps instead of running
    # for hours. (An undefined iterable stays undefined: jinja iterates it as empty.)
    for item in iterable:
        _tick()
        yield item


def _concat(*parts: Any) -> str:
    _tick()
    if sum(value_size(p) for p in parts) > MAX_VALUE_SIZE:
        raise TemplateLimitError("concatenation too large")
    return "".join(str(p) for p in parts)


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    pass_arg = _PassArg.from_obj(func)

    @jinja2.pass_context
    @functools.wraps(func)
    def guarded(context: Context, *args: Any, **kwargs: Any) -> Any:
        _tick()
        check_arguments(name, (*args, *kwargs.values()))
        if name == "format" and args and isinstance(args[0], str):
            _check_percent_format(args[0])
        if pass_arg is _PassArg.context:
            result = func(context, *args, **kwargs)
        elif pass_arg is _PassArg.eval_context:
            result = func(context.eval_ctx, *args, **kwargs)
        elif pass_arg is _PassArg.environment:
            result = func(context.environment, *args, **kwargs)
        else:
            result = func(*args, **kwargs)
        _check_result(name, result)
        return result

    # functools.wraps copied the original's jinja_pass_arg; the wrapper takes the context.
    guarded.jinja_pass_arg = _PassArg.context  # type: ignore[attr-defined]
    return guarded


class _Instrument(NodeTransformer):
    """Route every loop iterable and every ``~`` through the counting helpers."""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 - jinja's visitor name
        self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.Name(_ITER_HELPER, "load"), [node.iter], [], None, None, lineno=node.lineno
        )
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802 - jinja's visitor name
        self.generic_visit(node)
        return nodes.Call(
            nodes.Name(_CONCAT_HELPER, "load"), list(node.nodes), [], None, None, lineno=node.lineno
        )


def compile_bounded(env: BoundedSandbox, source: str) -> jinja2.Template:
    """Compile ``source`` with the counting rewrites; syntax errors raise as jinja's do."""
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateLimitError(f"template source of {len(source):,} characters")
    tree = _Instrument().visit(env.parse(source))
    tree.set_environment(env)
    return env.from_string(tree)


def render_bounded(
    template: jinja2.Template,
    variables: dict[str, Any],
    *,
    limits: RenderLimits,
    input_chars: int,
    cancel: CancelToken | None = None,
) -> str:
    """Render within ``limits``; raise :class:`TemplateLimitError` or ``CancelledError``."""
    budget = _Budget(limits, cancel)
    cap = 4 * input_chars + limits.extra_output_chars
    token = _BUDGET.set(budget)
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(variables):
            size += len(chunk)
            if size > cap:
                raise TemplateLimitError(f"output longer than {cap:,} characters")
            parts.append(chunk)
            budget.tick()
        budget.check()
        return "".join(parts)
    finally:
        _BUDGET.reset(token)
