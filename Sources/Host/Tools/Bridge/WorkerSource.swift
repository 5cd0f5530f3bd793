/// The Python worker nrlhost starts with `python -u -c WorkerSource.text <parent pid> [<spin ns>]`: embedded,
/// so the binary never has to find a file beside it. The protocol is in docs/bridge.md and PythonWorker.swift;
/// with a spin time, fd 3 is the shared step channel (Sources/Host/WorkerChannel, whose offsets it repeats).
enum WorkerSource {
    static let text = #"""
# nrlhost's Python worker: one Gymnasium/NeuroGym environment, spoken to over stdin/stdout in frames
# (docs/bridge.md): u8 code, u32 length (little-endian), payload. Started by nrlhost with `python -u -c`.
import os, sys, struct, json, signal, traceback
# One thread of numeric libraries per worker (numpy's OpenBLAS, torch's OpenMP, which neurogym imports): their
# idle threads spin, taking the core nrlhost or another worker runs on. An exported value wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is nrlhost's to handle; the worker ends when its pipe closes
if sys.platform.startswith("linux"):
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:
        pass
    if len(sys.argv) > 1 and os.getppid() != int(sys.argv[1]):
        os._exit(0)  # the parent died before the death signal was armed
# The protocol keeps fds 0 and 1 for itself; anything the task prints goes to stderr.
IN = os.dup(0); OUT = os.dup(1)
os.dup2(2, 1)
_null = os.open(os.devnull, os.O_RDONLY); os.dup2(_null, 0); os.close(_null)
sys.stdout = sys.stderr
MAX = 16 << 20

def read_exact(n):
    chunks = []
    while n:
        b = os.read(IN, n)
        if not b:
            os._exit(0)  # stdin closed: the parent is gone
        chunks.append(b); n -= len(b)
    return b"".join(chunks)

def send(code, payload):
    data = struct.pack("<BI", code, len(payload)) + payload
    n = os.write(OUT, data)
    while n < len(data):
        data = data[n:]
        n = os.write(OUT, data)

package_dir = None
def fail(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    frame = tb[-1] if tb else None
    if package_dir:
        own = [f for f in tb if os.path.abspath(f.filename).startswith(package_dir)]
        if own:
            frame = own[-1]
    send(1, json.dumps({"type": type(exc).__name__, "message": str(exc),
                        "file": frame.filename if frame else "", "line": frame.lineno if frame else 0}).encode())

env = None; trial_env = False; obs_size = 0; one_hot = None; action_start = 0; np = None

def make(spec):
    global env, obs_size, one_hot, action_start, np, package_dir
    if env is not None:  # a reused worker: the last run's task goes first
        try:
            env.close()
        except Exception:
            pass
    env = None; one_hot = None; package_dir = None
    import numpy
    np = numpy
    # Gymnasium 0.29.1's Acrobot spells float64 `np.float_`, which NumPy 2 removed: the same type.
    if not hasattr(numpy, "float_"):
        numpy.float_ = numpy.float64
    import gymnasium as gym
    family, ident, kwargs = spec["family"], spec["id"], spec.get("kwargs", {})
    if family == "neurogym":
        import neurogym
        env = neurogym.make(ident, **kwargs)
    else:
        try:
            if ":" not in ident:  # "module:ID" imports module, which registers ID
                gym.spec(ident)
        except Exception:
            import neurogym  # registers NeuroGym's tasks with Gymnasium
        env = gym.make(ident, **kwargs)
    mod = sys.modules.get(type(env.unwrapped).__module__)
    if mod is not None and getattr(mod, "__file__", None):
        top = sys.modules.get(type(env.unwrapped).__module__.split(".")[0])
        package_dir = os.path.dirname(os.path.abspath(getattr(top, "__file__", None) or mod.__file__))
    a = env.action_space
    if not isinstance(a, gym.spaces.Discrete):
        raise TypeError("action space %r is not Discrete (nrlhost takes Discrete actions only)" % (a,))
    action_start = int(a.start)
    o = env.observation_space
    if isinstance(o, gym.spaces.Box):
        obs_size = int(np.prod(o.shape)) if o.shape else 1
        kind = "box"
    elif isinstance(o, gym.spaces.Discrete):
        obs_size = int(o.n); one_hot = (int(o.start), np.zeros(obs_size, dtype=np.float32))
        kind = "discrete"
    else:
        raise TypeError("observation space %r is neither Box nor Discrete (nrlhost takes those two)" % (o,))
    if "action_seed" in spec:
        a.seed(int(spec["action_seed"]))
    global trial_env
    continuing = trial_env = any(c.__name__ == "TrialEnv" and c.__module__.startswith("neurogym")
                     for c in type(env.unwrapped).__mro__)
    max_steps = env.spec.max_episode_steps if env.spec is not None else None
    return {"observation_size": obs_size, "observation": kind, "actions": int(a.n), "continuing": continuing,
            "max_episode_steps": max_steps, "reward": "step" if continuing else "episode", "spec": str(env.spec)}

def flat(obs):
    """The observation as obs_size values: one-hot for a Discrete space, else flattened (C order); a flat
    array is passed through as it is, to be rounded to Float32 where it is written."""
    if one_hot is not None:
        start, buf = one_hot
        buf[:] = 0; buf[int(obs) - start] = 1
        return buf
    if type(obs) is not np.ndarray or obs.ndim != 1:
        obs = np.asarray(obs, dtype=np.float32).reshape(-1)
    if obs.shape[0] != obs_size:
        raise ValueError("the observation has %d values, the space says %d" % (obs.shape[0], obs_size))
    return obs

def encode(obs):
    return flat(obs).astype(np.float32, copy=False).tobytes()

def reset(has_seed, seed):
    if has_seed and trial_env:
        # NeuroGym draws trials from its own RandomState, which reset(seed=) leaves alone.
        env.unwrapped.seed(int(seed) % (1 << 32))
    obs, info = env.reset(seed=int(seed) if has_seed else None)
    return obs

RESULT = struct.Struct("<dB")
def step(action):
    obs, reward, terminated, truncated, info = env.step(action + action_start)
    flags = (1 if terminated else 0) | (2 if truncated else 0) | (4 if info.get("new_trial", False) else 0)
    return encode(obs) + RESULT.pack(float(reward), flags)

# The step channel: nrlhost bumps REQUEST for every request; a step's or a reset's request and answer are in
# shared memory, any other request is a frame on the socket. Each side spins, then sleeps on a futex (x86-64 and arm64 Linux).
chan = None
if len(sys.argv) > 2 and sys.platform.startswith("linux"):
    import mmap, ctypes
    class _Timespec(ctypes.Structure):
        _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
    class Channel:
        def __init__(self, spin_ns):
            import platform
            self.mm = mmap.mmap(3, 1 << 20)
            # u32 words: REQUEST 0, RESPONSE 1, WORKER_ASLEEP 2, HOST_ASLEEP 3, KIND 4, ACTION 5, STATUS 8, FLAGS 9
            self.words = memoryview(self.mm).cast("I")
            self.reward = memoryview(self.mm)[24:32].cast("d")
            self.seed = memoryview(self.mm)[40:48].cast("Q")
            self.libc = ctypes.CDLL(None, use_errno=True)
            self.futex = {"x86_64": 202, "aarch64": 98}.get(platform.machine(), 0)
            base = ctypes.addressof(ctypes.c_char.from_buffer(self.mm))
            self.request_address = ctypes.c_void_p(base)
            self.response_address = ctypes.c_void_p(base + 4)
            self.slice = _Timespec(0, 50_000_000)  # a sleep ends every 50 ms; the death signal ends the worker
            self.maximum = self.budget = max(0, spin_ns // 50)  # spins: about 50 ns per check below
            self.waits = 0
            self.last = 0
            self.obs = None
        def attach(self, size):
            """Steps go through the channel when the observation fits."""
            self.obs = None
            if self.futex and 64 + 4 * size <= len(self.mm):
                self.obs = np.frombuffer(self.mm, dtype=np.float32, count=size, offset=64)
            return self.obs is not None
        def wait(self):
            # The spin budget adapts as nrlhost's does (SpinBudget in PythonWorker.swift).
            words, last = self.words, self.last
            self.waits += 1
            n = self.maximum // 8 if self.budget == 0 and self.waits % 32 == 0 else self.budget
            slept = False
            while words[0] == last:
                n -= 1
                if n < 0:
                    slept = True
                    words[2] = 1
                    self.libc.syscall(self.futex, self.request_address, 0, ctypes.c_uint32(last), ctypes.byref(self.slice), None, 0)
                    words[2] = 0
            if slept:
                self.budget = 0 if self.budget // 2 < self.maximum // 64 else self.budget // 2
            else:
                self.budget = self.maximum
            self.last = words[0]
            return words[4]
        def serve(self, kind):
            """Answers a step (kind 3) or a reset (kind 2) in shared memory."""
            words = self.words
            try:
                if kind == 3:
                    obs, reward, terminated, truncated, info = env.step(words[5] + action_start)
                    self.obs[:] = flat(obs)  # a float64 observation is rounded to Float32 as astype would
                    self.reward[0] = float(reward)
                    words[9] = (1 if terminated else 0) | (2 if truncated else 0) | (4 if info.get("new_trial", False) else 0)
                else:
                    self.obs[:] = flat(reset(words[5] != 0, self.seed[0]))
                words[8] = 0
            except Exception as e:
                fail(e)  # the error frame is on the socket before the answer says so
                words[8] = 1
            words[1] = self.last
            if words[3]:
                self.libc.syscall(self.futex, self.response_address, 1, 1, None, None, 0)
    chan = Channel(int(sys.argv[2]))

def bench(payload):
    import time
    n, seed = struct.unpack("<IQ", payload)
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, env.action_space.n, size=n)
    env.reset(seed=int(seed & ((1 << 63) - 1)))
    t = time.perf_counter_ns(); resets = 0
    for k in actions:
        obs, reward, terminated, truncated, info = env.step(int(k) + action_start)
        if terminated or truncated:
            env.reset(); resets += 1
    return struct.pack("<dI", (time.perf_counter_ns() - t) / 1e9, resets)

HEADER = struct.Struct("<BI"); ACTION = struct.Struct("<I")
pending = b""
while True:
    if chan is not None:
        kind = chan.wait()
        if kind:
            chan.serve(kind)
            continue
    # One read usually holds a whole request (a step's is 9 bytes).
    while len(pending) < 5:
        more = os.read(IN, 65536)
        if not more:
            os._exit(0)  # stdin closed: the parent is gone
        pending += more
    code, length = HEADER.unpack_from(pending)
    if length > MAX:
        os._exit(3)
    while len(pending) < 5 + length:
        more = os.read(IN, max(65536, 5 + length - len(pending)))
        if not more:
            os._exit(0)
        pending += more
    payload = pending[5:5 + length]
    pending = pending[5 + length:]
    try:
        if code == 3:
            send(0, step(ACTION.unpack(payload)[0]))
        elif code == 2:
            has_seed, seed = struct.unpack("<BQ", payload)
            send(0, encode(reset(has_seed, seed)))
        elif code == 1:
            reply = make(json.loads(payload))
            reply["channel"] = chan is not None and chan.attach(obs_size)
            send(0, json.dumps(reply).encode())
        elif code == 4:
            try:
                env.close()
            finally:
                os._exit(0)
        elif code == 5:
            send(0, bench(payload))
        else:
            os._exit(4)
    except Exception as e:
        fail(e)
"""#
}
