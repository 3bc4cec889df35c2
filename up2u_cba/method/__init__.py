"""The method: checks across the inputs, the calculation, Green Book assumptions, sensitivity,
and the format-neutral report model."""
