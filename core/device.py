"""Device setup: GPU detection without TensorFlow, the one TensorFlow import, mixed precision.

``describe()`` works without importing TensorFlow (for the sidebar badge and ``findl info``);
``tensorflow()`` imports TF once (curl_cffi first, C++ start-up log muted, GPU memory growth) and
returns the module; ``mixed_precision_policy()`` says which Keras dtype policy a model uses.
Seeds are each task's (``keras.utils.set_random_seed``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import threading

_TF_LOCK = threading.Lock()
_configured = False


@functools.lru_cache(maxsize=1)
def gpu_names_without_tf() -> tuple[str, ...]:
    """GPU names from nvidia-smi, if any; no TensorFlow import."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return ()
    exe = shutil.which("nvidia-smi")
    if not exe:
        return ()
    try:
        out = subprocess.run([exe, "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=3, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(line.strip() for line in out.stdout.splitlines() if line.strip())


def describe() -> dict:
    gpus = gpu_names_without_tf()
    return {"kind": "GPU" if gpus else "CPU", "names": list(gpus),
            "label": f"GPU: {gpus[0]}" + (f" (+{len(gpus) - 1})" if len(gpus) > 1 else "") if gpus else
            f"CPU ({os.cpu_count()} cores)"}


@contextlib.contextmanager
def _quiet_native_stderr():
    """TensorFlow's C++ start-up prints a dozen log lines to fd 2 (oneDNN, CUDA probing) that
    no env var silences; a CLI error must stay one line. FINDL_DEBUG=1 keeps them."""
    if os.environ.get("FINDL_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def tensorflow():
    """Import and configure TensorFlow once (memory growth before any op, quiet logs)."""
    global _configured
    if _configured:
        import tensorflow as tf

        return tf
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from core.data.yahoo import preload_curl

    preload_curl()  # before TF: both ship a libcurl; see core/data/yahoo.py (Yahoo breaks otherwise)
    with _TF_LOCK:
        with _quiet_native_stderr():
            import keras  # noqa: F401  (imports TF's C++ runtime too: keep it inside the mute)
            import tensorflow as tf

            if not _configured:
                for gpu in tf.config.list_physical_devices("GPU"):
                    try:
                        tf.config.experimental.set_memory_growth(gpu, True)
                    except RuntimeError:  # already initialised by someone else: keep going
                        pass
                tf.constant(0.0)  # initialise the runtime here, while its chatter is muted
        _configured = True
    return tf


def has_gpu() -> bool:
    return bool(tensorflow().config.list_physical_devices("GPU"))


def mixed_precision_policy() -> str:
    """'mixed_float16' on GPU (output layers stay float32), 'float32' on CPU.
    FINDL_MIXED_PRECISION=0 turns it off."""
    if os.environ.get("FINDL_MIXED_PRECISION", "1") == "0":
        return "float32"
    return "mixed_float16" if has_gpu() else "float32"
