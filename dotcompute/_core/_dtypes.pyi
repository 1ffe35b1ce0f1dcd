# Typing of dotcompute._core._dtypes: the kernels' dtype table.
import numpy as np

TYPE_INDEX: dict[np.dtype, int]
TYPE_DTYPES: list[np.dtype]
