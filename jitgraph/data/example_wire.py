"""Reading many serialized `Example`s at once, from their protobuf wire bytes.

Going through protobuf's Python objects costs tens of µs per example and feature; a
batch of examples is instead scanned by two compiled loops (as TF's fast example
parser does): the first finds, for every example and requested key, the kind and number
of values and where they lie; the second copies floats and decodes int64 varints into one
array per key. The caller checks kinds and counts with numpy and leaves anything
irregular (a missing or mistyped feature, a wrong count, a malformed message) to the
protobuf path, which raises TF's error for it.

Wire facts used: Example{1: Features}; Features{1: map entry{1: key, 2: Feature}};
Feature{1: BytesList, 2: FloatList, 3: Int64List} (the last one present wins);
*List{1: values}, floats and ints packed or not. Unknown fields are skipped.
"""
from __future__ import annotations

import numba  # this module is imported only when a batch is large enough to use it
import numpy as np

MISSING, EMPTY, BYTES, FLOATS, INTS, BAD = 0, 4, 1, 2, 3, -1


@numba.njit(cache=True, nogil=True)
def varint(buf, p, end):
    result = np.uint64(0)
    shift = np.uint64(0)
    while p < end:
        b = np.uint64(buf[p])
        p += 1
        result |= (b & np.uint64(0x7F)) << shift
        if b < np.uint64(0x80):
            return result, p
        shift += np.uint64(7)
        if shift > np.uint64(63):
            return result, -1
    return result, -1


@numba.njit(cache=True, nogil=True)
def skip(buf, p, end, wire):
    """Position after a field of wire type `wire` whose tag ended at p; -1 if bad."""
    if wire == 0:
        _, p = varint(buf, p, end)
        return p
    if wire == 1:
        return p + 8 if p + 8 <= end else -1
    if wire == 5:
        return p + 4 if p + 4 <= end else -1
    if wire == 2:
        n, p = varint(buf, p, end)
        if p < 0 or p + np.int64(n) > end:
            return -1
        return p + np.int64(n)
    return -1


@numba.njit(cache=True, nogil=True)
def count_list(buf, p, end, kind):
    """How many values a *List message in buf[p:end] holds; -1 if malformed."""
    n = 0
    while p < end:
        tag, p = varint(buf, p, end)
        if p < 0:
            return -1
        field, wire = tag >> np.uint64(3), np.int64(tag & np.uint64(7))
        if field != 1:
            p = skip(buf, p, end, wire)
            if p < 0:
                return -1
            continue
        if kind == 2 and wire == 5:
            p += 4
            n += 1
        elif kind == 3 and wire == 0:
            _, p = varint(buf, p, end)
            n += 1
        elif wire == 2:
            ln, p = varint(buf, p, end)
            if p < 0 or p + np.int64(ln) > end:
                return -1
            q = p + np.int64(ln)
            if kind == 1:
                n += 1
            elif kind == 2:
                if ln % 4:
                    return -1
                n += np.int64(ln) // 4
            else:
                while p < q:
                    _, p = varint(buf, p, q)
                    if p < 0:
                        return -1
                    n += 1
            p = q
        else:
            return -1
        if p < 0 or p > end:
            return -1
    return n


@numba.njit(cache=True, nogil=True)
def scan(buf, starts, ends, kbuf, kstarts, klens, kinds, counts, lstarts, lends):
    """Fills kinds/counts/lstarts/lends [examples, keys]; returns the index of the
    first malformed example, or -1."""
    nk = len(kstarts)
    for e in range(len(starts)):
        p, end = starts[e], ends[e]
        while p < end:
            tag, p = varint(buf, p, end)
            if p < 0:
                return e
            field, wire = tag >> np.uint64(3), np.int64(tag & np.uint64(7))
            if field != 1 or wire != 2:
                p = skip(buf, p, end, wire)
                if p < 0:
                    return e
                continue
            ln, p = varint(buf, p, end)
            fend = p + np.int64(ln)
            if p < 0 or fend > end:
                return e
            while p < fend:  # Features: map entries
                tag, p = varint(buf, p, fend)
                if p < 0:
                    return e
                field, wire = tag >> np.uint64(3), np.int64(tag & np.uint64(7))
                if field != 1 or wire != 2:
                    p = skip(buf, p, fend, wire)
                    if p < 0:
                        return e
                    continue
                ln, p = varint(buf, p, fend)
                eend = p + np.int64(ln)
                if p < 0 or eend > fend:
                    return e
                key_s, key_n, val_s, val_e = -1, 0, -1, -1
                while p < eend:  # one entry: key and Feature
                    tag, p = varint(buf, p, eend)
                    if p < 0:
                        return e
                    field, wire = tag >> np.uint64(3), np.int64(tag & np.uint64(7))
                    if wire == 2 and (field == 1 or field == 2):
                        ln, p = varint(buf, p, eend)
                        if p < 0 or p + np.int64(ln) > eend:
                            return e
                        if field == 1:
                            key_s, key_n = p, np.int64(ln)
                        else:
                            val_s, val_e = p, p + np.int64(ln)
                        p += np.int64(ln)
                    else:
                        p = skip(buf, p, eend, wire)
                        if p < 0:
                            return e
                for k in range(nk):
                    if klens[k] != key_n:
                        continue
                    same = True
                    for i in range(key_n):
                        if kbuf[kstarts[k] + i] != buf[key_s + i]:
                            same = False
                            break
                    if not same:
                        continue
                    kind, ls, le = EMPTY, 0, 0
                    q = val_s
                    while 0 <= q < val_e:  # Feature: the last list present wins
                        tag, q = varint(buf, q, val_e)
                        if q < 0:
                            return e
                        field, wire = tag >> np.uint64(3), np.int64(tag & np.uint64(7))
                        if wire == 2 and 1 <= field <= 3:
                            ln, q = varint(buf, q, val_e)
                            if q < 0 or q + np.int64(ln) > val_e:
                                return e
                            kind, ls, le = np.int64(field), q, q + np.int64(ln)
                            q += np.int64(ln)
                        else:
                            q = skip(buf, q, val_e, wire)
                            if q < 0:
                                return e
                    n = 0
                    if kind != EMPTY:
                        n = count_list(buf, ls, le, kind)
                        if n < 0:
                            return e
                    kinds[e, k], counts[e, k] = kind, n
                    lstarts[e, k], lends[e, k] = ls, le
                p = eend
    return -1


@numba.njit(cache=True, nogil=True)
def fill_numbers(buf, lstarts, lends, kind, out_f, out_i, offsets):
    """Writes the values of one key's lists (rows of lstarts/lends) from offsets[r]."""
    for r in range(len(lstarts)):
        p, end, o = lstarts[r], lends[r], offsets[r]
        while p < end:
            tag, p = varint(buf, p, end)
            field, wire = tag >> np.uint64(3), np.int64(tag & np.uint64(7))
            if field != 1:
                p = skip(buf, p, end, wire)
                continue
            if wire == 2:
                ln, p = varint(buf, p, end)
                q = p + np.int64(ln)
            else:
                q = end if kind == 3 else p + 4
            if kind == 2:
                while p + 4 <= q:
                    bits = (np.uint32(buf[p]) | (np.uint32(buf[p + 1]) << np.uint32(8))
                            | (np.uint32(buf[p + 2]) << np.uint32(16))
                            | (np.uint32(buf[p + 3]) << np.uint32(24)))
                    out_f[o] = bits
                    o += 1
                    p += 4
                    if wire == 5:
                        break
            else:
                while p < q:
                    v, p = varint(buf, p, q)
                    out_i[o] = np.int64(v)
                    o += 1
                    if wire == 0:
                        break
            p = max(p, q) if wire == 2 else p


@numba.njit(cache=True, nogil=True)
def bytes_spans(buf, lstarts, lends, spans, offsets):
    """(start, length) of every bytes value of one key's lists, from offsets[r]."""
    for r in range(len(lstarts)):
        p, end, o = lstarts[r], lends[r], offsets[r]
        while p < end:
            tag, p = varint(buf, p, end)
            field, wire = tag >> np.uint64(3), np.int64(tag & np.uint64(7))
            if field != 1 or wire != 2:
                p = skip(buf, p, end, wire)
                continue
            ln, p = varint(buf, p, end)
            spans[o, 0], spans[o, 1] = p, np.int64(ln)
            o += 1
            p += np.int64(ln)


def loops():
    return scan, fill_numbers, bytes_spans


class Batch:
    """Where each requested key's values lie in a batch of serialized Examples."""

    def __init__(self, serialized, keys):
        sizes = np.fromiter((len(s) for s in serialized), np.int64, len(serialized))
        self.buf = np.frombuffer(b"".join(serialized), np.uint8)
        self.ends = np.cumsum(sizes)
        self.starts = self.ends - sizes
        kb = [k.encode() for k in keys]
        self.kbuf = np.frombuffer(b"".join(kb) or b"\0", np.uint8)
        klens = np.array([len(k) for k in kb], np.int64)
        self.kstart = np.cumsum(klens) - klens
        shape = (len(serialized), len(keys))
        self.kinds = np.zeros(shape, np.int64)
        self.counts = np.zeros(shape, np.int64)
        self.lstarts = np.zeros(shape, np.int64)
        self.lends = np.zeros(shape, np.int64)
        self.col = {k: i for i, k in enumerate(keys)}
        scan = loops()[0]
        self.bad = scan(self.buf, self.starts, self.ends, self.kbuf, self.kstart, klens,
                        self.kinds, self.counts, self.lstarts, self.lends)

    def values(self, key, kind):
        """(counts per example, all values concatenated) of `key`, whose lists are all of
        `kind` ("float_list", "int64_list" or "bytes_list") or empty or missing."""
        c = self.col[key]
        counts = self.counts[:, c]
        offsets = np.cumsum(counts) - counts
        total = int(counts.sum())
        _, fill, spans_of = loops()
        ls, le = self.lstarts[:, c], self.lends[:, c]
        if kind == "bytes_list":
            spans = np.zeros((total, 2), np.int64)
            spans_of(self.buf, ls, le, spans, offsets)
            raw = self.buf.tobytes()
            out = np.empty(total, dtype=object)
            out[:] = [raw[a:a + n] for a, n in spans]
            return counts, out
        out_f = np.zeros(total if kind == "float_list" else 0, np.uint32)
        out_i = np.zeros(total if kind == "int64_list" else 0, np.int64)
        fill(self.buf, ls, le, {"float_list": 2, "int64_list": 3}[kind], out_f, out_i,
             offsets)
        return counts, (out_f.view(np.float32) if kind == "float_list" else out_i)


KIND_CODES = {"bytes_list": BYTES, "float_list": FLOATS, "int64_list": INTS}
