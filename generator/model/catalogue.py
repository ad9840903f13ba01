"""Finding instruments: the ones shipped with coproduce and those in a user's own folder.

An organisation adds an instrument by dropping a YAML file into a folder and pointing
coproduce at it (``--standards DIR`` or the ``COPRODUCE_STANDARDS`` environment variable);
no code changes.  Each folder is searched for ``*.yaml`` / ``*.yml`` files (not recursively);
files whose ``kind`` is not ``instrument`` (scoring rules, for example) are passed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import CoproduceError, InstrumentFileError, UnknownInstrumentError

if TYPE_CHECKING:  # the loader (and YAML) is imported when an instrument is loaded: `coproduce --help` starts fast
    from generator.model.instrument import Instrument

#: The instrument used when a command is not told which one.
DEFAULT_INSTRUMENT = "coproduction-v1.1"

#: Environment variable naming a folder of the user's own instruments.
STANDARDS_ENV = "COPRODUCE_STANDARDS"


def builtin_standards_dir() -> Path:
    """The ``standards`` folder shipped inside the installed package.

    A wheel carries it as ``generator/standards``; a source checkout (or an editable
    install) has it beside the package, at the top of the repository.
    """
    packaged = Path(__file__).resolve().parent.parent / "standards"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "standards"


@dataclass
class Catalogue:
    """The instruments found in some folders, and the files that could not be loaded."""

    instruments: dict[str, Instrument] = field(default_factory=dict)
    problems: list[CoproduceError] = field(default_factory=list)

    def add(self, instrument: Instrument, path: Path) -> None:
        """Add ``instrument`` (loaded from ``path``); one whose id is taken already is a problem."""
        earlier = self.instruments.get(instrument.id)
        if earlier is not None:
            self.problems.append(
                InstrumentFileError(
                    path,
                    f"defines the instrument '{instrument.id}', already defined in {earlier.source}; "
                    "this file is ignored",
                )
            )
            return
        self.instruments[instrument.id] = instrument

    def get(self, instrument_id: str) -> Instrument:
        """The instrument with this id, or :class:`UnknownInstrumentError` saying what there is."""
        if instrument_id in self.instruments:
            return self.instruments[instrument_id]
        message = (
            f"There is no instrument '{instrument_id}'. Available: {', '.join(sorted(self.instruments)) or 'none'}."
        )
        if self.problems:
            message += (
                f" ({len(self.problems)} instrument file(s) could not be loaded: {'; '.join(map(str, self.problems))})"
            )
        raise UnknownInstrumentError(message)


def find_instruments(extra_dirs: Iterable[Path] = ()) -> Catalogue:
    """Load every instrument in the built-in standards folder and in ``extra_dirs``.

    A file that fails to load is recorded in ``problems`` and the search goes on.  Two
    files defining the same instrument id are a problem too: the first one found is kept.
    """
    from generator.model.loader import INSTRUMENT_KIND, instrument_from_data, read_instrument_kind
    from generator.model.yamlfile import read_yaml

    catalogue = Catalogue()
    translations: list[tuple[Path, object]] = []  # checked against their originals once all are loaded
    for folder in (builtin_standards_dir(), *extra_dirs):
        if not folder.is_dir():
            catalogue.problems.append(InstrumentFileError(folder, "is not a folder"))
            continue
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
        for path in paths:
            try:
                data = read_yaml(path)
                if read_instrument_kind(data) != INSTRUMENT_KIND:
                    continue
                if isinstance(data, dict) and "translation_of" in data:
                    translations.append((path, data))
                    continue
                catalogue.add(instrument_from_data(data, path), path)
            except InstrumentFileError as error:
                catalogue.problems.append(error)
    originals = dict(catalogue.instruments)
    for path, data in translations:
        try:
            catalogue.add(instrument_from_data(data, path, originals), path)
        except InstrumentFileError as error:
            catalogue.problems.append(error)
    return catalogue


def resolve_instrument(name: str = DEFAULT_INSTRUMENT, extra_dirs: Iterable[Path] = ()) -> Instrument:
    """The instrument called ``name``: an id from the standards folders, or a path to a YAML file."""
    candidate = Path(name)
    if candidate.suffix.lower() in (".yaml", ".yml") and candidate.is_file():
        from generator.model.loader import load_instrument

        return load_instrument(candidate)
    return find_instruments(extra_dirs).get(name)
