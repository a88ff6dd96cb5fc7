"""The persistent compiled-code cache: generated source -> importable module -> Numba's cache.

`load(source, meta)` turns a generated module (see `codegen.compiler`) into an
imported module whose `@njit(cache=NUMBA_CACHE)` functions were either compiled
now or loaded from Numba's on-disk cache. Numba cannot cache functions made by
`exec` (issue 3501), so each entry is a real `.py` file in its own directory,
imported under a stable module name, with Numba's index and object files in the
`__pycache__` beside it. Layout of the cache directory (private, 0700):

    <dir>/CACHEDIR.TAG
    <dir>/entries/<key>/jitgraph_gen_<key[:32]>.py    the generated source
    <dir>/entries/<key>/__pycache__/*.nbi, *.nbc      Numba's index and object files
    <dir>/entries/<key>/meta.json   code-generator meta + created, compile_seconds,
                                    source hash, key parts, Numba files manifest,
                                    and the HMAC that authenticates all of it
    <dir>/entries/<key>/usage.json  hits, last_used (rewritten on every disk hit)
    <dir>/locks/<key>.lock          flock held while an entry is loaded or built

`meta.json` is written last, so an entry without one is an unfinished build.
The key is a sha256 over the source, everything that changes machine code
(versions of jitgraph, Numba, llvmlite, NumPy and Python, the CPU name and
features, Numba's code-generation settings) and the source of every jitgraph
module the generated code imports (Numba does not track callees: a changed
`kernels.py` must not reuse old machine code).

The cache directory is a trust boundary (DESIGN.md, "The compile cache is a
trust boundary"): an entry holds code this process runs, and Numba unpickles its
index files. So before anything of an entry is imported or handed to Numba, its
manifest is checked against an HMAC made with a per-user secret key kept outside
the cache directory (`key_file()`), and every file against the manifest's sha256.

A damaged or unauthenticated entry (source not matching its key, unreadable or
unsigned meta, a Numba file added, truncated or changed since it was signed, or
Numba failing to load it) is removed and rebuilt with a `CacheWarning`. A directory that is off
(`JITGRAPH_CACHE=0`), unsafe (writable by others, owned by someone else),
read-only or full, or a key file that is unsafe or cannot be made, makes this
process compile in memory instead, with one warning per directory.

Modules stay imported while a plan holds them (`load(..., holder=plan)`); when
the last holder is released (`release_plans`, or the plan is garbage collected)
the module leaves `sys.modules` and Numba's registries so its memory is freed.
"""
from __future__ import annotations

import atexit
import collections
import contextlib
import dataclasses
import hashlib
import hmac
import importlib.util
import json
import linecache
import os
import pathlib
import re
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
import types
import uuid
import warnings
import weakref
from dataclasses import dataclass, field

from jitgraph import config
from jitgraph.codegen import locking

LAYOUT = 2  # bump when the on-disk layout changes: it is part of every key
MODULE_PREFIX = "jitgraph_gen_"
_CACHE_LINE = re.compile(r"^NUMBA_CACHE = True[ \t]*$", re.M)
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
_NUMBA_SUFFIXES = (".nbi", ".nbc")
_KEY_BYTES = 32
_SIGN_DOMAIN = b"jitgraph compiled-code cache entry\0"


class CacheWarning(RuntimeWarning):
    """A cache entry was damaged and rebuilt, or the disk cache is unusable here."""


@dataclass
class Loaded:
    """What `load` gives the code generator."""

    module: types.ModuleType   # the imported generated module
    key: str                   # hex digest naming the entry
    path: pathlib.Path | None  # the .py file holding the source (readable for inspection)
    from_disk: bool            # every njit function came from Numba's cache (no compile)
    seconds: float             # wall time spent importing (compiling or loading)
    from_memory: bool = False  # already imported earlier in this process (seconds == 0)


@dataclass
class Entry:
    """One entry on disk, as `entries()` and `find()` report it."""

    key: str
    path: pathlib.Path          # the entry's directory
    source_path: pathlib.Path   # the generated .py file
    module_name: str
    created: float              # time.time() of the compile that made it
    last_used: float
    hits: int                   # times a process loaded it from disk
    compile_seconds: float      # of the compile that made it
    size: int                   # bytes on disk, Numba's files included
    meta: dict = field(repr=False)  # the code generator's meta

    @property
    def signature(self) -> str:
        return str(self.meta.get("signature", ""))

    @property
    def op_count(self) -> int:
        return int(self.meta.get("op_count", len(self.meta.get("ops", ()))))

    @property
    def fetches(self) -> list:
        return list(self.meta.get("fetches", ()))

    @property
    def feeds(self) -> list:
        return list(self.meta.get("feeds", ()))

    @property
    def ops(self) -> list:
        return list(self.meta.get("ops", ()))

    @property
    def runner_source(self) -> str | None:
        """The fast runner of the plan that built this entry (None: the general path)."""
        return self.meta.get("runner_source")

    def source(self) -> str:
        return self.source_path.read_text()

    def to_json(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["path"], d["source_path"] = str(self.path), str(self.source_path)
        return d


@dataclass
class Counters:
    """What this process did; tests assert on these."""

    compiles: int = 0      # modules compiled (disk miss, rebuild or in-memory)
    disk_hits: int = 0     # modules whose every function came from Numba's cache
    memory_hits: int = 0   # loads answered by a module imported earlier in this process
    rebuilds: int = 0      # damaged entries removed and rebuilt
    fallbacks: int = 0     # loads compiled in memory because the disk cache was off/unusable

    def reset(self):
        for f in dataclasses.fields(self):
            setattr(self, f.name, 0)


counters = Counters()

_lock = threading.RLock()           # one load at a time per process
_memory: dict = {}                  # key -> Loaded, for this process
_unusable: dict = {}                # root str -> reason the disk cache is off there
_checked: set = set()               # roots found usable in this process
_warned: set = set()                # (root, kind) already warned about
_private_dir: str | None = None     # in-memory fallback: where source files go for inspection
_env_cache: dict | None = None
_dep_digests: dict = {}             # jitgraph module name -> (sha256, imported modules)
_secrets: dict = {}                 # key file path str -> the secret it holds
_holders: dict = {}                 # key -> number of plans holding its module
_released = collections.deque()     # keys whose holder let go, for _drain_released


# ----------------------------------------------------------------------------- location

def _env_off() -> bool:
    return not config.env_flag("JITGRAPH_CACHE", True)


def default_dir() -> pathlib.Path:
    """Where the cache lives, whether or not it is on: JITGRAPH_CACHE_DIR or the user cache dir."""
    d = os.environ.get("JITGRAPH_CACHE_DIR")
    if d:
        return pathlib.Path(d).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = pathlib.Path(xdg) if xdg and os.path.isabs(xdg) else pathlib.Path.home() / ".cache"
    return (base / "jitgraph").absolute()


def cache_dir() -> pathlib.Path | None:
    """The disk cache directory, created private if missing; None when off or unusable.

    The first time a directory is found unusable in a process, one `CacheWarning` says why.
    """
    if _env_off():
        return None
    root = default_dir()
    key = str(root)
    if key in _checked:
        return root
    if key in _unusable:
        return None
    reason = _prepare(root)
    if reason is None:
        _checked.add(key)
        return root
    _disable(root, reason)
    return None


def _disable(root: pathlib.Path, reason: str):
    """Stops using `root` in this process, warning once."""
    key = str(root)
    _checked.discard(key)
    _unusable[key] = reason
    if (key, "unusable") not in _warned:
        _warned.add((key, "unusable"))
        warnings.warn(f"jitgraph: not using the compiled-code cache {root}: {reason}; "
                      "compiling in memory for this process", CacheWarning, stacklevel=4)


def _unsafe(st: os.stat_result) -> str | None:
    if not stat.S_ISDIR(st.st_mode):
        return "not a directory"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return f"owned by another user (uid {st.st_uid}); it holds code this process would run"
    if st.st_mode & 0o022:
        return (f"writable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
                "it holds code this process would run. Use chmod 700")
    return None


def _prepare(root: pathlib.Path) -> str | None:
    """Creates `root` (0700) and its sub-directories; returns why it is unusable, or None."""
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(root, 0o700)
        why = _unsafe(os.stat(root))
        if why:
            return why
        for sub in ("entries", "locks"):
            with contextlib.suppress(FileExistsError):
                os.mkdir(root / sub, 0o700)
            why = _unsafe(os.lstat(root / sub))
            if why:
                return f"{sub}/ is {why}"
        _secret(root, create=True)
        tag = root / "CACHEDIR.TAG"
        if not tag.exists():
            _atomic_write(tag, "Signature: 8a477f597d28d172789f06886806bc55\n"
                               "# This directory holds jitgraph's compiled-code cache.\n")
        if not _probe_writable(root / "entries"):
            return "not writable"
    except _KeyUnusable as e:
        return str(e)
    except OSError as e:
        return f"not usable ({e.strerror or e})"
    return None


def _probe_writable(path: pathlib.Path) -> bool:
    try:
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def _existing_root() -> pathlib.Path | None:
    """The cache directory if it exists and is safe; never creates it (for read-only commands)."""
    if _env_off():
        return None
    root = default_dir()
    try:
        if _unsafe(os.stat(root)):
            return cache_dir()  # warns, returns None
    except OSError:
        return None
    return root


# ----------------------------------------------------------------------------- secret key

class _KeyUnusable(Exception):
    """The per-user cache key cannot be made or is not private: do not use the disk cache."""


def key_file() -> pathlib.Path:
    """Where the secret that signs cache entries lives: JITGRAPH_CACHE_KEY_FILE, or
    `$XDG_CONFIG_HOME/jitgraph/cache.key` (default `~/.config/jitgraph/cache.key`).

    It must live outside the cache directory: whoever can write entries must not
    be able to read the key that signs them.
    """
    p = os.environ.get("JITGRAPH_CACHE_KEY_FILE")
    if p:
        return pathlib.Path(p).expanduser().absolute()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = pathlib.Path(xdg) if xdg and os.path.isabs(xdg) else pathlib.Path.home() / ".config"
    return (base / "jitgraph" / "cache.key").absolute()


def _secret(root: pathlib.Path, create: bool) -> bytes:
    """The signing key, made (0600) on first use when `create`; memoized per path.

    Raises:
      _KeyUnusable: the file is inside `root`, missing (and not `create`), not
        private to this user, or cannot be read or made.
    """
    path = key_file()
    known = _secrets.get(str(path))
    if known is not None:
        return known
    if os.path.realpath(path).startswith(os.path.realpath(root) + os.sep):
        raise _KeyUnusable(f"its key file {path} is inside it (set JITGRAPH_CACHE_KEY_FILE "
                           "to a path outside the cache directory)")
    try:
        if create and not path.exists():
            _create_key(path)
        data = _read_key(path)
    except FileNotFoundError as e:
        raise _KeyUnusable(f"no key file {path}") from e
    except OSError as e:
        raise _KeyUnusable(f"its key file {path} is not usable ({e.strerror or e})") from e
    _secrets[str(path)] = data
    return data


def _create_key(path: pathlib.Path):
    """Writes a fresh random key through a private temp file and a hard link, so that
    concurrent first uses agree on one key and nobody ever reads a half-written one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    try:
        try:
            os.write(fd, secrets.token_bytes(_KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _key_dir_unsafe(st: os.stat_result) -> str | None:
    """Why others could replace a file in this directory (a sticky /tmp is fine: the
    key file's own owner and mode are checked once it is open)."""
    if hasattr(os, "getuid") and st.st_uid not in (os.getuid(), 0):
        return f"owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return f"writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _read_key(path: pathlib.Path) -> bytes:
    why = _key_dir_unsafe(os.stat(path.parent))
    if why:
        raise _KeyUnusable(f"the directory of its key file {path} is {why}")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        st = os.fstat(fd)
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise _KeyUnusable(f"its key file {path} is owned by another user (uid {st.st_uid})")
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise _KeyUnusable(f"its key file {path} is readable or writable by other users "
                               f"(mode {stat.S_IMODE(st.st_mode):o}); use chmod 600")
        data = os.read(fd, 4 * _KEY_BYTES)
    finally:
        os.close(fd)
    if len(data) < _KEY_BYTES:
        raise _KeyUnusable(f"its key file {path} is too short ({len(data)} bytes)")
    return data


def _sign(secret: bytes, info: dict) -> str:
    """HMAC-SHA256 of meta.json's content without its "hmac" field, in canonical JSON.

    The manifest holds the sha256 of the source and of every Numba file, so this
    one HMAC authenticates every file of the entry.
    """
    body = {k: v for k, v in info.items() if k != "hmac"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(secret, _SIGN_DOMAIN + text.encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- keys

def _environment() -> dict:
    """Everything besides the source that changes the machine code Numba makes."""
    global _env_cache
    if _env_cache is None:
        import llvmlite
        import llvmlite.binding as llvm
        import numba
        import numpy
        from numba.core import config as nbconfig

        from jitgraph.version import __version__
        opts = {}
        for name in ("OPT", "BOUNDSCHECK", "CPU_NAME", "CPU_FEATURES", "ENABLE_AVX",
                     "LOOP_VECTORIZE", "SLP_VECTORIZE", "DEBUGINFO_DEFAULT", "FASTMATH"):
            opts[name] = str(getattr(nbconfig, name, None))
        _env_cache = {
            "layout": LAYOUT, "jitgraph": __version__, "numba": numba.__version__,
            "llvmlite": llvmlite.__version__, "numpy": numpy.__version__,
            "python": sys.version, "cache_tag": sys.implementation.cache_tag,
            "cpu": llvm.get_host_cpu_name(),
            "cpu_features": llvm.get_host_cpu_features().flatten(),
            "numba_config": opts,
        }
    return _env_cache


_IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([^#\n]*)"
                        r"|import[ \t]+([^#\n]*))", re.M)


def _module_file(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    origin = getattr(spec, "origin", None)
    return origin if origin and os.path.isfile(origin) else None


def _imported_modules(text: str, package: str) -> set:
    """jitgraph modules named by the (single-line) import statements in `text`."""
    found = set()
    for m in _IMPORT_RE.finditer(text):
        if m.group(3) is not None:
            for part in m.group(3).split(","):
                name = part.split(" as ")[0].strip()
                if name.startswith("jitgraph"):
                    found.add(name)
            continue
        mod, names = m.group(1), m.group(2)
        if mod.startswith("."):
            level = len(mod) - len(mod.lstrip("."))
            base = package.split(".")
            base = base[:len(base) - level + 1] if level > 1 else base
            mod = ".".join(base + ([mod.lstrip(".")] if mod.lstrip(".") else []))
        if mod != "jitgraph" and not mod.startswith("jitgraph."):
            continue
        names = [p.split(" as ")[0].strip() for p in names.replace(")", "").split(",")]
        subs = [f"{mod}.{n}" for n in names if n.isidentifier()]
        subs = [s for s in subs if _module_file(s)]
        found.update(subs)
        if len(subs) < len(names):  # some names are objects of `mod` itself
            found.add(mod)
    return found


def _direct_deps(name: str) -> tuple:
    """(sha256 of module `name`'s file, the jitgraph modules it imports); memoized."""
    if name not in _dep_digests:
        origin = _module_file(name)
        if origin is None:
            _dep_digests[name] = ("", frozenset())
        else:
            with open(origin, "rb") as f:
                data = f.read()
            package = name if origin.endswith("__init__.py") else name.rpartition(".")[0]
            _dep_digests[name] = (hashlib.sha256(data).hexdigest(), frozenset(
                _imported_modules(data.decode("utf-8", "replace"), package)))
    return _dep_digests[name]


def _dependencies(source: str) -> dict:
    """{module: sha256} of every jitgraph module the source imports, transitively."""
    out, todo = {}, sorted(_imported_modules(source, ""))
    while todo:
        name = todo.pop()
        if name in out:
            continue
        digest, deps = _direct_deps(name)
        out[name] = digest
        todo.extend(d for d in deps if d not in out)
    return {k: v for k, v in sorted(out.items()) if v}


def compute_key(source: str) -> str:
    """The entry key for `source` in this environment (see the module docstring)."""
    h = hashlib.sha256()
    h.update(json.dumps({"env": _environment(), "deps": _dependencies(source)},
                        sort_keys=True).encode())
    h.update(b"\0")
    h.update(source.encode())
    return h.hexdigest()


# ----------------------------------------------------------------------------- numba hook

_locator_installed = False


def _install_locator():
    """Makes Numba keep the cache files of our modules in the entry's own __pycache__.

    Numba's in-tree locator would do the same, but `NUMBA_CACHE_DIR` takes
    precedence over it; this locator goes first and claims only our files.
    """
    global _locator_installed
    if _locator_installed:
        return
    _locator_installed = True
    try:
        from numba.core import caching
        base = (caching._SourceFileBackedLocatorMixin, caching._CacheLocator)
    except (ImportError, AttributeError):  # pragma: no cover - numba internals moved
        return

    class JitgraphEntryLocator(*base):
        """Numba cache files of a jitgraph entry go to `<entry>/__pycache__`."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(os.path.dirname(py_file), "__pycache__")

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            base_name = os.path.basename(py_file)
            entry = os.path.basename(os.path.dirname(py_file))
            if not (base_name.startswith(MODULE_PREFIX) and
                    entry.startswith(base_name[len(MODULE_PREFIX):-3])):
                return None
            return super().from_function(py_func, py_file)

    classes = caching.CacheImpl._locator_classes
    classes.insert(0, JitgraphEntryLocator)


def _dispatchers(module) -> list:
    from numba.core.dispatcher import Dispatcher
    return [v for v in vars(module).values()
            if isinstance(v, Dispatcher)
            and getattr(v.py_func, "__module__", None) == module.__name__]


def _nothing_compiled(module) -> bool:
    """True when no njit function of `module` compiled (each loaded from cache or unused)."""
    return not any(d.stats.cache_misses for d in _dispatchers(module))


# ----------------------------------------------------------------------------- files

def _atomic_write(path: pathlib.Path, data):
    """Writes `data` (str or bytes) to `path` through a temporary file and os.replace."""
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_json(path: pathlib.Path, obj):
    _atomic_write(path, json.dumps(obj, indent=1, sort_keys=True, default=str) + "\n")


def _read_json(path: pathlib.Path) -> dict:
    with open(path, "rb") as f:
        obj = json.loads(f.read().decode())
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj


def _rmtree(path: pathlib.Path):
    shutil.rmtree(path, ignore_errors=True)


def _tree_size(path: pathlib.Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _file_sha(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _numba_file_names(cache: pathlib.Path) -> list:
    """Names of Numba's index and object files in an entry's __pycache__."""
    try:
        return sorted(n for n in os.listdir(cache) if os.path.splitext(n)[1] in _NUMBA_SUFFIXES)
    except FileNotFoundError:
        return []


def _numba_manifest(entry: pathlib.Path) -> dict:
    """{file name: [size, sha256]} of Numba's index and object files in the entry."""
    cache = entry / "__pycache__"
    out = {}
    for name in _numba_file_names(cache):
        p = cache / name
        out[name] = [p.stat().st_size, _file_sha(p)]
    return out


def _module_name(key: str) -> str:
    return MODULE_PREFIX + key[:32]


def _check_entry(entry: pathlib.Path, key: str, source: str) -> str | None:
    """None if the entry is whole, signed with this user's key and holds `source`;
    else what is wrong with it. Nothing of the entry is imported or unpickled here."""
    src = entry / (_module_name(key) + ".py")
    if not (entry / "meta.json").exists():
        return "it is incomplete (an earlier compile did not finish)"
    try:
        if src.read_bytes() != source.encode():
            return "its source file does not match its key"
    except OSError:
        return "its source file is missing or unreadable"
    return _verify(entry, key, hashlib.sha256(source.encode()).hexdigest())


def verify(entry: Entry, source: str | None = None) -> str | None:
    """None if `entry` is authenticated (see `_verify`); else why it must not be run.

    Pass the `source` text you will compile, read once: the check is then on those
    very bytes, not on a file that could change after it was checked.
    """
    sha = None if source is None else hashlib.sha256(source.encode()).hexdigest()
    return _verify(entry.path, entry.key, sha)


def _verify(entry: pathlib.Path, key: str, source_sha: str | None) -> str | None:
    """Checks the entry's signed manifest, then every file against it, as bytes only.

    `source_sha` is the sha256 the source must have (None: whatever the file holds,
    which the signed manifest then vouches for).
    """
    problem = _not_private(entry) or _not_private(entry / "__pycache__", missing_ok=True)
    if problem:
        return problem
    try:
        info = _read_json(entry / "meta.json")
        if info.get("key") != key or entry.name != key:
            raise ValueError("wrong key")
        manifest, signed_source, mac = info["numba_files"], info["source_sha256"], info["hmac"]
        if not isinstance(manifest, dict) or not isinstance(mac, str):
            raise TypeError("malformed manifest")
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "its meta.json is unreadable or unsigned"
    try:
        secret = _secret(entry.parent.parent, create=False)
    except _KeyUnusable as e:
        return f"it cannot be authenticated: {e}"
    if not hmac.compare_digest(_sign(secret, info), mac):
        return ("its signature does not verify: it was not written by this user's jitgraph, "
                "or was changed since")
    src = entry / (_module_name(key) + ".py")
    try:
        if source_sha is None:
            if not stat.S_ISREG(os.lstat(src).st_mode):
                return "its source file is not a regular file"
            source_sha = _file_sha(src)
    except OSError:
        return "its source file is missing or unreadable"
    if source_sha != signed_source:
        return "its source file does not match its signature"
    return _check_numba_files(entry / "__pycache__", manifest)


def _not_private(path: pathlib.Path, missing_ok: bool = False) -> str | None:
    """Why a directory of an entry could be swapped under us (a symlink, or writable
    by others) between verifying its files and Numba reading them."""
    try:
        why = _unsafe(os.lstat(path))
    except FileNotFoundError:
        return None if missing_ok else f"{path.name} is missing"
    except OSError as e:
        return f"{path.name} is unreadable ({e.strerror or e})"
    return f"{path.name} is {why}" if why else None


def _check_numba_files(cache: pathlib.Path, manifest: dict) -> str | None:
    extra = sorted(set(_numba_file_names(cache)) - set(manifest))
    if extra:
        return f"Numba cache file {extra[0]} is not in its signed manifest"
    for name, item in sorted(manifest.items()):
        p = cache / name
        try:
            size, digest = item
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode):
                return f"Numba cache file {name} is not a regular file"
            if st.st_size != size:
                return f"Numba cache file {name} is truncated or changed"
            if _file_sha(p) != digest:
                return f"Numba cache file {name} is changed"
        except (TypeError, ValueError):
            return "its meta.json is unreadable or unsigned"
        except OSError:
            return f"Numba cache file {name} is missing"
    return None


def _exec_module(name: str, path: pathlib.Path | None, text: str) -> types.ModuleType:
    """Imports `text` as module `name` (registered in sys.modules: Numba's cache needs it)."""
    if path is not None:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        filename = str(path)
    else:  # no file could be written: keep the source visible to inspect/linecache
        mod = types.ModuleType(name)
        filename = f"<jitgraph generated {name}>"
        mod.__file__ = filename
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    previous = sys.modules.get(name)
    sys.modules[name] = mod
    try:
        exec(compile(text, filename, "exec"), mod.__dict__)
    except BaseException:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)
        raise
    return mod


# ----------------------------------------------------------------------------- load

class _DiskUnusable(Exception):
    """The cache directory cannot be written (read-only, full, ...): compile in memory."""


def _warn(msg: str):
    warnings.warn(msg, CacheWarning, stacklevel=4)


def load(source: str, meta: dict, holder=None) -> Loaded:
    """Imports generated `source`, compiling its njit functions or loading them from disk.

    Args:
      source: a complete generated module with one line `NUMBA_CACHE = True`, every
        njit decorator using `cache=NUMBA_CACHE` and explicit signatures.
      meta: JSON-serializable description of the graph (signature, fetches, feeds, ops),
        stored with a new entry.
      holder: an object (a Plan) that uses the module: the module stays loaded until
        every holder is released (`release_plans`) or garbage collected. Modules
        loaded without a holder stay until a holder of the same module lets go.

    Returns:
      A `Loaded`. The same source in the same process returns the same module.

    Raises:
      ValueError: `source` lacks the `NUMBA_CACHE = True` line.
      Whatever compiling the source raises (a code generator bug), after cleaning up.
    """
    if len(_CACHE_LINE.findall(source)) != 1:
        raise ValueError("generated source must contain exactly one line 'NUMBA_CACHE = True'")
    key = compute_key(source)
    _drain_released()
    with _lock:
        mem = _memory.get(key)
        if mem is not None:
            counters.memory_hits += 1
            _hold(holder, key)
            return dataclasses.replace(mem, seconds=0.0, from_memory=True)
        root = cache_dir()
        loaded = None
        if root is not None:
            _install_locator()
            try:
                loaded = _load_disk(root, key, source, meta)
            except _DiskUnusable as e:
                _disable(root, str(e))
            except OSError as e:  # e.g. the locks directory became unwritable
                _disable(root, f"not usable ({e.strerror or e})")
            except RuntimeError as e:
                # Numba finds no place for its files when the entry vanished mid-build
                # (another process ran `jitgraph cache clear`): compile in memory.
                if "no locator available" not in str(e):
                    raise
                _warn(f"jitgraph: cache entry {key[:12]} vanished while it was built "
                      f"({e}); compiling in memory")
        if loaded is None:
            counters.fallbacks += root is None or str(root) in _unusable
            loaded = _load_memory(key, source)
        _memory[key] = loaded
        _hold(holder, key)
        return loaded


# ----------------------------------------------------------------------------- release

_RELEASE_ATTR = "_jitgraph_module_release"


def _hold(holder, key: str):
    """Counts `holder` as a user of module `key` until it is released or collected."""
    if holder is None:
        return
    _holders[key] = _holders.get(key, 0) + 1
    previous = getattr(holder, _RELEASE_ATTR, None)
    fin = weakref.finalize(holder, _released.append, key)
    fin.atexit = False  # the process is ending: freeing modules one by one is wasted time
    setattr(holder, _RELEASE_ATTR, fin)
    if previous is not None:  # the holder was compiled again: it lets go of the old module
        previous()


def release_plans(plans):
    """Lets go of the compiled modules of `plans` (a closing Session's); a module no
    other plan holds leaves this process. Releasing a plan twice does nothing."""
    for plan in plans:
        fin = getattr(plan, _RELEASE_ATTR, None)
        if fin is not None:
            fin()
    _drain_released()


def _drain_released():
    """Unloads modules whose last holder let go. Holders collected by the garbage
    collector only queue their key (a collection can happen in the middle of a
    Numba compile); the work is done here, at the next load or release."""
    while _released:
        key = _released.popleft()
        with _lock:
            left = _holders.get(key, 0) - 1
            if left > 0:
                _holders[key] = left
                continue
            _holders.pop(key, None)
            loaded = _memory.pop(key, None)
            if loaded is not None:
                _unload(loaded)


def _unload(loaded: Loaded):
    """Drops every reference this process keeps to a module, Numba's included.

    Numba's target context keeps each compiled function (and through it the
    module's globals) forever, and a dispatcher's own finalizer can never run
    because that chain keeps it alive; `Dispatcher.recompile` frees old code the
    same way as here.
    """
    from numba.core.compiler_lock import global_compiler_lock

    module = loaded.module
    if sys.modules.get(module.__name__) is module:
        del sys.modules[module.__name__]
    with global_compiler_lock:  # Numba's registries change here
        for d in _dispatchers(module):
            with contextlib.suppress(AttributeError, KeyError):  # Numba internals moved
                d._make_finalizer()()
                d._reset_overloads()
    if loaded.path is not None and _private_dir and str(loaded.path).startswith(_private_dir):
        with contextlib.suppress(OSError):
            os.unlink(loaded.path)


def _exec_cached(name, src, source, entry):
    """_exec_module for an entry; an OSError (Numba could not write: read-only, full)
    becomes _DiskUnusable, and any failure removes the half-built entry."""
    try:
        return _exec_module(name, src, source)
    except OSError as e:
        _rmtree(entry)
        raise _DiskUnusable(f"writing failed ({e.strerror or e})") from e
    except BaseException:
        _rmtree(entry)
        raise


def ready(source: str) -> bool:
    """Whether loading `source` needs no compile: it is loaded in this process, or a
    verified entry is on disk (checked as `load` checks it, nothing imported)."""
    key = compute_key(source)
    with _lock:
        if key in _memory:
            return True
    root = cache_dir()
    if root is None:
        return False
    entry = root / "entries" / key
    try:
        return entry.is_dir() and _check_entry(entry, key, source) is None
    except OSError:
        return False


def _load_disk(root, key, source, meta) -> Loaded:
    entry = root / "entries" / key
    name = _module_name(key)
    src = entry / (name + ".py")
    with locking.locked(root / "locks" / (key + ".lock")):
        existed = entry.exists()
        if existed:
            problem = _check_entry(entry, key, source)
            if problem:
                _warn(f"jitgraph: cache entry {key[:12]} is damaged ({problem}); rebuilding it")
                counters.rebuilds += 1
                _rmtree(entry)
                existed = False
        if not existed:
            _new_entry(entry, src, source)
        t0 = time.perf_counter()
        if not existed:
            module = _exec_cached(name, src, source, entry)
        else:
            try:
                module = _exec_module(name, src, source)
            except Exception as e:
                # Loading (not compiling) failed: Numba's files are unreadable (issue 10434).
                _warn(f"jitgraph: cache entry {key[:12]} could not be loaded "
                      f"({type(e).__name__}: {e}); rebuilding it")
                counters.rebuilds += 1
                _rmtree(entry)
                existed = False
                _new_entry(entry, src, source)
                t0 = time.perf_counter()
                module = _exec_cached(name, src, source, entry)
        seconds = time.perf_counter() - t0
        from_disk = existed and _nothing_compiled(module)
        now = time.time()
        try:
            if from_disk:
                counters.disk_hits += 1
                try:
                    hits = int(_read_json(entry / "usage.json").get("hits", 0))
                except (OSError, ValueError, TypeError, UnicodeDecodeError):
                    hits = 0
                _write_json(entry / "usage.json", {"hits": hits + 1, "last_used": now})
            else:
                counters.compiles += 1
                _write_json(entry / "usage.json", {"hits": 0, "last_used": now})
                _write_json(entry / "meta.json", _signed_meta(root, {
                    "format": LAYOUT, "key": key, "module": name,
                    "source_sha256": hashlib.sha256(source.encode()).hexdigest(),
                    "created": now, "compile_seconds": seconds,
                    "environment": _environment(), "numba_files": _numba_manifest(entry),
                    "meta": meta,
                }))
        except OSError as e:
            # The module is loaded and correct; only the bookkeeping failed.
            if not from_disk:
                _rmtree(entry)
            _disable(root, f"writing failed ({e.strerror or e})")
        return Loaded(module, key, src, from_disk, seconds)


def _signed_meta(root: pathlib.Path, info: dict) -> dict:
    """`info` as meta.json will hold it, with its HMAC. Signed after Numba wrote its
    files (the manifest hashes them), so an entry is trusted only once it is whole."""
    info = json.loads(json.dumps(info, default=str))  # sign exactly what is read back
    info["hmac"] = _sign(_secret(root, create=False), info)
    return info


def _new_entry(entry: pathlib.Path, src: pathlib.Path, source: str):
    if os.path.lexists(entry):  # a rebuild's leftovers must not be loaded by Numba unverified
        raise _DiskUnusable(f"cache entry {entry.name[:12]} could not be removed")
    try:
        entry.mkdir(mode=0o700, parents=True, exist_ok=True)
        _atomic_write(src, source)
    except OSError as e:
        _rmtree(entry)
        raise _DiskUnusable(f"writing failed ({e.strerror or e})") from e


def _load_memory(key: str, source: str) -> Loaded:
    """Compiles without Numba's disk cache; the source goes to a private temp dir."""
    global _private_dir
    text = _CACHE_LINE.sub("NUMBA_CACHE = False", source, count=1)
    name = _module_name(key)
    path = None
    try:
        if _private_dir is None:
            _private_dir = tempfile.mkdtemp(prefix="jitgraph-")
            atexit.register(shutil.rmtree, _private_dir, True)
        path = pathlib.Path(_private_dir) / (name + ".py")
        _atomic_write(path, text)
    except OSError:
        path = None
    t0 = time.perf_counter()
    module = _exec_module(name, path, text)
    counters.compiles += 1
    return Loaded(module, key, path, False, time.perf_counter() - t0)


def compile_uncached(source: str) -> types.ModuleType:
    """Compiles `source` afresh, bypassing Numba's disk cache, as a separate module.

    For inspection: functions loaded from Numba's cache have no LLVM IR or
    assembly (`inspect_llvm()` warns "Inspection disabled for cached code").
    Touches neither the cache directory nor this process's loaded modules.
    """
    if len(_CACHE_LINE.findall(source)) != 1:
        raise ValueError("generated source must contain exactly one line 'NUMBA_CACHE = True'")
    key = compute_key(source)
    text = _CACHE_LINE.sub("NUMBA_CACHE = False", source, count=1)
    name = _module_name(key) + "_uncached"
    with tempfile.TemporaryDirectory(prefix="jitgraph-inspect-") as d:
        path = pathlib.Path(d) / (name + ".py")
        path.write_text(text)
        module = _exec_module(name, path, text)
    linecache.cache[str(path)] = (len(text), None, text.splitlines(True), str(path))
    return module


def _reset_process_state():
    """Forgets what this process loaded and decided (for tests)."""
    with _lock:
        _memory.clear()
        _holders.clear()
        _released.clear()
        _secrets.clear()
        _unusable.clear()
        _checked.clear()
        _warned.clear()
        counters.reset()


# ----------------------------------------------------------------------------- management

def _entry_dirs(root: pathlib.Path) -> list:
    try:
        return sorted(p for p in (root / "entries").iterdir()
                      if p.is_dir() and _KEY_RE.match(p.name))
    except OSError:
        return []


def _read_entry(path: pathlib.Path) -> Entry | None:
    try:
        info = _read_json(path / "meta.json")
        meta = info.get("meta") or {}
        created = float(info["created"])
        compile_seconds = float(info.get("compile_seconds", 0.0))
        module = str(info.get("module") or _module_name(path.name))
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    try:
        usage = _read_json(path / "usage.json")
        hits, last_used = int(usage.get("hits", 0)), float(usage.get("last_used", created))
    except (OSError, ValueError, TypeError, UnicodeDecodeError):
        hits, last_used = 0, created
    return Entry(key=path.name, path=path, source_path=path / (module + ".py"),
                 module_name=module, created=created, last_used=last_used, hits=hits,
                 compile_seconds=compile_seconds, size=_tree_size(path),
                 meta=meta if isinstance(meta, dict) else {})


def entries() -> list:
    """Every whole entry in the cache directory, most recently used first."""
    root = _existing_root()
    if root is None:
        return []
    out = [e for e in map(_read_entry, _entry_dirs(root)) if e is not None]
    out.sort(key=lambda e: e.last_used, reverse=True)
    return out


def find(prefix: str) -> Entry:
    """The entry whose key starts with `prefix`.

    Raises:
      KeyError: no entry, or more than one, matches (the message says which).
    """
    p = prefix.strip().lower()
    if not p:
        raise KeyError("empty cache key prefix")
    all_ = entries()
    matches = [e for e in all_ if e.key.startswith(p)]
    if not matches:
        root = _existing_root()
        raise KeyError(f"no cache entry matches {prefix!r} "
                       f"({len(all_)} entries in {root or default_dir()})")
    if len(matches) > 1:
        shown = ", ".join(sorted(e.key[:12] for e in matches)[:5])
        more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
        raise KeyError(f"cache key prefix {prefix!r} is ambiguous: it matches "
                       f"{len(matches)} entries ({shown}{more}); give more characters")
    return matches[0]


def stats() -> dict:
    """Totals over the entries on disk, and this process's counters."""
    root = _existing_root()
    es = entries()
    return {
        "dir": str(root) if root else None,
        "enabled": root is not None,
        "entries": len(es),
        "size_bytes": _tree_size(root) if root else 0,
        "hits": sum(e.hits for e in es),
        "misses": len(es),  # each entry was created by one miss
        "compile_seconds": sum(e.compile_seconds for e in es),
        "seconds_saved": sum(e.hits * e.compile_seconds for e in es),
        "process": dataclasses.asdict(counters),
    }


def _remove_entry(root: pathlib.Path, path: pathlib.Path) -> bool:
    """Deletes one entry unless a process holds its lock (compiling or loading it)."""
    with locking.locked(root / "locks" / (path.name + ".lock"),
                        blocking=False, unlink=True) as got:
        if not got:
            return False
        _rmtree(path)
        return not path.exists()


def prune(max_bytes: int) -> list:
    """Removes least-recently-used entries until the cache holds at most `max_bytes`.

    Unfinished or damaged entries go first. Returns the removed keys.
    """
    root = _existing_root()
    if root is None:
        return []
    items = []
    for path in _entry_dirs(root):
        e = _read_entry(path)
        items.append((e.last_used if e else 0.0, path, e.size if e else _tree_size(path)))
    total = _tree_size(root)
    removed = []
    for _, path, size in sorted(items, key=lambda t: (t[0], t[1].name)):
        if total <= max_bytes:
            break
        if _remove_entry(root, path):
            total -= size
            removed.append(path.name)
    return removed


def clear() -> int:
    """Removes every entry (except ones another process is building); returns how many."""
    root = _existing_root()
    if root is None:
        return 0
    n = 0
    for path in _entry_dirs(root):
        n += _remove_entry(root, path)
    with contextlib.suppress(OSError):  # temp files left by killed writers
        for p in (root / "entries").iterdir():
            if p.name.startswith(".") and p.is_file():
                p.unlink()
    with contextlib.suppress(OSError):  # locks of entries that are gone
        for p in (root / "locks").iterdir():
            if p.suffix == ".lock" and not (root / "entries" / p.stem).exists():
                with locking.locked(p, blocking=False, unlink=True):
                    pass
    return n
