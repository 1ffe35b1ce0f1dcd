/* Small dense linear algebra (np.linalg.det / inv / solve of matrices up to DC_LU_MAX):
 * LU with partial pivoting in double precision, as LAPACK's getrf (the first largest
 * |pivot| of the column, rows swapped, the column scaled by the pivot's reciprocal, the
 * trailing block updated), then NumPy's own steps on it: det = sign * exp(sum log|u_ii|)
 * (umath_linalg's det from slogdet), inv and solve by forward and back substitution
 * (getrs). The values are NumPy's up to rounding (LAPACK may order the updates
 * otherwise). A matrix with a value that is not finite, or whose LU meets a pivot not
 * clearly away from zero (|p| <= DC_LU_TOL * n * eps * max|a|: singular or nearly so,
 * where NumPy's error or tiny result depends on LAPACK's exact rounding) is refused: the
 * caller runs NumPy's code for the whole call. */
#ifndef DC_LU_H
#define DC_LU_H
#include <math.h>
#include <stddef.h>

#define DC_LU_MAX 8
#define DC_LU_TOL 64.0

/* Read the rows x cols matrix at a (byte strides sr, sc; double or float by f8) into A
 * (row-major doubles). Returns max|a|, or -1 when a value is not finite. */
static double dc_lu_read(const char *a, ptrdiff_t sr, ptrdiff_t sc, int f8, int rows,
                         int cols, double *A) {
    double amax = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            const char *p = a + i * sr + j * sc;
            double v = f8 ? *(const double *)p : (double)*(const float *)p;
            if (!isfinite(v)) return -1;
            A[i * cols + j] = v;
            if (fabs(v) > amax) amax = fabs(v);
        }
    return amax;
}

/* Write n doubles to o as double or float (f8). */
static void dc_lu_store(char *o, const double *x, ptrdiff_t n, int f8) {
    for (ptrdiff_t i = 0; i < n; i++) {
        if (f8) ((double *)o)[i] = x[i];
        else ((float *)o)[i] = (float)x[i];
    }
}

/* Load the n x n matrix at a (dc_lu_read) and factor it in place: piv[k] is the row
 * swapped with k. Returns the permutation's sign (+1/-1), or 0 when refused. */
static int dc_lu_load(const char *a, ptrdiff_t sr, ptrdiff_t sc, int f8, int n, double *A,
                      int *piv) {
    double amax = dc_lu_read(a, sr, sc, f8, n, n, A), tol;
    int sign = 1;
    if (amax < 0) return 0;
    tol = DC_LU_TOL * n * 2.220446049250313e-16 * amax;
    for (int k = 0; k < n; k++) {
        int p = k;
        double best = fabs(A[k * n + k]);
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > best) { best = fabs(A[i * n + k]); p = i; }
        if (!(best > tol)) return 0;
        piv[k] = p;
        if (p != k) {
            sign = -sign;
            for (int j = 0; j < n; j++) {
                double t = A[k * n + j]; A[k * n + j] = A[p * n + j]; A[p * n + j] = t;
            }
        }
        double r = 1.0 / A[k * n + k];
        for (int i = k + 1; i < n; i++) {
            double l = A[i * n + k] * r;
            A[i * n + k] = l;
            for (int j = k + 1; j < n; j++) A[i * n + j] -= l * A[k * n + j];
        }
    }
    return sign;
}

/* NumPy's det from the factors: the sign of the permutation and of each u_ii, and
 * exp(sum of log|u_ii|). */
static double dc_lu_det(const double *A, int n, int sign) {
    double s = sign, logdet = 0;
    for (int i = 0; i < n; i++) {
        double u = A[i * n + i];
        if (u < 0) { s = -s; u = -u; }
        logdet += log(u);
    }
    return s * exp(logdet);
}

/* Solve A x = b in place for k right-hand sides (x, b: n x k row-major doubles). */
static void dc_lu_solve(const double *A, const int *piv, int n, double *x, int k) {
    for (int i = 0; i < n; i++)
        if (piv[i] != i)
            for (int c = 0; c < k; c++) {
                double t = x[i * k + c]; x[i * k + c] = x[piv[i] * k + c]; x[piv[i] * k + c] = t;
            }
    for (int i = 1; i < n; i++)
        for (int j = 0; j < i; j++)
            for (int c = 0; c < k; c++) x[i * k + c] -= A[i * n + j] * x[j * k + c];
    for (int i = n - 1; i >= 0; i--) {
        for (int j = i + 1; j < n; j++)
            for (int c = 0; c < k; c++) x[i * k + c] -= A[i * n + j] * x[j * k + c];
        for (int c = 0; c < k; c++) x[i * k + c] /= A[i * n + i];
    }
}

#endif
