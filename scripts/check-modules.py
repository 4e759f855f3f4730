#!/usr/bin/env python3
"""Fails when the modules of a Rust crate import each other in a cycle, or (for the web app's
`src/`) when an import goes against its layers (`LAYERS` below).

    scripts/check-modules.py src devstack/src

Each argument is a crate's source folder (the one holding lib.rs). A module is a file
(`a.rs` or `a/mod.rs` is `a`, `a/b.rs` is `a::b`); inline modules (`mod tests { … }`) belong
to their file. An edge is any path in the code, `use` or inline, that names another module:
`crate::a::b…`, `super::…`, `self::…`, or a child module by its bare name. Declaring a
child (`mod a;`) is not an edge. The binary's `main.rs` is a crate of its own and is skipped.

Why a script: the maintained tool for this (cargo-modules) builds rust-analyzer, a long
install for a check that needs only the paths as written.
"""

import re
import sys
from pathlib import Path

# The web app's layers. A name covers the module and every module under it.
LAYERS = {
    "src": {
        # Isomorphic leaves: they import only each other.
        "leaves": ["error", "paths", "auth::model", "todos::model"],
        # Components, server functions and the app: server infrastructure never imports them.
        "ui": [
            "app", "theme", "auth::api", "auth::page", "auth::magic_link",
            "todos::api", "todos::page", "todos::row",
        ],
        "server": ["server"],
    }
}

PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.M)
INLINE_MOD = re.compile(r"(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*\{")
USE = re.compile(r"\buse\s+([^;]+);", re.S)


def strip_comments(text):
    """Drops // comments and string literals (which may hold `crate::` in prose)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 8]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = '"' + hashes
            j = text.find(end, i + 2 + len(hashes))
            out.append('""')
            i = n if j < 0 else j + len(end)
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            # A char literal ('"' would otherwise open a string); lifetimes pass through.
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e'] (aliases and globs dropped)."""
    # `X as Y` names X; `_` and globs name the module itself.
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def parse(s, prefix):
        paths, depth, start = [], 0, 0
        parts = []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for part in parts:
            if not part:
                continue
            brace = part.find("{")
            if brace >= 0:
                head = part[:brace].rstrip(":")
                inner = part[brace + 1:part.rindex("}")]
                paths += parse(inner, prefix + ([head] if head else []))
            else:
                paths.append("::".join(prefix + [part]))
        return paths

    return parse(tree, [])


def modules_of(root):
    mods = {}
    for f in sorted(root.rglob("*.rs")):
        rel = f.relative_to(root)
        if rel.parts == ("main.rs",) or "bin" in rel.parts[:-1]:
            continue
        parts = list(rel.parts)
        if parts[-1] in ("lib.rs", "mod.rs"):
            parts = parts[:-1]
        else:
            parts[-1] = parts[-1][:-3]
        mods[tuple(parts)] = f
    return mods


def inline_scopes(text):
    """(start, end, names) of each inline module, so `super` inside one resolves right."""
    scopes = []
    for m in INLINE_MOD.finditer(text):
        depth, j = 0, m.end() - 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        scopes.append((m.end(), j, m.group(1)))
    return scopes


def resolve(segments, here, mods):
    """The longest known module that `segments` (absolute) starts with."""
    best = None
    for k in range(len(segments), -1, -1):
        if tuple(segments[:k]) in mods:
            best = tuple(segments[:k])
            break
    return best


def edges_of(module, path, mods):
    text = strip_comments(path.read_text())
    children = set(MOD_DECL.findall(text)) & {m[-1] for m in mods if m[:-1] == module and m}
    scopes = inline_scopes(text)
    found = set()

    def scope_at(pos):
        names = [name for (s, e, name) in scopes if s <= pos <= e]
        return list(module) + names

    def add(raw, pos):
        segs = raw.split("::")
        cur = scope_at(pos)
        if segs[0] == "crate":
            absolute = segs[1:]
        elif segs[0] in ("super", "self"):
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    cur = cur[:-1]
                segs = segs[1:]
            absolute = cur + segs
        elif segs[0] in children:
            absolute = list(module) + segs
        else:
            return
        target = resolve(absolute, module, mods)
        if target is not None and target != module:
            found.add(target)

    for m in USE.finditer(text):
        for p in expand_use(m.group(1)):
            add(p, m.start())
    for m in PATH.finditer(text):
        add(m.group(1) + m.group(2), m.start())
    for child in children:
        for m in re.finditer(r"(?<![\w:])" + child + r"((?:::\w+)+)", text):
            add(child + m.group(1), m.start())
    return found


def cycles(graph):
    """Tarjan's strongly connected components with more than one module."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def name(module):
    return "::".join(("crate",) + module)


def layer_errors(root, graph):
    """Imports that go against the layers of `root` (see LAYERS)."""
    layers = LAYERS.get(root.as_posix().rstrip("/"))
    if not layers:
        return []

    def within(module, names):
        return any(module[: len(n.split("::"))] == tuple(n.split("::")) for n in names)

    errors = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            why = None
            if target == ("app",) and source != ():
                # The crate root (lib.rs, like main.rs) starts the app; nothing else imports it.
                why = "nothing but the crate root imports app"
            elif within(source, layers["leaves"]) and not within(target, layers["leaves"]):
                why = "a leaf imports only leaves"
            elif within(source, layers["server"]) and within(target, layers["ui"]):
                why = "server code imports no component, server function or app"
            if why:
                errors.append(f"  {name(source)} -> {name(target)}: {why}")
    return errors


def main(roots):
    failed = False
    for root in map(Path, roots):
        mods = modules_of(root)
        graph = {m: edges_of(m, f, mods) for m, f in mods.items()}
        found = cycles(graph)
        edges = sum(len(v) for v in graph.values())
        wrong = layer_errors(root, graph)
        if wrong:
            failed = True
            print(f"{root}: imports against the layers:")
            print("\n".join(wrong))
        if not found:
            layered = ""
            if root.as_posix().rstrip("/") in LAYERS and not wrong:
                layered = " and none against the layers"
            print(f"{root}: {len(mods)} modules, {edges} imports, no cycle{layered}")
            continue
        failed = True
        for comp in found:
            members = set(comp)
            print(f"{root}: import cycle among {len(comp)} modules:")
            for m in comp:
                inside = sorted(name(t) for t in graph[m] if t in members)
                print(f"  {name(m)} -> {', '.join(inside)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["src"]))
