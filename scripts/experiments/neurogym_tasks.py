"""The tasks of neurogym.lua studied in plain Python (docs/beyond.md, "The tasks"): spaces, trial length,
what a random policy scores, what the best policy that sees only the current observation can score, and
whether the observation at response time carries any information.

    NRLHOST_PYTHON=.venv/bin/python; $NRLHOST_PYTHON scripts/experiments/neurogym_tasks.py

neurogym 2.3.1 imports torch for an optional probe no task uses; without torch an inert placeholder is
put in sys.modules first (as the bridge's worker does). Seeds are fixed: the output is reproducible.
"""
import importlib.util
import sys
import time
import types
import warnings

warnings.filterwarnings("ignore")
if importlib.util.find_spec("torch") is None:
    torch = types.ModuleType("torch")
    torch.nn = types.ModuleType("torch.nn")
    torch.nn.Module = type("Module", (), {})
    torch.Tensor = type("Tensor", (), {})
    sys.modules["torch"], sys.modules["torch.nn"] = torch, torch.nn

import gymnasium as gym  # noqa: E402
import neurogym  # noqa: E402,F401  (registers the NeuroGym tasks with gymnasium)
import numpy as np  # noqa: E402

TRIALS = 3000


def neurogym_task(name):
    """Per policy: mean return per trial, its sd, trial length, time per env.step."""
    rows = {}
    for policy in ("random", "memoryless-best"):
        env = gym.make(name)
        u = env.unwrapped
        ob, _ = env.reset(seed=0)
        rng = np.random.default_rng(0)
        k = env.action_space.n
        returns, lengths, r, n, steps, spent = [], [], 0.0, 0, 0, 0.0
        response_zero, response_steps, first_step_aborts, aborts = 0, 0, 0, 0
        while len(returns) < TRIALS:
            gt = int(np.asarray(u.gt_now).ravel()[0])
            if gt != 0:
                response_steps += 1
                response_zero += not np.any(ob)
            # The best policy that sees only the current observation, for these tasks: hold fixation (action 0)
            # whenever anything is shown, and guess when nothing is (a bias-free network's softmax is uniform
            # at a zero input whatever its weights).
            a = int(rng.integers(k)) if policy == "random" or not np.any(ob) else 0
            t0 = time.perf_counter()
            ob, reward, terminated, truncated, info = env.step(a)
            spent += time.perf_counter() - t0
            if reward < 0 and gt == 0 and a != 0 and np.isclose(reward, u.rewards.get("abort", np.nan)):
                aborts += 1
                first_step_aborts += n == 0
            r += reward
            n += 1
            steps += 1
            if info.get("new_trial"):
                returns.append(r)
                lengths.append(n)
                r, n = 0.0, 0
        returns = np.array(returns)
        rows[policy] = dict(mean=returns.mean(), sd=returns.std(), length=np.mean(lengths), us=spent / steps * 1e6,
                            zero=response_zero / max(response_steps, 1),
                            first=first_step_aborts / max(aborts, 1) if aborts else float("nan"))
    env = gym.make(name)
    # Reaching shows its target at response time: the fixate-or-guess policy is not the best there.
    best = "n/a" if rows["random"]["zero"] < 0.5 else f"{rows['memoryless-best']['mean']:.3f}"
    print(f"| {name} | {env.observation_space.shape[0]} | {env.action_space.n} | {rows['random']['length']:.1f} "
          f"| {rows['random']['mean']:.3f} | {best} | {rows['random']['sd'] / np.sqrt(50):.3f} "
          f"| {rows['random']['zero']:.2f} | {rows['random']['first']:.2f} | {rows['random']['us']:.1f} |".replace("nan", "—"))


def gymnasium_task(name, episodes=1000):
    env = gym.make(name)
    env.action_space.seed(0)
    returns, lengths, steps, spent = [], [], 0, 0.0
    for i in range(episodes):
        env.reset(seed=i)
        r, n = 0.0, 0
        while True:
            a = env.action_space.sample()
            t0 = time.perf_counter()
            _, reward, terminated, truncated, _ = env.step(a)
            spent += time.perf_counter() - t0
            r += reward
            n += 1
            if terminated or truncated:
                break
        returns.append(r)
        lengths.append(n)
        steps += n
    returns = np.array(returns)
    print(f"| {name} | {env.observation_space} | {env.action_space.n} | {env.spec.max_episode_steps} "
          f"| {env.spec.reward_threshold} | {np.mean(lengths):.1f} | {returns.mean():.3f} | {np.mean(returns > returns.min()):.3f} "
          f"| {spent / steps * 1e6:.1f} |")


print("| task | obs | actions | steps/trial | random return/trial | memoryless best | sd of a 50-trial mean "
      "| response steps with an all-zero observation | aborts on a trial's first step | env.step µs |")
print("|---|---|---|---|---|---|---|---|---|---|")
for task in ("PerceptualDecisionMaking-v0", "GoNogo-v0", "DelayMatchSample-v0", "ContextDecisionMaking-v0",
             "Reaching1DWithSelfDistraction-v0"):
    neurogym_task(task)
print()
print("| task | obs | actions | TimeLimit | reward_threshold | steps/episode (random) | random return "
      "| episodes above the minimum | env.step µs |")
print("|---|---|---|---|---|---|---|---|---|")
for task in ("MountainCar-v0", "FrozenLake-v1"):
    gymnasium_task(task)
