"""The instruments: the model (scale, sections, indicators), its YAML loader and the
catalogue of instruments available."""
