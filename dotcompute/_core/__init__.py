"""Compiled core of dotcompute: CPU detection, per-ISA kernels, memory, array."""
