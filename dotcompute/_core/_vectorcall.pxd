# cython: language_level=3
"""CPython's vectorcall protocol (PEP 590) for the classes that give their instances a
vectorcall entry (dotcompute.ufunc, the namespace's NumPy functions): declarations only."""
from cpython.object cimport PyObject

cdef extern from "Python.h":
    ctypedef PyObject *(*vectorcallfunc)(PyObject *callable, PyObject **args, size_t nargsf,
                                          PyObject *kwnames)
    Py_ssize_t PyVectorcall_NARGS(size_t nargsf)
    ctypedef PyObject *(*ternaryfunc)(PyObject *, PyObject *, PyObject *)
    enum: Py_TPFLAGS_HAVE_VECTORCALL
    ctypedef struct PyTypeObject_vc "PyTypeObject":
        Py_ssize_t tp_vectorcall_offset
        unsigned long tp_flags
        ternaryfunc tp_call
    # f(*args[:nargs], **kwdict) without building an argument tuple (kwdict may be NULL)
    object vectorcall_dict "PyObject_VectorcallDict" (object f, PyObject **args,
                                                      size_t nargs, PyObject *kwdict)
    # f(*args[:nargs], **dict(zip(kwnames, args[nargs:]))) (kwnames may be NULL)
    object vectorcall "PyObject_Vectorcall" (object f, PyObject **args, size_t nargs,
                                             PyObject *kwnames)
    # the items of a tuple or list (borrowed)
    PyObject **PySequence_Fast_ITEMS(object t)


cdef inline void enable_vectorcall(object tp, object probe, void *field) noexcept:
    """Point type tp at the vectorcall entry its instances keep in a field: `field` is
    that field's address in the instance `probe`."""
    (<PyTypeObject_vc *><PyObject *>tp).tp_vectorcall_offset = (
        <char *>field - <char *><PyObject *>probe)
    (<PyTypeObject_vc *><PyObject *>tp).tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL
