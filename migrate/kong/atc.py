"""Kong's ATC expression language (router_flavor `expressions`): parser and evaluator.

The grammar follows Kong/atc-router `src/atc_grammar.pest` and `src/parser.rs`:

    matcher    = expression EOI
    expression = term (("&&" | "||") term)*
    term       = predicate | "!"? "(" expression ")"
    predicate  = lhs op rhs
    lhs        = ident | ident "(" lhs ")"          (transformations `lower`, `any`)
    rhs        = "string" | r#"raw"# | int (dec, 0x hex, 0 octal, optional -) | IPv4/IPv6 [/cidr]
    op         = == != ~ ^= =^ >= > <= < in "not in" contains

Quirks kept on purpose:
* precedence: the Pratt parser registers `&&` before `||`, so `||` binds *tighter*: `a && b || c` is
  `a && (b || c)` (atc-router `src/ast_tests.rs` `expr_op_and_prec`).  KIC always parenthesises.
* `!` only negates a parenthesised expression (`!(a == 1)`); `! a == 1` does not parse.
* a predicate on a field the request lacks is false, `!=` included (`src/interpreter.rs`); a field with several
  values must match with every value unless `any(...)` is used.
* `~` is an unanchored search (Rust `Regex::captures`); KIC writes `^` itself.  Regexes are compiled with
  Python's `re` after refusing what the Rust `regex` crate does not support (look-around, backreferences,
  atomic groups, possessive quantifiers); see `rust_regex_problem`.
* `in` on strings is a substring test (`rhs.contains(lhs)`); `contains` the reverse.

Only the fields Kong's HTTP (and stream) schema declares are accepted (Kong/kong: kong/router/fields.lua); an
unknown field or a type mismatch is a parse error, as Kong rejects the route.  Nothing here raises on odd
input: `parse()` returns an `AtcError`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STRING = "String"
INT = "Int"
IPADDR = "IpAddr"

# Kong/kong: kong/router/fields.lua (HTTP and stream subsystems)
_FIELDS: dict[str, str] = {
    "net.protocol": STRING, "tls.sni": STRING, "http.method": STRING, "http.host": STRING, "http.path": STRING,
    "http.raw_path": STRING, "net.port": INT, "net.src.port": INT, "net.dst.port": INT, "net.src.ip": IPADDR,
    "net.dst.ip": IPADDR,
}
_FIELD_PREFIXES = {"http.headers.": STRING, "http.queries.": STRING}
_TRANSFORMS = ("lower", "any")
_OPERATORS = ("==", "!=", "~", "^=", "=^", ">=", ">", "<=", "<", "in", "not in", "contains")

Value = (str | int | ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network
         | ipaddress.IPv6Network)


@dataclass(frozen=True)
class AtcError:
    message: str
    position: int = 0

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position + 1})"


@dataclass(frozen=True)
class Predicate:
    field: str
    transforms: tuple[str, ...]  # innermost first
    op: str
    value: Value
    regex: re.Pattern[str] | None = None

    def __str__(self) -> str:
        lhs = self.field
        for t in self.transforms:
            lhs = f"{t}({lhs})"
        return f"{lhs} {self.op} {_literal(self.value)}"


@dataclass(frozen=True)
class Logical:
    op: str  # "&&" | "||" | "!"
    left: Expr
    right: Expr | None = None

    def __str__(self) -> str:
        if self.op == "!":
            return f"!({self.left})"
        return f"({self.left} {self.op} {self.right})"


Expr = Predicate | Logical


def _literal(value: Value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


# ----------------------------------------------------------------------------------------------------------
# regexes

_LOOKAROUND = re.compile(r"\(\?<?[=!]")
_BACKREF = re.compile(r"\\[1-9]|\\k<|\\g[<{0-9]|\(\?P=")
_ATOMIC = re.compile(r"\(\?>")
_POSSESSIVE = re.compile(r"(?<!\\)[*+?}]\+")


def _strip_escapes_and_classes(pattern: str) -> str:
    """The pattern with escaped characters blanked, so syntax checks do not trip on `\\(` and the like."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            # keep backreference-like escapes visible, blank the rest
            out.append("\\" + nxt if nxt.isdigit() or nxt in "kg" else "__")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def rust_regex_problem(pattern: str) -> str | None:
    """Why the Rust `regex` crate (atc-router) refuses `pattern`, or None.  Kong/kong issue #9495: no
    look-around, no backreferences; also no atomic groups or possessive quantifiers."""
    text = _strip_escapes_and_classes(pattern)
    if _LOOKAROUND.search(text):
        return "look-around is not supported by the Rust regex engine"
    if _BACKREF.search(text):
        return "backreferences are not supported by the Rust regex engine"
    if _ATOMIC.search(text):
        return "atomic groups are not supported by the Rust regex engine"
    if _POSSESSIVE.search(text):
        return "possessive quantifiers are not supported by the Rust regex engine"
    return None


# POSIX classes inside a bracket expression (PCRE and the Rust crate both read them, ASCII only); Python's `re`
# reads `[[:alpha:]]` as the set `[:alph` followed by a literal `]`.
_POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z", "word": "a-zA-Z0-9_",
    "xdigit": "0-9A-Fa-f", "space": "\\t\\n\\x0b\\x0c\\r ", "blank": " \\t", "punct": "!-/:-@\\[-`{-~",
    "cntrl": "\\x00-\\x1f\\x7f", "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e", "ascii": "\\x00-\\x7f",
}
_POSIX = "|".join(_POSIX_CLASSES)
_NEGATED_POSIX_ALONE = re.compile(r"\[\[:\^(" + _POSIX + r"):\]\]")
_POSIX_IN_CLASS = re.compile(r"\[:(" + _POSIX + r"):\]")


def to_python_regex(pattern: str) -> str:
    """Rust/PCRE spellings Python's `re` lacks: `(?<name>` → `(?P<name>`, `\\z` → `\\Z`, POSIX classes
    (`[[:alpha:]_]` → `[a-zA-Z_]`; a negated one only as a whole bracket: `[[:^digit:]]` → `[^0-9]`)."""
    pattern = re.sub(r"\(\?<(?![=!])", "(?P<", pattern)
    if "[:" in pattern:
        pattern = _NEGATED_POSIX_ALONE.sub(lambda m: "[^" + _POSIX_CLASSES[m.group(1)] + "]", pattern)
        pattern = _POSIX_IN_CLASS.sub(lambda m: _POSIX_CLASSES[m.group(1)], pattern)
    return re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern)


# The characters with a meaning in a regex (PCRE, Rust and Python agree on these), and a run of text without
# any: what the router reads as a regex's literal prefix, and what probes take as a literal regex's sample
REGEX_SYNTAX = ".^$*+?()[]{}|\\"
PLAIN_TEXT_RUN = re.compile(f"[^{re.escape(REGEX_SYNTAX)}]*")


# Python's `re` backtracks; Kong's engines (PCRE with its match limits, the Rust crate) do not hang.  A regex
# with a quantified group that holds another quantifier (`(.*a){28}`, `(a+)+`) can take exponential time, so
# each match of such a regex gets this budget; one that runs out marks the regex as not evaluated for the rest
# of the run (it matches nothing, and `verify` names it) instead of hanging.
REGEX_BUDGET_SECONDS = 0.5
# pattern -> why it was not evaluated, in this `verify` run (cleared before each) and ever in this process.
unevaluated_regexes: dict[str, str] = {}
_out_of_budget: dict[str, str] = {}


def _subpatterns(name: str, av: Any) -> list[Any]:
    """The nested item lists of one node of the stdlib's regex syntax tree."""
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT", "SUBPATTERN", "ATOMIC_GROUP"):
        return [av[-1]]
    if name == "BRANCH":
        return list(av[1])
    if name in ("ASSERT", "ASSERT_NOT"):
        return [av[1]]
    return []


def _any_node(items: Any, hit: Callable[[str, Any], bool], depth: int = 0) -> bool:
    """Whether `hit` holds for some node of the tree (descending at most 50 levels)."""
    for op, av in items:
        name = str(op)
        if hit(name, av):
            return True
        if depth < 50 and any(_any_node(sub, hit, depth + 1) for sub in _subpatterns(name, av)):
            return True
    return False


def _has_repeat(items: Any) -> bool:
    return _any_node(items, lambda name, av: name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[1] > 1)


def _nested_repeat(items: Any) -> bool:
    return _any_node(items, lambda name, av: name in ("MAX_REPEAT", "MIN_REPEAT") and av[1] > 1
                     and _has_repeat(av[2]))


@functools.lru_cache(maxsize=65536)
def backtracking_hazard(pattern: str) -> bool:
    """Whether `pattern` (Python spelling, one `re` compiles) nests quantifiers, the shape whose backtracking can
    explode."""
    if sum(pattern.count(q) for q in "*+{") < 2:
        return False  # a repeat in a repeat needs two of these (`?` repeats at most once); no parse needed
    try:
        import re._parser as sre_parse  # the stdlib's own regex parser

        return _nested_repeat(list(sre_parse.parse(pattern)))
    except (re.error, RecursionError, OverflowError, ValueError, TypeError, IndexError):
        return True


class _RegexBudget(BaseException):
    pass


class GuardedPattern:
    """A compiled regex whose every match runs under REGEX_BUDGET_SECONDS (main thread: SIGALRM); a match that
    runs out returns None and records the pattern in `unevaluated_regexes`."""

    __slots__ = ("_rx", "pattern", "groups", "groupindex", "flags")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self._rx = rx
        self.pattern = rx.pattern
        self.groups = rx.groups
        self.groupindex = rx.groupindex
        self.flags = rx.flags

    def match(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self._run(self._rx.match, string, pos)

    def search(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self._run(self._rx.search, string, pos)

    def fullmatch(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self._run(self._rx.fullmatch, string, pos)

    def _run(self, fn: Any, string: str, pos: int) -> re.Match[str] | None:
        import signal
        import threading
        import time

        if self.pattern in _out_of_budget:
            unevaluated_regexes[self.pattern] = _out_of_budget[self.pattern]
            return None
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
            unevaluated_regexes[self.pattern] = "nested quantifiers, and no time budget can be set off the main thread"
            return None

        def expired(signum: int, frame: object) -> None:
            raise _RegexBudget

        previous = signal.signal(signal.SIGALRM, expired)
        outer = signal.setitimer(signal.ITIMER_REAL, REGEX_BUDGET_SECONDS)
        started = time.monotonic()
        try:
            return fn(string, pos)
        except _RegexBudget:
            why = f"nested quantifiers: one match took longer than {REGEX_BUDGET_SECONDS} s (catastrophic backtracking)"
            unevaluated_regexes[self.pattern] = _out_of_budget[self.pattern] = why
            return None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer[0] > 0:  # someone else's timer: give it back what is left (not less the whole budget)
                signal.setitimer(signal.ITIMER_REAL, max(outer[0] - (time.monotonic() - started), 0.001), outer[1])


def guard(rx: re.Pattern[str]) -> re.Pattern[str]:
    """`rx`, matched under a time budget when its shape can backtrack catastrophically."""
    return GuardedPattern(rx) if backtracking_hazard(rx.pattern) else rx  # type: ignore[return-value]


@functools.lru_cache(maxsize=65536)
def compile_python_regex(pattern: str) -> tuple[re.Pattern[str] | None, str | None]:
    """(compiled, None) or (None, why) for a PCRE/Rust-spelled regex.  Cached: the same regexes come back in
    every configuration `verify` translates (before and each KIC era), beyond `re`'s own small cache."""
    try:
        return guard(re.compile(to_python_regex(pattern))), None
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        return None, f"invalid regex: {exc}"


@functools.lru_cache(maxsize=65536)
def compile_rust_regex(pattern: str) -> tuple[re.Pattern[str] | None, str | None]:
    """(compiled, None) or (None, why) for a regex the Rust engine must accept."""
    problem = rust_regex_problem(pattern)
    if problem:
        return None, problem
    return compile_python_regex(pattern)


# ----------------------------------------------------------------------------------------------------------
# parser


class _Fail(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")
_INT = re.compile(r"-?(0x[0-9A-Fa-f]+|0[0-7]+|[0-9]+)")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?")
_IPV6 = re.compile(r"(?::|[0-9A-Fa-f]{1,4}):(?:[0-9A-Fa-f]{1,4}|:)*(?:/\d{1,3})?")


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def peek(self, token: str) -> bool:
        self.ws()
        return self.s.startswith(token, self.i)

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.i += len(token)
            return True
        return False

    def parse(self) -> Expr:
        expr = self.expression()
        self.ws()
        if self.i != len(self.s):
            raise _Fail("unexpected text after the expression", self.i)
        return expr

    # `&&` binds loosest, then `||` (atc-router's Pratt parser order), both left-associative
    def expression(self) -> Expr:
        left = self.or_chain()
        while self.take("&&"):
            left = Logical("&&", left, self.or_chain())
        return left

    def or_chain(self) -> Expr:
        left = self.term()
        while self.take("||"):
            left = Logical("||", left, self.term())
        return left

    def term(self) -> Expr:
        self.ws()
        if self.take("!"):
            if not self.take("("):
                raise _Fail("expected term: `!` only negates a parenthesised expression", self.i)
            inner = self.expression()
            if not self.take(")"):
                raise _Fail("expected `)`", self.i)
            return Logical("!", inner)
        if self.take("("):
            inner = self.expression()
            if not self.take(")"):
                raise _Fail("expected `)`", self.i)
            return inner
        return self.predicate()

    def lhs(self) -> tuple[str, tuple[str, ...], int]:
        self.ws()
        start = self.i
        m = _IDENT.match(self.s, self.i)
        if not m:
            raise _Fail("expected term", self.i)
        self.i = m.end()
        if self.take("("):
            name = m.group(0)
            if name not in _TRANSFORMS:
                raise _Fail(f"unknown transformation function: {name}", start)
            inner, transforms, _ = self.lhs()
            if not self.take(")"):
                raise _Fail("expected `)`", self.i)
            return inner, (*transforms, name), start
        return m.group(0), (), start

    def operator(self) -> str:
        self.ws()
        for op in ("==", "!=", "^=", "=^", ">=", "<=", "~", ">", "<"):
            if self.s.startswith(op, self.i):
                self.i += len(op)
                return op
        for word in ("contains", "in"):
            if self.s.startswith(word, self.i) and not self.s[self.i + len(word):self.i + len(word) + 1].isalnum():
                self.i += len(word)
                return word
        if self.s.startswith("not", self.i):
            save = self.i
            self.i += 3
            if self.take("in"):
                return "not in"
            self.i = save
        raise _Fail("expected a binary operator", self.i)

    def rhs(self) -> Value:
        self.ws()
        s, i = self.s, self.i
        if s.startswith('r#"', i):
            end = s.find('"#', i + 3)
            if end < 0:
                raise _Fail("unterminated raw string", i)
            self.i = end + 2
            return s[i + 3:end]
        if s.startswith('"', i):
            return self.string()
        for rx, kind in ((_IPV4, "ip"), (_IPV6, "ip"), (_INT, "int")):
            m = rx.match(s, i)
            if m and (kind == "int" or self._ends_token(m.end())):
                text = m.group(0)
                self.i = m.end()
                if kind == "int":
                    return _parse_int(text, i)
                try:
                    return ipaddress.ip_network(text, strict=False) if "/" in text else ipaddress.ip_address(text)
                except ValueError as exc:
                    raise _Fail(f"invalid IP literal: {exc}", i) from None
        raise _Fail("expected a string, integer or IP literal", i)

    def _ends_token(self, pos: int) -> bool:
        return pos >= len(self.s) or not (self.s[pos].isalnum() or self.s[pos] in ".:")

    def string(self) -> str:
        start = self.i
        self.i += 1
        out: list[str] = []
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "\\":
                nxt = s[self.i + 1:self.i + 2]
                mapped = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}.get(nxt)
                if mapped is None:
                    raise _Fail(f"invalid escape sequence \\{nxt}", self.i)
                out.append(mapped)
                self.i += 2
                continue
            out.append(c)
            self.i += 1
        raise _Fail("unterminated string literal", start)

    def predicate(self) -> Predicate:
        name, transforms, start = self.lhs()
        op = self.operator()
        rhs_pos = self.i
        value = self.rhs()
        ftype = field_type(name)
        if ftype is None:
            raise _Fail(f"unknown LHS field: {name}", start)
        return _check(name, transforms, op, value, ftype, rhs_pos)


def _parse_int(text: str, pos: int) -> int:
    neg = text.startswith("-")
    digits = text[1:] if neg else text
    try:
        if digits.startswith("0x"):
            n = int(digits[2:], 16)
        elif len(digits) > 1 and digits.startswith("0"):
            n = int(digits[1:], 8)
        else:
            n = int(digits)
    except ValueError:
        raise _Fail(f"invalid integer {text}", pos) from None
    n = -n if neg else n
    if not -(2 ** 63) <= n < 2 ** 63:
        raise _Fail(f"integer out of range: {text}", pos)
    return n


def field_type(name: str) -> str | None:
    if name in _FIELDS:
        return _FIELDS[name]
    for prefix, ftype in _FIELD_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return ftype
    return None


def _check(name: str, transforms: tuple[str, ...], op: str, value: Value, ftype: str, pos: int) -> Predicate:
    """atc-router's semantic checks (src/semantics.rs): operand types per operator and field."""
    if "lower" in transforms and ftype != STRING:
        raise _Fail("lower-case transformation is only supported with String fields", pos)
    is_str = isinstance(value, str)
    is_int = isinstance(value, int)
    if op in ("~", "^=", "=^", "contains"):
        if ftype != STRING or not is_str:
            raise _Fail(f"`{op}` requires a String field and a String literal", pos)
    elif op in (">", ">=", "<", "<="):
        if ftype != INT or not is_int:
            raise _Fail(f"`{op}` requires an Int field and an Int literal", pos)
    elif op in ("in", "not in"):
        ok = (ftype == STRING and is_str) or (
            ftype == IPADDR and isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)))
        if not ok:
            raise _Fail(f"`{op}` requires String operands or an IP field with a CIDR literal", pos)
    else:  # == !=
        want = {STRING: str, INT: int}.get(ftype)
        if want is not None and not isinstance(value, want):
            raise _Fail(f"type mismatch: field {name} is {ftype}", pos)
        if ftype == IPADDR and not isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            raise _Fail(f"type mismatch: field {name} is IpAddr", pos)
    regex = None
    if op == "~":
        assert isinstance(value, str)
        regex, problem = compile_rust_regex(value)
        if regex is None:
            raise _Fail(problem or "invalid regex", pos)
    return Predicate(name, transforms, op, value, regex)


def parse(text: object) -> Expr | AtcError:
    """The expression's tree, or an `AtcError` saying why Kong refuses it."""
    if not isinstance(text, str):
        return AtcError("the expression is not a string")
    if not text.strip():
        return AtcError("empty expression")
    try:
        return _Parser(text).parse()
    except _Fail as exc:
        return AtcError(exc.message, exc.pos)
    except RecursionError:
        return AtcError("expression nested too deeply")


def predicates(expr: Expr) -> list[Predicate]:
    """Every predicate of the tree, left to right."""
    if isinstance(expr, Predicate):
        return [expr]
    out = predicates(expr.left)
    if expr.right is not None:
        out.extend(predicates(expr.right))
    return out


# ----------------------------------------------------------------------------------------------------------
# evaluation


@dataclass
class Match:
    """What the last successful `http.path` predicate matched: the matched part (for strip_path) and the
    regex captures (for `$(uri_captures[n])`)."""

    path: str | None = None
    captures: re.Match[str] | None = None
    fields: dict[str, str] = field(default_factory=dict)


Context = dict[str, list[Value]]


def evaluate(expr: Expr, ctx: Context, match: Match | None = None) -> bool:
    """Does the request described by `ctx` (field → values) satisfy `expr`?  `match` collects captures."""
    m = match if match is not None else Match()
    try:
        return _eval(expr, ctx, m)
    except RecursionError:
        return False


def _eval(expr: Expr, ctx: Context, m: Match) -> bool:
    if isinstance(expr, Logical):
        if expr.op == "!":
            return not _eval(expr.left, ctx, m)
        assert expr.right is not None
        if expr.op == "&&":
            return _eval(expr.left, ctx, m) and _eval(expr.right, ctx, m)
        return _eval(expr.left, ctx, m) or _eval(expr.right, ctx, m)
    return _predicate(expr, ctx, m)


def _predicate(p: Predicate, ctx: Context, m: Match) -> bool:
    values = ctx.get(p.field)
    if not values:
        return False
    lower = "lower" in p.transforms
    any_mode = "any" in p.transforms
    for raw in values:
        value: Value = raw.lower() if lower and isinstance(raw, str) else raw
        ok = _compare(p, value, m)
        if any_mode and ok:
            return True
        if not any_mode and not ok:
            return False
    return not any_mode


def _compare(p: Predicate, value: Value, m: Match) -> bool:
    op, rhs = p.op, p.value
    if op == "==":
        ok = value == rhs
        if ok and p.field == "http.path":
            m.path, m.captures = str(rhs), None
        return ok
    if op == "!=":
        return value != rhs
    if op == "~":
        if p.regex is None or not isinstance(value, str):
            return False
        rm = p.regex.search(value)
        if rm is None:
            return False
        if p.field == "http.path":
            m.path, m.captures = rm.group(0), rm
        return True
    if op == "^=":
        ok = isinstance(value, str) and isinstance(rhs, str) and value.startswith(rhs)
        if ok and p.field == "http.path":
            m.path, m.captures = str(rhs), None
        return ok
    if op == "=^":
        return isinstance(value, str) and isinstance(rhs, str) and value.endswith(rhs)
    if op in (">", ">=", "<", "<="):
        if not isinstance(value, int) or not isinstance(rhs, int):
            return False
        return {">": value > rhs, ">=": value >= rhs, "<": value < rhs, "<=": value <= rhs}[op]
    if op == "in":
        if isinstance(value, str) and isinstance(rhs, str):
            return value in rhs
        if isinstance(rhs, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and isinstance(
                value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return value in rhs
        return False
    if op == "not in":
        return isinstance(value, str) and isinstance(rhs, str) and value not in rhs
    if op == "contains":
        return isinstance(value, str) and isinstance(rhs, str) and rhs in value
    return False


def header_field(name: str) -> str:
    """`http.headers.<name>` as Kong spells it: lower case, `-` → `_`."""
    return "http.headers." + name.lower().replace("-", "_")
