"""Diffraction chain: pattern → S(q), F(r), g(r), density (see DESIGN.md)."""

from .pattern import Pattern

__all__ = ["Pattern"]
