# Typing of dotcompute._core._routines_indexing: fancy indexing in C (no Python-level
# names; ndarray.__getitem__ / __setitem__ call it).
