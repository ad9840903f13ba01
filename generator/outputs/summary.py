"""The one-screen terminal summary of a merge."""

from __future__ import annotations

from typing import Any


def merge_summary(data: dict[str, Any]) -> str:
    """Files found, merged, superseded, rejected (with reasons), skipped; organisations and tiers, and
    where the rules give sections a status, each section's status and the share at the top level."""
    counts = data["counts"]
    labels = {lv["id"]: lv["label"] for inst in data["instruments"] for lv in inst["scale"]}
    tops = {inst["id"]: inst["scale"][-1]["id"] for inst in data["instruments"] if inst["scale"]}
    lines = [
        f"Files found: {counts['found']}  merged: {counts['merged']}  superseded: {counts['superseded']}  "
        f"rejected: {counts['rejected']}  skipped: {counts['skipped']}"
    ]
    for entry in data["manifest"]:
        if entry["fate"] == "rejected":
            lines.append(f"  rejected  {entry['file']}: {entry['reason']}")
    for entry in data["manifest"]:
        if entry["fate"] == "superseded":
            lines.append(f"  superseded  {entry['file']} by {entry['superseded_by']} ({entry['reason']})")
    organisations = data["organisations"]
    lines.append(f"Organisations: {len(organisations)}")
    width = max((len(o["name"]) for o in organisations), default=0)
    for org in organisations:
        tier = labels.get(org["tier"], "incomplete") if org["tier"] else "incomplete"
        sections = " ".join(
            (labels.get(s["tier"], "?")[:1] if s["tier"] else "·") for s in org["sections"]
        )  # one letter per section
        status = ""
        if any("status" in s for s in org["sections"]):  # the rules rate sections (Green, Amber, Red)
            letters = " ".join((s["status"]["label"][:1] if s.get("status") else "·") for s in org["sections"])
            top = tops.get(org["instrument"])
            share = f"  {round(org['shares'].get(top, 0.0) * 100)}% {labels.get(top, top)}" if top else ""
            status = f"  status: {letters}{share}"
        lines.append(
            f"  {org['name'].ljust(width)}  {tier:<10}  {org['points']}/{org['max_points']} points  "
            f"sections: {sections}{status}  respondents: {len(org['respondents'])}"
            + (f"  disagreements: {org['disagreements']}" if org["disagreements"] else "")
            + (f"  perception gaps: {org['perception_gaps']}" if org["perception_gaps"] else "")
        )
    return "\n".join(lines)
