# Typing of dotcompute._core._routines_reduction: only C-level entry points (see the .pxd).
