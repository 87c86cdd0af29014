"""TensorFlow: the default backend. Devices, versions, GPU memory, cuDNN, pipelines.

The only seqlab module that imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import numpy as np

from seqlab.backends import native_stderr
from seqlab.schema.options import DeviceConfig

NAME = "tensorflow"
PIPELINE = "tf.data"  # what serves the batches (see `pipeline`)


def prepare(device: DeviceConfig) -> None:
    """Before TensorFlow starts: hide the GPUs for device=cpu, quieten its C++ logging."""
    if device.name == "cpu" and "tensorflow" not in sys.modules:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # before TensorFlow initialises CUDA
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def select_device(cfg: DeviceConfig):
    """(what was used, a placement scope); device=gpu without a GPU raises DeviceError."""
    from seqlab.backends.devices import DeviceInfo, NoGpu

    # TensorFlow 2.21 loads two native libraries that each print the same absl lines
    # (oneDNN, CUDA probing) before logging is configured, and TF_CPP_MIN_LOG_LEVEL
    # no longer silences them: print each distinct line once.
    with native_stderr(distinct=True):
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
        raise NoGpu("tensorflow", " (CUDA_VISIBLE_DEVICES=-1 hides them)" if hidden else "")
    if gpus and cfg.memory_growth:
        for gpu in gpus:
            with contextlib.suppress(RuntimeError):  # already initialised: keep its setting
                tf.config.experimental.set_memory_growth(gpu, True)
    gpu_name = None
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        gpu_name = details.get("device_name", gpus[0].name)
    used = "gpu" if gpus and placement != "cpu-scope" else "cpu"
    return DeviceInfo(cfg.name, used, bool(gpus), gpu_name, placement), scope


def versions() -> dict[str, str]:
    import tensorflow as tf

    return {"tensorflow": tf.__version__}


def reset_gpu_peak() -> None:
    import tensorflow as tf

    for index, _ in enumerate(tf.config.list_logical_devices("GPU")):
        with contextlib.suppress(ValueError, RuntimeError):
            tf.config.experimental.reset_memory_stats(f"GPU:{index}")


def gpu_peak_mb() -> float | None:
    """Peak GPU memory TensorFlow allocated on GPU:0 since the last reset; None without."""
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        return None
    try:
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / (1024.0 * 1024.0)
    except (ValueError, RuntimeError):
        return None


def _rules():
    # The module, not the `rnn` function the package exports under the same name.
    return importlib.import_module("keras.src.backend.tensorflow.rnn")


def cudnn_argument_check(kernel: str | None):
    """Keras's own check of a cell's arguments for the cuDNN kernel (private: Keras
    exposes no public one); called with activation, recurrent_activation, unroll,
    use_bias (and reset_after for GRU)."""
    rules = _rules()
    return {
        "lstm": rules._do_lstm_arguments_support_cudnn,
        "gru": rules._do_gru_arguments_support_cudnn,
    }.get(kernel)


def cudnn_refusals(
    kernel: str | None, model: Any, masked: bool, precision: str = "float32"
) -> list[str]:
    """What rules out cuDNN on TensorFlow beyond the cell's arguments and the masks."""
    if precision == "mixed_bfloat16":
        # TensorFlow registers its CudnnRNN GPU kernels for float16, float32 and float64
        # only; Keras's own rules say nothing about the dtype (read, not run on a GPU).
        return ["trainer.precision=mixed_bfloat16 (TensorFlow's cuDNN RNN kernels take "
                "float16, float32 and float64, not bfloat16)"]  # fmt: skip
    return []


def mask_reasons(masks: list[np.ndarray]) -> list[str]:
    """Keras's own cuDNN checks on the data's (sequences, time) masks."""
    import tensorflow as tf

    rules = _rules()
    reasons = set()
    for mask in masks:
        if not len(mask):
            continue
        tensor = tf.constant(mask)
        if not bool(rules._is_sequence_right_padded(tensor)):
            reasons.add("mask not strictly right-padded (e.g. pre-padding with masking)")
        if bool(rules._has_fully_masked_sequence(tensor)):
            reasons.add("fully masked")
    return sorted(reasons)


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


def kernel_from_ops(op_types: set[str]) -> str:
    """ "cudnn" when a traced step holds TensorFlow's cuDNN RNN op, else "generic"."""
    return "cudnn" if any(op.startswith("CudnnRNN") for op in op_types) else "generic"


def detect_kernel(model, sample: Any = None) -> str | None:
    """The kernel of the training step traced during fit; None when none was found."""
    ops = traced_op_types(model)
    return kernel_from_ops(ops) if ops else None


def jit_meaning(jit: bool) -> str:
    return "XLA (tf.function(jit_compile=True))" if jit else "tf.function graph, no XLA"


def random_state() -> None:
    """Nothing beyond the model: Keras draws every random number of a run on TensorFlow from
    its SeedGenerators (stateless ops), whose states are model variables."""
    return None


def set_random_state(state: Any) -> None:
    """Nothing to put back (see `random_state`)."""


def pipeline():
    """The module whose `batches` and `chunk_batches` feed fit on this backend."""
    return sys.modules[__name__]


def _shuffled(examples, n: int, buffer: int | None, seed: int, number):
    """Pass `number` over `examples`, shuffled with a seed drawn statelessly from (seed,
    number): every pass's order is a function of the two alone. (tf.data's
    reshuffle_each_iteration counts iterations from 0 again in every process, so a
    resumed run was served other orders than the run it continues.) Called while
    tf.data traces a function (`_passes`), whose graph gets a seed of its own: the
    order does not depend on TensorFlow's global seed either (with a global seed of 0,
    trainer.seed=0, TensorFlow cannot even take a seed tensor)."""
    import tensorflow as tf

    tf.compat.v1.set_random_seed(1)  # the traced function's graph only
    pair = tf.stack([tf.constant(seed, tf.int64), tf.cast(number, tf.int64)])
    pass_seed = tf.random.stateless_uniform([], pair, 0, 2**31 - 1, dtype=tf.int64)
    return examples.shuffle(buffer or n, seed=pass_seed)


def _passes(make, first, count: int | None = None):
    """`make(number)` for `count` pass numbers from `first` on (None: without end), one
    after the other."""
    import tensorflow as tf

    numbers = tf.data.Dataset.counter(first)
    return (numbers if count is None else numbers.take(count)).flat_map(make)


def first_batch(n: int, batch_size: int, seed: int, buffer: int | None) -> np.ndarray:
    """The example indices of the first training batch `batches` serves with this seed:
    the same shuffle over the indices alone (the first pass)."""
    import tensorflow as tf

    indices = tf.data.Dataset.range(n)

    def one_pass(number):
        return _shuffled(indices, n, buffer, seed, number).batch(batch_size)

    return next(iter(_passes(one_pass, 0, 1))).numpy()


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle_seed: int | None = None,
    shuffle_buffer: int | None = None,
    drop_remainder: bool = False,
    steps: int | None = None,
    first_epoch: int | None = None,
):
    """tf.data over (x, y); as `seqlab.data.arrays.batches` (same arguments), in C++.

    Shuffled, the batches of epoch e are a function of the seed and e alone: pass e
    (or, with `steps`, the stream of passes from batch e * steps on). `first_epoch`
    makes fit's stream: every epoch from that one on, without end (fit reads its
    steps_per_epoch batches each epoch); without it, the batches of epoch 0 only (a
    stream, without end, with `steps`).
    """
    import tensorflow as tf

    from seqlab.data.arrays import batches_per_pass

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is None:
        return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
    n, first = len(x), first_epoch or 0

    def one_pass(number):
        return _shuffled(ds, n, shuffle_buffer, shuffle_seed, number)

    if steps is None:  # one pass per epoch, batched on its own: pass e is epoch e

        def epoch(number):
            return one_pass(number).batch(batch_size, drop_remainder=drop_remainder)

        if first_epoch is None:  # epoch 0 alone, of a known length (as Keras wants it)
            length = batches_per_pass(n, batch_size, drop_remainder)
            ds = _passes(epoch, 0, 1).apply(tf.data.experimental.assert_cardinality(length))
        else:
            ds = _passes(epoch, first)
    else:  # the passes run on across epochs, as shuffle().repeat().batch() does
        start = first * steps * batch_size  # examples served before `first_epoch`
        ds = _passes(one_pass, start // n).skip(start % n)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


def chunk_batches(
    x: np.ndarray,
    y: np.ndarray,
    layout,
    *,
    shuffle_seed: int | None = None,
    groups_per_epoch: int | None = None,
    groups: int | None = None,
    first_epoch: int | None = None,
):
    """tf.data chunk batches; as `seqlab.data.arrays.chunk_batches` (same arguments).

    Shuffled, the groups are served as `batches` serves batches: those of epoch e
    are a function of the seed and e alone, and `first_epoch` makes fit's stream.
    """
    import tensorflow as tf

    from seqlab.data.chunks import arrange

    if shuffle_seed is None:
        if groups is not None:
            x, y = x[: groups * layout.batch_size], y[: groups * layout.batch_size]
        arranged = arrange(x, y, layout, pad=True)
        ds = tf.data.Dataset.from_tensor_slices(arranged).batch(layout.batch_size)
        return ds.prefetch(tf.data.AUTOTUNE)

    b, n, c = layout.batch_size, layout.chunks, layout.chunk_length
    weight = layout.last_chunk_weight(1, 1)

    def cut(xb, yb):
        # (b, n*c, ...) -> (n, b, c, ...): one element per chunk batch after unbatch()
        chunks = tf.reshape(xb, [b, n, c, *x.shape[2:]])
        chunks = tf.transpose(chunks, [1, 0, 2, *range(3, len(x.shape) + 1)])
        targets = tf.repeat(yb[None], n, axis=0)
        weights = tf.concat([tf.zeros([n - 1, b]), tf.fill([1, b], weight)], axis=0)
        return chunks, targets, weights

    examples, first = tf.data.Dataset.from_tensor_slices((x, y)), first_epoch or 0

    def grouped(number):  # group within a pass, so that no group mixes two passes
        one = _shuffled(examples, len(x), None, shuffle_seed, number)
        return one.batch(b, drop_remainder=True)

    if groups_per_epoch is None:  # one pass per epoch
        ds = _passes(grouped, 0, 1) if first_epoch is None else _passes(grouped, first)
    else:  # the groups run on across passes
        per_pass, start = len(x) // b, first * groups_per_epoch  # groups before first_epoch
        ds = _passes(grouped, start // per_pass).skip(start % per_pass)
    ds = ds.map(cut).unbatch()
    if groups_per_epoch is None and first_epoch is None:  # of a known length, as Keras wants
        ds = ds.apply(tf.data.experimental.assert_cardinality(len(x) // b * n))
    return ds.prefetch(tf.data.AUTOTUNE)


def out_of_memory(exc: BaseException) -> bool:
    """Whether TensorFlow ran out of memory (host or device) in `exc`."""
    import tensorflow as tf

    return isinstance(exc, tf.errors.ResourceExhaustedError)
