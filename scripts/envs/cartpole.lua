-- CartPole-v1 in Lua, bit for bit the same as Gymnasium 0.29.1 and nrlhost's native `cartpole`
-- (docs/spec/environments.md §2). Run it with: nrlhost run --rule nrl --env scripts/envs/cartpole.lua
--
-- Why it is written so stiffly: the cart-pole is open-loop unstable, so a difference in the last bit
-- of one number grows to O(1) within an episode. To stay exact:
--   * every square is nrl.pow(v, 2.0), which is C's pow like Python's v**2. Lua's v^2 is v*v, which
--     differs from pow in about 0.1 % of cases;
--   * every expression keeps the reference's operation order and parentheses; no constants are folded
--     by hand (M = 1.1, m_p·l = 0.05 and 4.0/3.0 are what the reference computes too);
--   * all numbers are floats (10.0, not 10), and the state stays a float64 Lua number; only the
--     observation is rounded to float32, by the host.
-- The 500-step limit is the host's TimeLimit (max_steps), not the script's business.

local THETA_MAX = 0.20943951023931953  -- ((12·2)·π)/360 as the reference computes it; not math.rad(12)
local X_MAX = 2.4
local pow, cos, sin = nrl.pow, math.cos, math.sin

return env {
  name = "cartpole_lua",
  observations = 4,            -- x, ẋ, θ, θ̇
  actions = 2,                 -- 1 = push left (−10 N), 2 = push right (+10 N)
  reward = "delayed",          -- learn once per episode from the return
  max_steps = 500,             -- Gymnasium's TimeLimit
  hidden = 64,
  episodes = 20000,

  -- self.state = { x, xdot, theta, thetadot } (float64, readable by tests);
  -- self.steps_beyond is Gymnasium's steps_beyond_terminated (nil until the first terminating step).

  -- options.state (4 numbers) starts from a recorded state instead of a draw (docs/spec/environments.md §5).
  reset = function(self, options)
    local x, xdot, theta, thetadot
    if options and options.state then
      local o = options.state
      if #o ~= 4 then error("options.state needs 4 numbers (x, xdot, theta, thetadot), got " .. #o, 2) end
      x, xdot, theta, thetadot = o[1] * 1.0, o[2] * 1.0, o[3] * 1.0, o[4] * 1.0  -- floats; keeps −0.0
    else
      -- U[−0.05, 0.05)⁴ drawn in this order, as low + (high − low)·u like numpy's Generator.uniform.
      local rng = self.rng
      x = rng:uniform(-0.05, 0.05)
      xdot = rng:uniform(-0.05, 0.05)
      theta = rng:uniform(-0.05, 0.05)
      thetadot = rng:uniform(-0.05, 0.05)
    end
    self.state = { x, xdot, theta, thetadot }
    self.steps_beyond = nil
    return { x, xdot, theta, thetadot }
  end,

  step = function(self, action)
    local s = self.state
    local x, xdot, theta, thetadot = s[1], s[2], s[3], s[4]
    local force = action == 2 and 10.0 or -10.0
    local c = cos(theta)
    local sn = sin(theta)
    local temp = (force + ((0.05 * pow(thetadot, 2.0)) * sn)) / 1.1
    local thetaacc = ((9.8 * sn) - (c * temp)) / (0.5 * ((4.0 / 3.0) - ((0.1 * pow(c, 2.0)) / 1.1)))
    local xacc = temp - (((0.05 * thetaacc) * c) / 1.1)

    -- Explicit Euler; all four updates use the old values.
    x, xdot, theta, thetadot =
      x + 0.02 * xdot, xdot + 0.02 * xacc, theta + 0.02 * thetadot, thetadot + 0.02 * thetaacc
    s[1], s[2], s[3], s[4] = x, xdot, theta, thetadot

    -- Recomputed from the state every step (it can turn false again).
    local terminated = x < -X_MAX or x > X_MAX or theta < -THETA_MAX or theta > THETA_MAX

    -- 1.0 while balanced and on the first terminating step; 0.0 on later terminated steps.
    local reward
    if not terminated then
      reward = 1.0
    elseif self.steps_beyond == nil then
      self.steps_beyond = 0
      reward = 1.0
    else
      self.steps_beyond = self.steps_beyond + 1
      reward = 0.0
    end
    return s, reward, terminated, false  -- the state table is the observation: nothing to allocate
  end,
}
