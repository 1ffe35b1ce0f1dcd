# Typing of dotcompute._core._indexing: basic (metadata-only) indexing computed in C.
from typing import Any

def index_layout(shape: tuple[int, ...], strides: tuple[int, ...],
                 key: Any) -> tuple[bool, int, tuple[int, ...], tuple[int, ...]] | None: ...
