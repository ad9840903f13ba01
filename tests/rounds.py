"""Two review rounds with known changes, for the tests of `coproduce compare`.

Round one (2024-25): Riverside (two returns, Word and Excel), Northgate (PDF), Westbrook (only in
round one) and Harbour's charter self-assessment of its "Peer support project".  Round two
(2025-26): the same but Westbrook, with Eastfield new, and these changes made on purpose:

- Riverside: 1.1 Silver → Gold (up), 1.2 Gold → Silver (down), 2.1 blank → Bronze (new),
  3.1 Silver → blank (gone), 4.1 blank → blank (same); every other indicator the same.
- Northgate: 5.1 Silver → Gold (up); everything else the same (Silver).
- Harbour (charter, project): C.1 Partly met → Met (up), C.2 Partly met → Not met (down).

Each round is made as a user makes one: forms written, filled in, merged with `coproduce merge`.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator import resolve_instrument
from generator.cli import cli
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity

V11 = resolve_instrument()
CHARTER = resolve_instrument("charter-appendix-d")
PROJECT = "Peer support project"


def _v11(base: str, **changes: str | None) -> dict[str, str]:
    answers = {i.id: base for i in V11.indicators}
    for key, value in changes.items():
        indicator = key[1:].replace("_", ".")
        if value is None:
            answers.pop(indicator)
        else:
            answers[indicator] = value
    return answers


def _charter(**changes: str) -> dict[str, str]:
    answers = {i.id: "partly-met" for i in CHARTER.indicators}
    answers.update({key.replace("_", "."): value for key, value in changes.items()})
    return answers


#: Riverside's section 3 is Silver in round one (and 3.1 blank in round two); the rest Bronze.
_RIVERSIDE_ONE = _v11("bronze", i1_1="silver", i1_2="gold", i2_1=None, i4_1=None,
                      i3_1="silver", i3_2="silver", i3_3="silver", i3_4="silver")  # fmt: skip
_RIVERSIDE_TWO = _v11("bronze", i1_1="gold", i1_2="silver", i2_1="bronze", i4_1=None,
                      i3_1=None, i3_2="silver", i3_3="silver", i3_4="silver")  # fmt: skip

ROUNDS = {
    "2024-25": [
        ("riverside-staff.docx", V11, "Riverside Community Trust", "Staff team", _RIVERSIDE_ONE, {}),
        ("riverside-panel.xlsx", V11, "Riverside Community Trust", "Service user panel", _RIVERSIDE_ONE, {}),
        ("northgate.pdf", V11, "Northgate Housing", "Staff", _v11("silver"), {}),
        ("westbrook.xlsx", V11, "Westbrook Care", "Staff", _v11("bronze"), {}),
        ("harbour.xlsx", CHARTER, "Harbour Carers Forum", "Carers and staff", _charter(), {"work_assessed": PROJECT}),
    ],
    "2025-26": [
        ("riverside-staff.docx", V11, "Riverside Community Trust", "Staff team", _RIVERSIDE_TWO, {}),
        ("riverside-panel.pdf", V11, "Riverside Community Trust", "Service user panel", _RIVERSIDE_TWO, {}),
        ("northgate.xlsx", V11, "Northgate Housing", "Staff", _v11("silver", i5_1="gold"), {}),
        ("eastfield.docx", V11, "Eastfield Trust", "Staff", _v11("gold"), {}),
        (
            "harbour.xlsx",
            CHARTER,
            "Harbour Carers Forum",
            "Carers and staff",
            _charter(C_1="met", C_2="not-met"),
            {"work_assessed": PROJECT},
        ),  # fmt: skip
    ],
}


def make_round(period: str, folder: Path) -> Path:
    """Write round ``period``'s returns into ``folder``/returns and merge them into ``folder``/results;
    returns the results folder."""
    returns = folder / "returns"
    returns.mkdir(parents=True)
    for n, (name, instrument, organisation, who, answers, cover) in enumerate(ROUNDS[period]):
        values = FormValues(
            cover={"organisation": organisation, "completed_by": who, "review_period": period,
                   "date": f"20{period[-2:]}-03-{10 + n}", **cover},
            answers=answers,
            comments={"1.1": f"=SUM(A1) said by {who}"} if instrument is V11 else {},
        )  # fmt: skip
        identity = new_identity(instrument, organisation, form_id=f"{period}-{n}")
        write_form(name.rsplit(".", 1)[1], instrument, identity, returns / name, values)
    results = folder / "results"
    outcome = CliRunner().invoke(cli, ["merge", str(returns), "--out", str(results)])
    assert outcome.exit_code == 0, outcome.output
    return results
