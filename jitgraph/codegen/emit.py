"""Kernel stage -> readable Python source for `numba.njit`.

One glue function per kernel stage. Every loop nest (a fused elementwise group, a
reduction, a broadcast) is a small function of its own, written with canonical names
and called from the glue; loop nests with the same text (the steps of an unrolled RNN,
the Adam update of parameters of one shape) are one function, compiled once. Numba's
and LLVM's time grows faster than linearly with the size of one function: bounded
functions, shared, keep compile time linear in graph size. Calls into the reusable
helpers of `kernels.py`, scalar math and aliases stay in the glue. Every glue line is
tagged with the ops it runs, and the text is deterministic (no ids), so a diff of
generated code reads like a diff of a program.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np

from jitgraph.framework import dtypes
from jitgraph.ops import registry
from jitgraph.ops.registry import NotCompilable


# A stage with at least this many loop nests is written as shared loop functions called
# from a glue function; below it, as one function (measured: the MLP step's 19 loops
# compile faster whole, an unrolled RNN's 100+ far faster as loops).
LOOP_FUNCTIONS_FROM = 24


_CONST_PARAM = re.compile(r"c\d+")

FASTMATH = '{"reassoc", "contract", "arcp", "nsz", "afn"}'

_NB_SCALAR = {"float16": "float16", "float32": "float32", "float64": "float64",
              "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
              "uint8": "uint8", "uint16": "uint16", "bool": "boolean"}


def np_type(dtype) -> str:
    return "np.bool_" if dtype.name == "bool" else f"np.{dtype.name}"


def nb_type(dtype, rank: int, array: bool) -> str:
    s = _NB_SCALAR[dtype.name]
    if not array:
        return f"nt.{s}"
    if rank == 0:
        return f'nt.Array(nt.{s}, 0, "C")'
    return f"nt.{s}[{', '.join([':'] * (rank - 1) + ['::1'])}]"


def literal(value, dtype) -> str:
    """A scalar constant as source text of the exact dtype."""
    v = np.asarray(value).item()
    if dtype.name == "bool":
        return "True" if v else "False"
    if dtype.is_floating:
        if np.isnan(v):
            return f"{np_type(dtype)}(np.nan)"
        if np.isinf(v):
            return f"{np_type(dtype)}({'-' if v < 0 else ''}np.inf)"
        return f"{np_type(dtype)}({float(v)!r})"
    return f"{np_type(dtype)}({int(v)})"


def _wrapped_in(text: str, call: str) -> bool:
    """Whether `text` is one call `call(...)` as a whole (a cast needs no second cast)."""
    if not (text.startswith(call + "(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text[len(call):]):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i == len(text) - len(call) - 1
    return False


class LoopFunctions:
    """The loop-nest functions of one module, by canonical text: one definition each,
    however many stages and ops call it."""

    def __init__(self):
        self.names: dict = {}   # text with a {name} hole -> function name
        self.defs: list = []    # source of each function, first use first

    def name_for(self, text: str) -> str:
        name = self.names.get(text)
        if name is None:
            name = "loop_" + hashlib.sha256(text.encode()).hexdigest()[:12]
            self.names[text] = name
            self.defs.append(f"@nb.njit(cache=NUMBA_CACHE, nogil=True, error_model=\"numpy\", "
                             f"fastmath={FASTMATH})\n" + text.replace("{name}", name, 1))
        return name

    def merge(self, other: LoopFunctions):
        """Adds `other`'s functions not defined here (names are content hashes)."""
        for text, name in other.names.items():
            if text not in self.names:
                self.names[text] = name
                self.defs.append(other.defs[list(other.names).index(text)])

    def source(self) -> str:
        return "\n\n".join(self.defs)


class StageEmitter:
    """Writes the source of one kernel stage."""

    def __init__(self, plan, stage, fn_name: str, loops: LoopFunctions | None = None,
                 loop_functions: bool | None = None):
        self.plan, self.stage, self.fn_name = plan, stage, fn_name
        self.loops = loops if loops is not None else LoopFunctions()
        self.loop_functions = loop_functions  # None: decide by the stage's loop count
        self.loop_calls = 0
        self.shapes = plan.shapes
        self.lines: list[str] = []
        self.expr: dict = {}       # Tensor -> source expression
        self.is_array: dict = {}   # Tensor -> bool (array or scalar form)
        self.params: list[tuple[str, str]] = []  # (name, numba type)
        self._n = 0
        self.indent = 1
        self.in_unit = False       # emitting the body of a loop-nest function
        self.alias: dict = {}      # glue local -> the glue local it is a plain copy of
        self.same: dict = {}       # scalar expression text -> the local holding its value

    # -- names -------------------------------------------------------------------
    def fresh(self, prefix="t") -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def rank(self, t) -> int:
        return len(self.shapes[t])

    def line(self, text: str, op=None):
        pad = "    " * self.indent
        if op is not None:
            # Inside a shared loop-nest function only the op's type: its text must not
            # depend on which op it serves.
            text = f"{text}  # {op.type}" if self.in_unit else f"{text}  # {op.name} ({op.type})"
        self.lines.append(pad + text)

    def scalar(self, t) -> str:
        e = self.expr[t]
        return f"{e}[()]" if self.is_array[t] else e

    def array(self, t) -> str:
        e = self.expr[t]
        return e if self.is_array[t] else f"np.asarray({e})"

    # -- the stage ---------------------------------------------------------------
    def emit(self) -> str:
        if self.loop_functions is None:
            # Each function costs Numba a fixed ~0.1 s; one function's cost grows faster
            # than its size. Small stages compile fastest whole, large ones as shared loops.
            trial = StageEmitter(self.plan, self.stage, self.fn_name, LoopFunctions(), True)
            text = trial.emit()
            if trial.loop_calls >= LOOP_FUNCTIONS_FROM:
                self.loops.merge(trial.loops)
                return text
            self.loop_functions = False
        return self._emit()

    def _emit(self) -> str:
        st = self.stage
        for i, t in enumerate(st.inputs):
            name = f"x{i}"
            arr = self.rank(t) > 0
            self.params.append((name, nb_type(t.dtype, self.rank(t), arr)))
            self.expr[t], self.is_array[t] = name, arr
        for i, v in enumerate(st.variables):
            name = f"v{i}"
            t = v.outputs[0]
            self.params.append((name, nb_type(t.dtype, self.rank(t), True)))
            self.expr[t], self.is_array[t] = name, True
        for i, t in enumerate(st.consts):
            if self.rank(t) == 0 and t.dtype != dtypes.string:
                self.expr[t], self.is_array[t] = literal(self.plan.consts[t], t.dtype), False
            else:
                name = f"c{i}"
                self.params.append((name, nb_type(t.dtype, self.rank(t), True)))
                self.expr[t], self.is_array[t] = name, True
        if st.rng_ops:
            self.params.append(("rng", "nt.int64[:, ::1]"))
        self.glue_names = set(self.expr)
        for kind, members in st.units:
            if self.loop_functions:
                self._emit_unit(kind, members)
            else:
                self._emit_members(kind, members)
        outs = [self.expr[t] for t in st.outputs]
        self.line("return (" + "".join(o + ", " for o in outs) + ")")
        return self._module()

    # -- loop-nest functions ------------------------------------------------------------
    def _emit_unit(self, kind, members):
        """Emits one scheduled unit: a loop nest becomes a call to a shared function, the
        rest (helper calls, scalar math, aliases) is written into the glue directly."""
        saved = (self.lines, self.indent, self._n, dict(self.expr))
        inside = set(members)
        # One parameter per distinct glue value: an alias (`t1 = v0`) passed beside the
        # array it names would make LLVM assume two arrays that may overlap, and give up
        # vectorizing a loop that reads one and writes the other (Adam's slots).
        ext, param_of = [], {}
        for m in members:
            for t in m.inputs:
                # Literal scalars stay literals in the function's text.
                if (t.op not in inside and t not in param_of and t in self.glue_names
                        and self.expr[t].isidentifier()):
                    root = self._root(self.expr[t])
                    if root not in ext:
                        ext.append(root)
                    param_of[t] = f"a{ext.index(root)}"
        uses_rng = any(m in self.stage.rng_ops for m in members)
        self.lines, self.indent, self._n, self.in_unit = [], 1, 0, True
        for t, param in param_of.items():
            self.expr[t] = param
        try:
            self._emit_members(kind, members)
        finally:
            self.in_unit = False
        body = self.lines
        self.lines, self.indent, self._n, glue_expr = saved
        if kind != "group" and not any(ln.lstrip().startswith("for ") for ln in body):
            # No loop: cheaper to compile inline than as a function of its own.
            self.expr = glue_expr
            first = len(self.lines)
            self._emit_members(kind, members)
            for ln in self.lines[first:]:
                lhs, _, rhs = ln.split("  #")[0].strip().partition(" = ")
                if rhs.isidentifier() and lhs.isidentifier():
                    self.alias[lhs] = self._root(rhs)
            self._note_glue(members)
            return
        root_of_param = {f"a{j}": root for j, root in enumerate(ext)}
        outs, passed = [], {}
        for m in members:
            for t in m.outputs:
                if t not in self.expr or not self._needed_outside(t, inside):
                    continue
                if self.expr[t] in root_of_param:  # a store's output: the variable it wrote
                    passed[t] = root_of_param[self.expr[t]]
                else:
                    outs.append(t)
        params = (["rng"] if uses_rng else []) + [f"a{j}" for j in range(len(ext))]
        ret = "".join(self.expr[t] + ", " for t in outs)
        text = (f"def {{name}}({', '.join(params)}):\n" + "\n".join(body) +
                f"\n    return ({ret})\n")
        name = self.loops.name_for(text)
        self.expr = glue_expr
        args = (["rng"] if uses_rng else []) + ext
        call = f"{name}({', '.join(args)})"
        self.loop_calls += 1
        names = ", ".join(m.name for m in members)
        pad = "    " * self.indent
        if outs:
            got = [self.fresh() for _ in outs]
            self.lines.append(f"{pad}{', '.join(got)}, = {call}  # {names}")
            for t, g in zip(outs, got):  # is_array[t] stays as the function made it
                self.expr[t] = g
        else:
            self.lines.append(f"{pad}{call}  # {names}")
        for t, root in passed.items():
            self.expr[t] = root
        self._note_glue(members)

    def _root(self, name: str) -> str:
        """The glue local that `name` is an alias of (itself if none)."""
        return self.alias.get(name, name)

    def _emit_members(self, kind, members):
        if kind == "group":
            self._emit_group(members)
        else:
            self._emit_op(members[0])
        if any(registry.get(m.type).store for m in members):
            self.same.clear()  # a variable changed: an expression reading it is new

    def _note_glue(self, members):
        for m in members:
            for t in m.outputs:
                if t in self.expr:
                    self.glue_names.add(t)

    def _module(self) -> str:
        # A constant whose value the faces wrote into the text (a shape, a slice bound)
        # is not passed: each array argument costs ~0.1 us per call and compile time.
        used = set(re.findall(r"\bc\d+\b", "\n".join(self.lines)))
        params = [(n, t) for n, t in self.params if not _CONST_PARAM.fullmatch(n) or n in used]
        self.stage.const_args = [self.stage.consts[int(n[1:])] for n, _ in params
                                 if _CONST_PARAM.fullmatch(n)]
        sig = ", ".join(t for _, t in params)
        args = ", ".join(n for n, _ in params)
        head = [f"@nb.njit(({sig}{',' if len(params) == 1 else ''}),",
                f"         cache=NUMBA_CACHE, nogil=True, error_model=\"numpy\", "
                f"fastmath={FASTMATH})",
                f"def {self.fn_name}({args}):"]
        return "\n".join(head + self._legend(params) + self.lines) + "\n"

    def _legend(self, params) -> list[str]:
        """Which graph tensor each parameter holds, so the body reads against the graph."""
        st = self.stage
        named = {f"x{i}": (t.name, "input") for i, t in enumerate(st.inputs)}
        named.update({f"v{i}": (v.name, "variable") for i, v in enumerate(st.variables)})
        named.update({f"c{i}": (t.name, "constant") for i, t in enumerate(st.consts)})
        named["rng"] = ("random streams", "rows of the stage's random ops")
        rows = [f"{n}: {named[n][0]} ({named[n][1]})" for n, _ in params if n in named]
        out = ["    # Parameters:"]
        for r in rows:
            if len(out[-1]) + len(r) > 96 and out[-1] != "    # Parameters:":
                out.append("    #")
            out[-1] += (" " if out[-1].endswith(":") or out[-1].endswith("#") else "; ") + r
        return out if rows else []

    # -- single ops ----------------------------------------------------------------
    # (The planner gives this emitter only ops it can write: `host_reason` in
    # planning/plan.py decides from registry facts, never by trying to emit.)
    def _emit_op(self, op):
        d = registry.get(op.type)
        out = op.outputs[0] if op.outputs else None
        if d.ew is not None:
            # A rank-0 elementwise op: one scalar statement.
            val = self._ew_expr(op, [self.scalar(t) for t in op.inputs])
            if d.store:
                var = op.inputs[0]
                name = self.fresh()
                self.line(f"{name} = {val}", op)
                self.line(f"{self.expr[var]}[()] = {name}")
            elif val in self.same and not d.stateful:
                # The same pure expression of the same locals (each optimizer update
                # repeats `1 - beta2_power`): one value, a comment keeps the op's name.
                name = self.same[val]
                self.line(f"# {op.name} ({op.type}) is {name}")
            else:
                name = self.fresh()
                self.line(f"{name} = {val}", op)
                if not d.stateful and not self.in_unit:
                    self.same[val] = name
            self.expr[out], self.is_array[out] = name, False
            return
        ctx = EmitCtx(self, op)
        try:
            d.emit(ctx)
        except NotCompilable as e:  # a `host_if` that missed a case: a bug, name the op
            raise NotCompilable(f"{op.type} '{op.name}': {e} (its host_if should say so)") from e
        for t in op.outputs:
            if t not in self.expr:
                raise RuntimeError(f"emitter for {op.type} did not define output {t.name}")

    def _ew_expr(self, op, args) -> str:
        d = registry.get(op.type)
        out = op.outputs[0]
        tmpl = d.ew(out.dtype.name) if callable(d.ew) else d.ew
        text = tmpl.format(*args, dt=np_type(out.dtype))
        cast = np_type(out.dtype)
        if out.dtype == dtypes.bool or _wrapped_in(text, cast):
            return text
        return f"{cast}({text})"

    # -- fused groups ----------------------------------------------------------------
    def _emit_group(self, members):
        members_set = set(members)
        out0 = members[0].outputs[0]
        r = self.rank(out0)
        static = list(self.shapes[out0])
        for m in members[1:]:
            for k, d in enumerate(self.shapes[m.outputs[0]]):
                if static[k] is None:
                    static[k] = d
        externals = []
        for m in members:
            for t in m.inputs:
                if t.op not in members_set and t not in externals:
                    externals.append(t)
        ext_arrays = [t for t in externals if self.rank(t) > 0]
        names = ", ".join(m.type if self.in_unit else m.name for m in members)
        self.line(f"# fused loop over {r}-d space: {names}")

        # Loop bounds: static where known, else from the arrays that provide the dim.
        # Providers whose dim carries the same symbol are provably the same size: they
        # are indexed directly. Otherwise a runtime check and a 0/1 stride handle
        # broadcasting.
        sym = self.plan.sym
        dims, index = [], {t: [None] * self.rank(t) for t in ext_arrays}
        for k in range(r):
            providers = []
            for t in ext_arrays:
                j = k - (r - self.rank(t))
                if j < 0:
                    continue
                sd = self.shapes[t][j]
                if sd == 1:
                    index[t][j] = "0"
                elif sd is not None:
                    index[t][j] = f"i{k}"
                    providers.append((t, j, True))
                else:
                    providers.append((t, j, False))
            dname = f"d{k}_{self._n + 1}"
            unknown = [(t, j) for t, j, known in providers if not known]
            symbols = {sym.get(t, (None,) * self.rank(t))[j] if sym.get(t) else None
                       for t, j in unknown}
            if unknown and len(symbols) == 1 and None not in symbols and (
                    static[k] is None or len(unknown) == len(providers)):
                # One symbol: every unknown provider has the group's size.
                if static[k] is not None:
                    dims.append(str(static[k]))
                else:
                    t0, j0 = unknown[0]
                    self.line(f"{dname} = {self.expr[t0]}.shape[{j0}]")
                    dims.append(dname)
                for t, j in unknown:
                    index[t][j] = f"i{k}"
                continue
            if static[k] is not None:
                dims.append(str(static[k]))
                for t, j in unknown:
                    self.line(f"K.check_bcast({static[k]}, {self.expr[t]}.shape[{j}])")
                    m = self.fresh("m")
                    self.line(f"{m} = 1 if {self.expr[t]}.shape[{j}] != 1 else 0")
                    index[t][j] = f"i{k} * {m}"
            else:
                if not providers:
                    dims.append("1")
                    continue
                first_t, first_j, _ = providers[0]
                self.line(f"{dname} = {self.expr[first_t]}.shape[{first_j}]")
                for t, j, _ in providers[1:]:
                    self.line(f"{dname} = K.check_bcast({dname}, {self.expr[t]}.shape[{j}])")
                dims.append(dname)
                for t, j in unknown:
                    if len(unknown) == 1 and len(providers) == 1:
                        index[t][j] = f"i{k}"
                    else:
                        m = self.fresh("m")
                        self.line(f"{m} = 1 if {self.expr[t]}.shape[{j}] != 1 else 0")
                        index[t][j] = f"i{k} * {m}"
        shape_txt = "(" + "".join(d + ", " for d in dims) + ")"

        # Which member outputs leave the loop as arrays.
        materialize = []
        for m in members:
            t = m.outputs[0]
            if registry.get(m.type).store or self._needed_outside(t, members_set):
                materialize.append(m)
        out_names = {}
        for m in materialize:
            t = m.outputs[0]
            if registry.get(m.type).store:
                out_names[m] = self.expr[m.inputs[0]]
            else:
                out_names[m] = self.fresh()
                self.line(f"{out_names[m]} = np.empty({shape_txt}, {np_type(t.dtype)})", m)

        # Scalars read once, outside the loop.
        scalar_of = {}
        for t in externals:
            if self.rank(t) == 0:
                scalar_of[t] = self.scalar(t) if not self.is_array[t] else self._hoist(t)
        for k in range(r):
            self.line(f"for i{k} in range({dims[k]}):")
            self.indent += 1
        idx_all = ", ".join(f"i{k}" for k in range(r))
        local = {}
        for m in members:
            args = []
            for t in m.inputs:
                if t in local:
                    args.append(local[t])
                elif self.rank(t) == 0:
                    args.append(scalar_of[t])
                else:
                    args.append(f"{self.expr[t]}[{', '.join(index[t])}]")
            e = self.fresh("e")
            self.line(f"{e} = {self._ew_expr(m, args)}", m)
            local[m.outputs[0]] = e
        for m in materialize:
            self.line(f"{out_names[m]}[{idx_all}] = {local[m.outputs[0]]}")
        self.indent -= r
        for m in members:
            t = m.outputs[0]
            if m in out_names:
                self.expr[t], self.is_array[t] = out_names[m], True

    def _hoist(self, t):
        name = self.fresh("s")
        self.line(f"{name} = {self.expr[t]}[()]")
        return name

    def _needed_outside(self, t, members_set) -> bool:
        if t in self.stage.outputs:
            return True
        for op in self.stage.ops:
            if op not in members_set and t in op.inputs and not self._shape_only_use(op, t):
                return True
        return False

    def _shape_only_use(self, op, t) -> bool:
        """`op` reads only `t`'s shape and is provably a no-op (e.g. a broadcast-gradient
        sum over equal shapes): `t` need not be stored for it."""
        k = registry.get(op.type).shape_only
        if k is None or op.inputs[k] is not t or op.inputs[0] is t:
            return False
        sym = self.plan.sym
        return sym.get(op.inputs[0]) is not None and sym.get(op.inputs[0]) == sym.get(t)


class EmitCtx:
    """What an op's `emit` face sees: its inputs as source text, and a place to write lines.

    Conventions: outputs of rank >= 1 are arrays, rank-0 outputs are scalars. Cases an
    emitter cannot write are declared in the op's `host_if`, which sees the same static
    facts, so the planner makes them host ops before any code is written.
    """

    def __init__(self, em: StageEmitter, op):
        self.em, self.op, self.attrs = em, op, op.attrs

    def i(self, k) -> str:
        t = self.op.inputs[k]
        return self.em.array(t) if self.em.rank(t) > 0 else self.em.scalar(t)

    def arr(self, k) -> str:
        return self.em.array(self.op.inputs[k])

    def s(self, k) -> str:
        return self.em.scalar(self.op.inputs[k])

    def rank(self, k) -> int:
        return self.em.rank(self.op.inputs[k])

    def orank(self, k=0) -> int:
        return self.em.rank(self.op.outputs[k])

    def shape(self, k):
        return self.em.shapes[self.op.inputs[k]]

    def oshape(self, k=0):
        return self.em.shapes[self.op.outputs[k]]

    def const(self, k):
        from jitgraph.ops.constant import constant_value
        return constant_value(self.op.inputs[k])

    def dtype(self, k):
        return self.op.inputs[k].dtype

    def same_shape(self, a, b) -> bool:
        """Whether tensors `a` and `b` (input indices, or -1 for output 0) surely have the
        same shape at run time: equal static dims, unknown ones carrying one symbol."""
        ta = self.op.outputs[0] if a == -1 else self.op.inputs[a]
        tb = self.op.outputs[0] if b == -1 else self.op.inputs[b]
        sa, sb = self.em.plan.sym.get(ta), self.em.plan.sym.get(tb)
        return sa is not None and sa == sb

    def odt(self, k=0) -> str:
        return np_type(self.op.outputs[k].dtype)

    def dt(self, k) -> str:
        return np_type(self.op.inputs[k].dtype)

    def tmp(self, prefix="w") -> str:
        return self.em.fresh(prefix)

    def rng(self) -> tuple[str, str]:
        """(key, counter) source text of this random op's row in the stage's `rng` array."""
        j = self.em.stage.rng_ops.index(self.op)
        return f"rng[{j}, 0]", f"rng[{j}, 1]"

    def line(self, text: str, tag: bool = False):
        self.em.line(text, self.op if tag else None)

    def out(self, value_expr: str, k: int = 0, array: bool | None = None):
        """Binds output k to `value_expr` (assigned to a fresh local)."""
        t = self.op.outputs[k]
        name = self.em.fresh()
        self.em.line(f"{name} = {value_expr}", self.op)
        self.em.expr[t] = name
        self.em.is_array[t] = (self.em.rank(t) > 0) if array is None else array
        return name
