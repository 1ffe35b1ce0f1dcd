/* Operator fusion: `x op1 y op2 z` in one pass (see _routines_elementwise.pyx, "operator
 * fusion", for the whole argument). This header reads what the interpreter will execute
 * next and keeps, per thread, the one fused result that is waiting for its second operator.
 *
 * dc_fuse_pair: the innermost Python frame executes BINARY_OP (op1, the operator being
 * called); when the next two instructions are `LOAD_FAST k` or `LOAD_CONST k`, then
 * `BINARY_OP op2`, the value op2 will take as its right operand is known now: the local
 * (its fast slot) or the constant. Nothing can run between: LOAD_FAST of a bound local and
 * LOAD_CONST have no side effects and the interpreter does not check for signals, thread
 * switches or tracing between those instructions, except a trace function (tracing is
 * checked: no fusion while one is set), and a local can't be rebound from outside the
 * frame on CPython 3.11 (frame.f_locals writes reach fast locals only from a trace
 * function). The bytecode read is the unspecialized one (PyCode_GetCode), the slot is
 * read from the frame's fast locals (internal/pycore_frame.h, as Cython's own traceback
 * code includes it). CPython 3.11 only: 3.12 changed the frame layout and added
 * sys.monitoring, whose instruction callbacks could run between the two operators; there
 * (and on 3.14's borrowed references) fusion is off until tested.
 *
 * The pending record: after op1 computed (x op1 y) op2 z, the result r waits for op2. When
 * the interpreter then calls op2 on (r, z) from that frame and instruction, op2 returns r.
 * The record holds strong references (r, x, y, z), so no address in it can be reused by
 * another object while it waits; it is per thread (__thread): another thread's fused call
 * can't take it. */
#ifndef DC_FUSE_H
#define DC_FUSE_H
#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000 && !defined(PYPY_VERSION)
#define DC_FUSE_SUPPORTED 1
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#define DC_FUSE_UNDEF_BUILD_CORE 1
#endif
#include "internal/pycore_frame.h"
#ifdef DC_FUSE_UNDEF_BUILD_CORE
#undef Py_BUILD_CORE
#undef DC_FUSE_UNDEF_BUILD_CORE
#endif
#else
#define DC_FUSE_SUPPORTED 0
#endif

typedef struct {
    PyObject *r, *x, *y, *z;    /* strong references; r NULL: nothing pending */
    void *frame;                /* the frame op2 runs in (identity only) */
    int at;                     /* byte offset of op2's BINARY_OP */
    int op1, op2;               /* what the caller computed (its own numbering) */
    int flags2;                 /* floating-point flags op2 reports when it is called */
    int reversed;               /* op2 computes z op2 r (else r op2 z) */
    int restorable;             /* r can get op1's value back from x and y */
} dc_fz_state;

static __thread dc_fz_state dc_fz;

static inline int dc_fuse_supported(void) { return DC_FUSE_SUPPORTED; }

/* Opcodes and the size of BINARY_OP's inline cache, from the dis module at import. */
static int dc_op_load_fast = -1, dc_op_load_const = -1, dc_op_binary = -1, dc_binary_cache = 0;
/* Loads a chain's forward scan reads too (dc_chain_init): of a cell's value, a global, a
 * name (module-level code); a LOAD_GLOBAL is followed by its inline cache. */
static int dc_op_load_deref = -1, dc_op_load_global = -1, dc_op_load_name = -1;
static int dc_op_extended_arg = -1;
static int dc_global_cache = 0;

static inline void dc_chain_init(int load_deref, int load_global, int global_cache_bytes,
                                 int load_name, int extended_arg) {
    dc_op_extended_arg = extended_arg;
    dc_op_load_deref = load_deref;
    dc_op_load_global = load_global;
    dc_global_cache = global_cache_bytes;
    dc_op_load_name = load_name;
}

static inline void dc_fuse_init(int load_fast, int load_const, int binary_op, int cache_bytes) {
    dc_op_load_fast = load_fast;
    dc_op_load_const = load_const;
    dc_op_binary = binary_op;
    dc_binary_cache = cache_bytes;
}

#if DC_FUSE_SUPPORTED
/* The value the instruction at `ins` pushes when it is LOAD_FAST of a bound local or
 * LOAD_CONST (borrowed), else NULL. */
static PyObject *dc_loaded(PyFrameObject *f, PyCodeObject *co, const unsigned char *ins) {
    int arg = ins[1];
    if (ins[0] == dc_op_load_fast)
        return arg < co->co_nlocalsplus ? f->f_frame->localsplus[arg] : NULL;
    if (ins[0] == dc_op_load_const)
        return arg < PyTuple_GET_SIZE(co->co_consts) ? PyTuple_GET_ITEM(co->co_consts, arg)
                                                     : NULL;
    return NULL;
}
#endif

#if DC_FUSE_SUPPORTED
/* dc_loaded of the instruction at offset pos of bytecode c, NULL when an EXTENDED_ARG
 * before it widens its argument (the local or constant is then not ins[1]). */
static PyObject *dc_loaded_at(PyFrameObject *f, PyCodeObject *co, const unsigned char *c,
                              int pos) {
    if (pos < 0 || (pos >= 2 && c[pos - 2] == dc_op_extended_arg))
        return NULL;
    return dc_loaded(f, co, c + pos);
}
#endif

#if DC_FUSE_SUPPORTED
/* The innermost frame, the offset of the BINARY_OP it executes and its unspecialized
 * bytecode (a new reference); 0 when fusion must not look (a trace function is set, no
 * frame, another instruction). */
static int dc_fuse_look(PyFrameObject **fp, int *lasti, PyObject **code) {
    PyThreadState *ts = PyThreadState_Get();
    PyFrameObject *f;
    if (dc_op_binary < 0 || ts->cframe == NULL || ts->cframe->use_tracing)
        return 0;
    f = PyEval_GetFrame();                          /* borrowed */
    if (f == NULL || f->f_frame == NULL || f->f_frame->f_code == NULL)
        return 0;
    *lasti = PyFrame_GetLasti(f);
    if (*lasti < 0)
        return 0;
    *code = PyCode_GetCode(f->f_frame->f_code);     /* the unspecialized bytecode */
    if (*code == NULL) {
        PyErr_Clear();
        return 0;
    }
    if (*lasti + 2 > PyBytes_GET_SIZE(*code)
            || (unsigned char)PyBytes_AS_STRING(*code)[*lasti] != dc_op_binary) {
        Py_DECREF(*code);
        return 0;
    }
    *fp = f;
    return 1;
}
#endif

#if DC_FUSE_SUPPORTED
static int dc_loaded_pair(PyFrameObject *f, PyCodeObject *co, const unsigned char *c,
                          int lasti, PyObject *x, PyObject *y, int *two);
#endif

/* The pair the innermost frame's BINARY_OP (op1, called on x and y) starts, returning
 * op2's oparg and setting *z (borrowed), *frame, *at (op2's offset), *lasti_out (op1's),
 * *code_out (the code object, borrowed) and *rev, or returning -1:
 * - forward (*rev 0): `BINARY_OP op1; LOAD z; BINARY_OP op2` (see the top of this file);
 * - reversed (*rev 1): `LOAD z; LOAD x; LOAD y; BINARY_OP op1; BINARY_OP op2`, op2 then
 *   computes z op2 (x op1 y). z lies on the value stack below op1's operands, loaded by
 *   the instruction 6 bytes before op1, which is the value there only when no jump lands
 *   between it and op1: the caller checks that no jump targets op1 or the two loads
 *   before it, and needs *loaded.
 * *loaded: the two instructions before op1 are loads (LOAD_FAST, LOAD_CONST, LOAD_DEREF,
 * LOAD_NAME, LOAD_GLOBAL: dc_prev_load) of exactly x and y (by identity): op1 was called
 * on the values that bytecode loaded, whatever path reached the BINARY_OP (a NumPy
 * scalar's operator on a module's global array, `np.float64(2) * x + y` in a script, is
 * fused that way). A reversed pair needs both loads of two bytes (z's load is read 6
 * bytes before op1). */
static int dc_fuse_pair(PyObject *x, PyObject *y, PyObject **z, void **frame, int *at,
                        int *lasti_out, PyObject **code_out, int *rev, int *loaded) {
#if DC_FUSE_SUPPORTED
    PyFrameObject *f;
    PyCodeObject *co;
    PyObject *code, *v = NULL;
    const unsigned char *c;
    Py_ssize_t len;
    int lasti, next, op2at, op2 = -1, two = 0;
    if (!dc_fuse_look(&f, &lasti, &code))
        return -1;
    co = f->f_frame->f_code;
    c = (const unsigned char *)PyBytes_AS_STRING(code);
    len = PyBytes_GET_SIZE(code);
    next = lasti + 2 + dc_binary_cache;
    *loaded = dc_loaded_pair(f, co, c, lasti, x, y, &two);
    *rev = next + 2 <= len && c[next] == dc_op_binary;
    if (*rev && *loaded && !two) {            /* z's load is found 6 bytes before op1 */
        Py_DECREF(code);
        return -1;
    }
    op2at = *rev ? next : next + 2;
    if (op2at + 2 <= len && c[op2at] == dc_op_binary && (!*rev || lasti >= 6))
        v = *rev ? dc_loaded_at(f, co, c, lasti - 6) : dc_loaded(f, co, c + next);
    if (v != NULL) {
        *z = v;
        *frame = (void *)f;
        *at = op2at;
        *lasti_out = lasti;
        *code_out = (PyObject *)co;
        op2 = c[op2at + 1];
    }
    Py_DECREF(code);
    return op2;
#else
    (void)x; (void)y; (void)z; (void)frame; (void)at; (void)lasti_out; (void)code_out;
    (void)rev; (void)loaded;
    return -1;
#endif
}


/* ------------------------------------------------------------------ operator chains
 * A straight-line expression `2*a + 3*b*b - c` runs as one pass from its first operator on
 * (see _routines_elementwise.pyx, "operator chains"). dc_chain_scan reads the bytecode
 * after op1 (the innermost frame's BINARY_OP being called on x and y) as the interpreter
 * will execute it: LOAD_FAST of bound locals and LOAD_CONST push known values, BINARY_OP
 * combines the top two, anything else ends the scan. Values below op1's operands on the
 * stack are known when op1's operands are the values the two instructions before it
 * loaded and the instructions before those are loads too (the caller checks that no jump
 * lands between the first such value's load and op1). The chain is the longest prefix
 * after which the stack holds one value computed from op1's result above values that were
 * there before it: the value the chain's last operator leaves. Nodes: node 0 is op1, each
 * operand either a known value (index into v) or an earlier node's result (~k). */
#define DC_CHAIN_MAX 12          /* operators of one chain, op1 included */
#define DC_CHAIN_BELOW 4         /* values below op1's operands the scan may take */
#define DC_CHAIN_VALS (2 * DC_CHAIN_MAX + DC_CHAIN_BELOW)

typedef struct {
    int n;                       /* operators, op1 included (0: no chain) */
    int at[DC_CHAIN_MAX];        /* byte offset of each one's BINARY_OP */
    int oparg[DC_CHAIN_MAX];     /* BINARY_OP's oparg (dis._nb_ops) */
    int l[DC_CHAIN_MAX], r[DC_CHAIN_MAX];   /* operands: >= 0 value index, < 0 node ~k */
    int nv;
    PyObject *v[DC_CHAIN_VALS];  /* borrowed: v[0] is x, v[1] y */
    int below_from;              /* offset of the first load below op1's operands the
                                    chain consumes, or -1 when it consumes none */
    int lasti;                   /* op1's offset */
    int loaded;                  /* the two loads before op1 loaded exactly x and y */
    void *frame;
    PyObject *code;              /* the code object (borrowed) */
} dc_chain;

/* BINARY_OP opargs a chain may contain (the caller's fusable operators), from its init */
static unsigned char dc_nb_fusable[64];

static inline void dc_chain_fusable(int oparg) {
    if (oparg >= 0 && oparg < 64)
        dc_nb_fusable[oparg] = 1;
}

#if DC_FUSE_SUPPORTED
/* A dict's value for a str key without running code: exact dicts and str keys only. */
static PyObject *dc_dict_value(PyObject *d, PyObject *name) {
    PyObject *v;
    if (d == NULL || !PyDict_CheckExact(d) || !PyUnicode_CheckExact(name))
        return NULL;
    v = PyDict_GetItemWithError(d, name);
    if (v == NULL)
        PyErr_Clear();
    return v;
}

/* The value the load at `ins` pushes (borrowed) and its size in bytes, or NULL: the loads
 * of dc_loaded, LOAD_DEREF of a filled cell, LOAD_GLOBAL (without the NULL a call
 * needs) and LOAD_NAME, read from exact dicts as the interpreter reads them. */
static PyObject *dc_loaded_any(PyFrameObject *f, PyCodeObject *co, const unsigned char *ins,
                               int *size) {
    int arg = ins[1], op = ins[0];
    PyObject *v, *name;
    _PyInterpreterFrame *fr = f->f_frame;
    *size = 2;
    if (op == dc_op_load_fast || op == dc_op_load_const)
        return dc_loaded(f, co, ins);
    if (op == dc_op_load_deref && dc_op_load_deref >= 0) {
        if (arg >= co->co_nlocalsplus || fr->localsplus[arg] == NULL
                || !PyCell_Check(fr->localsplus[arg]))
            return NULL;
        return PyCell_GET(fr->localsplus[arg]);
    }
    if (op == dc_op_load_global && dc_op_load_global >= 0) {
        if ((arg & 1) || (arg >> 1) >= PyTuple_GET_SIZE(co->co_names))
            return NULL;
        name = PyTuple_GET_ITEM(co->co_names, arg >> 1);
        *size = 2 + dc_global_cache;
        v = dc_dict_value(fr->f_globals, name);
        if (v == NULL && fr->f_globals != NULL && PyDict_CheckExact(fr->f_globals)
                && !PyErr_Occurred())
            v = dc_dict_value(fr->f_builtins, name);
        return v;
    }
    if (op == dc_op_load_name && dc_op_load_name >= 0) {
        if (arg >= PyTuple_GET_SIZE(co->co_names) || fr->f_locals == NULL
                || !PyDict_CheckExact(fr->f_locals) || !PyDict_CheckExact(fr->f_globals))
            return NULL;
        name = PyTuple_GET_ITEM(co->co_names, arg);
        v = dc_dict_value(fr->f_locals, name);
        if (v == NULL)
            v = dc_dict_value(fr->f_globals, name);
        if (v == NULL)
            v = dc_dict_value(fr->f_builtins, name);
        return v;
    }
    return NULL;
}
#endif

#if DC_FUSE_SUPPORTED
/* The value pushed by the load that ends at offset pos (the instruction just before pos,
 * or a LOAD_GLOBAL and its inline cache), its offset in *start; NULL when that is not a
 * load dc_loaded_any reads (or an EXTENDED_ARG widens it). In the unspecialized bytecode a
 * cache entry is opcode 0 (CACHE), which no instruction has: a zero at pos - 2 is a cache. */
static PyObject *dc_prev_load(PyFrameObject *f, PyCodeObject *co, const unsigned char *c,
                              int pos, int *start) {
    int size, p, k;
    PyObject *v;
    if (pos < 2)
        return NULL;
    if (c[pos - 2] != 0) {
        p = pos - 2;
    } else {
        if (dc_op_load_global < 0 || dc_global_cache <= 0 || pos < 2 + dc_global_cache)
            return NULL;
        p = pos - 2 - dc_global_cache;
        for (k = p + 2; k < pos; k += 2)
            if (c[k] != 0)
                return NULL;
        if (c[p] != dc_op_load_global)
            return NULL;
    }
    if (p >= 2 && c[p - 2] == dc_op_extended_arg)
        return NULL;
    v = dc_loaded_any(f, co, c + p, &size);
    if (v == NULL || p + size != pos)
        return NULL;
    *start = p;
    return v;
}

/* Whether the two loads before op1 (at lasti) pushed exactly x and y; *two: both are
 * two-byte instructions (values below them are then read 6 bytes before op1 on). */
static int dc_loaded_pair(PyFrameObject *f, PyCodeObject *co, const unsigned char *c,
                          int lasti, PyObject *x, PyObject *y, int *two) {
    int sy = -1, sx = -1;
    int loaded = dc_prev_load(f, co, c, lasti, &sy) == y
                 && dc_prev_load(f, co, c, sy, &sx) == x;
    *two = loaded && sx == lasti - 4;
    return loaded;
}
#endif

static int dc_chain_scan(PyObject *x, PyObject *y, dc_chain *ch) {
#if DC_FUSE_SUPPORTED
    PyFrameObject *f;
    PyCodeObject *co;
    PyObject *code, *v;
    const unsigned char *c;
    Py_ssize_t len;
    int lasti, pos, nb = 0, k, i, depth, best = 0, best_below = 0, remaining, size, two = 0;
    int stack[DC_CHAIN_VALS + DC_CHAIN_MAX];
    int boff[DC_CHAIN_BELOW];
    PyObject *bval[DC_CHAIN_BELOW];
    ch->n = 0;
    if (!dc_fuse_look(&f, &lasti, &code))
        return 0;
    co = f->f_frame->f_code;
    c = (const unsigned char *)PyBytes_AS_STRING(code);
    len = PyBytes_GET_SIZE(code);
    ch->v[0] = x;
    ch->v[1] = y;
    ch->nv = 2;
    ch->at[0] = lasti;
    ch->oparg[0] = c[lasti + 1];
    ch->l[0] = 0;
    ch->r[0] = 1;
    /* values below op1's operands: loads before the two that loaded x and y */
    ch->loaded = dc_loaded_pair(f, co, c, lasti, x, y, &two);
    if (two) {
        for (pos = lasti - 6; pos >= 0 && nb < DC_CHAIN_BELOW; pos -= 2) {
            v = dc_loaded_at(f, co, c, pos);
            if (v == NULL)
                break;
            boff[nb] = pos;
            bval[nb++] = v;
        }
    }
    depth = 0;
    for (i = nb - 1; i >= 0; i--) {            /* deepest first */
        ch->v[ch->nv] = bval[i];
        stack[depth++] = ch->nv++;
    }
    stack[depth++] = ~0;
    remaining = nb;
    k = 1;
    pos = lasti + 2 + dc_binary_cache;
    while (pos + 2 <= len) {
        if (c[pos] == dc_op_binary) {
            if (depth < 2 || k >= DC_CHAIN_MAX || c[pos + 1] >= 64
                    || !dc_nb_fusable[c[pos + 1]])
                break;
            ch->r[k] = stack[--depth];
            ch->l[k] = stack[--depth];
            if (depth < remaining)
                remaining = depth;          /* below values consumed */
            ch->at[k] = pos;
            ch->oparg[k] = c[pos + 1];
            stack[depth++] = ~k;
            k++;
            pos += 2 + dc_binary_cache;
            /* the chain may end here: one node above values that were below op1 */
            if (depth - 1 == remaining) {
                best = k;
                best_below = nb - remaining;
            }
        } else {
            v = dc_loaded_any(f, co, c + pos, &size);
            if (v == NULL || ch->nv >= DC_CHAIN_VALS)
                break;
            ch->v[ch->nv] = v;
            stack[depth++] = ch->nv++;
            pos += size;
        }
    }
    Py_DECREF(code);
    if (best < 2)
        return 0;
    ch->n = best;
    ch->below_from = best_below > 0 ? boff[best_below - 1] : -1;
    ch->lasti = lasti;
    ch->frame = (void *)f;
    ch->code = (PyObject *)co;
    return best;
#else
    (void)x; (void)y;
    ch->n = 0;
    return 0;
#endif
}

/* The pending chain: op1 computed the chain's value R; each later operator k, called on
 * the operands it expects (l[k], r[k]) from the frame and instruction at[k], returns
 * ret[k] (a placeholder for its value, R for the last). `keep` (a list, strong) holds every
 * object the record names; n 0: nothing pending. */
typedef struct {
    int n, next;                 /* operators after op1; the one awaited now (1..n-1) */
    void *frame;
    int at[DC_CHAIN_MAX];
    int op[DC_CHAIN_MAX];        /* the caller's numbering */
    PyObject *l[DC_CHAIN_MAX], *r[DC_CHAIN_MAX], *ret[DC_CHAIN_MAX];   /* borrowed */
    PyObject *keep;
} dc_ch_state;

static __thread dc_ch_state dc_ch;

/* The awaited operator of the pending chain is being called on (x, y): what it returns
 * (borrowed), else NULL. */
static inline PyObject *dc_ch_match(PyObject *x, PyObject *y, int op) {
    int k = dc_ch.next;
    PyFrameObject *f;
    if (dc_ch.keep == NULL || x != dc_ch.l[k] || y != dc_ch.r[k] || op != dc_ch.op[k])
        return NULL;
    f = PyEval_GetFrame();
    if (f == NULL || (void *)f != dc_ch.frame || PyFrame_GetLasti(f) != dc_ch.at[k])
        return NULL;
    return dc_ch.ret[k];
}

static inline int dc_fz_pending(void) { return dc_fz.r != NULL || dc_ch.keep != NULL; }

static inline void dc_fz_set(PyObject *r, PyObject *x, PyObject *y, PyObject *z, void *frame,
                             int at, int op1, int op2, int flags2, int restorable,
                             int reversed) {
    Py_INCREF(r); Py_INCREF(x); Py_INCREF(y); Py_INCREF(z);
    dc_fz.r = r; dc_fz.x = x; dc_fz.y = y; dc_fz.z = z;
    dc_fz.frame = frame; dc_fz.at = at; dc_fz.op1 = op1; dc_fz.op2 = op2;
    dc_fz.flags2 = flags2; dc_fz.restorable = restorable; dc_fz.reversed = reversed;
}

/* Forget the pending record; returns its result (a new reference the caller owns). */
static inline PyObject *dc_fz_pop(void) {
    PyObject *r = dc_fz.r;
    Py_XDECREF(dc_fz.x); Py_XDECREF(dc_fz.y); Py_XDECREF(dc_fz.z);
    dc_fz.r = dc_fz.x = dc_fz.y = dc_fz.z = NULL;
    dc_fz.frame = NULL;
    return r;
}

/* op2 reached with (x, y): 1 when it is the awaited call (the pending result on the left
 * and the loaded value on the right, or the reverse for a reversed pair, from the frame
 * and instruction of op2). */
static inline int dc_fz_matches(PyObject *x, PyObject *y, int op2) {
    PyFrameObject *f;
    if (dc_fz.reversed ? (x != dc_fz.z || y != dc_fz.r) : (x != dc_fz.r || y != dc_fz.z))
        return 0;
    if (op2 != dc_fz.op2)
        return 0;
    f = PyEval_GetFrame();
    return f != NULL && (void *)f == dc_fz.frame && PyFrame_GetLasti(f) == dc_fz.at;
}

#endif
