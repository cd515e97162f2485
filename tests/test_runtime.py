"""The GPU slot pool (stylepath.gpus) and select_device, on the CPU: GPUs are faked by their keys
(UUIDs), claimants are real processes holding real flock locks."""

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from stylepath import gpus, runtime
from stylepath.io import StylepathError

SRC = Path(__file__).resolve().parents[1] / "src"

# Claims one of the GPUs named in argv[1] (comma-separated keys) once it reads a line, prints
# "claimed <index>" and holds the GPU until stdin gives another line or closes.
CLAIMANT = """
import sys
from stylepath.gpus import claim_gpu
sys.stdin.readline()
slot = claim_gpu(sys.argv[1].split(","), sys.argv[2], timeout_s=float(sys.argv[3]), poll_s=0.02)
print("claimed", slot.index, flush=True)
sys.stdin.readline()
"""


class Claimant:
    """A process that claims a GPU from `keys` when `go()` is called and holds it until `release()`."""

    def __init__(self, keys, directory, timeout_s=10.0):
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        command = [sys.executable, "-c", CLAIMANT, ",".join(keys), str(directory), str(timeout_s)]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0, env=env
        )

    def go(self):
        self.proc.stdin.write(b"go\n")

    def line(self, timeout_s=10.0) -> str | None:
        """The next line it prints, or None if none comes within `timeout_s`."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        return self.proc.stdout.readline().decode().strip() if ready else None

    def claimed(self) -> int:
        line = self.line()
        assert line and line.startswith("claimed "), line
        return int(line.split()[1])

    def release(self):
        self.proc.stdin.close()
        assert self.proc.wait(10) == 0


@pytest.fixture
def start(tmp_path):
    """start(keys, timeout_s=10.0) -> a Claimant on the lock dir tmp_path/locks; all are killed at the end."""
    started = []

    def start(keys, timeout_s=10.0):
        started.append(Claimant(keys, tmp_path / "locks", timeout_s))
        return started[-1]

    yield start
    for claimant in started:
        if claimant.proc.poll() is None:
            claimant.proc.kill()
        claimant.proc.wait(10)


def hold(keys, directory):
    """Claim the first free of `keys` in a running process and return it (claimed)."""
    claimant = Claimant(keys, directory)
    claimant.go()
    claimant.claimed()
    return claimant


# ---------------------------------------------------------------- the pool


@pytest.mark.parametrize("n", [1, 2, 4])
def test_claimants_at_once_get_distinct_gpus(start, tmp_path, n):
    keys = [f"GPU-{i}" for i in range(n)]
    claimants = [start(keys) for _ in range(n)]
    for claimant in claimants:
        claimant.go()
    assert sorted(claimant.claimed() for claimant in claimants) == list(range(n))
    assert sorted(path.name for path in (tmp_path / "locks").iterdir()) == [f"GPU-{i}.lock" for i in range(n)]
    held = [gpus.try_claim([key], tmp_path / "locks") for key in keys]
    assert held == [None] * n  # every lock is taken, also for a claimant in this process


def test_no_gpu_to_claim(tmp_path):
    with pytest.raises(ValueError):
        gpus.claim_gpu([], tmp_path)


@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_a_slot_frees_when_its_holder_ends(start, tmp_path, how):
    directory = tmp_path / "locks"
    holder = start(["GPU-a"])
    holder.go()
    assert holder.claimed() == 0
    assert gpus.try_claim(["GPU-a"], directory) is None
    if how == "exit":
        holder.release()
    else:
        holder.proc.send_signal(signal.SIGKILL)
        assert holder.proc.wait(10) == -signal.SIGKILL
    slot = gpus.claim_gpu(["GPU-a"], directory, timeout_s=2, poll_s=0.01)
    assert (slot.index, slot.key) == (0, "GPU-a")
    assert f"pid {os.getpid()} " in slot.path.read_text()  # the new holder says who it is
    slot.release()


def test_with_every_slot_held_a_claimant_waits_for_the_first_freed(start, tmp_path):
    keys = ["GPU-a", "GPU-b"]
    first, second = start(keys), start(keys)
    first.go()
    assert first.claimed() == 0
    second.go()
    assert second.claimed() == 1
    waiting = start(keys)
    waiting.go()
    message = waiting.line()
    assert message.startswith("Every visible GPU is held by another stylepath job"), message
    assert f"cuda:0 (GPU-a: pid {first.proc.pid} " in message and f"cuda:1 (GPU-b: pid {second.proc.pid} " in message
    assert waiting.line(timeout_s=0.5) is None  # still waiting, and said so once
    second.release()
    assert waiting.claimed() == 1
    assert gpus.try_claim(keys, tmp_path / "locks") is None  # first and waiting hold both


def test_waiting_gives_up_after_the_timeout(tmp_path):
    held = gpus.try_claim(["GPU-a"], tmp_path)  # another open file: flock keeps it apart, even in this process
    start = time.monotonic()
    with pytest.raises(StylepathError, match=f"stayed busy for 0.2 s: cuda:0 \\(GPU-a: pid {os.getpid()} "):
        gpus.claim_gpu(["GPU-a"], tmp_path, timeout_s=0.2, poll_s=0.02)
    assert 0.2 <= time.monotonic() - start < 2
    held.release()
    assert gpus.claim_gpu(["GPU-a"], tmp_path, timeout_s=0).index == 0


def test_slots_are_keyed_by_physical_gpu_not_visible_index(start, tmp_path):
    """Physical GPUs a b c d; a job with CUDA_VISIBLE_DEVICES=2 sees c as cuda:0, one with 2,3 sees c, d."""
    directory = tmp_path / "locks"
    only_c = start(["GPU-c"])
    only_c.go()
    assert only_c.claimed() == 0  # cuda:0 of its own, GPU c
    c_and_d = start(["GPU-c", "GPU-d"])
    c_and_d.go()
    assert c_and_d.claimed() == 1  # its cuda:0 is c, already taken: it gets d
    every = [start(["GPU-a", "GPU-b", "GPU-c", "GPU-d"]) for _ in range(2)]
    for claimant in every:
        claimant.go()
        claimant.claimed()
    assert sorted(path.name for path in directory.iterdir()) == ["GPU-a.lock", "GPU-b.lock", "GPU-c.lock", "GPU-d.lock"]
    with pytest.raises(StylepathError):  # c is held: a job seeing only c waits rather than sharing it
        gpus.claim_gpu(["GPU-c"], directory, timeout_s=0.1, poll_s=0.02)


def test_device_key_is_the_uuid_else_the_pci_address():
    uuid = "7a1b2c3d-0000-1111-2222-333344445555"
    assert gpus.device_key(SimpleNamespace(uuid=uuid), 3) == f"GPU-{uuid}"
    assert gpus.device_key(SimpleNamespace(uuid=f"MIG-{uuid}"), 0) == f"MIG-{uuid}"
    zero = "00000000-0000-0000-0000-000000000000"
    no_uuid = SimpleNamespace(uuid=zero, pci_domain_id=0, pci_bus_id=65, pci_device_id=0)
    assert gpus.device_key(no_uuid, 1) == "PCI-0000:41:00"
    assert gpus.device_key(SimpleNamespace(), 2) == "visible-2"
    assert gpus.lock_path("GPU-x/y z", "/locks") == Path("/locks/GPU-x_y_z.lock")


def test_lock_dir_is_per_user_in_the_temp_dir_unless_set(tmp_path):
    assert gpus.lock_dir({}).name == f"stylepath-gpu-locks-{os.getuid()}"
    assert gpus.lock_dir({gpus.LOCK_DIR_ENV: str(tmp_path)}) == tmp_path
    assert gpus.wait_timeout({}) is None
    assert gpus.wait_timeout({gpus.WAIT_ENV: "90"}) == 90.0


# ---------------------------------------------------------------- visible_gpu_count (no torch)


@pytest.mark.parametrize(
    "visible, count",
    [(None, 2), ("", 0), ("-1", 0), ("NoDevFiles", 0), ("0", 1), ("0,2", 2), (" 1, 3 ", 2), ("0,-1,1", 1),
     ("GPU-a,MIG-b,GPU-c", 3)],
)  # fmt: skip
def test_visible_gpu_count(tmp_path, visible, count):
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-modeset"):
        (tmp_path / name).touch()
    (tmp_path / "nvidia-caps").mkdir()
    environ = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
    assert gpus.visible_gpu_count(environ, dev_dir=str(tmp_path)) == count


def test_visible_gpu_count_without_nvidia_devices(tmp_path):
    assert gpus.visible_gpu_count({}, dev_dir=str(tmp_path)) == 0


def test_the_snakefile_can_import_it_without_torch_or_numpy():
    code = (
        "import sys; from stylepath.gpus import visible_gpu_count; import stylepath.runtime; visible_gpu_count();"
        "heavy = {'torch', 'numpy'} & set(sys.modules); assert not heavy, heavy"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- select_device with faked CUDA


def uuid(i: int) -> str:
    return f"0000000{i}-aaaa-bbbb-cccc-dddddddddddd"


@pytest.fixture
def fake_cuda(monkeypatch, tmp_path):
    """torch.cuda with `count` fake GPUs (uuid(i)); locks in tmp_path. Yields the set_device calls."""
    import torch

    calls = SimpleNamespace(set_device=[], count=2)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: calls.count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: calls.count)
    props = [SimpleNamespace(name=f"Fake GPU {i}", uuid=uuid(i)) for i in range(4)]
    monkeypatch.setattr(torch.cuda, "get_device_properties", props.__getitem__)
    monkeypatch.setattr(torch.cuda, "set_device", calls.set_device.append)
    monkeypatch.setenv(gpus.LOCK_DIR_ENV, str(tmp_path))
    monkeypatch.delenv("STYLEPATH_DEVICE", raising=False)
    monkeypatch.delenv(gpus.WAIT_ENV, raising=False)
    monkeypatch.setattr(runtime, "_SLOT", None)
    yield calls
    if runtime._SLOT is not None:
        runtime._SLOT.release()


def test_a_gpu_job_claims_a_free_gpu_says_which_and_keeps_it(fake_cuda, tmp_path, capsys):
    import torch

    other = gpus.try_claim([f"GPU-{uuid(0)}"], tmp_path)  # another job holds GPU 0
    assert runtime.select_device(gpu_job=True) == torch.device("cuda", 1)
    assert fake_cuda.set_device == [1]
    lock = tmp_path / f"GPU-{uuid(1)}.lock"
    assert capsys.readouterr().out == f"Using cuda:1 (Fake GPU 1, uuid GPU-{uuid(1)}), slot lock {lock}\n"
    assert gpus.try_claim([f"GPU-{uuid(1)}"], tmp_path) is None  # held by this process
    assert runtime.select_device(gpu_job=True) == torch.device("cuda", 1)  # the same GPU, not a second one
    other.release()
    assert gpus.try_claim([f"GPU-{uuid(1)}"], tmp_path) is None


def test_cpu_jobs_take_no_gpu(fake_cuda, tmp_path):
    import torch

    assert runtime.select_device() == torch.device("cpu")
    assert fake_cuda.set_device == [] and list(tmp_path.iterdir()) == []


def test_stylepath_device_cpu_forces_the_cpu(fake_cuda, tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("STYLEPATH_DEVICE", "cpu")
    assert runtime.select_device(gpu_job=True) == torch.device("cpu")
    assert fake_cuda.set_device == [] and list(tmp_path.iterdir()) == []


def test_without_cuda_a_gpu_job_runs_on_the_cpu(fake_cuda, tmp_path):
    import torch

    fake_cuda.count = 0
    assert runtime.select_device(gpu_job=True) == torch.device("cpu")
    assert list(tmp_path.iterdir()) == []


def test_a_gpu_job_waits_while_every_gpu_is_busy_and_may_give_up(fake_cuda, tmp_path, monkeypatch):
    held = [gpus.try_claim([f"GPU-{uuid(i)}"], tmp_path) for i in range(2)]
    monkeypatch.setenv(gpus.WAIT_ENV, "0.1")
    monkeypatch.setattr(gpus, "POLL_S", 0.02)
    with pytest.raises(StylepathError, match="every visible GPU stayed busy"):
        runtime.select_device(gpu_job=True)
    assert fake_cuda.set_device == []
    for slot in held:
        slot.release()


def test_stylepath_device_pins_a_gpu_taking_its_slot_when_free(fake_cuda, tmp_path, monkeypatch, capsys):
    import torch

    monkeypatch.setenv("STYLEPATH_DEVICE", "cuda:1")
    assert runtime.select_device() == torch.device("cuda", 1)  # even a CPU job, as asked
    assert "pinned by STYLEPATH_DEVICE, slot lock" in capsys.readouterr().out
    assert gpus.try_claim([f"GPU-{uuid(1)}"], tmp_path) is None
    keys = [f"GPU-{uuid(i)}" for i in range(2)]
    assert gpus.claim_gpu(keys, tmp_path, timeout_s=0).index == 0  # the pool keeps off the pinned GPU


def test_a_pinned_gpu_is_shared_rather_than_waited_for(fake_cuda, tmp_path, monkeypatch, capsys):
    import torch

    other = gpus.try_claim([f"GPU-{uuid(0)}"], tmp_path)
    monkeypatch.setenv("STYLEPATH_DEVICE", "cuda")
    assert runtime.select_device(gpu_job=True) == torch.device("cuda", 0)
    out = capsys.readouterr().out
    assert f"Using cuda:0 (Fake GPU 0, uuid GPU-{uuid(0)}), pinned by STYLEPATH_DEVICE, shared with another" in out
    assert f"stylepath job (pid {os.getpid()} " in out
    assert fake_cuda.set_device == [0]
    other.release()
    monkeypatch.setenv("STYLEPATH_DEVICE", "cuda:2")
    with pytest.raises(StylepathError, match="torch sees 2 CUDA devices"):
        runtime.select_device(gpu_job=True)
