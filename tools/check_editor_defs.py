#!/usr/bin/env python3
"""The editor definitions cover the documented API.

Reads the "At a glance" table of docs/lua-api.md, takes every function, method and field it lists (the
code in its first column), and checks that scripts/types/nrlhost.lua (the Lua Language Server's
`---@meta` definitions) defines each one. Exits 1 listing what is missing. `make lint` runs it.

What counts as a definition:
  rule { … }, log(…), print(…)   a global function:          function rule(   function log(
  nrl.vector(…), math.pow(…)     a function of a module:     function nrl.vector(
  nrl.version                    a field of a module:        nrl.version =
  ctx.net, self.rng              a field of nrl.context, nrl.env_self:   ---@field net
  m:forward(…), p:sample(), …    a method of the receiver's class:      function nrl.matrices:forward(
  x:scale(…)                     the method on nrl.matrices and on nrl.vector alike
  v[i], #v                       ---@field [integer] and ---@operator len on nrl.vector
  ctx.env, ctx.signals           also the fields their meaning column lists: ---@field reward in nrl.signals, …
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "lua-api.md"
DEFS = ROOT / "scripts" / "types" / "nrlhost.lua"

# The receivers the table writes, and the classes of scripts/types/nrlhost.lua they stand for.
RECEIVERS = {
    "m": ["nrl.matrices"],
    "p": ["nrl.pass"],
    "v": ["nrl.vector"],
    "r": ["nrl.rng"],
    "x": ["nrl.matrices", "nrl.vector"],
}
TABLES = {"ctx": "nrl.context", "self": "nrl.env_self"}
# Entries whose meaning column lists fields (`reward`, `step`, …): the class that must have each.
FIELD_LISTS = {"ctx.env": "nrl.env_info", "ctx.signals": "nrl.signals"}


def glance_entries(text, with_fields=False):
    """The code spans of the first column of the At-a-glance table, in order (group rows skipped); with
    `with_fields`, (entry, fields) pairs, fields the plain names in backticks of the meaning column."""
    section = text.split("\n## At a glance\n", 1)
    if len(section) != 2:
        sys.exit(f"check-editor-defs: error: {DOC} has no '## At a glance' section")
    body = section[1].split("\n## ", 1)[0]
    entries = []
    for line in body.splitlines():
        if not line.startswith("|") or line.startswith("|---") or line.startswith("| function "):
            continue
        first = line.split("|")[1].strip()
        if first.startswith("**"):
            continue  # a group row: **matrices**, **sets**: …
        fields = re.findall(r"`(\w+)`", line.split("|")[3]) if line.count("|") >= 4 else []
        entries.extend((e, fields) if with_fields else e for e in re.findall(r"`([^`]+)`", first))
    if not entries:
        sys.exit(f"check-editor-defs: error: no entries found in the At-a-glance table of {DOC}")
    return entries


def requirements(entry):
    """What the definitions must hold for one entry: a list of (kind, owner, name)."""
    m = re.match(r"^(\w+)\s*\{", entry)
    if m:
        return [("global", None, m.group(1))]
    m = re.match(r"^(\w+):(\w+)\(", entry)
    if m:
        classes = RECEIVERS.get(m.group(1))
        if classes is None:
            sys.exit(f"check-editor-defs: error: unknown receiver '{m.group(1)}' in `{entry}`; add it to RECEIVERS")
        return [("method", c, m.group(2)) for c in classes]
    m = re.match(r"^(\w+)\.(\w+)$", entry)
    if m:
        if m.group(1) in TABLES:
            return [("field", TABLES[m.group(1)], m.group(2))]
        return [("module field", m.group(1), m.group(2))]
    m = re.match(r"^(\w+)\.(\w+)\(", entry)
    if m:
        return [("function", m.group(1), m.group(2))]
    if re.match(r"^v\[i\]( = x)?$", entry):
        return [("index", "nrl.vector", "[integer]")]
    if entry == "#v":
        return [("len", "nrl.vector", "len")]
    m = re.match(r"^(\w+)\(", entry)
    if m:
        return [("global", None, m.group(1))]
    sys.exit(f"check-editor-defs: error: cannot read the At-a-glance entry `{entry}`; teach tools/check_editor_defs.py its form")


def definitions(text):
    """What the definitions file defines, as (kind, owner, name) triples.

    `---@field` and `---@operator` lines belong to the `---@class` of their annotation block; a
    `local NAME = {}` right after a class's block names that class in `function NAME:method(`.
    """
    found, aliases = set(), {}
    block_class = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("---"):
            m = re.match(r"^---@class\s+([\w.]+)", s)
            if m:
                block_class = m.group(1)
            m = re.match(r"^---@field\s+(\[integer\]|\w+)", s)
            if m and block_class:
                found.add(("index" if m.group(1) == "[integer]" else "field", block_class, m.group(1)))
            m = re.match(r"^---@operator\s+(\w+)", s)
            if m and block_class:
                found.add((m.group(1), block_class, m.group(1)))
            continue
        m = re.match(r"^local\s+(\w+)\s*=\s*\{\s*\}", s)
        if m and block_class:
            aliases[m.group(1)] = block_class
        if s:
            block_class = None
        m = re.match(r"^function\s+([\w.]+):(\w+)\s*\(", s)
        if m:
            found.add(("method", aliases.get(m.group(1), m.group(1)), m.group(2)))
            continue
        m = re.match(r"^function\s+(\w+)\.(\w+)\s*\(", s)
        if m:
            found.add(("function", m.group(1), m.group(2)))
            continue
        m = re.match(r"^function\s+(\w+)\s*\(", s)
        if m:
            found.add(("global", None, m.group(1)))
            continue
        m = re.match(r"^(\w+)\.(\w+)\s*=", s)
        if m:
            found.add(("module field", m.group(1), m.group(2)))
    return found


def describe(kind, owner, name):
    return {
        "global": f"function {name}(…)",
        "method": f"function {owner}:{name}(…)",
        "function": f"function {owner}.{name}(…)",
        "module field": f"{owner}.{name} = …",
        "field": f"---@field {name} in ---@class {owner}",
        "index": f"---@field [integer] number in ---@class {owner}",
        "len": f"---@operator len in ---@class {owner}",
    }[kind]


def main():
    if not DEFS.exists():
        sys.exit(f"check-editor-defs: error: {DEFS.relative_to(ROOT)} is missing")
    entries = glance_entries(DOC.read_text(encoding="utf-8"), with_fields=True)
    defined = definitions(DEFS.read_text(encoding="utf-8"))
    missing, checked = [], 0
    for entry, fields in entries:
        needed = requirements(entry)
        if entry in FIELD_LISTS:
            needed += [("field", FIELD_LISTS[entry], f) for f in fields]
        for requirement in needed:
            checked += 1
            if requirement not in defined:
                missing.append(f"  `{entry}`: needs {describe(*requirement)}")
    if missing:
        print(f"check-editor-defs: error: {DEFS.relative_to(ROOT)} does not define {len(missing)} of the "
              f"functions in docs/lua-api.md's At-a-glance table:", file=sys.stderr)
        print("\n".join(missing), file=sys.stderr)
        sys.exit(1)
    print(f"editor definitions: all {len(entries)} At-a-glance entries of docs/lua-api.md "
          f"({checked} definitions) are in {DEFS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
