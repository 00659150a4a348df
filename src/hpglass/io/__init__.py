"""Readers and writers at the edges (see DESIGN.md): patterns, 2D images, atomic text/table output.

Domain packages never open files themselves; they go through these functions.
"""

from .atomic import atomic_path, atomic_write_bytes, atomic_write_text, format_table, write_table
from .eos_tables import EosTable, read_eos_table
from .images import integrate_image
from .patterns import normalize_x_unit, read_pattern
from .quantum_design import QDFile, read_qd
from .tables import PressureTable, read_rt_table

__all__ = [
    "EosTable",
    "PressureTable",
    "read_eos_table",
    "QDFile",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "format_table",
    "integrate_image",
    "normalize_x_unit",
    "read_pattern",
    "read_qd",
    "read_rt_table",
    "write_table",
]
