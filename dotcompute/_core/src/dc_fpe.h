/* Floating-point status flags (IEEE 754 exceptions) as NumPy reports them: divide by zero,
 * overflow, underflow, invalid. The flags are per thread: the threaded drivers collect
 * their workers' flags and raise them again in the calling thread, which clears them
 * before a kernel runs and tests them after (dc_fpe_* from the array layer). */
#ifndef DC_FPE_H
#define DC_FPE_H
#include <fenv.h>

#define DC_FPE_ALL (FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID)

/* The flags set now (a subset of DC_FPE_ALL). On x86-64 read inline, as glibc's
 * fetestexcept does (SSE status register and x87 status word; the FE_* values are their
 * bits), without the call: every kernel entry point reads them twice. */
#if defined(__x86_64__) && defined(__GNUC__)
static inline int dc_fpe_test(void) {
    unsigned int mxcsr;
    unsigned short sw;
    __asm__ __volatile__("stmxcsr %0" : "=m"(mxcsr) : : "memory");
    __asm__ __volatile__("fnstsw %0" : "=am"(sw) : : "memory");
    return (int)((mxcsr | sw) & DC_FPE_ALL);
}
#else
static inline int dc_fpe_test(void) { return fetestexcept(DC_FPE_ALL); }
#endif

/* The vector unit's flags alone, and dropping some of them again: dc_vmath.h discards the
 * flags its fast paths raise in intermediate steps (pure SSE/AVX code: on x86-64 only the
 * MXCSR holds them; the x87 flags a C library call may have set stay as they are). */
#if defined(__x86_64__) && defined(__GNUC__)
static inline int dc_fpe_test_vec(void) {
    unsigned int mxcsr;
    __asm__ __volatile__("stmxcsr %0" : "=m"(mxcsr) : : "memory");
    return (int)(mxcsr & DC_FPE_ALL);
}
static inline void dc_fpe_drop_vec(int flags) {
    unsigned int mxcsr;
    __asm__ __volatile__("stmxcsr %0" : "=m"(mxcsr) : : "memory");
    mxcsr &= ~(unsigned int)flags;
    __asm__ __volatile__("ldmxcsr %0" : : "m"(mxcsr) : "memory");
}
#else
static inline int dc_fpe_test_vec(void) { return fetestexcept(DC_FPE_ALL); }
static inline void dc_fpe_drop_vec(int flags) { feclearexcept(flags & DC_FPE_ALL); }
#endif

/* Clear the flags (cheap when none is set: one read). */
static inline void dc_fpe_clear(void) {
    if (dc_fpe_test()) feclearexcept(DC_FPE_ALL);
}

/* Set flags in this thread (traps stay masked: nothing but the flags changes). */
static inline void dc_fpe_raise(int flags) {
    if (flags) feraiseexcept(flags & DC_FPE_ALL);
}

/* Integer kernels report division by zero and overflow as NumPy's integer loops do. */
static inline void dc_fpe_divbyzero(void) { feraiseexcept(FE_DIVBYZERO); }
static inline void dc_fpe_overflow(void) { feraiseexcept(FE_OVERFLOW); }

#define DC_FPE_DIVBYZERO FE_DIVBYZERO
#define DC_FPE_OVERFLOW FE_OVERFLOW
#define DC_FPE_UNDERFLOW FE_UNDERFLOW
#define DC_FPE_INVALID FE_INVALID
#endif
