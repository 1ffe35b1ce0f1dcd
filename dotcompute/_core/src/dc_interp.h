/* np.interp of float64 values on a sorted grid (NumPy's arr_interp, one value at a time,
 * after a branch-free search of a block of values: dc_search.h).
 *
 * For each x: below xp[0] left, above xp[n-1] right; else j, the last grid point at or
 * below x (searchsorted right, less one: what NumPy's search with a guess finds on a
 * non-decreasing grid), and NumPy's rules: fp[j] at the last grid point or where xp[j]
 * equals x, else slope * (x - xp[j]) + fp[j] with slope (fp[j+1] - fp[j]) / (xp[j+1] -
 * xp[j]), and where that is NaN slope * (x - xp[j+1]) + fp[j+1], and fp[j] where that is
 * NaN too and fp[j] == fp[j+1]. The same operations as NumPy's, so its values; the caller
 * keeps NaN values and unsorted or NaN grids for NumPy's code (its search then decides). */
#ifndef DC_INTERP_H
#define DC_INTERP_H
#include <stddef.h>
#include <stdint.h>
#include "dc_search.h"

#define DC_INTERP_BLOCK 256

/* Whether the grid is non-decreasing and NaN-free (the grids run here; NumPy's search
 * decides for the others). */
static int dc_interp_grid_ok(const double *xp, ptrdiff_t n)
{
    int ok = 1;
    for (ptrdiff_t i = 0; i < n; i++)
        ok &= xp[i] == xp[i];
    for (ptrdiff_t i = 1; i < n; i++)
        ok &= xp[i - 1] <= xp[i];
    return ok;
}

/* Whether no value is NaN. */
static int dc_interp_no_nan(const double *x, ptrdiff_t m)
{
    int ok = 1;
    for (ptrdiff_t i = 0; i < m; i++)
        ok &= x[i] == x[i];
    return ok;
}

static void dc_interp_f8(const double *x, ptrdiff_t m, const double *xp, const double *fp,
                         ptrdiff_t n, double left, double right, double *out)
{
    int64_t idx[DC_INTERP_BLOCK];
    for (ptrdiff_t s = 0; s < m; s += DC_INTERP_BLOCK) {
        ptrdiff_t b = m - s < DC_INTERP_BLOCK ? m - s : DC_INTERP_BLOCK, i;
        int sorted = 1;
        for (i = 1; i < b; i++)
            sorted &= x[s + i - 1] <= x[s + i];
        if (sorted)
            dc_search_f8(xp, n, x + s + b - 1, 1, idx + b - 1, 1);   /* the last one's */
        if (sorted) {
            dc_search_f8(xp, n, x + s, 1, idx, 1);
            sorted = idx[b - 1] - idx[0] <= 2 * b;    /* walk: not across a sparse block */
        }
        if (sorted) {
            /* a non-decreasing block (a resampled series) that spans few grid points: its
               first value searched, the others by walking the grid from there (NumPy's
               search starts from the previous value's point; a search per value ran at
               half its speed) */
            ptrdiff_t p = (ptrdiff_t)idx[0];
            for (i = 0; i < b; i++) {
                while (p < n && xp[p] <= x[s + i])
                    p++;
                idx[i] = p;
            }
        } else {
            dc_search_f8(xp, n, x + s, b, idx, 1);
        }
        for (i = 0; i < b; i++) {
            const double v = x[s + i];
            ptrdiff_t j = (ptrdiff_t)idx[i] - 1;
            double r;
            if (v > xp[n - 1])
                r = right;
            else if (v < xp[0])
                r = left;
            else if (j == n - 1 || xp[j] == v)
                r = fp[j];
            else {
                const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
                r = slope * (v - xp[j]) + fp[j];
                if (r != r) {
                    r = slope * (v - xp[j + 1]) + fp[j + 1];
                    if (r != r && fp[j] == fp[j + 1])
                        r = fp[j];
                }
            }
            out[s + i] = r;
        }
    }
}
#endif
