"""`tf.summary.FileWriter`: Event protos appended to a TFRecord events file.

The file is `events.out.tfevents.{time:010d}.{hostname}{suffix}` in `logdir`; its
first record is the `file_version: "brain.Event:2"` event. Records are framed by
TensorBoard's own RecordWriter (length, masked CRC32C of it, data, masked CRC32C),
so TensorBoard and TF's `summary_iterator` read them.

Events are queued in memory and written when `max_queue` are pending, on `flush()`,
by a background flush every `flush_secs`, on `close()` and at interpreter exit.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import weakref

import numpy as np

from jitgraph.summary._proto import pb, record_writer_class


def _event_file_name(logdir, suffix):
    base = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}"
    path = os.path.join(logdir, base + suffix)
    n = 0
    # Two writers started in the same second must not truncate each other's file.
    while os.path.exists(path):
        n += 1
        path = os.path.join(logdir, f"{base}.{os.getpid()}.{n}{suffix}")
    return path


class _EventFile:
    """The open events file: a queue of serialized events and the record writer."""

    def __init__(self, logdir, max_queue, flush_secs, suffix):
        os.makedirs(logdir, exist_ok=True)
        self.path = _event_file_name(logdir, suffix)
        self._max_queue = max(int(max_queue), 1)
        self._pending: list[bytes] = []
        self._lock = threading.Lock()
        self._records = record_writer_class()(open(self.path, "xb"))
        self.closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, args=(float(flush_secs),),
                                        name="FileWriterFlush", daemon=True)
        self._thread.start()

    def _flush_loop(self, period):
        while not self._stop.wait(period):
            try:
                self.flush()
            except (OSError, ValueError):
                return  # the file went away under us: the next explicit flush reports it

    def add(self, data: bytes):
        with self._lock:
            if self.closed:
                return
            self._pending.append(data)
            if len(self._pending) >= self._max_queue:
                self._write_pending()

    def _write_pending(self):
        for data in self._pending:
            self._records.write(data)
        self._pending.clear()
        self._records.flush()

    def flush(self):
        with self._lock:
            if not self.closed:
                self._write_pending()

    def close(self):
        with self._lock:
            if self.closed:
                return
            self._write_pending()
            self._records.close()
            self.closed = True
        self._stop.set()


class FileWriter:
    """Writes Summary protos and graphs to an events file in `logdir` (TF 1.x API)."""

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
                 filename_suffix=None, session=None):
        self._logdir = str(logdir)
        self._max_queue, self._flush_secs = max_queue, flush_secs
        self._suffix = filename_suffix or ""
        self._seen_summary_tags: set = set()
        self._added_graph = False
        self._file = None
        self._open()
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def _open(self):
        ev = pb("event_pb2")
        self._file = _EventFile(self._logdir, self._max_queue, self._flush_secs, self._suffix)
        # Flushed at exit even if the program never closes the writer.
        weakref.finalize(self, self._file.close)
        self._write(ev.Event(wall_time=time.time(), file_version="brain.Event:2"))
        self._file.flush()

    # -- writing events ------------------------------------------------------------
    def _write(self, event):
        self._file.add(event.SerializeToString())

    def add_event(self, event):
        """Adds an `Event` proto (or its serialized bytes) to the file."""
        if isinstance(event, (bytes, bytearray)):
            e = pb("event_pb2").Event()
            e.ParseFromString(bytes(event))
            event = e
        if not event.wall_time:
            event.wall_time = time.time()
        self._write(event)

    def _add_event_with(self, global_step=None, **fields):
        event = pb("event_pb2").Event(wall_time=time.time(), **fields)
        if global_step is not None:
            event.step = int(global_step)
        self._write(event)

    def add_summary(self, summary, global_step=None):
        """Adds a Summary: the bytes `sess.run(summary_op)` returns, or a Summary proto."""
        sp = pb("summary_pb2")
        if isinstance(summary, np.ndarray):
            summary = summary.item()
        if isinstance(summary, (bytes, bytearray)):
            proto = sp.Summary()
            proto.ParseFromString(bytes(summary))
        elif isinstance(summary, sp.Summary):
            proto = sp.Summary()
            proto.CopyFrom(summary)
        else:
            raise TypeError(f"Expected a Summary proto or its serialized bytes, got "
                            f"{type(summary).__name__}")
        # As TF does: plugin metadata is written only with the first value of a tag.
        for value in proto.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")
            else:
                self._seen_summary_tags.add(value.tag)
        self._add_event_with(global_step, summary=proto)

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Adds the GraphDef of `graph` (a jitgraph Graph) or a GraphDef proto."""
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        if graph is None and graph_def is None:
            raise TypeError("Please pass either graph or graph_def (deprecated).")
        gd = graph if graph is not None else graph_def
        if hasattr(gd, "get_operations"):
            from jitgraph.summary.graph_def import as_graph_def
            gd = as_graph_def(gd, add_shapes=True)
        if isinstance(gd, (bytes, bytearray)):
            data = bytes(gd)
        else:
            data = gd.SerializeToString()
        self._added_graph = True
        self._add_event_with(global_step, graph_def=data)

    def add_session_log(self, session_log, global_step=None):
        """Adds a SessionLog proto (START/STOP/CHECKPOINT markers)."""
        self._add_event_with(global_step, session_log=session_log)

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        """Adds run metadata under `tag` (a proto, or anything with SerializeToString)."""
        data = run_metadata.SerializeToString() if hasattr(run_metadata,
                                                           "SerializeToString") else b""
        tagged = pb("event_pb2").TaggedRunMetadata(tag=tag, run_metadata=data)
        self._add_event_with(global_step, tagged_run_metadata=tagged)

    # -- file management -------------------------------------------------------------
    def get_logdir(self):
        return self._logdir

    def flush(self):
        """Writes all pending events to disk."""
        self._file.flush()

    def close(self):
        """Flushes and closes the file; later events are dropped until `reopen()`."""
        self._file.close()

    def reopen(self):
        """Opens a new events file after `close()` (no-op while open)."""
        if self._file.closed:
            self._open()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FileWriterCache:
    """One shared FileWriter per logdir (`tf.summary.FileWriterCache`)."""

    _cache: dict = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir):
        with FileWriterCache._lock:
            w = FileWriterCache._cache.get(logdir)
            if w is None:
                from jitgraph.framework.graph import get_default_graph
                w = FileWriter(logdir, graph=get_default_graph())
                FileWriterCache._cache[logdir] = w
            return w

    @staticmethod
    def clear():
        with FileWriterCache._lock:
            for w in FileWriterCache._cache.values():
                w.close()
            FileWriterCache._cache.clear()
