"""`tf.train.Coordinator`: threads share one stop request, the first error reported
ends them all, and `join` re-raises it in the main thread."""
from __future__ import annotations

import contextlib
import sys
import threading
import time

from jitgraph.framework import errors
from jitgraph.platform import logging


class Coordinator:
    """A stop flag and the first exception for a group of threads.

    `clean_stop_exception_types` (default: OutOfRangeError) end the threads without
    being an error: an input queue running out is a normal end of training.
    """

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _filter_exception(self, ex):
        ex = ex[1] if isinstance(ex, tuple) else ex
        return None if isinstance(ex, self._clean_stop_exception_types) else ex

    def request_stop(self, ex=None):
        """Asks every thread to stop; `ex` (an exception or exc_info) is raised by `join`."""
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined:
                if isinstance(ex, tuple):
                    _, ex_instance, _ = ex
                    raise ex_instance
                if ex is not None:
                    raise ex
            if not self._stop_event.is_set():
                if ex is not None and self._exc_info_to_raise is None:
                    if isinstance(ex, tuple):
                        self._exc_info_to_raise = ex
                    else:
                        self._exc_info_to_raise = (type(ex), ex, ex.__traceback__)
                    logging.info("Error reported to Coordinator: %s", ex)
                self._stop_event.set()

    def clear_stop(self):
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            if self._stop_event.is_set():
                self._stop_event.clear()

    def should_stop(self):
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """Requests a stop with any exception raised in the block (and swallows it)."""
        try:
            yield
        except Exception:  # noqa: BLE001 - reported to the coordinator, as TF does
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Waits for the threads (and the registered ones) to end after a stop request,
        then raises the exception reported to `request_stop`, if any.

        Raises:
          RuntimeError: threads still alive `stop_grace_period_secs` after the request.
        """
        threads = set(threads or ()) | self._registered_threads
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        deadline = time.time() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.time()))
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            if self._exc_info_to_raise:
                _, ex, _ = self._exc_info_to_raise
                raise ex
            if stragglers:
                if ignore_live_threads:
                    logging.info("Coordinator stopped with threads still running: %s",
                                 " ".join(stragglers))
                else:
                    raise RuntimeError("Coordinator stopped with threads still running: "
                                       + " ".join(stragglers))

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        with self._lock:
            if self._exc_info_to_raise:
                _, ex, _ = self._exc_info_to_raise
                raise ex


class LooperThread(threading.Thread):
    """Calls `target(*args)` every `timer_interval_secs` (or back to back) until the
    coordinator stops."""

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        super().__init__(daemon=True)
        self._coord, self._interval = coord, timer_interval_secs
        self._target_fn, self._args, self._kwargs = target, args or (), kwargs or {}
        coord.register_thread(self)

    def run(self):
        with self._coord.stop_on_exception():
            while not self._coord.should_stop():
                self.run_loop()
                if self._interval is not None and self._coord.wait_for_stop(self._interval):
                    break

    def run_loop(self):
        if self._target_fn:
            self._target_fn(*self._args, **self._kwargs)
