/* Temporary elision (as NumPy's temp_elide.c): `a * b + c` may write `+ c` into the
 * temporary `a * b` when nothing else can see it. The array layer checks the array (one
 * reference, owns its whole pooled block, no view or export of it); this header checks who
 * called the operator.
 *
 * Why the caller matters. A reference count of 1 means "a temporary" only when the one
 * reference is the interpreter's evaluation stack, which BINARY_OP drops right after the
 * call. C code (a Cython or C extension) may hold the only reference to an array in a C
 * local and call PyNumber_Add on it, e.g. inside its own type's __add__:
 *
 *     t = other * 2      # refcount 1: the C local only
 *     u = t + 1          # PyNumber_Add(t, 1): writing into t changes what the C code
 *     return t, u        # returns as t (tests/test_program_kernels.py builds this case)
 *
 * The innermost Python frame is then still at the BINARY_OP of the Python code that called
 * that __add__, so the frame check alone (dc_called_from_binary_op) lets it through. Two
 * checks together close it:
 *
 * 1. dc_called_from_binary_op: the innermost Python frame executes BINARY_OP (or the unary
 *    opcode asked for), so the call came from an operator in Python code, not from a call.
 * 2. dc_called_from_interpreter: every C frame between this one and the interpreter's
 *    frame evaluation function (_PyEval_EvalFrameDefault) lies in libpython (the number
 *    protocol: PyNumber_Add, binary_op1) or in one of the two dotcompute modules named at
 *    dc_elide_init (the operator slots of the array type and these routines). A frame of
 *    any other shared object, such as the extension above, means C code called the
 *    operator: no elision. The C stack is unwound (libgcc's _Unwind_Backtrace, stopping at
 *    the first frame that decides) and each return address resolved with dladdr() once
 *    per thread (cached); an address is the evaluation function only when it lies inside
 *    that symbol's extent (dladdr1 RTLD_DL_SYMENT gives its size: a static function
 *    placed after it resolves to the same nearest name). The check runs after every
 *    cheaper one passed, on arrays of at least ELIDE_MIN_BYTES only.
 *
 * Our own two modules are trusted as NumPy trusts multiarray: no operator slot or routine
 * in them runs an operator on a temporary it reads again afterwards. Anything that cannot
 * be determined (no backtrace, an address dladdr cannot place, more than DC_ELIDE_FRAMES
 * frames before the evaluation function) answers "no": elision is an optimisation, never
 * needed for a correct result. Another thread cannot reach the temporary either: nothing
 * but this thread's evaluation stack refers to it (gc.get_objects() from another thread
 * while a kernel runs without the GIL is the one way, as for NumPy).
 *
 * Python 3.14 pushes borrowed references of local variables (LOAD_FAST_BORROW): one
 * reference no longer means a temporary there, so elision is off from 3.14 until it uses
 * PyUnstable_Object_IsUniqueReferencedTemporary. */
#ifndef DC_ELIDE_H
#define DC_ELIDE_H
#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000 && defined(__GLIBC__)
#define DC_ELIDE_SUPPORTED 1
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unwind.h>
#else
#define DC_ELIDE_SUPPORTED 0
#endif

static inline int dc_called_from_binary_op(int opcode) {
#if DC_ELIDE_SUPPORTED
    PyFrameObject *f = PyEval_GetFrame();          /* borrowed */
    PyCodeObject *co;
    PyObject *code;
    int lasti, ok;
    if (f == NULL || opcode < 0)
        return 0;
    lasti = PyFrame_GetLasti(f);
    if (lasti < 0)
        return 0;
    co = PyFrame_GetCode(f);
    code = PyCode_GetCode(co);                     /* the unspecialized bytecode */
    Py_DECREF(co);
    if (code == NULL) {
        PyErr_Clear();
        return 0;
    }
    ok = lasti < PyBytes_GET_SIZE(code)
         && (unsigned char)PyBytes_AS_STRING(code)[lasti] == (unsigned char)opcode;
    Py_DECREF(code);
    return ok;
#else
    (void)opcode;
    return 0;
#endif
}

#if DC_ELIDE_SUPPORTED
#define DC_ELIDE_FRAMES 24      /* C frames looked at before giving up */
#define DC_ELIDE_CACHE 64       /* return addresses remembered per thread */
#define DC_ELIDE_NBASES 3       /* libpython, then the two trusted dotcompute modules */

static int dc_elide_state = 0;                 /* 0 not initialised, 1 ready, -1 off */
static void *dc_elide_base[DC_ELIDE_NBASES];   /* load addresses of the trusted objects */
static char *dc_eval_lo = NULL, *dc_eval_hi = NULL;   /* extent of the evaluation fn */

/* per thread: return addresses already placed, trusted (not the evaluation fn) or not */
static __thread void *dc_elide_seen[DC_ELIDE_CACHE];
static __thread signed char dc_elide_ok[DC_ELIDE_CACHE];
static __thread int dc_elide_nseen = 0;

static void *dc_base_of(void *addr) {
    Dl_info info;
    if (!dladdr(addr, &info))
        return NULL;
    return info.dli_fbase;
}

/* Once, with the GIL held (module import): where libpython and the two trusted modules lie (an address in
 * each), and the extent of _PyEval_EvalFrameDefault. Returns 1 when elision can be used. */
static int dc_elide_init(void *in_module_a, void *in_module_b) {
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    void *ev;
    if (dc_elide_state != 0)
        return dc_elide_state > 0;
    dc_elide_state = -1;
    dc_elide_base[0] = dc_base_of((void *)&PyNumber_Add);
    dc_elide_base[1] = dc_base_of(in_module_a);
    dc_elide_base[2] = dc_base_of(in_module_b);
    if (!dc_elide_base[0] || !dc_elide_base[1] || !dc_elide_base[2])
        return 0;
    ev = dlsym(RTLD_DEFAULT, "_PyEval_EvalFrameDefault");
    if (ev == NULL || !dladdr1(ev, &info, (void **)&sym, RTLD_DL_SYMENT) || sym == NULL
            || sym->st_size == 0 || info.dli_fbase != dc_elide_base[0])
        return 0;
    dc_eval_lo = (char *)info.dli_saddr;
    dc_eval_hi = dc_eval_lo + sym->st_size;
    dc_elide_state = 1;
    return 1;
}

/* 1 in the evaluation function, 0 in a trusted object, -1 elsewhere */
static int dc_place(void *addr) {
    void *base;
    int i, r;
    if ((char *)addr >= dc_eval_lo && (char *)addr < dc_eval_hi)
        return 1;
    for (i = 0; i < dc_elide_nseen; i++)
        if (dc_elide_seen[i] == addr)
            return dc_elide_ok[i];
    base = dc_base_of(addr);
    r = -1;
    for (i = 0; i < DC_ELIDE_NBASES; i++)
        if (base != NULL && base == dc_elide_base[i])
            r = 0;
    if (dc_elide_nseen < DC_ELIDE_CACHE) {
        dc_elide_seen[dc_elide_nseen] = addr;
        dc_elide_ok[dc_elide_nseen] = (signed char)r;
        dc_elide_nseen++;
    }
    return r;
}

typedef struct {
    int frames;          /* frames looked at */
    int verdict;         /* 1 reached the evaluation function, 0 not (yet or at all) */
} dc_walk;

static _Unwind_Reason_Code dc_walk_step(struct _Unwind_Context *ctx, void *arg) {
    dc_walk *w = (dc_walk *)arg;
    int before = 0, r;
    void *ip = (void *)_Unwind_GetIPInfo(ctx, &before);
    if (ip == NULL || ++w->frames > DC_ELIDE_FRAMES)
        return _URC_END_OF_STACK;
    /* a return address points after the call: step back into the calling function */
    r = dc_place((char *)ip - (before ? 0 : 1));
    if (r == 0)
        return _URC_NO_REASON;                     /* trusted: on to the caller */
    w->verdict = r > 0;
    return _URC_END_OF_STACK;                      /* decided: stop unwinding */
}

/* Every C frame from here to the interpreter's evaluation function lies in libpython or a
 * trusted dotcompute module (see the top of this file). The walk stops at the first frame
 * that decides (about six frames for an operator: this module, the array type's slot,
 * PyNumber_Add, the evaluation function), ~0.5 us. */
static int dc_called_from_interpreter(void) {
    dc_walk w = {0, 0};
    if (dc_elide_state != 1)
        return 0;
    _Unwind_Backtrace(dc_walk_step, &w);
    return w.verdict;
}
#else
static inline int dc_elide_init(void *in_module_a, void *in_module_b) {
    (void)in_module_a;
    (void)in_module_b;
    return 0;
}
static inline int dc_called_from_interpreter(void) { return 0; }
#endif
#endif
