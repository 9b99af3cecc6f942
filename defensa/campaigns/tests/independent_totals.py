"""Totals of the real 287(g) workbooks, counted independently of the importer.

Plain openpyxl (full mode, with hyperlinks), no Defensa code: a row is an agreement when it
names a state, an agency and a support type; counties are matched only by exact name.
Run: .venv/bin/python defensa/campaigns/tests/independent_totals.py [DIR]
"""

import collections
import csv
import datetime
import json
import sys
from importlib import resources
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve()
DATA = (
    Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / ".." / "shared" / "research-data"
)
MODELS = {
    "jail enforcement model": "JEM",
    "task force model": "TFM",
    "warrant service officer": "WSO",
    "warrant service office": "WSO",
}


def clean(value):
    if value is None:
        return ""
    return " ".join(str(value).replace("\xa0", " ").split())


def counties():
    names = set()
    with open(HERE.parent.parent / "data" / "fips-counties.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names.add((row["state"], row["countyname"].casefold()))
    return names


def states():
    table = {}
    with (resources.files("addfips") / "data" / "states.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            table[row["name"].upper()] = row["postal"]
    return table


def summarize(path, county_names, state_codes):
    book = openpyxl.load_workbook(path)  # full mode: hyperlinks are readable
    sheet = book.worksheets[0]
    header = [clean(c.value).upper() for c in sheet[1]]
    col = {name: i for i, name in enumerate(header) if name}
    out: dict = {
        "agreements": 0,
        "blank_rows": 0,
        "models": collections.Counter(),
        "states": collections.Counter(),
        "types": collections.Counter(),
        "agencies": set(),
        "moa_links": 0,
        "addendum_links": 0,
        "link_without_hyperlink": [],
        "signed_not_a_date": [],
        "signed_out_of_range": [],
        "county_blank": 0,
        "county_unmatched": [],
        "keys": set(),
        "duplicates": [],
    }
    for number, row in enumerate(sheet.iter_rows(min_row=2), start=2):
        values = [clean(c.value) for c in row]
        if not any(values):
            out["blank_rows"] += 1
            continue

        def get(name, values=values):
            return values[col[name]] if name in col else ""

        state = state_codes[get("STATE").upper()]
        agency = get("LAW ENFORCEMENT AGENCY")
        model = MODELS[get("SUPPORT TYPE").casefold()]
        out["agreements"] += 1
        out["models"][model] += 1
        out["states"][state] += 1
        out["types"][get("TYPE").casefold()] += 1
        name_key = agency.replace("\u2019", "'").casefold()
        out["agencies"].add((state, name_key))
        key = (state, name_key, model)
        if key in out["keys"]:
            out["duplicates"].append(number)
        out["keys"].add(key)
        if "MOA" in col:
            cell = row[col["MOA"]]
            if (cell.hyperlink is not None and cell.hyperlink.target) or clean(
                cell.value
            ).startswith("http"):
                out["moa_links"] += 1
            elif clean(cell.value).casefold() not in ("link pending", "") and not clean(
                cell.value
            ).startswith("http"):
                out["link_without_hyperlink"].append(number)
        if "ADDENDUM" in col:
            cell = row[col["ADDENDUM"]]
            if cell.hyperlink is not None and cell.hyperlink.target:
                out["addendum_links"] += 1
        if "SIGNED" in col:
            raw = row[col["SIGNED"]].value
            if isinstance(raw, datetime.datetime):
                if not datetime.date(1996, 9, 30) <= raw.date() <= datetime.date(2026, 12, 31):
                    out["signed_out_of_range"].append((number, raw.date().isoformat()))
            else:
                try:
                    datetime.date.fromisoformat(clean(raw))
                except ValueError:
                    out["signed_not_a_date"].append((number, clean(raw)))
        if "COUNTY" in col:
            county = get("COUNTY")
            if county.upper() in ("#N/A", "#NA", "N/A", ""):
                out["county_blank"] += 1
            elif (state, county.casefold()) not in county_names:
                out["county_unmatched"].append((number, county))
    out["agencies"] = len(out["agencies"])
    out["keys"] = sorted(out["keys"])
    for name in ("models", "states", "types"):
        out[name] = dict(sorted(out[name].items()))
    return out


def main():
    county_names, state_codes = counties(), states()
    result = {}
    for path in sorted((DATA / "ice-287g").glob("*.xlsx")):
        result[path.name] = summarize(path, county_names, state_codes)
    older = set(map(tuple, result["participatingAgencies-20250221214937.xlsx"]["keys"]))
    newer = set(map(tuple, result["participatingAgencies05182026am.xlsx"]["keys"]))
    result["changes Feb 2025 -> May 2026"] = {
        "added": len(newer - older),
        "ended": len(older - newer),
        "continued": len(older & newer),
        "added_by_model": dict(collections.Counter(k[2] for k in newer - older)),
        "ended_by_model": dict(collections.Counter(k[2] for k in older - newer)),
    }
    for value in result.values():
        value.pop("keys", None)
    sys.stdout.write(json.dumps(result, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
