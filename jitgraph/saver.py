"""`tf.train.Saver`: checkpoints of variable values, and the `checkpoint` state file.

A checkpoint with prefix P is two files in TF's V2 format (jitgraph/checkpoint/), so
TF 1.x reads what we write and we read what it writes:

- `P.data-00000-of-00001`: the values' bytes, one after another;
- `P.index`: a table of a header and, per variable, dtype, shape, offset, size and
  the masked CRC-32C of its bytes.

Checkpoints of jitgraph's earlier format (a JSON index, CRC32s) are still read.

A save never overwrites the pair a reader may be using. The data goes to a fresh
`P.data-00000-of-00001.tmp-<pid>-<hex>`, then the index that names it (in a header
field of ours, which TF skips) replaces `P.index` in one rename: that rename is the
commit, so a crash leaves either the old pair or the new one. The data is then
renamed to its usual name and the index rewritten without the field; a reader whose
index names a data file that is gone reads the usual name (the same bytes). The
`checkpoint` state file (TF's text format) is written last, and every other file
through a temporary name and one rename. A successful save removes the temporary
files of saves whose process is dead. `restore` checks the whole
checkpoint (files, names, dtypes, shapes, checksums) before it assigns any variable,
then assigns all of them in one `sess.run`. A failed write raises TF's error for its
errno (ENOSPC: `ResourceExhaustedError`), naming the file.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import time
import uuid
import zlib

import numpy as np

from jitgraph.checkpoint import bundle
from jitgraph.framework import dtypes, errors
from jitgraph.framework.graph import GraphKeys, get_default_graph

_FORMAT = "jitgraph-checkpoint-1"
_DATA_SUFFIX = ".data-00000-of-00001"
_INDEX_SUFFIX = ".index"


# -- files ------------------------------------------------------------------------------
_TEMP_NAME = re.compile(r"\.tmp-(\d+)-[0-9a-f]{8}$")
# A pid can be reused by an unrelated live process; past this age a temp file is stale
# whatever its pid says (no save takes a day).
_STALE_AFTER_S = 24 * 3600.0

# TF's ErrnoToCode for the errors a file write can meet; others are UnknownError (EIO).
_ERRNO_ERRORS = {
    **dict.fromkeys((errno.ENOSPC, errno.EDQUOT, errno.EMFILE, errno.ENFILE, errno.ENOMEM,
                     errno.ENOBUFS, errno.EMLINK), errors.ResourceExhaustedError),
    **dict.fromkeys((errno.EACCES, errno.EPERM, errno.EROFS), errors.PermissionDeniedError),
    **dict.fromkeys((errno.ENOENT, errno.ENODEV, errno.ENXIO), errors.NotFoundError),
    **dict.fromkeys((errno.EFBIG, errno.EOVERFLOW), errors.OutOfRangeError),
    **dict.fromkeys((errno.ENOTDIR, errno.EISDIR, errno.ENOTEMPTY, errno.EBUSY, errno.EBADF,
                     errno.ETXTBSY), errors.FailedPreconditionError),
    **dict.fromkeys((errno.EINVAL, errno.ENAMETOOLONG), errors.InvalidArgumentError),
}


def _io_error(path, e: OSError):
    """TF's error for a failed write of `path`: its class from the errno, `path; reason`."""
    cls = _ERRNO_ERRORS.get(e.errno, errors.UnknownError)
    return cls(None, None, f"{path}; {e.strerror or e}")


def _temp_name(path):
    return f"{path}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _discard(path):
    with contextlib.suppress(OSError):
        os.remove(path)


def _write_synced(tmp, chunks, target):
    """Writes the chunks to `tmp` and fsyncs it; on failure removes `tmp` (errors name `target`)."""
    try:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as e:
        _discard(tmp)
        if isinstance(e, OSError):
            raise _io_error(target, e) from e
        raise


def _atomic_write(path, chunks):
    """Writes the byte chunks to `path` through a temporary file and one rename."""
    tmp = _temp_name(path)
    _write_synced(tmp, chunks, path)
    try:
        os.replace(tmp, path)
    except OSError as e:
        _discard(tmp)
        raise _io_error(path, e) from e


def _sync_dir(path):
    """Makes the directory's entries durable (best effort: not every OS or FS allows it)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _pid_alive(pid):
    if pid == os.getpid() or os.name != "posix":
        return True  # our own threads may be saving; elsewhere only the age bound applies
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists, as another user
    return True


def _is_pending_data_of(prefix_base, name):
    """Whether `name` is a new data file that a save of the prefix `prefix_base` wrote."""
    return re.fullmatch(re.escape(prefix_base + _DATA_SUFFIX) + r"\.tmp-\d+-[0-9a-f]{8}",
                        name) is not None


def _named_data_file(raw):
    """The data file an index's bytes name: ours (TF format) or the legacy JSON's."""
    if _is_legacy(raw):
        doc = json.loads(raw.decode("utf-8"))
        return doc.get("data_file") if isinstance(doc, dict) else None
    header, _ = bundle.read_index(raw)
    return header.pending_data


def _is_legacy(raw):
    return raw[:1] == b"{"


def _committed_pending(directory, name):
    """Whether `name` is the data file a committed index still names (not garbage)."""
    if _DATA_SUFFIX + ".tmp-" not in name:
        return False
    base = name[:name.rindex(_DATA_SUFFIX + ".tmp-")]
    try:
        with open(os.path.join(directory, base + _INDEX_SUFFIX), "rb") as f:
            named = _named_data_file(f.read())
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # cannot tell: keep what may be a checkpoint's only data
    return named == name


def _remove_stale_temp_files(directory):
    """Removes the temporary files of dead saves in `directory`; returns their names.

    A temp file is stale when the pid in its name is not running (or it is older than
    a day). Live saves of other processes, and a dead save's data file that its index
    already names (the save committed, the rename to the usual name did not happen),
    are kept.
    """
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        m = _TEMP_NAME.search(name)
        if not m:
            continue
        path = os.path.join(directory, name)
        try:
            old = now - os.path.getmtime(path) > _STALE_AFTER_S
        except OSError:
            continue
        if (old or not _pid_alive(int(m.group(1)))) and \
                not _committed_pending(directory, name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
                removed.append(name)
    return removed


def _tensor_from_bytes(data: bytes, dtype, shape) -> np.ndarray:
    if dtype == dtypes.string:
        items, pos = [], 0
        n = int(np.prod(shape)) if shape else 1
        for _ in range(n):
            ln = int.from_bytes(data[pos:pos + 8], "little")
            items.append(data[pos + 8:pos + 8 + ln])
            pos += 8 + ln
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)
    npdt = np.dtype(dtype.as_numpy_dtype).newbyteorder("<")
    return np.frombuffer(data, dtype=npdt).astype(dtype.as_numpy_dtype).reshape(shape)


def _encode_tensors(names, values, entries):
    """Yields the data file's chunks and fills `entries` with each tensor's Entry."""
    offset = 0
    for name, value in zip(names, values):
        data, entries[name] = bundle.tensor_record(value, _dtype_of(value), offset)
        offset += len(data)
        yield data


def _dtype_of(value):
    return dtypes.string if value.dtype == object else dtypes.as_dtype(value.dtype)


def _files_of(prefix, meta_graph_suffix="meta"):
    return [prefix + _INDEX_SUFFIX, prefix + _DATA_SUFFIX, f"{prefix}.{meta_graph_suffix}"]


def _not_valid(save_path):
    return ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")


def _data_loss(path, why):
    return errors.DataLossError(None, None, f"Unable to read checkpoint file {path}: {why}")


def read_checkpoint(save_path):
    """{name: np.ndarray} of every tensor in the checkpoint, all checks done first.

    A save of the same prefix in another process may switch the pair while we read:
    a mismatch is retried while the index keeps changing under us.

    Raises:
      ValueError: the index or data file is missing.
      DataLossError: a file is unreadable, truncated or fails its checksum.
    """
    index_path = save_path + _INDEX_SUFFIX
    for attempt in range(3):
        index, stamp = _read_index(save_path)
        try:
            return _read_tensors(save_path, index)
        except errors.DataLossError:
            if attempt == 2 or _stamp(index_path) == stamp:
                raise
    raise AssertionError("unreachable")


def _read_bundle_tensors(save_path, index):
    n = index["num_shards"]
    if n == 1:
        shards = [_read_data(save_path, index)]
    else:  # a sharded TF save: no pending file, one data file per shard
        shards = []
        for i in range(n):
            path = bundle.data_file_name(save_path, i, n)
            try:
                with open(path, "rb") as f:
                    shards.append((path, f.read()))
            except FileNotFoundError:
                raise _not_valid(save_path) from None
    out = {}
    for name, entry in index["entries"].items():
        path, data = shards[entry.shard_id]
        try:
            out[name] = bundle.decode_tensor(name, entry, data)
        except bundle.BundleError as e:
            raise _bundle_error(path, e) from e
    return out


def checkpoint_metadata(save_path):
    """{name: (DType, shape tuple)} from the checkpoint's index alone."""
    index, _ = _read_index(save_path)
    if index.get("bundle"):
        out = {}
        for name, e in index["entries"].items():
            try:
                out[name] = (bundle.dtype_of_enum(e.dtype, name), tuple(e.shape))
            except bundle.BundleError as err:
                raise _bundle_error(save_path + _INDEX_SUFFIX, err) from err
        return out
    return {n: (dtypes.as_dtype(e["dtype"]), tuple(e["shape"]))
            for n, e in index["tensors"].items()}


def _stamp(path):
    """Identifies one version of a file: every save replaces the index by a rename."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _read_index(save_path):
    index_path = save_path + _INDEX_SUFFIX
    try:
        with open(index_path, "rb") as f:
            st = os.fstat(f.fileno())
            raw = f.read()
    except FileNotFoundError:
        raise _not_valid(save_path) from None
    if not _is_legacy(raw):
        return _read_bundle_index(raw, index_path), (st.st_ino, st.st_mtime_ns, st.st_size)
    try:
        index = json.loads(raw.decode("utf-8"))
        if index.get("format") != _FORMAT:
            raise ValueError(f"unknown format {index.get('format')!r}")
        if not isinstance(index["tensors"], dict):
            raise TypeError("'tensors' is not a mapping")
        int(index["data_size"])
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as e:
        raise _data_loss(index_path, f"corrupt index ({e})") from e
    return index, (st.st_ino, st.st_mtime_ns, st.st_size)


_BUNDLE_ERRORS = {"data_loss": errors.DataLossError, "invalid": errors.InvalidArgumentError,
                  "unimplemented": errors.UnimplementedError}


def _bundle_error(path, e: bundle.BundleError):
    if e.kind == "data_loss":
        return _data_loss(path, str(e))
    return _BUNDLE_ERRORS[e.kind](None, None, f"{path}: {e}")


def _read_bundle_index(raw, index_path):
    try:
        header, entries = bundle.read_index(raw)
    except bundle.BundleError as e:
        raise _bundle_error(index_path, e) from e
    return {"bundle": True, "num_shards": header.num_shards, "entries": entries,
            "data_file": header.pending_data}


def _read_data(save_path, index):
    """(path, bytes) of the data file: the one the index names if it is still there
    (a save committed and not yet renamed it), else the usual name."""
    usual = save_path + _DATA_SUFFIX
    candidates = [usual]
    named = index.get("data_file")
    if isinstance(named, str) and _is_pending_data_of(os.path.basename(save_path), named):
        candidates.insert(0, os.path.join(os.path.dirname(save_path), named))
    for path in candidates:
        try:
            with open(path, "rb") as f:
                return path, f.read()
        except FileNotFoundError:
            continue
    raise _not_valid(save_path)


def _read_tensors(save_path, index):
    if index.get("bundle"):
        return _read_bundle_tensors(save_path, index)
    data_path, data = _read_data(save_path, index)
    total = int(index["data_size"])
    if len(data) != total:
        raise _data_loss(data_path, f"expected {total} bytes, found {len(data)} "
                                    "(truncated or overwritten)")
    out = {}
    for name, e in index["tensors"].items():
        try:
            chunk = data[e["offset"]:e["offset"] + e["length"]]
            crc = zlib.crc32(chunk)
            if len(chunk) != e["length"] or crc != e["crc32"]:
                raise _data_loss(data_path, f"Checksum does not match for '{name}': stored "
                                            f"{e['crc32']} vs. calculated on the restored "
                                            f"bytes {crc}")
            out[name] = _tensor_from_bytes(chunk, dtypes.as_dtype(e["dtype"]),
                                           tuple(e["shape"]))
        except errors.DataLossError:
            raise
        except (ValueError, KeyError, TypeError) as err:
            raise _data_loss(data_path, f"bad entry '{name}' ({err})") from err
    return out


# -- the checkpoint state file ------------------------------------------------------------
class CheckpointState:
    """TF's CheckpointState proto: the latest checkpoint and all those still kept."""

    def __init__(self, model_checkpoint_path="", all_model_checkpoint_paths=(),
                 all_model_checkpoint_timestamps=(), last_preserved_timestamp=0.0):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps)
        self.last_preserved_timestamp = last_preserved_timestamp

    def __str__(self):
        lines = [f"model_checkpoint_path: {_quote(self.model_checkpoint_path)}"]
        lines += [f"all_model_checkpoint_paths: {_quote(p)}"
                  for p in self.all_model_checkpoint_paths]
        lines += [f"all_model_checkpoint_timestamps: {t!r}"
                  for t in self.all_model_checkpoint_timestamps]
        if self.last_preserved_timestamp:
            lines.append(f"last_preserved_timestamp: {self.last_preserved_timestamp!r}")
        return "\n".join(lines) + "\n"

    __repr__ = __str__


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


_STATE_LINE = re.compile(r'^\s*(\w+)\s*:\s*(".*"|[-+0-9.eE]+)\s*$')


def _parse_state(text) -> CheckpointState:
    st = CheckpointState()
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _STATE_LINE.match(line)
        if not m:
            raise ValueError(f"cannot parse line {line!r}")
        key, raw = m.groups()
        val = json.loads(raw) if raw.startswith('"') else float(raw)
        if key == "model_checkpoint_path":
            st.model_checkpoint_path = val
        elif key == "all_model_checkpoint_paths":
            st.all_model_checkpoint_paths.append(val)
        elif key == "all_model_checkpoint_timestamps":
            st.all_model_checkpoint_timestamps.append(val)
        elif key == "last_preserved_timestamp":
            st.last_preserved_timestamp = val
        else:
            raise ValueError(f"unknown field {key!r}")
    return st


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """`tf.train.get_checkpoint_state`: the CheckpointState in `checkpoint_dir`, or None.

    Relative paths in the file are relative to `checkpoint_dir`, as in TF.
    """
    path = os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            st = _parse_state(f.read())
    except (OSError, ValueError, UnicodeDecodeError):
        return None  # TF logs "Checkpoint ignored" and carries on
    if not st.model_checkpoint_path:
        raise ValueError(f"Invalid checkpoint state loaded from {checkpoint_dir}")

    def fix(p):
        return p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)
    st.model_checkpoint_path = fix(st.model_checkpoint_path)
    st.all_model_checkpoint_paths = [fix(p) for p in st.all_model_checkpoint_paths]
    return st


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None, save_relative_paths=False):
    """Writes the state file atomically (`tf.train.update_checkpoint_state`)."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    # TF's rules: relative to save_dir when asked, or when save_dir itself is relative
    # (readers join relative paths to the directory); absolute paths stay absolute.
    if save_relative_paths:
        def rel(p):
            return os.path.relpath(p, save_dir) if os.path.isabs(p) else p
    elif not os.path.isabs(save_dir):
        def rel(p):
            return p if os.path.isabs(p) else os.path.relpath(p, save_dir)
    else:
        def rel(p):
            return p
    st = CheckpointState(rel(model_checkpoint_path), [rel(p) for p in paths],
                         all_model_checkpoint_timestamps or (),
                         last_preserved_timestamp or 0.0)
    path = os.path.join(save_dir, latest_filename or "checkpoint")
    _atomic_write(path, [str(st).encode("utf-8")])


def checkpoint_exists(checkpoint_prefix):
    """`tf.train.checkpoint_exists`: whether a checkpoint with this prefix is on disk."""
    return os.path.isfile(str(checkpoint_prefix) + _INDEX_SUFFIX)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """`tf.train.latest_checkpoint`: the newest checkpoint's prefix, or None."""
    st = get_checkpoint_state(checkpoint_dir, latest_filename)
    if st and st.model_checkpoint_path and checkpoint_exists(st.model_checkpoint_path):
        return st.model_checkpoint_path
    return None


def get_checkpoint_mtimes(checkpoint_prefixes):
    return [os.path.getmtime(p + _INDEX_SUFFIX) for p in checkpoint_prefixes
            if checkpoint_exists(p)]


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=None,
                      meta_graph_suffix="meta"):
    """Deletes a checkpoint's files, the index first (it is the checkpoint's existence)."""
    prefix = os.fspath(checkpoint_prefix)
    named = None
    with contextlib.suppress(OSError, ValueError, AttributeError):
        with open(prefix + _INDEX_SUFFIX, "rb") as f:
            named = _named_data_file(f.read())
    paths = _files_of(prefix, meta_graph_suffix)
    if isinstance(named, str) and _is_pending_data_of(os.path.basename(prefix), named):
        paths.append(os.path.join(os.path.dirname(prefix), named))
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(p)


_warned_no_meta_graph = []


def _warn_no_meta_graph(e):
    if not _warned_no_meta_graph:
        _warned_no_meta_graph.append(True)
        import warnings
        warnings.warn(f"Saver.save wrote no .meta file: {e}", stacklevel=4)


# -- the Saver ---------------------------------------------------------------------------
def _var_name(v):
    return v.op.name


def _var_map(var_list):
    """{checkpoint name: variable} from None / a list / a dict, as TF's Saver reads it."""
    if var_list is None:
        var_list = get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
    if isinstance(var_list, dict):
        return dict(var_list)
    out = {}
    for v in var_list:
        name = _var_name(v)
        if name in out:
            raise ValueError(f"At least two variables have the same name: {name}")
        out[name] = v
    return out


class Saver:
    """Saves and restores variables (`tf.train.Saver`)."""

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=None, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        self._vars = _var_map(var_list)
        self._allow_empty = allow_empty
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save")
        self._reshape = reshape
        self._max_to_keep = max_to_keep
        self._keep_every_secs = keep_checkpoint_every_n_hours * 3600.0
        self._next_keep_time = time.time() + self._keep_every_secs
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._filename = filename
        self._name = name or "save"
        self._last_checkpoints: list = []  # [(prefix, timestamp)], oldest first
        self._graph = None
        self._restore_op = None
        self._feeds = {}
        if self._vars:
            self._graph = next(iter(self._vars.values())).op.graph
            self._graph.add_to_collection(GraphKeys.SAVERS, self)

    def _restore_graph(self):
        """Placeholders and Assigns for the entries that are raw variable tensors.

        Variables are restored with `Variable.load` (no graph ops, nothing to compile);
        a bare VariableV2 tensor has no `load`, so it gets an Assign fed by a placeholder,
        all grouped so that one run assigns them.
        """
        if self._restore_op is not None:
            return self._restore_op
        from jitgraph.ops.array_ops import group
        from jitgraph.ops.constant import placeholder
        from jitgraph.ops.state_ops import assign

        g = self._graph
        assigns = []
        with g.as_default(), g.name_scope(self._name):
            for name, var in self._vars.items():
                if hasattr(var, "load"):
                    continue
                ref = var.op.outputs[0]
                ph = placeholder(ref.dtype, None if self._reshape else ref.shape,
                                 name="restore_value")
                self._feeds[name] = ph
                assigns.append(assign(ref, ph, validate_shape=not self._reshape))
            self._restore_op = group(*assigns, name="restore_all")
        return self._restore_op

    # -- bookkeeping ------------------------------------------------------------------
    @property
    def last_checkpoints(self):
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints):
        self._last_checkpoints = [(p, None) for p in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths):
        mtimes = get_checkpoint_mtimes(checkpoint_paths)
        kept = [p for p in checkpoint_paths if checkpoint_exists(p)]
        self.set_last_checkpoints_with_time(list(zip(kept, mtimes)))

    def _record(self, prefix):
        """Adds `prefix` as newest; returns the checkpoints that fall out of the window."""
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != prefix]
        self._last_checkpoints.append((prefix, time.time()))
        dropped = []
        if self._max_to_keep:
            while len(self._last_checkpoints) > self._max_to_keep:
                p, t = self._last_checkpoints.pop(0)
                # keep_checkpoint_every_n_hours: one checkpoint per period survives.
                if t is not None and t >= self._next_keep_time:
                    self._next_keep_time += self._keep_every_secs
                    continue
                dropped.append(p)
        return dropped

    # -- save ---------------------------------------------------------------------
    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Writes a checkpoint of the variables' values; returns its path prefix."""
        if latest_filename is None:
            latest_filename = "checkpoint"
        elif os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fspath(save_path)
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = sess.run(global_step)
            step = int(global_step)
            prefix = f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
        else:
            prefix = save_path
        save_dir = os.path.dirname(prefix) or "."
        if not os.path.isdir(save_dir):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        try:
            self._write_files(sess, prefix, save_dir, latest_filename, meta_graph_suffix,
                              write_meta_graph, write_state)
        except (errors.FailedPreconditionError, errors.NotFoundError) as e:
            if not os.path.isdir(save_dir):  # removed during the save: TF's ValueError
                raise ValueError(f"Parent directory of {save_path} doesn't exist, "
                                 "can't save.") from e
            raise
        _remove_stale_temp_files(save_dir)
        return prefix

    def _write_files(self, sess, prefix, save_dir, latest_filename, meta_graph_suffix,
                     write_meta_graph, write_state):
        if self._vars:
            self._write_checkpoint(sess, prefix)
        elif not self._allow_empty:
            raise ValueError("No variables to save")
        if write_meta_graph:
            try:
                self.export_meta_graph(f"{prefix}.{meta_graph_suffix}")
            except ImportError as e:  # no tensorboard extra: the checkpoint is still whole
                _warn_no_meta_graph(e)
        if write_state:
            dropped = self._record(prefix)
            update_checkpoint_state(save_dir, prefix, self.last_checkpoints, latest_filename,
                                    save_relative_paths=self._save_relative_paths)
            for p in dropped:  # deleted only once the state file no longer names them
                remove_checkpoint(p, meta_graph_suffix=meta_graph_suffix)

    def _write_checkpoint(self, sess, prefix):
        """Writes the pair so that `prefix` names the old checkpoint or the new one, whole."""
        names = list(self._vars)
        values = sess.run([self._vars[n].op.outputs[0] for n in names])
        values = [np.asarray(v) if not isinstance(v, bytes) else np.array(v, dtype=object)
                  for v in values]
        entries = {}
        usual = prefix + _DATA_SUFFIX
        pending = _temp_name(usual)
        _write_synced(pending, _encode_tensors(names, values, entries), usual)
        # The index must not become durable before the name of the data it points to.
        _sync_dir(os.path.dirname(prefix) or ".")
        try:
            _atomic_write(prefix + _INDEX_SUFFIX,  # the commit
                          [bundle.index_bytes(entries, os.path.basename(pending))])
        except BaseException:
            # An interrupt can land just after the rename: keep what the index names.
            if not _committed_pending(os.path.dirname(pending), os.path.basename(pending)):
                _discard(pending)
            raise
        # Committed: readers of the index find `pending`, or `usual` once it is renamed.
        try:
            os.replace(pending, usual)
        except OSError as e:
            raise _io_error(usual, e) from e
        _atomic_write(prefix + _INDEX_SUFFIX, [bundle.index_bytes(entries)])

    def export_meta_graph(self, filename=None, collection_list=None, as_text=False,
                          export_scope=None, clear_devices=False, clear_extraneous_savers=False,
                          strip_default_attrs=False, save_debug_info=False):
        """Writes (when `filename` is given) and returns the graph's MetaGraphDef proto,
        with this Saver's saver_def (TF 1.x's `import_meta_graph` reads it)."""
        from jitgraph.graph_io import meta_graph
        g = self._graph or get_default_graph()
        if collection_list is None and not as_text and not export_scope:
            mg = meta_graph.saver_meta_graph(self, g)
            if filename:
                meta_graph.write_meta_graph(mg, filename)
            return mg
        return meta_graph.export_meta_graph(filename, collection_list=collection_list,
                                            as_text=as_text, graph=g, saver=self,
                                            export_scope=export_scope)

    # -- restore ----------------------------------------------------------------------
    def restore(self, sess, save_path):
        """Restores every variable from the checkpoint `save_path`, or none of them."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        if not checkpoint_exists(save_path):
            raise _not_valid(save_path)
        stored = read_checkpoint(save_path)
        values = {}
        for name, var in self._vars.items():
            if name not in stored:
                raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
            value = stored[name]
            ref = var.op.outputs[0]
            if _dtype_of(value) != ref.dtype:
                raise errors.InvalidArgumentError(
                    None, None, f"tensor_name = {name}; expected dtype {ref.dtype.name} does "
                                f"not equal original dtype {_dtype_of(value).name}")
            values[name] = self._fit_shape(name, ref, value)
        # Everything is checked: only now assign, all of them.
        raw = {}
        for name, value in values.items():
            var = self._vars[name]
            if hasattr(var, "load"):
                var.load(value, sess)
            else:
                raw[name] = value
        if raw:
            op = self._restore_graph()
            sess.run(op, feed_dict={self._feeds[n]: v for n, v in raw.items()})

    def _fit_shape(self, name, ref, value):
        shape = ref.shape
        if shape.ndims is None or shape.is_compatible_with(value.shape):
            return value
        if self._reshape and shape.is_fully_defined() and \
                shape.num_elements() == value.size:
            return value.reshape(shape.as_tuple())
        lhs = "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]"
        rhs = "[" + ",".join(str(d) for d in value.shape) + "]"
        raise errors.InvalidArgumentError(
            None, None, f"Restoring from checkpoint failed. Assign requires shapes of both "
                        f"tensors to match. lhs shape= {lhs} rhs shape= {rhs} (variable "
                        f"'{name}')")
