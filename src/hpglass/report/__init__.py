"""Report: publication-style figures (the paper's Figs. 1–5), HTML report, tables."""

from .claims import CLAIMS, evaluate_claims
from .figures import (
    MISSING_NOTE,
    AltbcMap,
    CrystalR1Curve,
    ElfHistogram,
    ElfSlice,
    PatternCurves,
    Region,
    RoomTemperatureSeries,
    RtNearTc,
    StructureAtPressure,
    TcPoint,
    TrendPoints,
    fig1_transport,
    fig2_diffraction,
    fig3_simulation,
    fig4_eos_phase_diagram,
    fig5_distortion_elf,
    panel_axes,
    save_figure,
)
from .html import render_report, screenshot, write_report
from .style import report_style

__all__ = [
    "CLAIMS",
    "MISSING_NOTE",
    "AltbcMap",
    "CrystalR1Curve",
    "ElfHistogram",
    "ElfSlice",
    "PatternCurves",
    "Region",
    "RoomTemperatureSeries",
    "RtNearTc",
    "StructureAtPressure",
    "TcPoint",
    "TrendPoints",
    "evaluate_claims",
    "fig1_transport",
    "fig2_diffraction",
    "fig3_simulation",
    "fig4_eos_phase_diagram",
    "fig5_distortion_elf",
    "panel_axes",
    "render_report",
    "report_style",
    "save_figure",
    "screenshot",
    "write_report",
]
