# Typing of dotcompute._core._dtypes: the kernels' dtype table.
from typing import Any

import numpy as np

TYPE_INDEX: dict[np.dtype, int]
TYPE_DTYPES: list[np.dtype]
def kernel_type(x: Any) -> int: ...
