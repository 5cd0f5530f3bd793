---@meta nrlhost
-- Editor definitions for nrlhost's Lua API (docs/lua-api.md), for the Lua Language Server (LuaLS,
-- "sumneko": VS Code's Lua extension, Neovim's lua_ls). The repository's .luarc.json points the server
-- here; for scripts elsewhere, add this folder to `workspace.library` (docs/guide.md, "Editor support").
--
-- This file is never run: it only describes what the host provides. `tools/check_editor_defs.py`
-- (part of `make lint`) checks that it defines every function of docs/lua-api.md's At-a-glance table.
-- Keep it in step with docs/lua-api.md, which is the reference.

-- ---------------------------------------------------------------------------------------------------
-- Objects
-- ---------------------------------------------------------------------------------------------------

---An action: an integer 1…n (Gymnasium's action + 1).
---@alias nrl.action integer

---The layer factor k_l of `m:add` and `m:add_noise_outer`: `"paper"` (1), `"fan_out"` (n_l) or
---`"unbiased"` (N = n_1 + … + n_L; with `norm = "layer"`, n_l).
---@alias nrl.scaling "paper"|"fan_out"|"unbiased"

---A parameter value as the hooks read it (`ctx.params.lr`, `self.params.payout`): a Lua float for a
---real parameter, a Lua integer for an integer one, a boolean or a string.
---@alias nrl.param_value number|integer|boolean|string

---An observation an environment hands the host: a table or a vector of `observations` finite numbers.
---@alias nrl.observation number[]|nrl.vector

---Weights-shaped matrices: one row-major n_l × n_{l−1} Float32 matrix per layer, layers 1…L.
---`ctx.net` is the network's weights; `m:zeros()` and `m:copy()` make more of the same shape.
---Every method that takes a set works in place on the receiver and returns it, so calls chain.
---`tostring(m)` is `"<matrices>"`.
---@class nrl.matrices
local matrices = {}

---One forward pass and everything a rule may need from it: each layer's input, pre-activation, noise,
---output, and the policy π. Make passes once, in `setup`. `tostring(p)` is `"<pass>"`.
---@class nrl.pass
local pass = {}

---A run of numbers, indexed 1…`#v`. Vectors you make (`nrl.vector`, `v:copy()`) are writable Doubles; a
---layer view (`m:layer(l)`) is a writable Float32 view; `obs` and a pass's vectors are read-only views.
---`tostring(v)` is `"vector(3): 0.5 2 0.5"` (at most 16 values shown).
---@class nrl.vector
---@field [integer] number element i (1…#v); assigning to it needs a writable vector
---@operator len: integer
local vector = {}

---A host-seeded random stream: `ctx.rng` (the rule's script stream), `self.rng` (the environment
---stream). `math.random` draws from the same stream. `tostring(r)` is `"<rng>"`.
---@class nrl.rng
local rng = {}

---What the trainer knows this step (`ctx.signals`): one read-only host object, updated in place.
---Assigning to a field, or reading one it does not have, is an error.
---@class nrl.signals
---@field reward number the last step's raw reward (0 before the episode's first step)
---@field episode_return number the sum of this episode's rewards so far, the last step's included
---@field final_return number? the finished episode's return, once its last step is taken; nil before and from the next `begin_episode`
---@field baseline number? the trainer's reward average before its update at the last reward time (nil before the first reward time and with `baseline = false`)
---@field baseline_after number? the average after the update r̄ ← r̄ + γ(r − r̄) (nil likewise)
---@field rpe number? the δ the trainer handed to `learn` (nil likewise)
---@field step integer the 1-based step being taken (in `act`) or just taken (in `learn`); 0 in `begin_episode`; the episode's length at the per-episode `learn`
---@field episode integer the current episode (trial), 1-based, as `ctx.episode`
---@field episodes integer the run's number of episodes
---@field terminated boolean Gymnasium's `terminated` of the last step (false before the episode's first step)
---@field truncated boolean Gymnasium's `truncated` of the last step (false before the episode's first step)

---The environment a rule runs on (`ctx.env`).
---@class nrl.env_info
---@field name string the environment's name (`"cartpole"`, or the `name` an environment script declares)
---@field observations integer the observation size n_0
---@field actions integer the number of actions n_L
---@field reward "delayed"|"immediate" when rewards come: at the episode's end, or every step
---@field continuing boolean true for continuing tasks (Reaching): one `reset`, episodes are trials

---`ctx`: one plain table for the whole run, passed to every hook. You may store your own fields in it
---(`ctx.trace = …`); unlike the script's locals, they survive a `--watch` reload.
---@class nrl.context
---@field net nrl.matrices the network's weights, live: changing them changes the policy
---@field params table<string, nrl.param_value> the run's parameter values, by name (replaced on reload)
---@field env nrl.env_info the environment: `name`, `observations`, `actions`, `reward`, `continuing`
---@field rng nrl.rng the rule's own random stream (the same stream as `math.random`)
---@field episode integer the current episode, 1-based (0 in the first `setup`)
---@field learns_every_step boolean whether `learn` comes every step or once per episode
---@field signals nrl.signals read-only: reward, returns, baseline, rpe, step and episode counts, terminated/truncated
---@field [string] any your own fields

-- ---------------------------------------------------------------------------------------------------
-- Option tables
-- ---------------------------------------------------------------------------------------------------

---Options of `m:forward(obs, pass, opts)`. Without options the pass is clean. Make option tables once,
---in `setup`. An unknown name is an error.
---@class nrl.forward_options
---@field sigma? number|number[] fresh node noise ξ_l ~ N(0, σ²) on every layer (σ ≥ 0), or one σ per layer
---@field layers? integer[] with `sigma`: noise only on these layers
---@field noise? nrl.vector ξ supplied: N = n_1 + … + n_L finite numbers, layer after layer (excludes `sigma`, `layers`)
---@field clean? nrl.pass a clean pass of the same `obs` with these weights, whose first-layer W x is reused
---@field noisy? nrl.pass compute both passes: `pass` gets the clean one, this one the noisy one (excludes `clean`)

---Options of `m:add(other, c, opts)`.
---@class nrl.add_options
---@field scaling? nrl.scaling the layer factor k_l (default `"paper"`: 1)

---Options of `m:add_noise_outer(noisy, c, opts)`.
---@class nrl.add_noise_outer_options
---@field inputs? nrl.pass the pass whose layer inputs x_{l−1} are used (default: `noisy` itself)
---@field norm? "none"|"network"|"layer" norm_l: 1 (default), ‖ξ‖² of the whole network, or ‖ξ_l‖²
---@field scaling? nrl.scaling the layer factor k_l (default `"paper"`)

-- ---------------------------------------------------------------------------------------------------
-- matrices
-- ---------------------------------------------------------------------------------------------------

---Computes the pass of `obs` with the weights `m` into `pass`, and returns `pass`: clean without
---options; noisy with `sigma`, `layers` or `noise`; two passes at once with `noisy`.
---@param obs nrl.vector|number[] n_0 numbers
---@param pass nrl.pass
---@param opts? nrl.forward_options
---@return nrl.pass pass
function matrices:forward(obs, pass, opts) end

---A new pass for networks of this shape. Make it in `setup`.
---@return nrl.pass
function matrices:pass() end

---New matrices of this shape, all 0. Make them in `setup`.
---@return nrl.matrices
function matrices:zeros() end

---m_l += Float(c · k_l) · other_l for every layer (c finite, default 1); returns m.
---@param other nrl.matrices matrices of the same shape
---@param c? number default 1
---@param opts? nrl.add_options `scaling`
---@return nrl.matrices m
function matrices:add(other, c, opts) end

---m_l += Float(c · k_l / norm_l) · ξ_l x_{l−1}ᵀ for every layer, ξ the noise of `noisy` (a noisy pass);
---returns m.
---@param noisy nrl.pass
---@param c? number default 1
---@param opts? nrl.add_noise_outer_options `inputs`, `norm`, `scaling`
---@return nrl.matrices m
function matrices:add_noise_outer(noisy, c, opts) end

---m += Float(scale) · ∇_W log π(action), by backpropagation through `pass`; returns m.
---@param pass nrl.pass
---@param action nrl.action
---@param scale? number default 1
---@param weights? nrl.matrices the weights the pass was computed with (default `ctx.net`)
---@return nrl.matrices m
function matrices:add_gradient(pass, action, scale, weights) end

---The layer sizes `{n_0, n_1, …, n_L}`.
---@return integer[]
function matrices:sizes() end

---One element: layer l, row (unit of layer l), column (unit of layer l − 1), all 1-based.
---@param layer integer
---@param row integer
---@param col integer
---@return number
function matrices:get(layer, row, col) end

---Sets one element (value finite, stored as Float32).
---@param layer integer
---@param row integer
---@param col integer
---@param value number
function matrices:put(layer, row, col, value) end

---Layer l's n_l·n_{l−1} weights as a writable Float32 vector view, row-major: element (i−1)·n_{l−1} + j
---is row i, column j. Writing to it writes to m. The same view each time.
---@param l integer
---@return nrl.vector
function matrices:layer(l) end

---m_l += c · post preᵀ, for any two vectors (`post` of n_l numbers, `pre` of n_{l−1}); returns m.
---@param l integer
---@param post nrl.vector
---@param pre nrl.vector
---@param c? number default 1
---@return nrl.matrices m
function matrices:add_outer(l, post, pre, c) end

---Scales every layer whose norm ‖m_l‖₂ exceeds max down to norm max (max ≥ 0); returns m.
---@param max number
---@return nrl.matrices m
function matrices:clip_layer_norm(max) end

-- The element-wise algebra on matrices (the same methods as on vectors, below).

---x ← y (matrices of the same shape); returns x.
---@param y nrl.matrices
---@return nrl.matrices x
function matrices:set(y) end

---Every element ← c; returns x.
---@param c number
---@return nrl.matrices x
function matrices:fill(c) end

---Every element ← 0; returns x.
---@return nrl.matrices x
function matrices:zero() end

---New matrices of x's shape, with x's values.
---@return nrl.matrices
function matrices:copy() end

---x ← c · x; returns x.
---@param c number
---@return nrl.matrices x
function matrices:scale(c) end

---x ← x + c; returns x.
---@param c number
---@return nrl.matrices x
function matrices:shift(c) end

---x ← x ⊙ y, element by element; returns x.
---@param y nrl.matrices
---@return nrl.matrices x
function matrices:mul(y) end

---x ← x / y, element by element; returns x.
---@param y nrl.matrices
---@return nrl.matrices x
function matrices:div(y) end

---x_i ← x_i²; returns x.
---@return nrl.matrices x
function matrices:square() end

---x_i ← √x_i; returns x.
---@return nrl.matrices x
function matrices:sqrt() end

---x_i ← |x_i|; returns x.
---@return nrl.matrices x
function matrices:abs() end

---x_i ← −1, 0 or +1 (NaN stays NaN); returns x.
---@return nrl.matrices x
function matrices:sign() end

---Every element into [lo, hi] (lo ≤ hi; ±math.huge leave a side open); returns x.
---@param lo number
---@param hi number
---@return nrl.matrices x
function matrices:clamp(lo, hi) end

---Scales x by max/‖x‖₂ when ‖x‖₂ exceeds max (max ≥ 0); returns x and the norm it had before.
---@param max number
---@return nrl.matrices x
---@return number norm
function matrices:clip_norm(max) end

---Σ x_i, of all layers or of layer l.
---@param l? integer
---@return number
function matrices:sum(l) end

---‖x‖₂, of all layers or of layer l.
---@param l? integer
---@return number
function matrices:norm(l) end

---‖x‖₂², of all layers or of layer l.
---@param l? integer
---@return number
function matrices:sqnorm(l) end

---The largest element, of all layers or of layer l (NaN if one is NaN).
---@param l? integer
---@return number
function matrices:max(l) end

---The smallest element, of all layers or of layer l (NaN if one is NaN).
---@param l? integer
---@return number
function matrices:min(l) end

---Σ x_i y_i, in Double.
---@param y nrl.matrices
---@return number
function matrices:dot(y) end

---False if any element is NaN or infinite.
---@return boolean
function matrices:finite() end

---Every element ← Float(σ · N(0, 1)), σ ≥ 0, drawn in index order from the noise stream; returns x.
---@param sigma number
---@return nrl.matrices x
function matrices:fill_normal(sigma) end

-- ---------------------------------------------------------------------------------------------------
-- pass
-- ---------------------------------------------------------------------------------------------------

---Draws an action a ~ π from the actions stream.
---@return nrl.action
function pass:sample() end

---log π(a); with `ref` (a pass of the same network), log π(a) − log π_ref(a).
---@param action nrl.action
---@param ref? nrl.pass
---@return number
function pass:logp(action, ref) end

---π(a).
---@param action nrl.action
---@return number
function pass:prob(action) end

---π: n_L numbers (Double), a read-only view that follows the pass.
---@return nrl.vector
function pass:probs() end

---ξ of all N units, or of one layer's n_l: the noise of the pass's last noisy computation (read-only).
---@param layer? integer
---@return nrl.vector
function pass:noise(layer) end

---x_{l−1}, the layer's input (read-only; `p:input(1)` is the observation).
---@param layer integer
---@return nrl.vector
function pass:input(layer) end

---a_l, the layer's pre-activation, noise included (read-only; `p:pre(L)` are the logits).
---@param layer integer
---@return nrl.vector
function pass:pre(layer) end

---x_l = f(a_l), the layer's output: LeakyReLU(0.1) for a hidden layer (Float32), π for the last (Double).
---@param layer integer
---@return nrl.vector
function pass:output(layer) end

---‖ξ‖² of the network, or of one layer.
---@param layer? integer
---@return number
function pass:noise_sqnorm(layer) end

---Whether the pass's last computation added noise.
---@return boolean
function pass:noisy() end

-- ---------------------------------------------------------------------------------------------------
-- vector
-- ---------------------------------------------------------------------------------------------------

---The first index of the largest element (v non-empty): an index and an action.
---@return integer
function vector:argmax() end

---Draws i with probability v_i from the actions stream (v holds probabilities summing to 1).
---@return integer
function vector:sample() end

---A plain Lua table of the values.
---@return number[]
function vector:totable() end

---v ← v + c · w (w of the same length, either element type); returns v.
---@param w nrl.vector
---@param c? number default 1
---@return nrl.vector v
function vector:add(w, c) end

-- The element-wise algebra on vectors (a vector you made, or a layer view: writable).

---x ← y (a vector of the same length, either element type); returns x.
---@param y nrl.vector
---@return nrl.vector x
function vector:set(y) end

---Every element ← c; returns x.
---@param c number
---@return nrl.vector x
function vector:fill(c) end

---Every element ← 0; returns x.
---@return nrl.vector x
function vector:zero() end

---A new writable Double vector with x's values (also of a read-only view).
---@return nrl.vector
function vector:copy() end

---x ← c · x; returns x.
---@param c number
---@return nrl.vector x
function vector:scale(c) end

---x ← x + c; returns x.
---@param c number
---@return nrl.vector x
function vector:shift(c) end

---x ← x ⊙ y, element by element; returns x.
---@param y nrl.vector
---@return nrl.vector x
function vector:mul(y) end

---x ← x / y, element by element; returns x.
---@param y nrl.vector
---@return nrl.vector x
function vector:div(y) end

---x_i ← x_i²; returns x.
---@return nrl.vector x
function vector:square() end

---x_i ← √x_i; returns x.
---@return nrl.vector x
function vector:sqrt() end

---x_i ← |x_i|; returns x.
---@return nrl.vector x
function vector:abs() end

---x_i ← −1, 0 or +1 (NaN stays NaN); returns x.
---@return nrl.vector x
function vector:sign() end

---Every element into [lo, hi] (lo ≤ hi; ±math.huge leave a side open); returns x.
---@param lo number
---@param hi number
---@return nrl.vector x
function vector:clamp(lo, hi) end

---Scales x by max/‖x‖₂ when ‖x‖₂ exceeds max (max ≥ 0); returns x and the norm it had before.
---@param max number
---@return nrl.vector x
---@return number norm
function vector:clip_norm(max) end

---Σ x_i.
---@return number
function vector:sum() end

---‖x‖₂.
---@return number
function vector:norm() end

---‖x‖₂².
---@return number
function vector:sqnorm() end

---The largest element (v non-empty; NaN if one is NaN).
---@return number
function vector:max() end

---The smallest element (v non-empty; NaN if one is NaN).
---@return number
function vector:min() end

---Σ x_i y_i, in Double.
---@param y nrl.vector
---@return number
function vector:dot(y) end

---False if any element is NaN or infinite.
---@return boolean
function vector:finite() end

---Every element ← Float(σ · N(0, 1)), σ ≥ 0, drawn in index order from the noise stream; returns x.
---@param sigma number
---@return nrl.vector x
function vector:fill_normal(sigma) end

-- ---------------------------------------------------------------------------------------------------
-- rng
-- ---------------------------------------------------------------------------------------------------

---Uniform on [0, 1); with a and b (finite, a ≤ b), a + (b − a)·u on [a, b).
---@param a number
---@param b number
---@return number
---@overload fun(self: nrl.rng): number
function rng:uniform(a, b) end

---mean + sd · N(0, 1): N(0, 1) by default (both finite, sd ≥ 0).
---@param mean? number default 0
---@param sd? number default 1
---@return number
function rng:normal(mean, sd) end

---Uniform on 1…m, or on m…n.
---@param m integer
---@param n? integer
---@return integer
function rng:integer(m, n) end

-- ---------------------------------------------------------------------------------------------------
-- Environment scripts: self
-- ---------------------------------------------------------------------------------------------------

---`self` in an environment's hooks: the declared table itself, plus the host's fields. Keep the
---environment's state in it (`self.pos = 1`).
---@class nrl.env_self: nrl.env_declaration
---@field rng nrl.rng the run's environment stream (the same stream as `math.random`)
---@field params table<string, nrl.param_value> the environment's parameter values, by name (`--set env.KEY=VALUE`)
---@field [string] any the environment's own state

-- ---------------------------------------------------------------------------------------------------
-- Declarations
-- ---------------------------------------------------------------------------------------------------

---A parameter with bounds: `{ default, min =, max =, above =, below =, integer = true, choices =, help = }`.
---The default's type sets the parameter's type (a float: real; an integer: integer).
---@class nrl.param_spec
---@field [1] number|integer|boolean|string the default
---@field min? number inclusive lower bound (give `min` or `above`)
---@field max? number inclusive upper bound (give `max` or `below`)
---@field above? number exclusive lower bound
---@field below? number exclusive upper bound
---@field integer? boolean `true`: an integral float default makes an integer parameter
---@field choices? string[] the strings a string parameter accepts
---@field help? string one line about the parameter

---A parameter: its default (`lr = 0.05`), or the default with bounds (`lr = { 0.05, min = 0 }`).
---@alias nrl.param number|integer|boolean|string|nrl.param_spec

---Per-environment overrides of a rule: `{ param = value, hidden =, layers =, episodes = }`.
---@alias nrl.rule_defaults table<string, nrl.param_value>

---The table of `rule { … }`. A field not listed here is an error.
---@class nrl.rule_declaration
---@field name? string the rule's name (default: the file name without .lua)
---@field summary? string one line about the rule
---@field params? table<string, nrl.param> the parameters, settable with `--set key=value`
---@field learns? "auto"|"step"|"episode" when `learn` is called (default `"auto"`: as the task's rewards come)
---@field baseline? boolean `false`: no trainer baseline; `learn` gets raw rewards/returns (default `true`)
---@field env? string default environment: a name, a Gymnasium/NeuroGym id, or a .lua path (relative to the rule file)
---@field hidden? integer units per hidden layer, 1…65536
---@field layers? integer hidden layers, 1…64
---@field episodes? integer episodes per run, ≥ 1
---@field defaults? table<string, nrl.rule_defaults> per-environment overrides, by environment name or .lua path
---@field setup? fun(ctx: nrl.context) once before the first episode, and after every reload: make passes, traces, vectors here
---@field begin_episode? fun(ctx: nrl.context) before the first step of every episode (trial)
---@field act fun(ctx: nrl.context, obs: nrl.vector): nrl.action every step: return an action 1…`ctx.env.actions`
---@field learn fun(ctx: nrl.context, rpe: number) at reward times, with the reward prediction error (raw reward/return with `baseline = false`)

---The `info` table an environment's `step` may return.
---@class nrl.step_info
---@field new_trial? boolean a continuing task's trial ends with this step
---@field [string] any

---The `options` of an environment's `reset`: nil in runs; tests may pass a recorded state.
---@class nrl.reset_options
---@field state? number[] the state to start from

---The table of `env { … }`. A field not listed here is an error.
---@class nrl.env_declaration
---@field name? string `ctx.env.name` for rules (default: the file name without .lua)
---@field observations integer observation size, 1…65536
---@field actions integer number of actions, 1…65536
---@field reward? "delayed"|"immediate" `"delayed"` (default): rules learn once per episode; `"immediate"`: every step
---@field continuing? boolean `true`: one `reset` per run; a trial ends when `step` returns `info.new_trial = true`
---@field max_steps? integer Gymnasium's TimeLimit: `truncated` once this many steps have been taken since `reset`
---@field hidden? integer network width for runs on this environment, unless the rule or command line says otherwise
---@field episodes? integer episode count for runs on this environment, likewise
---@field params? table<string, nrl.param> the environment's parameters (`self.params`, `--set env.KEY=VALUE`)
---@field reset fun(self: nrl.env_self, options?: nrl.reset_options): nrl.observation starts an episode; returns the first observation
---@field step fun(self: nrl.env_self, action: nrl.action): nrl.observation, number, boolean, boolean, nrl.step_info? returns obs, reward, terminated, truncated [, info]

---A rule entry of an experiment: `{ "nrl", label = "…", set = { param = value } }`.
---@class nrl.experiment_rule
---@field [1] string a rule name or a rule script's path (relative to the experiment file)
---@field label? string the label in the store and report
---@field set? table<string, nrl.param_value> parameters as `--set` sets them (`["env.KEY"] = value` for the environment's)

---A group of runs of an experiment: every rule on every environment, layer count, seed and protocol.
---@class nrl.experiment_group
---@field name? string the group's (or, at the top level, the experiment's) name
---@field rules? (string|nrl.experiment_rule)[] rule names, rule scripts' paths, or rule entries
---@field envs? string[] environment names or environment scripts' paths
---@field seeds? integer[] one run per seed (non-negative integers)
---@field episodes? integer|table<string, integer> episodes per run, or by environment
---@field layers? integer|integer[] hidden layers (1…64), or a list to run each
---@field hidden? integer units per hidden layer (1…65536)
---@field protocols? ("per-run"|"authors")[] where initial weights come from (default `{ "per-run" }`)
---@field env_params? table<string, table<string, nrl.param_value>> environment parameters, by environment

---The table of `experiment { … }` (`nrlhost compare`, docs/guide.md section 8): the settings of a
---group, and optionally `groups`. A field not listed here is an error.
---@class nrl.experiment_declaration: nrl.experiment_group
---@field groups? nrl.experiment_group[] groups, each expanded on its own; what a group leaves out comes from the top level

---The seeds of an assignment.
---@class nrl.assignment_seeds
---@field practice integer[] public: `nrlhost try` runs these
---@field grading? integer[] private: `nrlhost grade` runs these (must not overlap the practice seeds)

---The limits of an assignment's submissions.
---@class nrl.assignment_limits
---@field instructions? integer Lua instructions per call (default 10,000,000)
---@field memory_mb? integer the submission's Lua memory in MB (default 64)
---@field seconds? number wall-clock seconds for the whole submission (default 60)

---How an assignment scores: `metric`, and `baseline`, `pass`, `full` (or per environment, by name).
---@class nrl.assignment_scoring
---@field metric? "final"|"auc" the mean return of the last 50 episodes, or over all episodes
---@field baseline? number the performance that scores 0
---@field pass? number the pass mark
---@field full? number the performance that scores 100
---@field [string] { baseline: number, pass: number, full: number } per environment, with several

---The table of `assignment { … }` (`nrlhost grade`, `nrlhost try`; docs/coursework.md). A field not
---listed here is an error.
---@class nrl.assignment_declaration
---@field name? string default: the file name
---@field title? string
---@field env? string the task (give `env` or `envs`)
---@field envs? string[] several tasks
---@field hidden? integer the network every submission trains (default 64)
---@field layers? integer default 1
---@field episodes? integer|table<string, integer> episodes per run, or by environment
---@field seeds nrl.assignment_seeds
---@field init_seed? integer the seed of the initial weights of every run
---@field limits? nrl.assignment_limits
---@field scoring? nrl.assignment_scoring
---@field locality? "local"|"any" `"local"` forbids `m:add_gradient` (default `"any"`)

---Declares a learning rule: a rule script ends with `return rule { … }`.
---@param t nrl.rule_declaration
---@return nrl.rule_declaration t
function rule(t) end

---Declares an environment: an environment script ends with `return env { … }`.
---@param t nrl.env_declaration
---@return nrl.env_declaration t
function env(t) end

---Declares an experiment file for `nrlhost compare`: it ends with `return experiment { … }`.
---@param t nrl.experiment_declaration
---@return nrl.experiment_declaration t
function experiment(t) end

---Declares an assignment for `nrlhost grade` and `nrlhost try`: it ends with `return assignment { … }`.
---@param t nrl.assignment_declaration
---@return nrl.assignment_declaration t
function assignment(t) end

-- ---------------------------------------------------------------------------------------------------
-- Module nrl, log, and the sandbox's versions of standard functions
-- ---------------------------------------------------------------------------------------------------

---The host's module.
---@class nrl
nrl = {}

---The nrlhost version, e.g. `"0.1.0"`.
---@type string
nrl.version = "0.1.0"

---A new writable Double vector of n (0…16,777,216) elements, all `fill` (default 0).
---@param n integer
---@param fill? number default 0
---@return nrl.vector
function nrl.vector(n, fill) end

---C's `pow(x, y)`. Lua 5.4 computes `x^2` as `x*x`; Gymnasium squares with `pow`.
---@param x number
---@param y number
---@return number
function nrl.pow(x, y) end

---Records a number for the current episode (the mean if logged several times). Names are 1–64 bytes of
---letters, digits, combining marks, `_` or `.`; at most 64 names per episode. With `--out DIR`, written
---to `DIR/metrics.csv`. Accepted but not recorded in environment scripts.
---@param name string
---@param value number
function log(name, value) end

---Writes its arguments to standard error (not standard output); after 64 KB from one script in a run,
---prints one notice and drops the rest.
---@param ... any
function print(...) end

---The text of a value: `"<matrices>"`, `"<pass>"`, `"<rng>"`, or a vector's values (`"vector(3): 0.5 2 0.5"`).
---@param v any
---@return string
function tostring(v) end

---Loads a chunk from a source string (no reader functions, no binary chunks). Its environment is the
---script's own unless `env` is given; `name` is ignored: errors in the chunk read
---`my_rule.lua:12: (load):2: …`, naming the line of the `load` call. Returns the chunk, or nil and a message.
---@param chunk string
---@param name? string ignored
---@param mode? "t"|"bt" binary chunks are refused
---@param env? table
---@return function? chunk
---@return string? message
function load(chunk, name, mode, env) end

---Sets t's metatable (as in Lua); refuses a metatable with `__gc` (finalizers would run outside the limits).
---@generic T: table
---@param t T
---@param mt table?
---@return T
function setmetatable(t, mt) end

---Only `"count"` (the Lua heap in KB) and `"collect"` (a full collection, returns 0); any other option is an error.
---@param opt? "count"|"collect" default `"collect"`
---@return number
function collectgarbage(opt) end

---In nrlhost, drawn from the script's host-seeded stream (the rule's `ctx.rng`, the environment's
---`self.rng`): `math.random()` is uniform on [0, 1), `math.random(m)` on 1…m, `math.random(m, n)` on
---m…n; `math.random(0)` gives an integer with all bits random.
---@param m integer
---@param n? integer
---@return integer
---@overload fun(): number
function math.random(m, n) end

---Not available in nrlhost: raises an error. `--seed` seeds every stream.
---@deprecated
---@param x? integer
function math.randomseed(x) end

-- Lua 5.3's compatibility functions, which Debian's Lua 5.4 keeps in `math` (docs/lua-api.md, "The sandbox").

---C's `pow(x, y)` (Lua 5.3 compatibility; the same as `nrl.pow`, the documented way to get C's pow).
---@param x number
---@param y number
---@return number
function math.pow(x, y) end

---The arc tangent of y/x in radians, using the signs of both to find the quadrant (Lua 5.3
---compatibility; the same as `math.atan(y, x)`).
---@param y number
---@param x number
---@return number
function math.atan2(y, x) end

---The hyperbolic cosine of x (Lua 5.3 compatibility).
---@param x number
---@return number
function math.cosh(x) end

---The hyperbolic sine of x (Lua 5.3 compatibility).
---@param x number
---@return number
function math.sinh(x) end

---The hyperbolic tangent of x (Lua 5.3 compatibility).
---@param x number
---@return number
function math.tanh(x) end

---m and e with x = m · 2^e, 0.5 ≤ |m| < 1 (m = 0 and e = 0 for x = 0) (Lua 5.3 compatibility).
---@param x number
---@return number m
---@return integer e
function math.frexp(x) end

---m · 2^e (Lua 5.3 compatibility).
---@param m number
---@param e integer
---@return number
function math.ldexp(m, e) end

---The base-10 logarithm of x (Lua 5.3 compatibility; the same as `math.log(x, 10)`).
---@param x number
---@return number
function math.log10(x) end
