/* CPU feature detection for dotcompute.
 *
 * This header is compiled only into `dotcompute._core._cpu`, which is built with the
 * baseline flags of the target, so that it can run on any CPU of the architecture and tell
 * which of the per-ISA kernel builds the CPU can execute *before* any of them is imported
 * (importing a module built for an ISA the CPU lacks dies with SIGILL).
 *
 * On x86 gcc's __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512
 * register state (XCR0), so "avx2" or "avx512f" is reported only when it is usable.
 */
#ifndef DC_CPU_H
#define DC_CPU_H

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define DC_ARCH_X86 1
#define DC_ARCH_NAME "x86_64"
#elif defined(__aarch64__)
#define DC_ARCH_AARCH64 1
#define DC_ARCH_NAME "aarch64"
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#else
#define DC_ARCH_NAME "other"
#endif

/* Names reported in dotcompute.__cpu_features__, in a fixed order. */
#if defined(DC_ARCH_X86)
static const char *const dc_cpu_feature_names[] = {
    "sse", "sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "popcnt", "avx", "avx2", "fma",
    "bmi1", "bmi2", "f16c", "movbe", "lzcnt", "avx512f", "avx512cd", "avx512bw",
    "avx512dq", "avx512vl", "avx512vnni", "avx512bf16", "avx512fp16",
};
#elif defined(DC_ARCH_AARCH64)
static const char *const dc_cpu_feature_names[] = {"neon", "asimd", "fp", "sve", "sve2"};
#else
static const char *const dc_cpu_feature_names[] = {"none"};
#endif

static inline int dc_cpu_n_features(void) {
    return (int)(sizeof(dc_cpu_feature_names) / sizeof(dc_cpu_feature_names[0]));
}

static inline const char *dc_cpu_feature_name(int i) { return dc_cpu_feature_names[i]; }

/* 1 when the CPU (and OS) support feature i of dc_cpu_feature_names. */
static inline int dc_cpu_has_feature(int i) {
#if defined(DC_ARCH_X86)
    __builtin_cpu_init();
    switch (i) {
    case 0: return __builtin_cpu_supports("sse") != 0;
    case 1: return __builtin_cpu_supports("sse2") != 0;
    case 2: return __builtin_cpu_supports("sse3") != 0;
    case 3: return __builtin_cpu_supports("ssse3") != 0;
    case 4: return __builtin_cpu_supports("sse4.1") != 0;
    case 5: return __builtin_cpu_supports("sse4.2") != 0;
    case 6: return __builtin_cpu_supports("popcnt") != 0;
    case 7: return __builtin_cpu_supports("avx") != 0;
    case 8: return __builtin_cpu_supports("avx2") != 0;
    case 9: return __builtin_cpu_supports("fma") != 0;
    case 10: return __builtin_cpu_supports("bmi") != 0;
    case 11: return __builtin_cpu_supports("bmi2") != 0;
    case 12: return __builtin_cpu_supports("f16c") != 0;
    case 13: return __builtin_cpu_supports("movbe") != 0;
    case 14: return __builtin_cpu_supports("lzcnt") != 0;
    case 15: return __builtin_cpu_supports("avx512f") != 0;
    case 16: return __builtin_cpu_supports("avx512cd") != 0;
    case 17: return __builtin_cpu_supports("avx512bw") != 0;
    case 18: return __builtin_cpu_supports("avx512dq") != 0;
    case 19: return __builtin_cpu_supports("avx512vl") != 0;
    case 20: return __builtin_cpu_supports("avx512vnni") != 0;
    case 21: return __builtin_cpu_supports("avx512bf16") != 0;
    case 22: return __builtin_cpu_supports("avx512fp16") != 0;
    default: return 0;
    }
#elif defined(DC_ARCH_AARCH64)
    switch (i) {
    case 0: case 1: case 2: return 1; /* Advanced SIMD and FP are mandatory on AArch64 */
#if defined(__linux__) && defined(HWCAP_SVE)
    case 3: return (getauxval(AT_HWCAP) & HWCAP_SVE) != 0;
#endif
#if defined(__linux__) && defined(HWCAP2_SVE2)
    case 4: return (getauxval(AT_HWCAP2) & HWCAP2_SVE2) != 0;
#endif
    default: return 0;
    }
#else
    (void)i;
    return 0;
#endif
}

/* The kernel builds of this architecture (rendered from _opspec.KERNEL_BUILDS). */
#include "dc_builds.h"

static inline int dc_cpu_n_builds(void) { return DC_N_BUILDS; }

static inline const char *dc_cpu_build_name(int i) { return dc_build_names[i]; }

/* 1 when the CPU can run every instruction the named kernel build may use. The x86 levels
 * are the psABI micro-architecture levels the builds are compiled for (-march=x86-64-vN). */
static inline int dc_cpu_supports_build(const char *build) {
    for (int i = 0; i < DC_N_BUILDS; i++)
        if (strcmp(build, dc_build_names[i]) == 0) return dc_build_supported(i);
    return 0;
}

#endif /* DC_CPU_H */
