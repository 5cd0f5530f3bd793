-- A corridor of LENGTH cells with the exit at the far end: a task with a delayed reward.
--
-- The agent starts in cell 1 and walks left or right (walking into the wall at cell 1 does nothing).
-- Every step costs 1 (reward −1, as in Acrobot), and the episode ends in the exit cell or after
-- max_steps steps. So the return is minus the number of steps taken: −(LENGTH − 1) for walking
-- straight out, −max_steps for never arriving. A random walk needs about (LENGTH − 1)² steps, so a
-- random agent usually runs out of time; a trained one walks right every time.
--
-- With reward = "delayed" a rule learns once per episode, from the whole return: it has to work out
-- which of its many moves made the episode short.
--
--   nrlhost run --rule nrl --env scripts/envs/corridor.lua

local LENGTH = 10

-- The observation for cell `pos`: 1 at that cell, 0 elsewhere.
local function one_hot(pos)
  local obs = {}
  for i = 1, LENGTH do obs[i] = (i == pos) and 1.0 or 0.0 end
  return obs
end

return env {
  name = "corridor",
  observations = LENGTH,    -- where the agent is
  actions = 2,              -- 1 = step left, 2 = step right
  reward = "delayed",       -- rules learn at the end of each episode, from the return
  max_steps = 50,           -- the host truncates the episode after 50 steps
  hidden = 32,              -- run defaults: network width and episode count
  episodes = 2000,

  reset = function(self, _options)
    self.pos = 1
    return one_hot(self.pos)
  end,

  step = function(self, action)
    local move = (action == 2) and 1 or -1
    self.pos = math.max(1, math.min(LENGTH, self.pos + move))
    local arrived = self.pos == LENGTH
    return one_hot(self.pos), -1.0, arrived, false
  end,
}
