"""coproduce: the Co-Production Quality Standards checklist as forms, and the returns as results.

The library is usable without the command line::

    from generator import resolve_instrument
    v11 = resolve_instrument("coproduction-v1.1")
    print(len(v11.indicators))  # 36
"""

from .catalogue import DEFAULT_INSTRUMENT, Catalogue, builtin_standards_dir, find_instruments, resolve_instrument
from .errors import CoproduceError, InstrumentFileError, UnknownInstrumentError, UnknownSectionError
from .instrument import (
    Columns,
    CoverField,
    Erratum,
    FormText,
    Indicator,
    Instrument,
    Level,
    Scale,
    Section,
    apply_errata,
    load_instrument,
)


def __getattr__(name: str) -> str:
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
