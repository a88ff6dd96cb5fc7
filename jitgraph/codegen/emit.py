"""Kernel stage -> readable Python source for `numba.njit`.

One function per kernel stage. Fused elementwise groups become one loop nest
with scalar locals (no temporary array per op); other ops call reusable
helpers in `kernels.py`. Every line is tagged with the op it comes from, and
the text is deterministic (no ids), so a diff of generated code reads like a
diff of a program.
"""
from __future__ import annotations

import numpy as np

from jitgraph.codegen.plan import STORE_OPS
from jitgraph.framework import dtypes
from jitgraph.ops import registry


class NotCompilable(Exception):
    """An emitter cannot express this op (e.g. a non-constant axis): run it as a host op."""


def _refuse_op(op, reason):
    e = NotCompilable(f"{op.type} '{op.name}': {reason}")
    e.op = op
    raise e


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


class StageEmitter:
    """Writes the source of one kernel stage."""

    def __init__(self, plan, stage, fn_name: str):
        self.plan, self.stage, self.fn_name = plan, stage, fn_name
        self.shapes = plan.shapes
        self.lines: list[str] = []
        self.expr: dict = {}       # Tensor -> source expression
        self.is_array: dict = {}   # Tensor -> bool (array or scalar form)
        self.params: list[tuple[str, str]] = []  # (name, numba type)
        self._n = 0
        self.indent = 1

    # -- names -------------------------------------------------------------------
    def fresh(self, prefix="t") -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def rank(self, t) -> int:
        return len(self.shapes[t])

    def line(self, text: str, op=None):
        pad = "    " * self.indent
        if op is not None:
            text = f"{text}  # {op.name} ({op.type})"
        self.lines.append(pad + text)

    def scalar(self, t) -> str:
        e = self.expr[t]
        return f"{e}[()]" if self.is_array[t] else e

    def array(self, t) -> str:
        e = self.expr[t]
        return e if self.is_array[t] else f"np.asarray({e})"

    # -- the stage ---------------------------------------------------------------
    def emit(self) -> str:
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
        for kind, members in st.units:
            if kind == "group":
                self._emit_group(members)
            else:
                self._emit_op(members[0])
        outs = [self.expr[t] for t in st.outputs]
        self.line("return (" + "".join(o + ", " for o in outs) + ")")
        return self._module()

    def _module(self) -> str:
        sig = ", ".join(t for _, t in self.params)
        args = ", ".join(n for n, _ in self.params)
        head = [f"@nb.njit(({sig}{',' if len(self.params) == 1 else ''}),",
                f"         cache=NUMBA_CACHE, nogil=True, error_model=\"numpy\", "
                f"fastmath={FASTMATH})",
                f"def {self.fn_name}({args}):"]
        return "\n".join(head + self.lines) + "\n"

    # -- single ops ----------------------------------------------------------------
    def _refuse(self, op):
        """Raises NotCompilable (the op runs on the host) for what compiled code cannot do
        right."""
        if any(t.dtype == dtypes.float16 for t in list(op.inputs) + list(op.outputs)):
            # Numba has no float16 arithmetic on the CPU; the host computes it as the
            # interpreter does, so both engines give the same float16 results.
            _refuse_op(op, "float16 has no compiled arithmetic")
        self._refuse_unsized_store(op)

    def _refuse_unsized_store(self, op):
        """An `Assign(validate_shape=False)` may give its variable a new shape: compiled code
        writes the buffer it was built for, so only a value of that very shape compiles."""
        if op.type != "Assign" or op.attrs.get("validate_shape", True):
            return
        var_shape, value_shape = self.shapes[op.inputs[0]], self.shapes[op.inputs[1]]
        if value_shape != var_shape or any(d is None for d in value_shape):
            _refuse_op(op, "Assign(validate_shape=False) of a value of another or unknown "
                           "shape reallocates the variable")

    def _emit_op(self, op):
        d = registry.get(op.type)
        out = op.outputs[0] if op.outputs else None
        self._refuse(op)
        if d.ew is not None:
            # A rank-0 elementwise op: one scalar statement.
            val = self._ew_expr(op, [self.scalar(t) for t in op.inputs])
            if op.type in STORE_OPS:
                var = op.inputs[0]
                name = self.fresh()
                self.line(f"{name} = {val}", op)
                self.line(f"{self.expr[var]}[()] = {name}")
            else:
                name = self.fresh()
                self.line(f"{name} = {val}", op)
            self.expr[out], self.is_array[out] = name, False
            return
        ctx = EmitCtx(self, op)
        try:
            d.emit(ctx)
        except NotCompilable as e:
            e.op = op
            raise
        for t in op.outputs:
            if t not in self.expr:
                raise RuntimeError(f"emitter for {op.type} did not define output {t.name}")

    def _ew_expr(self, op, args) -> str:
        d = registry.get(op.type)
        out = op.outputs[0]
        tmpl = d.ew(out.dtype.name) if callable(d.ew) else d.ew
        text = tmpl.format(*args, dt=np_type(out.dtype))
        if out.dtype == dtypes.bool:
            return text
        return f"{np_type(out.dtype)}({text})"

    # -- fused groups ----------------------------------------------------------------
    def _emit_group(self, members):
        for m in members:
            self._refuse(m)
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
        names = ", ".join(m.name for m in members)
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
            if m.type in STORE_OPS or self._needed_outside(t, members_set):
                materialize.append(m)
        out_names = {}
        for m in materialize:
            t = m.outputs[0]
            if m.type in STORE_OPS:
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
        if op.type not in ("SumToShape", "BroadcastToLike") or op.inputs[0] is t:
            return False
        sym = self.plan.sym
        return sym.get(op.inputs[0]) is not None and sym.get(op.inputs[0]) == sym.get(t)


class EmitCtx:
    """What an op's `emit` face sees: its inputs as source text, and a place to write lines.

    Conventions: outputs of rank >= 1 are arrays, rank-0 outputs are scalars.
    Raise `NotCompilable` to make the op a host op.
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
