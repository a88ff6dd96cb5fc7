"""`tf.TextLineReader` and `tf.WholeFileReader`: records of the files whose names a
queue (usually `string_input_producer`'s) hands out, one `read` at a time.

A reader's place (the open file, the line) lives in the Session; when a file ends it
dequeues the next name, blocking like a dequeue, and OutOfRangeError ends the input
once the queue is closed and empty.
"""
from __future__ import annotations

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.framework.graph import get_default_graph
from jitgraph.ops.api import name_scope
from jitgraph.ops.registry import make_op, register


class _ReaderState:
    __slots__ = ("file", "records", "pos", "produced")

    def __init__(self):
        self.file, self.records, self.pos, self.produced = None, [], 0, 0


def _next_records(k, st, n):
    reader = k.op._py["reader"]
    queue = k.op._py["queue"]
    rt = k.state.resource(("queue", queue._key), queue._make_runtime)
    keys, values = [], []
    while len(keys) < n:
        if st.file is None or st.pos >= len(st.records):
            try:
                (name,) = rt.dequeue(None, k.op)[0]
            except Exception:
                if keys:  # read_up_to: what was read before the input ended
                    break
                raise
            name = name.decode() if isinstance(name, bytes) else str(name)
            st.file, st.records, st.pos = name, reader._records(name), 0
            continue
        key, value = st.records[st.pos]
        st.pos += 1
        st.produced += 1
        keys.append(key)
        values.append(value)
    return keys, values


def _read_np(k):
    st = k.state.resource(("reader", k.op._py["reader"]._name), _ReaderState)
    n = k.attrs.get("num_records")
    keys, values = _next_records(k, st, 1 if n is None else n)
    if n is None:
        return np.array(keys[0], dtype=object), np.array(values[0], dtype=object)
    return np.array(keys, dtype=object), np.array(values, dtype=object)


def _read_shape(s):
    n = s.attrs.get("num_records")
    return [(), ()] if n is None else [(None,), (None,)]


register("ReaderReadV2", shape=_read_shape, numpy=_read_np, stateful=True,
         host="readers open files and dequeue their names from a queue")


class ReaderBase:
    def __init__(self, name):
        with name_scope(None, name) as scope:
            self._name = scope.rstrip("/")
        self._graph = get_default_graph()

    def _read_op(self, queue, attrs, name):
        queue = getattr(queue, "_queue_object", queue)
        op = make_op("ReaderReadV2", [], [dtypes.string, dtypes.string], attrs,
                     name=name or "ReaderReadV2", graph=self._graph)
        op._py["reader"], op._py["queue"] = self, queue
        return op.outputs[0], op.outputs[1]

    def read(self, queue, name=None):
        """(key, value) of the next record, dequeuing a new file name when one ends."""
        return self._read_op(queue, {}, name)

    def read_up_to(self, queue, num_records, name=None):
        """Up to `num_records` (keys, values); fewer only at the end of the input."""
        return self._read_op(queue, {"num_records": int(num_records)}, name)

    @property
    def supports_serialize(self):
        return False


class TextLineReader(ReaderBase):
    """Each line of a file (without its newline); key b"<file>:<line number>"."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(name or "TextLineReaderV2")
        self._skip = int(skip_header_lines or 0)

    def _records(self, filename):
        with open(filename, "rb") as f:
            lines = f.read().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return [(f"{filename}:{i + 1}".encode(), line.rstrip(b"\r"))
                for i, line in enumerate(lines) if i >= self._skip]


class WholeFileReader(ReaderBase):
    """Each file whole; key b"<file>"."""

    def __init__(self, name=None):
        super().__init__(name or "WholeFileReaderV2")

    def _records(self, filename):
        with open(filename, "rb") as f:
            return [(filename.encode(), f.read())]
