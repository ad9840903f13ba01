"""coproduce: the Co-Production Quality Standards checklist as forms, and the returns as results.

The library is usable without the command line::

    from generator import resolve_instrument
    v11 = resolve_instrument("coproduction-v1.1")
    print(len(v11.indicators))  # 36
"""

from importlib.metadata import PackageNotFoundError, version

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

try:
    __version__ = version("coproduce")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

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
