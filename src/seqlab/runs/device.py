"""Device selection: hide GPUs for `cpu`, insist on one for `gpu`, record what was used."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import asdict, dataclass

from seqlab.config.schema import DeviceConfig
from seqlab.errors import DeviceError
from seqlab.registry import Registry

# device.name -> what it does
DEVICES: Registry[str] = Registry("device")
DEVICES.add("auto", "a GPU when the backend sees one, else the CPU")
DEVICES.add("cpu", "the CPU only: GPUs are hidden from the backend before it starts")
DEVICES.add("gpu", "a GPU, or stop at once with an error if none is visible")


@dataclass
class DeviceInfo:
    """What the run actually used."""

    requested: str
    used: str  # "cpu" or "gpu"
    gpu_present: bool  # a GPU is visible to TensorFlow in this process
    gpu_name: str | None
    # How the request was honoured: "default" placement, "hidden" (GPUs hidden
    # from TensorFlow before it started), or "cpu-scope" (TensorFlow had already
    # started with GPUs visible, e.g. an earlier job of a sweep, so ops were pinned
    # to the CPU with tf.device instead).
    placement: str

    def as_dict(self) -> dict:
        return asdict(self)


@contextlib.contextmanager
def once_per_line():
    """Print TensorFlow's C++ start-up lines once, not once per native library.

    TensorFlow 2.21 loads two native libraries that each print the same absl lines
    (oneDNN, CUDA probing) before logging is configured, and TF_CPP_MIN_LOG_LEVEL no
    longer silences them. Within the block file descriptor 2 points at a temporary
    file; its distinct lines are then written to the real stderr in their order.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines()
            seen: set[str] = set()
            for line in lines:
                # "I0000 00:00:17956.. 5285 port.cc:153] msg": compare without time and pid
                key = line.split("] ", 1)[-1]
                if key not in seen:
                    seen.add(key)
                    print(line, file=sys.stderr)


def select_device(cfg: DeviceConfig) -> tuple[DeviceInfo, contextlib.AbstractContextManager]:
    """Configure TensorFlow for `cfg` and return what was chosen plus a placement scope.

    Must run before any data is loaded or model built: `device=gpu` without a
    visible GPU raises `DeviceError` here.
    """
    if cfg.name == "cpu" and "tensorflow" not in sys.modules:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # before TensorFlow initialises CUDA
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the rest of TF's C++ logging
    with once_per_line():  # importing TensorFlow and probing CUDA print the same lines
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
    placement = "default"
    scope: contextlib.AbstractContextManager = contextlib.nullcontext()
    if cfg.name == "cpu":
        placement = "hidden"
        if gpus:
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:  # TensorFlow already initialised with the GPUs
                placement = "cpu-scope"
                scope = tf.device("/CPU:0")
        gpus = [] if placement == "hidden" else gpus
    elif cfg.name == "gpu" and not gpus:
        hidden = os.environ.get("CUDA_VISIBLE_DEVICES") == "-1"
        raise DeviceError(
            "device=gpu, but TensorFlow sees no GPU on this machine"
            + (" (CUDA_VISIBLE_DEVICES=-1 hides them)" if hidden else "")
            + ". Check `nvidia-smi` and that the installed TensorFlow has CUDA support "
            "(pip install 'tensorflow[and-cuda]'), or run with device=cpu or device=auto."
        )
    if gpus and cfg.memory_growth:
        for gpu in gpus:
            with contextlib.suppress(RuntimeError):  # already initialised: keep its setting
                tf.config.experimental.set_memory_growth(gpu, True)
    gpu_name = None
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        gpu_name = details.get("device_name", gpus[0].name)
    used = "gpu" if gpus and placement != "cpu-scope" else "cpu"
    info = DeviceInfo(cfg.name, used, bool(gpus), gpu_name, placement)
    return info, scope


def traced_op_types(model) -> set[str]:
    """The op types of the training step TensorFlow traced for `model` (after fit).

    Keras keeps its tf.functions inside the closure of `model.train_function`; every
    concrete function they traced is walked, nested functions (loops, gradients)
    included. Empty when nothing can be found (eager mode, a changed Keras).
    """
    functions, seen, stack = [], set(), [getattr(model, "train_function", None)]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        if hasattr(fn, "_list_all_concrete_functions"):
            functions.append(fn)
            stack.append(getattr(fn, "python_function", None))
        for cell in getattr(fn, "__closure__", None) or ():
            with contextlib.suppress(ValueError):  # an empty cell
                if callable(cell.cell_contents):
                    stack.append(cell.cell_contents)
    ops: set[str] = set()
    for fn in functions:
        for concrete in fn._list_all_concrete_functions():
            graph = concrete.graph.as_graph_def()
            ops |= {node.op for node in graph.node}
            for library_fn in graph.library.function:
                ops |= {node.op for node in library_fn.node_def}
    return ops
