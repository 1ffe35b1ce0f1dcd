/* Temporary elision (as NumPy's temp_elide.c): `a * b + c` may write `+ c` into the
 * temporary `a * b` when nothing else can see it. The array layer checks the array (one
 * reference, owns its whole pooled block, no view or export of it); this header checks the
 * caller: the innermost Python frame executes BINARY_OP, so the operator was reached from
 * the interpreter's evaluation stack, whose reference is dropped right after the call.
 * (C code that holds the only reference to a temporary and runs an operator on it from
 * inside another type's operator slot could still see its temporary change; NumPy walks
 * the C stack with backtrace() to exclude that, at a few microseconds per call.) */
#ifndef DC_ELIDE_H
#define DC_ELIDE_H
#include <Python.h>

static inline int dc_called_from_binary_op(int opcode) {
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
    /* 3.14 pushes borrowed references of local variables (LOAD_FAST_BORROW): one reference
     * no longer means a temporary there, so elision is off until it uses
     * PyUnstable_Object_IsUniqueReferencedTemporary. */
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
#endif
