# Typing of dotcompute._core._fused (the fused-expression interpreter).
from typing import Any, Callable, Sequence

R_INPUT: int
R_CONST: int
R_TEMP: int
R_OUTPUT: int
ISA: str

def serial_threshold(cost: int) -> int: ...

def get_block_size() -> int: ...
def set_stream_min_bytes(n: int) -> None: ...

class Program:
    source: Any
    def __init__(self, regs: list, instrs: list, nslots: int, threshold: int,
                 reduce: tuple | None, in_types: list[int], out_types: list[int],
                 source: Any = ...) -> None: ...
    @property
    def ninstr(self) -> int: ...
    @property
    def nslots(self) -> int: ...
    def run(self, args: Sequence[Any], outs: Sequence[Any] | None = ...) -> Any: ...

class Evaluator:
    hits: int
    misses: int
    def __init__(self, parse: Callable, compile: Callable, trees: dict,
                 programs: dict) -> None: ...
    def __call__(self, ex: str, local_dict: dict | None = ..., global_dict: dict | None = ...,
                 out: Any = ..., order: str = ..., casting: str = ..., **kwargs: Any) -> Any: ...
