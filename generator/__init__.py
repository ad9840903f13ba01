"""coproduce: the Co-Production Quality Standards checklist as forms, and the returns as results.

The library is usable without the command line::

    from generator import resolve_instrument
    v11 = resolve_instrument("coproduction-v1.1")
    print(len(v11.indicators))  # 36
"""

from importlib import import_module

#: What the package exports, and the module each comes from.  They are imported when first
#: used (PEP 562), so the command line does not pay for the instrument loader on `--help`.
_EXPORTS = {
    **dict.fromkeys(
        ("DEFAULT_INSTRUMENT", "Catalogue", "builtin_standards_dir", "find_instruments", "resolve_instrument"),
        "model.catalogue",
    ),
    **dict.fromkeys(
        ("CoproduceError", "InstrumentFileError", "UnknownInstrumentError", "UnknownSectionError"), "errors"
    ),
    **dict.fromkeys(
        (
            "Columns",
            "CoverField",
            "Erratum",
            "FormText",
            "Indicator",
            "Instrument",
            "Level",
            "Part",
            "Scale",
            "Section",
            "apply_errata",
        ),
        "model.instrument",
    ),
    "load_instrument": "model.loader",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value  # once found, an ordinary attribute
        return value
    # the version is looked up only when asked for: importlib.metadata is slow to import
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("coproduce")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    raise AttributeError(name)


__all__ = [
    "DEFAULT_INSTRUMENT",
    "Catalogue",
    "Columns",
    "CoverField",
    "FormText",
    "CoproduceError",
    "Erratum",
    "Indicator",
    "Instrument",
    "InstrumentFileError",
    "Level",
    "Part",
    "Scale",
    "Section",
    "UnknownInstrumentError",
    "UnknownSectionError",
    "__version__",
    "apply_errata",
    "builtin_standards_dir",
    "find_instruments",
    "load_instrument",
    "resolve_instrument",
]
