-- luacheck configuration for scripts/ (`make lint`, i.e. tools/lint-lua.sh; part of `make test`).
-- Scripts run in nrlhost's sandbox (Sources/Host/Lua/LuaSandbox.swift, docs/lua-api.md "The sandbox"):
-- Lua 5.4's standard library minus what the sandbox leaves out, plus the host's API.

std = "lua54"
max_line_length = 120

-- Not in the sandbox: using one of these is an "undefined variable/field" warning, as it fails at run time.
not_globals = {
  "io", "os", "debug", "package", "require", "dofile", "loadfile", "warn", "arg",
  "string.dump",       -- no binary chunks
  "math.randomseed",   -- raises an error: --seed seeds every stream
}

-- The host's API: the declarations, log() and the nrl module; and the Lua 5.3 compatibility functions that
-- Debian's Lua 5.4 keeps in math (docs/lua-api.md, "The sandbox").
read_globals = {
  "rule", "env", "experiment", "assignment", "log",
  nrl = { fields = { "vector", "pow", "version" } },
  math = { fields = { "pow", "atan2", "cosh", "sinh", "tanh", "frexp", "ldexp", "log10" } },
}

-- The editor definitions (LuaLS `---@meta`) describe the API; they are never run.
exclude_files = { "scripts/types/*" }

-- Starter files are templates: their TODO stubs leave arguments and locals for the student to use.
files["scripts/assignments/*/starter.lua"] = { ignore = { "212", "231" } }
