"""The ``coproduce`` command line: each command parses its options and calls the library.

Errors of the library (:class:`~generator.errors.CoproduceError`) are turned into
Click errors here, once: a one-line message and exit status 1.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator.errors import CoproduceError
from generator.forms import FORMATS
from generator.model.catalogue import DEFAULT_INSTRUMENT, STANDARDS_ENV, find_instruments, resolve_instrument
from generator.returns import guards
from generator.scoring.rules import CONSENSUS_RULES

if TYPE_CHECKING:
    from generator.pipeline import PlanOptions
    from generator.returns.model import Return
    from generator.scoring.rules import ScoringRules

# Everything else is imported inside the command that needs it: `coproduce --help` and a
# mistyped option answer at once, without loading the instrument reader, the format
# libraries or the merge machinery.


@contextmanager
def _reported() -> Iterator[None]:
    """Turn coproduce's own errors, and a file or folder the system will not let it use (an
    --out that is a file, a full disk), into a clean Click error (exit 1, no traceback)."""
    try:
        yield
    except CoproduceError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        raise click.ClickException(f"{where}{(error.strerror or str(error)).lower()}") from error


def _progress_bar(stack: ExitStack):
    """A progress callback for the library: given the number of files, it opens a bar on
    stderr (closed with ``stack``) and returns the function to call after each file."""

    def start(total: int):
        bar = stack.enter_context(click.progressbar(length=total, label=f"Reading {total} files", file=sys.stderr))
        return lambda: bar.update(1)

    return start


def _options(*options):
    """A decorator applying ``options`` in the order given (as the options would be listed above a command)."""

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def _out_option(help: str, default: Path = Path("output")):
    """The --out option: a folder to write into, created if needed."""
    return click.option(
        "--out", type=click.Path(file_okay=False, path_type=Path), default=default, show_default=True, help=help
    )


_rules_option = click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A scoring rules YAML file (default: the built-in standards/scoring.yaml).",
)

#: The --time-limit and --max-file-size options, shared by `read`, `merge` and `run`.
limit_options = _options(
    click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Stop reading a file that takes longer than this (a damaged file, or one made to hang a reader) and "
        f"report it; the other files are still read.  [default: {guards.LIMITS.read_seconds:g}]",
    ),
    click.option(
        "--max-file-size",
        type=click.IntRange(min=1),
        metavar="MB",
        help="Refuse, unread, a file bigger than this many megabytes; the other files are still read.  "
        f"[default: {guards.LIMITS.file_bytes // guards.MiB}]",
    ),
)


def _limits(time_limit: float | None, max_file_size: int | None) -> guards.Limits:
    """The limits in force, with those given on the command line instead."""
    changes: dict[str, float] = {}
    if time_limit is not None:
        changes["read_seconds"] = time_limit
    if max_file_size is not None:
        changes["file_bytes"] = max_file_size * guards.MiB
    return dataclasses.replace(guards.LIMITS, **changes)


def _extra_dirs(ctx: click.Context) -> list[Path]:
    folder = ctx.find_root().params.get("standards")
    return [folder] if folder else []


#: --anonymise, shared by `merge`, `plan` and `run` (what it makes is said in each command's help).
def _anonymise_option(what: str):
    return click.option(
        "--anonymise",
        is_flag=True,
        help=f"Also write {what} with organisations shown as 'Organisation A, B, …', beside the named "
        "one(s), which are still written; the key (which letter is which organisation) goes to "
        "OUT/anonymisation-key.csv: keep it apart from what you share.",
    )


#: --decisions, shared by `merge` and `run`.
_recipients_option = click.option(
    "--recipients",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="CSV",
    help="The recipients list the packs were made from (generate --recipients): the summary, results.json and "
    "the workbook's 'Not returned' sheet say who on it has not returned, and who returned without being on it.",
)
_decisions_option = click.option(
    "--decisions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Decisions about the answers to check (.xlsx, .csv or .yaml: docs/decisions.md), applied to this merge. "
    "Without it, OUT/decisions.xlsx is read if it is there (with it, both are read, and FILE wins where both "
    "decide one answer); OUT/decisions.xlsx is then written again listing every answer still to check and "
    "every decision.",
)

_WORKBOOK_ANONYMISED = (
    "OUT/consolidated-anonymised.xlsx (people shown as 'Respondent 1, 2, …' with their roles; no file names, "
    "form ids or comments)"
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coproduce", prog_name="coproduce")
@click.option(
    "--standards",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    envvar=STANDARDS_ENV,
    show_envvar=True,
    help="A folder of your own instrument YAML files, used as well as the built-in ones.",
)
def cli(standards: Path | None) -> None:
    """coproduce: the Co-Production Quality Standards checklist "How are we doing? V1.1"
    as forms to fill in, and the completed forms back as results and action plans.

    Example: coproduce show --section 1
    """


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def instruments(ctx: click.Context, as_json: bool) -> None:
    """List the instruments available, with their sections and indicators.

    Example: coproduce instruments
    """
    from generator.model.describe import instruments_table

    catalogue = find_instruments(_extra_dirs(ctx))
    found = sorted(catalogue.instruments.values(), key=lambda i: i.id)
    if as_json:
        for instrument in found:
            click.echo(
                json.dumps(
                    {
                        "id": instrument.id,
                        "title": instrument.title,
                        "version": instrument.version,
                        "language": instrument.language,
                        "translation_of": instrument.translation_of,
                        "sections": len(instrument.sections),
                        "indicators": len(instrument.indicators),
                        "file": str(instrument.source),
                    },
                    ensure_ascii=False,
                )
            )
    else:
        click.echo(instruments_table(found))
    for problem in catalogue.problems:
        click.echo(f"Error: {problem}", err=True)
    if catalogue.problems:
        ctx.exit(1)


@cli.command()
@click.argument("instrument", default=DEFAULT_INSTRUMENT, metavar="[INSTRUMENT]")
@click.option("--section", "section_number", type=int, help="Show only this section (its number).")
@click.option("--json", "as_json", is_flag=True, help="Print the instrument as JSON data.")
@click.option("--errata", "list_errata", is_flag=True, help="List the suggested corrections of the published text.")
@click.option("--apply-errata", "corrected", is_flag=True, help="Show the text with the suggested corrections applied.")
@click.pass_context
def show(
    ctx: click.Context, instrument: str, section_number: int | None, as_json: bool, list_errata: bool, corrected: bool
) -> None:
    """Show an instrument's sections, indicators and criteria.

    INSTRUMENT is an id from `coproduce instruments` (default: coproduction-v1.1)
    or the path of an instrument YAML file.

    Example: coproduce show --section 6
    """
    from generator.model.describe import errata_text, instrument_text
    from generator.model.instrument import apply_errata

    with _reported():
        chosen = resolve_instrument(instrument, _extra_dirs(ctx))
        if list_errata:
            click.echo(errata_text(chosen))
            return
        if corrected:
            chosen = apply_errata(chosen)
        sections = [chosen.section(section_number)] if section_number is not None else list(chosen.sections)
    if as_json:
        data = chosen.as_data()
        data["sections"] = [s for s in data["sections"] if s["number"] in {sec.number for sec in sections}]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(instrument_text(chosen, sections, width=min(shutil.get_terminal_size().columns, 100)))


@cli.command()
@click.option(
    "--instrument",
    "instrument_name",
    default=DEFAULT_INSTRUMENT,
    show_default=True,
    help="Instrument id (see `coproduce instruments`) or the path of an instrument YAML file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "all"]),
    default="all",
    show_default=True,
    help="Which form to write: Word, PDF, Excel, or all three.",
)
@_out_option("Folder to write into (created if needed).")
@click.option("--organisation", help="Personalise one pack for this organisation (its name is pre-filled).")
@click.option(
    "--recipients",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV with columns organisation, contact, email: one pack per row, in OUT/<organisation>/.",
)
@click.option(
    "--form-id",
    "form_id_seed",
    metavar="SEED",
    help="Derive form ids from SEED instead of at random; with SOURCE_DATE_EPOCH set, output is byte-stable.",
)
@click.option(
    "--from",
    "last_round",
    type=click.Path(path_type=Path),
    metavar="RESULTS",
    help="Last round's results.json (or its folder): each pack shows the organisation's last review and open "
    "actions beside each indicator, read-only; this round's answers start blank.  Without --organisation or "
    "--recipients, one pack per organisation in the results.",
)
@click.option(
    "--tracker",
    "trackers",
    multiple=True,
    type=click.Path(path_type=Path),
    help="With --from: an action tracker sent back (or a folder of them); actions it marks Done are left out of "
    "the organisation's open actions.  May be given more than once.",
)
@click.option(
    "--copies",
    type=click.IntRange(1, 500),
    metavar="N",
    help="Also write a print file of N copies of the PDF form (<name>-print-N-copies.pdf), each copy numbered in "
    "its pages' QR codes, so that the scanned pages sort back into returns.",
)
@click.option(
    "--apply-errata",
    "corrected",
    is_flag=True,
    help="Print the text with the suggested corrections applied (see `show --errata`); the forms say so on their "
    "cover.  Returns read and merge with those of the published text.",
)
@click.option(
    "--emails",
    is_flag=True,
    help="With --recipients: also write, beside each pack, a ready-to-send email (.eml) to the organisation's "
    "email, with the pack attached. Open each in your mail program and press Send; coproduce sends nothing.",
)
@click.option(
    "--deadline",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
    metavar="DATE",
    help="With --emails: the date to send the forms back by (2026-03-17 or 17/03/2026), written '17 March 2026'.",
)
@click.option(
    "--email-template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="With --emails: your own copy of templates/pack-email.txt (subject line, blank line, body).",
)
@click.pass_context
def generate(
    ctx: click.Context,
    instrument_name: str,
    fmt: str,
    out: Path,
    organisation: str | None,
    recipients: Path | None,
    form_id_seed: str | None,
    last_round: Path | None,
    trackers: tuple[Path, ...],
    copies: int | None,
    corrected: bool,
    emails: bool,
    deadline,  # noqa: ANN001 (a datetime, from click)
    email_template: Path | None,
) -> None:
    """Write the checklist as forms to fill in: Word, fillable PDF and Excel.

    Example: coproduce generate --organisation "Riverside Community Trust"

    Next round: coproduce generate --from output/results.json --recipients orgs.csv

    For a meeting on paper: coproduce generate --format pdf --copies 20

    Emails to send: coproduce generate --recipients orgs.csv --emails --deadline 2026-03-17
    """
    from generator.forms.packs import Recipient, generate_pack, generate_packs, read_recipients

    if copies is not None and fmt not in ("pdf", "all"):
        raise click.UsageError("--copies prints the PDF form: use it with --format pdf (or all).")
    if emails and recipients is None:
        raise click.UsageError("--emails writes one email per organisation of --recipients: give the list too.")
    if (deadline or email_template) and not emails:
        raise click.UsageError("--deadline and --email-template go with --emails.")
    mailing = None
    if emails:
        from generator.forms.emails import load_email_template

        with _reported():
            mailing = (load_email_template(email_template), deadline.date() if deadline else None)

    if last_round is not None:
        _generate_from(
            ctx,
            instrument_name,
            FORMATS if fmt == "all" else (fmt,),
            out,
            organisation,
            recipients,
            form_id_seed,
            last_round,
            trackers,
            copies,
            corrected,
            mailing,
        )
        return
    if trackers:
        raise click.UsageError("--tracker goes with --from: it says which of last round's actions are done.")

    if organisation and recipients:
        raise click.UsageError("Give either --organisation or --recipients, not both.")
    if organisation is not None and not organisation.strip():
        raise click.BadParameter("is empty", param_hint="--organisation")
    formats = FORMATS if fmt == "all" else (fmt,)
    with _reported():
        instrument = _form_instrument(ctx, instrument_name, corrected)
        if recipients is None:
            recipient = Recipient(" ".join(organisation.split())) if organisation else None
            written = generate_pack(instrument, out, formats, recipient, form_id_seed, copies=copies)
        else:
            listed = read_recipients(recipients)
            written = []
            packs = []
            with click.progressbar(length=len(listed), label=f"Writing {len(listed)} packs", file=sys.stderr) as bar:
                for pack in generate_packs(instrument, listed, out, formats, form_id_seed, copies=copies):
                    written += pack
                    packs.append(pack)
                    bar.update(1)
            if mailing is not None:
                written += _write_emails(instrument, listed, packs, mailing)
    for path in written:
        click.echo(str(path))


def _write_emails(instrument, recipients, packs, mailing) -> list[Path]:  # noqa: ANN001
    """An email per pack (``generate --emails``), beside it; says which have no address, or are large."""
    from generator.forms.emails import LARGE_EMAIL_BYTES, write_pack_email
    from generator.forms.packs import slugify

    template, deadline = mailing
    written, unaddressed = [], []
    for recipient, pack in zip(recipients, packs, strict=True):
        forms = [path for path in pack if "-print-" not in path.name]  # (a print file is for printing here)
        target = pack[0].parent / f"email-to-{slugify(recipient.organisation)}.eml"
        sent = write_pack_email(instrument, recipient, forms, target, deadline, template)
        written.append(sent.path)
        if sent.to is None:
            unaddressed.append(recipient.organisation)
        if sent.size > LARGE_EMAIL_BYTES:
            click.echo(f"Note: {sent.path} is {sent.size / 1024 / 1024:.0f} MB: some mail servers refuse it", err=True)
    click.echo(f"Wrote {len(written)} email(s) to send (drafts: open each and press Send).", err=True)
    if unaddressed:
        names = ", ".join(unaddressed)
        click.echo(
            f"Note: no email address in the list for {names}: their drafts have no To; add it before sending.", err=True
        )
    return written


def _generate_from(
    ctx: click.Context,
    instrument_name: str,
    formats: tuple[str, ...],
    out: Path,
    organisation: str | None,
    recipients: Path | None,
    form_id_seed: str | None,
    last_round: Path,
    trackers: tuple[Path, ...] = (),
    copies: int | None = None,
    corrected: bool = False,
    mailing: tuple | None = None,
) -> None:
    """`generate --from`: packs pre-filled with last round's review; says which got which."""
    from generator.forms.last_round import load_last_round
    from generator.forms.packs import Recipient, generate_pack, generate_packs, plan_prefilled_packs, read_recipients
    from generator.returns.read import read_trackers

    if organisation and recipients:
        raise click.UsageError("Give either --organisation or --recipients, not both.")
    if organisation is not None and not organisation.strip():
        raise click.BadParameter("is empty", param_hint="--organisation")
    with _reported():
        instrument = _form_instrument(ctx, instrument_name, corrected)
        results = load_last_round(last_round, instrument)
        returned, tracker_notes = read_trackers(trackers, {instrument.id: instrument})
        listed: list[Recipient] | None = None
        if recipients is not None:
            listed = read_recipients(recipients)
        elif organisation:
            listed = [Recipient(" ".join(organisation.split()))]
        plans = plan_prefilled_packs(instrument, results, listed, trackers=returned)
        written: list[Path] = []
        if organisation:  # into OUT itself, as without --from (one pack per project of the charter)
            for plan in plans:
                written += generate_pack(
                    instrument, out, formats, plan.recipient, form_id_seed, None, plan.last_review, copies
                )
        else:
            with click.progressbar(length=len(plans), label=f"Writing {len(plans)} packs", file=sys.stderr) as bar:
                packs = generate_packs(
                    instrument,
                    [plan.recipient for plan in plans],
                    out,
                    formats,
                    form_id_seed,
                    last_reviews=[plan.last_review for plan in plans],
                    copies=copies,
                )
                made = []
                for pack in packs:
                    written += pack
                    made.append(pack)
                    bar.update(1)
            if mailing is not None and listed is not None:
                written += _write_emails(instrument, [plan.recipient for plan in plans], made, mailing)
    for note in tracker_notes:
        click.echo(f"Note: {note}", err=True)
    for plan in plans:
        click.echo(plan.note, err=True)
    for path in written:
        click.echo(str(path))


def _form_instrument(ctx: click.Context, name: str, corrected: bool):
    """The instrument ``name`` whose text the forms print: as published, or ``corrected``."""
    from generator.model.instrument import apply_errata

    instrument = resolve_instrument(name, _extra_dirs(ctx))
    return apply_errata(instrument) if corrected else instrument


def _place_scan(result: Return, images: Path | None, organisation: str | None) -> None:
    """A scanned return's handwriting written into ``images`` (or said not kept), and its
    organisation set from ``organisation`` when its cover is handwritten."""
    from generator.returns.model import ORGANISATION_BY_HAND
    from generator.returns.scan_return import place_images

    if organisation and result.organisation is None:
        result.organisation = " ".join(organisation.split())
        result.problems = [p for p in result.problems if not p.startswith(ORGANISATION_BY_HAND)]
    try:
        place_images(result, images)
    except OSError as error:
        raise click.ClickException(f"{images}: the scans' images cannot be written ({error.strerror})") from error


@cli.command(name="read")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (JSON Lines): docs/json.md.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: one row per indicator per file.")
@click.option(
    "--images",
    type=click.Path(file_okay=False, path_type=Path),
    help="Scans: keep the handwriting (comments, cover) as PNG images in this folder.",
)
@click.option("--organisation", help="Scans: the organisation the scanned forms are from (the cover is handwritten).")
@limit_options
@click.pass_context
def read_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    as_json: bool,
    as_csv: bool,
    images: Path | None,
    organisation: str | None,
    time_limit: float | None,
    max_file_size: int | None,
) -> None:
    """Read completed forms (Word, PDF or Excel, or scans of printed PDF forms) and show their answers.

    Each file is read as `merge` reads it, in a separate process with a time and a memory
    limit. A file that cannot be read is reported on one line and the others are still
    read; the exit status is 1 if any file failed. An action tracker (the Excel plan that
    `plan` and `run` write, filled in) shows each action's status. A scan (a PDF of scanned
    pages, PNG, JPEG, TIFF) may hold several returns: one is shown for each printed copy.

    Example: coproduce read returns/*.docx --json

    Scans: coproduce read scan.pdf --images scans/ --organisation "Riverside Trust"
    """
    from generator.model.results import to_data
    from generator.outputs.summary import email_words
    from generator.returns.batch import iter_read, unpack_containers
    from generator.returns.export import return_text, tracker_text, write_returns_csv
    from generator.returns.model import Return
    from generator.returns.tracker_return import TrackerReturn

    if as_json and as_csv:
        raise click.UsageError("Give --json or --csv, not both.")
    catalogue = find_instruments(_extra_dirs(ctx))
    limits = _limits(time_limit, max_file_size)
    returns, failed = [], 0
    stack = ExitStack()
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coproduce-attachments-")))
    unpacked = unpack_containers(list(files), folder, limits)  # emails, mailboxes, zips: their attachments
    for item in unpacked.not_read:
        click.echo(f"{'Error' if item.fate == 'rejected' else 'Note'}: {item.name}: {item.reason}", err=True)
        failed += item.fate == "rejected"
    read = iter_read(unpacked.files, catalogue.instruments, limits=limits, trackers=True, names=unpacked.names)
    with stack, closing(read) as outcomes:
        found = (
            (outcome, result) for outcome in outcomes for result in (outcome.results or (None,))
        )  # a scanned batch: one per printed copy
        for outcome, result in found:
            if result is None:  # the one-line error, naming the file
                click.echo(f"Error: {outcome.failure}", err=True)
                failed += 1
                continue
            if isinstance(result, Return) and result.format == "scan":
                _place_scan(result, images, organisation)
            if isinstance(result, TrackerReturn):
                if as_json:
                    click.echo(json.dumps(result.as_data(), ensure_ascii=False))
                elif as_csv:
                    click.echo(f"Note: {result.file}: an action tracker, not a form: left out of the CSV", err=True)
                else:
                    click.echo(tracker_text(result, catalogue.instruments.get(result.instrument or "")) + "\n")
                continue
            returns.append(result)
            source = unpacked.origins.get(result.file)  # the email it came in
            if as_json:
                data = result.as_data() | ({"email": to_data(source)} if source else {})
                click.echo(json.dumps(data, ensure_ascii=False))
            elif not as_csv:
                came = f"  came by email: {email_words(source)}\n" if source else ""
                text = return_text(result, catalogue.instruments.get(result.instrument))
                head, _, rest = text.partition("\n")
                click.echo(f"{head}\n{came}{rest}\n")
    if as_csv:
        table = io.StringIO()
        write_returns_csv(returns, table)
        click.echo(table.getvalue(), nl=False)
    if failed:
        click.echo(f"{failed} of {len(files)} file(s) could not be read.", err=True)
        ctx.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out_option("Folder for results.json and consolidated.xlsx (created if needed).")
@click.option("--consensus", type=click.Choice(CONSENSUS_RULES), help="Override the rules file's consensus rule.")
@_rules_option
@_decisions_option
@_recipients_option
@limit_options
@_anonymise_option(_WORKBOOK_ANONYMISED)
@click.pass_context
def merge(
    ctx: click.Context,
    paths: tuple[Path, ...],
    out: Path,
    consensus: str | None,
    rules_file: Path | None,
    decisions: Path | None,
    recipients: Path | None,
    time_limit: float | None,
    max_file_size: int | None,
    anonymise: bool,
) -> None:
    """Merge returns (files or folders, searched recursively) and score them.

    Writes OUT/results.json (its shape: docs/results.md) and OUT/consolidated.xlsx, and
    prints a summary. Answers that could not be read as one level are listed in
    OUT/decisions.xlsx: choose a decision for each there and merge again (it is read from OUT
    each time; --decisions FILE adds another). Every file found is accounted for: merged, superseded, rejected (with
    the reason) or skipped.
    The exit status is 1 if any file was rejected; the results are written for the rest.
    Each file is read in a separate process, within --time-limit and --max-file-size.
    A path that does not exist, or nothing to merge, stops it before anything is written.

    Example: coproduce merge returns/ --out results/
    """
    from generator.scoring.rules import load_rules

    def rules() -> ScoringRules:
        loaded = load_rules(rules_file)
        return dataclasses.replace(loaded, consensus=consensus) if consensus else loaded

    _merge(ctx, paths, out, rules, None, _limits(time_limit, max_file_size), anonymise, decisions, recipients)


#: The --template and --partnership-template options, shared by `plan` and `run`.
template_options = _options(
    click.option(
        "--template",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Your own copy of templates/action-plan.docx, restyled in Word.",
    ),
    click.option(
        "--partnership-template",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Your own copy of templates/partnership-plan.docx.",
    ),
)


#: The options of the "You said, we did" summaries, shared by `plan` and `run`.
summary_options = _options(
    click.option(
        "--for-respondents",
        is_flag=True,
        help="Also write, per organisation, a short summary in plain words for the people who took part "
        '("You said, we did": what was found, what will be done, by when), beside its action plan. '
        "No one's name is printed in it.",
    ),
    click.option(
        "--easy-read",
        is_flag=True,
        help="With --for-respondents: the easy-read layout (short sentences, one idea a line, bigger type).",
    ),
    click.option(
        "--by",
        metavar="WHEN",
        help="With --for-respondents: when the actions will be done, a date (2027-03-31) or words "
        '("the end of March 2027").  [default: the next review after the results\' round]',
    ),
    click.option(
        "--plain-words",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="With --for-respondents: your own copy of standards/plain-words.yaml (the words replaced or "
        "explained in the summaries).",
    ),
    click.option(
        "--summary-template",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="With --for-respondents: your own copy of templates/you-said-we-did.docx "
        "(or you-said-we-did-easy-read.docx), restyled in Word.",
    ),
)


def _summaries(
    ctx: click.Context,
    for_respondents: bool,
    easy_read: bool,
    by: str | None,
    plain_words: Path | None,
    summary_template: Path | None,
):
    """The summaries asked for (None for none); a usage error for their options without --for-respondents."""
    from generator.pipeline import SummaryOptions

    if not for_respondents:
        given = [
            name
            for name, value in (
                ("--easy-read", easy_read),
                ("--by", by),
                ("--plain-words", plain_words),
                ("--summary-template", summary_template),
            )
            if value
        ]
        if given:
            raise click.UsageError(f"{', '.join(given)} only work with --for-respondents", ctx)
        return None
    return SummaryOptions(easy_read=easy_read, by=by, plain_words=plain_words, template=summary_template)


def _echo_written(written: list[Path]) -> None:
    for path in written:
        click.echo(f"Wrote {path}")


def _merge(
    ctx: click.Context,
    paths: tuple[Path, ...],
    out: Path,
    rules: Callable[[], ScoringRules],
    plans: PlanOptions | None,
    limits: guards.Limits,
    anonymise: bool = False,
    decisions: Path | None = None,
    recipients: Path | None = None,
) -> None:
    """Merge and score ``paths`` into ``out`` by the ``rules`` (loaded once the instruments are found),
    with ``plans`` if given; print the summary and the files written; exit 1 if any file was rejected."""
    from generator.outputs.summary import merge_summary, tracker_summary
    from generator.pipeline import merge_and_score

    with _reported():
        catalogue = find_instruments(_extra_dirs(ctx))
        with ExitStack() as stack:
            output = merge_and_score(
                paths,
                catalogue.instruments,
                rules(),
                out,
                plans,
                _progress_bar(stack),
                limits,
                anonymise,
                decisions,
                recipients,
            )
    for note in output.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(merge_summary(output.results))
    if output.trackers:
        click.echo(tracker_summary(output.trackers))
    _echo_written(output.written)
    if output.results.counts.rejected:
        ctx.exit(1)


@cli.command()
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_out_option("Folder for the plans (created if needed).")
@template_options
@summary_options
@_anonymise_option("the partnership plan (OUT/partnership-plan-anonymised.docx)")
@click.pass_context
def plan(
    ctx: click.Context,
    results: Path,
    out: Path,
    template: Path | None,
    partnership_template: Path | None,
    for_respondents: bool,
    easy_read: bool,
    by: str | None,
    plain_words: Path | None,
    summary_template: Path | None,
    anonymise: bool,
) -> None:
    """Write action plans from a results.json: one per organisation (Word, and an Excel
    tracker) and one for the partnership.

    With --for-respondents, also a "You said, we did" summary per organisation for the people
    who took part, in plain words (OUT/plans/<organisation>/…-you-said-we-did.docx).
    With --anonymise, also the partnership plan with organisations as "Organisation A, B, …".

    Example: coproduce plan output/results.json --out output/ --for-respondents
    """
    from generator.outputs.results_json import load_results
    from generator.pipeline import unmatched_pair, write_plans

    summaries = _summaries(ctx, for_respondents, easy_read, by, plain_words, summary_template)
    with _reported():
        catalogue = find_instruments(_extra_dirs(ctx))
        loaded = load_results(results, catalogue.instruments)
        if results.name == "results.json" and (unmatched := unmatched_pair(results.parent)):
            click.echo(f"Warning: {unmatched}; the plans are made from {results}: run the merge again", err=True)
        written = write_plans(
            loaded, catalogue.instruments, out, template, partnership_template, summaries, anonymise, results.parent
        )
    _echo_written(written)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out_option("Folder for results, workbook and plans (created if needed).")
@_rules_option
@_decisions_option
@_recipients_option
@template_options
@summary_options
@limit_options
@_anonymise_option(f"the partnership plan (OUT/partnership-plan-anonymised.docx) and {_WORKBOOK_ANONYMISED}")
@click.pass_context
def run(
    ctx: click.Context,
    paths: tuple[Path, ...],
    out: Path,
    rules_file: Path | None,
    decisions: Path | None,
    recipients: Path | None,
    template: Path | None,
    partnership_template: Path | None,
    for_respondents: bool,
    easy_read: bool,
    by: str | None,
    plain_words: Path | None,
    summary_template: Path | None,
    time_limit: float | None,
    max_file_size: int | None,
    anonymise: bool,
) -> None:
    """Merge and score returns, then write the action plans: merge and plan in one go.

    --for-respondents and --anonymise add what they add to `plan` (and --anonymise what it adds
    to `merge`). Decisions about answers to check are read and written as by `merge`
    (OUT/decisions.xlsx, --decisions).

    Example: coproduce run returns/ --out output/
    """
    from generator.pipeline import PlanOptions
    from generator.scoring.rules import load_rules

    summaries = _summaries(ctx, for_respondents, easy_read, by, plain_words, summary_template)
    plans = PlanOptions(template, partnership_template, summaries, anonymise)
    limits = _limits(time_limit, max_file_size)
    _merge(ctx, paths, out, lambda: load_rules(rules_file), plans, limits, False, decisions, recipients)


@cli.command()
@click.argument("last", type=click.Path(path_type=Path))
@click.argument("this", type=click.Path(path_type=Path))
@click.argument("trackers", nargs=-1, type=click.Path(path_type=Path))
@_out_option("Folder for progress.json, progress.xlsx and the progress reports (created if needed).")
@click.option(
    "--anonymise",
    is_flag=True,
    help="Also write the partnership progress report and progress.xlsx with organisations shown as "
    "'Organisation A, B, …' (…-anonymised.docx, progress-anonymised.xlsx, beside the named ones) and the key "
    "to OUT/anonymisation-key.csv. Each organisation's own report and progress.json keep the names.",
)
@click.pass_context
def compare(ctx: click.Context, last: Path, this: Path, trackers: tuple[Path, ...], out: Path, anonymise: bool) -> None:
    """Compare two review rounds: how each organisation moved from LAST to THIS.

    LAST and THIS are each a results.json from `coproduce merge`, or the folder holding one.
    TRACKERS (optional) are action trackers sent back, or folders holding them: the reports
    say which actions are done, in progress or not started.
    Organisations are matched by instrument, name and (for the charter) project; those in
    only one round are listed. Writes OUT/progress.json (its shape: docs/progress.md),
    OUT/progress.xlsx, OUT/partnership-progress-report.docx and a progress report per
    organisation in OUT/progress/. Nothing is written when LAST or THIS cannot be used.

    Example: coproduce compare results-2024-25/ results-2025-26/ --out progress/
    """
    from generator.compare import compare_results, load_round, write_progress
    from generator.returns.read import read_trackers

    with _reported():
        catalogue = find_instruments(_extra_dirs(ctx))
        last_file, before = load_round(last, catalogue.instruments)
        this_file, after = load_round(this, catalogue.instruments)
        returned, tracker_notes = read_trackers(trackers, catalogue.instruments)
        progress = compare_results(
            before, after, catalogue.instruments, last_file=str(last_file), this_file=str(this_file), trackers=returned
        )
        written = write_progress(progress, catalogue.instruments, out, anonymise=anonymise)
    for note in [*tracker_notes, *progress.notes]:
        click.echo(f"Note: {note}", err=True)
    click.echo(
        f"Compared {len(progress.organisations)} organisation(s) in both rounds; "
        f"{len(progress.only_in_one_round)} in only one."
        + (f" Action trackers read: {len(returned)}." if trackers else "")
    )
    _echo_written(written)


@cli.command()
@_out_option("Folder for everything the demo makes.", Path("output") / "demo")
@click.pass_context
def demo(ctx: click.Context, out: Path) -> None:
    """Try the whole pipeline on sample returns: blank forms, sample returns from several
    organisations (every format, blanks, ambiguous answers, a damaged file), merged and
    scored, the consolidated workbook and the action plans.

    Example: coproduce demo
    """
    from generator.outputs.summary import merge_summary
    from generator.pipeline import run_demo
    from generator.scoring.rules import load_rules

    with _reported():
        catalogue = find_instruments(_extra_dirs(ctx))
        with ExitStack() as stack:
            output = run_demo(
                catalogue.get(DEFAULT_INSTRUMENT), catalogue.instruments, load_rules(), out, _progress_bar(stack)
            )
    click.echo(merge_summary(output.results))
    click.echo("(The sample returns include a damaged file on purpose: it shows how a rejected file is reported.)")
    _echo_written(output.written)


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="The port to listen on (0: any free one).",
)
@click.option(
    "--recipients",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The recipients CSV the packs were made from: the page lists who has not returned.  "
    "[default: FOLDER/recipients.csv if there is one]",
)
@limit_options
@click.pass_context
def serve(
    ctx: click.Context,
    folder: Path,
    port: int,
    recipients: Path | None,
    time_limit: float | None,
    max_file_size: int | None,
) -> None:
    """Open a round folder as a web page on this computer: add returns, see the results, decide
    the answers to check, see who has not returned, download the plans.

    FOLDER holds the returns in FOLDER/returns; results, decisions.xlsx and plans are written
    into FOLDER, as `coproduce run FOLDER/returns --out FOLDER` writes them (created if needed).
    The page listens only on 127.0.0.1; open the address printed (it carries a secret token).
    Stop it with Ctrl+C.

    Example: coproduce serve output/demo
    """
    from generator.web.round import RoundFolder
    from generator.web.serve import local_server

    if folder.exists() and not folder.is_dir():
        raise click.BadParameter(f"{folder} is not a folder", param_hint="FOLDER")
    with _reported():
        folder.mkdir(parents=True, exist_ok=True)
        catalogue = find_instruments(_extra_dirs(ctx))
        round_folder = RoundFolder(folder, recipients, _limits(time_limit, max_file_size))
        server = local_server(round_folder, catalogue.instruments, port)
    click.echo(f"coproduce is serving {round_folder.folder} on this computer only.")
    click.echo(
        f"Open this address in your browser (it carries a secret token: keep it to yourself):\n\n    {server.url}\n"
    )
    click.echo("Stop it with Ctrl+C.")
    server.run()


def main() -> None:
    """Entry point of the ``coproduce`` console command."""
    cli(prog_name="coproduce")
