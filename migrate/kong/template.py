"""request-transformer templates as Kong renders them: `$(expr)` Lua expressions over the path's regex captures.

Kong's request-transformer (kong/plugins/request-transformer/access.lua) compiles each value with Penlight's
template (`$(...)` inline escapes) and renders it in an environment with `uri_captures` (the router's path-regex
captures), `headers`, `query_params` and `shared`.  KIC writes such templates for `konghq.com/rewrite`
(`$(uri_captures[1])`, subtranslator/ingress.go `generateRewriteURIConfig`) and for an HTTPRoute URLRewrite
ReplacePrefixMatch (Lua ternaries such as `$(uri_captures[1] == nil and "/" or uri_captures[1])`,
subtranslator/httproute.go `generateRequestTransformerReplaceURIForURLRewritePrefixMatch`, Kong/kubernetes-
ingress-controller v3.5.13).  The model evaluates that subset of Lua; see `fill_template`.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def fill_template(template: str, match: re.Match[str] | None) -> str:
    """`template` with each `$(expr)` rendered.  Modelled Lua: `uri_captures[n]`, `uri_captures["name"]`, string
    and number literals, `nil`/`true`/`false`, `..`, `==`, `~=`, `and`, `or`, `not`, parentheses.  An absent
    capture is nil and renders empty; an expression outside the subset stays as written; a Lua runtime error
    (`..` on nil), which makes Kong fail the request, raises ValueError."""
    out: list[str] = []
    i = 0
    while True:
        start = template.find("$(", i)
        if start == -1:
            out.append(template[i:])
            return "".join(out)
        end = _closing_paren(template, start + 1)
        if end == -1:
            out.append(template[i:])
            return "".join(out)
        out.append(template[i:start])
        expr = template[start + 2:end]
        try:
            value = _LuaExpr(expr, match).evaluate()
        except _Unsupported:
            out.append(template[start:end + 1])
        else:
            out.append(_lua_tostring(value))
        i = end + 1


def _closing_paren(text: str, open_at: int) -> int:
    """Index of the `)` closing the `(` at `open_at` (string literals skipped), or -1."""
    depth = 0
    i = open_at
    while i < len(text):
        c = text[i]
        if c in "\"'":
            close = text.find(c, i + 1)
            if close == -1:
                return -1
            i = close
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


class _Unsupported(Exception):
    """The template expression is outside the modelled Lua subset."""


LuaValue = str | int | bool | None
Thunk = Callable[[], LuaValue]
_LUA_TOKEN = re.compile(r"\s*(?:(\d+)|\"([^\"\\]*)\"|'([^'\\]*)'|(==|~=|\.\.|[\[\]()])|([A-Za-z_][A-Za-z0-9_]*))")


class _LuaExpr:
    """Recursive descent over Lua's precedence (or < and < comparison < `..`, right-associative < not) into
    thunks, so `and`/`or` short-circuit as in Lua."""

    def __init__(self, text: str, match: re.Match[str] | None) -> None:
        self.tokens: list[tuple[str, LuaValue]] = []
        self.match = match
        pos = 0
        while text[pos:].strip():
            m = _LUA_TOKEN.match(text, pos)
            if m is None:
                raise _Unsupported(text)
            number, dq, sq, op, name = m.groups()
            if number is not None:
                self.tokens.append(("value", int(number)))
            elif dq is not None or sq is not None:
                self.tokens.append(("value", dq if dq is not None else sq))
            elif op is not None:
                self.tokens.append((op, None))
            elif name in ("and", "or", "not", "uri_captures"):
                self.tokens.append((str(name), None))
            elif name in ("nil", "true", "false"):
                self.tokens.append(("value", None if name == "nil" else name == "true"))
            else:
                raise _Unsupported(name)  # headers, query_params, shared, functions: not modelled
            pos = m.end()
        self.pos = 0

    def evaluate(self) -> LuaValue:
        thunk = self._or()
        if self.pos != len(self.tokens):
            raise _Unsupported("trailing tokens")
        return thunk()

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _take(self, kind: str) -> None:
        if self._peek() != kind:
            raise _Unsupported(f"expected {kind}")
        self.pos += 1

    def _or(self) -> Thunk:
        left = self._and()
        while self._peek() == "or":
            self.pos += 1
            right = self._and()
            left = _lua_or(left, right)
        return left

    def _and(self) -> Thunk:
        left = self._compare()
        while self._peek() == "and":
            self.pos += 1
            right = self._compare()
            left = _lua_and(left, right)
        return left

    def _compare(self) -> Thunk:
        left = self._concat()
        while self._peek() in ("==", "~="):
            equal = self._peek() == "=="
            self.pos += 1
            right = self._concat()
            left = _lua_compare(left, right, equal)
        return left

    def _concat(self) -> Thunk:
        left = self._unary()
        if self._peek() != "..":
            return left
        self.pos += 1
        right = self._concat()
        return lambda: _lua_concat(left(), right())

    def _unary(self) -> Thunk:
        if self._peek() == "not":
            self.pos += 1
            operand = self._unary()
            return lambda: not _truthy(operand())
        return self._primary()

    def _primary(self) -> Thunk:
        kind = self._peek()
        if kind == "value":
            value = self.tokens[self.pos][1]
            self.pos += 1
            return lambda: value
        if kind == "(":
            self.pos += 1
            inner = self._or()
            self._take(")")
            return inner
        if kind == "uri_captures":
            self.pos += 1
            self._take("[")
            key = self._or()
            self._take("]")
            return lambda: self._capture(key())
        raise _Unsupported(f"unexpected {kind}")

    def _capture(self, key: LuaValue) -> LuaValue:
        if self.match is None or key is None or isinstance(key, bool):
            return None
        try:
            return self.match.group(key)
        except IndexError:
            return None


def _lua_or(left: Thunk, right: Thunk) -> Thunk:
    def run() -> LuaValue:
        value = left()
        return value if _truthy(value) else right()
    return run


def _lua_and(left: Thunk, right: Thunk) -> Thunk:
    def run() -> LuaValue:
        value = left()
        return right() if _truthy(value) else value
    return run


def _lua_compare(left: Thunk, right: Thunk, equal: bool) -> Thunk:
    def run() -> LuaValue:
        a, b = left(), right()
        return (type(a) is type(b) and a == b) == equal
    return run


def _lua_concat(a: LuaValue, b: LuaValue) -> str:
    if a is None or isinstance(a, bool) or b is None or isinstance(b, bool):
        raise ValueError("request-transformer template: attempt to concatenate a nil or boolean value")
    return f"{a}{b}"


def _truthy(value: LuaValue) -> bool:
    return value is not None and value is not False


def _lua_tostring(value: LuaValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
