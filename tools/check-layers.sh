#!/bin/sh
# The layers of docs/architecture.md, checked from the package manifest: the numeric core depends on
# nothing (no Lua, no SQLite), the native rules only on the core, the Lua bridge not on the tools.
set -eu
cd "$(dirname "$0")/.."
swift package describe --type json | python3 -c '
import json, sys
targets = {t["name"]: t for t in json.load(sys.stdin)["targets"]}
def closure(name, seen=None):
    seen = set() if seen is None else seen
    t = targets[name]
    for dep in t.get("target_dependencies", []) + t.get("product_dependencies", []):
        if dep not in seen:
            seen.add(dep)
            if dep in targets:
                closure(dep, seen)
    return seen
rules = {  # target: what its dependency closure must not contain
    "NRLCore": {"CLua", "CLuaShim", "GRDB", "LuaBridge", "NRLTools", "BuiltinRules"},
    "BuiltinRules": {"CLua", "CLuaShim", "GRDB", "LuaBridge", "NRLTools"},
    "LuaBridge": {"GRDB", "NRLTools", "BuiltinRules"},
    "NRLTools": {"BuiltinRules"},
}
bad = [f"{t} depends on {sorted(closure(t) & forbidden)}" for t, forbidden in rules.items() if closure(t) & forbidden]
if bad:
    sys.exit("layers broken: " + "; ".join(bad))
print("layers: " + "; ".join(t + " -> " + (", ".join(sorted(closure(t))) or "nothing") for t in rules))
'
