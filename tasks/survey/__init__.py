"""The satisfaction survey and its corrective actions (000 D4 §6)."""
