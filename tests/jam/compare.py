#!/usr/bin/env python3
"""Compare artflow's status-rule lead times with jira-agile-metrics' cycle times.

Checks issue 6's claim: with `restart_on_uncommit = true`, artflow's lead times on the real
Jira export `ut-search.json` agree with jira-agile-metrics' (JAM) cycle times to the day.

What it does, for each UT status-rule configuration of the artflow TOML (UT-FLOW, UT-DEV):

1. JAM side: wraps every issue of the search response in the small fake Jira objects JAM's own
   tests use (FauxJIRA / FauxIssue / FauxChange in jira_agile_metrics/conftest.py, re-declared
   here so this file needs no pytest), builds a JAM `cycle` from the artflow configuration
   (the stages before `start` form the backlog column, `start` .. the last non-done stage are
   one "accepted" column each, the `done` statuses the "complete" column: what JAM's own
   `Workflow:` section gives when its columns are artflow's stages), keeps the configuration's
   `issue_types`, and runs JAM's CycleTimeCalculator.
2. artflow side: copies the TOML twice (as is, and with `restart_on_uncommit = true` in the
   compared UT configurations), and for each copy, on a fresh temporary SQLite database, runs
   `artflow config apply`, `artflow import ut-search.json`, then `artflow serve` on a free local
   port and reads `GET /arts/UT/issues?config=CODE&format=csv` (start, end, outcome, lead days).
3. Prints, per configuration, one row per issue (JAM committed/done dates and cycle days; for
   each artflow convention its outcome, start/end as local Jira dates and lead days) and lists
   every disagreement with its cause.

"Agree to the day" means: both count the issue (JAM has a cycle time, artflow's outcome is
`counted`) and round(artflow lead days) == JAM cycle days, or neither counts it. The script also
says whether artflow's start and end fall on the same local calendar days as JAM's dates (JAM
measures whole days between `datetime.date()`s in the changelog's own UTC offset; artflow keeps
exact milliseconds).

Run (from the repository root):

    python3 -m venv /var/tmp/jam-venv && /var/tmp/jam-venv/bin/pip install jira-agile-metrics
    export CARGO_TARGET_DIR=/var/tmp/artflow-target && cargo build -p artflow
    /var/tmp/jam-venv/bin/python tests/jam/compare.py \
        [--artflow /var/tmp/artflow-target/debug/artflow] \
        [--data /work/shared/data/jira-real/ut-search.json] \
        [--config /work/shared/data/jira-real/artflow.toml] [--art UT] [--pipeline UT-FLOW ...]

Exit status: 0 when every issue agrees to the day under restart_on_uncommit, 1 otherwise.
"""

import argparse
import csv
import datetime as dt
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request

import dateutil.parser
import pandas as pd
from jira_agile_metrics.calculators.cycletime import CycleTimeCalculator
from jira_agile_metrics.querymanager import QueryManager
from jira_agile_metrics.utils import StatusTypes

# --- JAM's fakes (the approach of jira_agile_metrics/conftest.py) ------------------------------


class FauxFieldValue:
    def __init__(self, name, value):
        self.name = name
        self.value = value


class FauxFields:
    def __init__(self, fields):
        self.__dict__.update(fields)


class FauxChangeItem:
    def __init__(self, field, fromString, toString):
        self.field = field
        self.from_ = self.fromString = fromString
        self.to = self.toString = toString


class FauxChange:
    def __init__(self, created, items):
        self.created = created
        self.items = [FauxChangeItem(*i) for i in items]


class FauxChangelog:
    def __init__(self, changes):
        self.histories = changes


class FauxIssue:
    def __init__(self, key, changes, **fields):
        self.key = key
        self.fields = FauxFields(fields)
        self.changelog = FauxChangelog(changes)


class FauxJIRA:
    def __init__(self, fields, issues, options=None):
        self._options = options or {"server": "https://example.org"}
        self._fields = fields
        self._issues = issues

    def fields(self):
        return self._fields

    def search_issues(self, jql, *args, **kwargs):
        return self._issues


JAM_FIELDS = [
    {"id": "summary", "name": "Summary"},
    {"id": "issuetype", "name": "Issue type"},
    {"id": "status", "name": "Status"},
    {"id": "resolution", "name": "Resolution"},
    {"id": "created", "name": "Created date"},
    {"id": "customfield_100", "name": "Flagged"},
]


def faux_issue(raw):
    """A FauxIssue from one issue of a Jira search response (expand=changelog)."""
    f = raw["fields"]

    def named(v):
        return FauxFieldValue(v["name"], v["name"]) if v else None

    changes = [
        FauxChange(h["created"], [(i["field"], i.get("fromString"), i.get("toString")) for i in h["items"]])
        for h in raw["changelog"]["histories"]
    ]
    return FauxIssue(
        raw["key"],
        changes,
        summary=f.get("summary"),
        issuetype=named(f.get("issuetype")),
        status=named(f.get("status")),
        resolution=named(f.get("resolution")),
        resolutiondate=f.get("resolutiondate"),
        created=f["created"],
    )


def jam_cycle(spec):
    """JAM's `cycle` for an artflow status-rule configuration (see the module docstring)."""
    stages = [s if isinstance(s, str) else s["name"] for s in spec["stages"]]
    start, done = stages.index(spec["start"]), set(spec["done"])
    if any(s in done for s in stages[:start]) or stages[-len(done):] != [s for s in stages if s in done]:
        sys.exit(f"{spec['code']}: done stages must be the last ones and after start for this mapping")
    cycle = []
    if start > 0:
        cycle.append({"name": stages[0], "statuses": stages[:start], "type": StatusTypes.backlog})
    for s in stages[start:len(stages) - len(done)]:
        cycle.append({"name": s, "statuses": [s], "type": StatusTypes.accepted})
    cycle.append({"name": "Done", "statuses": stages[len(stages) - len(done):], "type": StatusTypes.complete})
    return cycle


def run_jam(issues, spec):
    """{key: {'committed': date|None, 'done': date|None, 'days': int|None}} for the covered issues."""
    types = {t.lower() for t in spec.get("issue_types", [])}
    covered = [i for i in issues if not types or i["fields"]["issuetype"]["name"].lower() in types]
    cycle = jam_cycle(spec)
    settings = {
        "attributes": {},
        "known_values": {},
        "max_results": None,
        "cycle": cycle,
        "query_attribute": None,
        "queries": [{"jql": "project = UT", "value": None}],
        "backlog_column": cycle[0]["name"],
        "committed_column": next(c["name"] for c in cycle if c["type"] == StatusTypes.accepted),
        "final_column": cycle[-2]["name"],
        "done_column": cycle[-1]["name"],
    }
    qm = QueryManager(FauxJIRA(JAM_FIELDS, [faux_issue(i) for i in covered]), settings)
    frame = CycleTimeCalculator(qm, settings, {}).run(now=dt.datetime(2026, 1, 1))
    accepted = [c["name"] for c in cycle if c["type"] == StatusTypes.accepted]
    out = {}
    for _, row in frame.iterrows():
        committed = next((row[c] for c in accepted if not _nat(row[c])), None)
        out[row["key"]] = {
            "committed": None if committed is None else committed.date(),
            "done": None if _nat(row["Done"]) else row["Done"].date(),
            "days": None if _nat(row["cycle_time"]) else row["cycle_time"].days,
            "status": row["status"],
        }
    return out


def _nat(v):
    return v is None or pd.isna(v)


# --- artflow ------------------------------------------------------------------------------------


def with_restart(toml_text, codes):
    """The TOML text with `restart_on_uncommit = true` added to the pipelines in `codes`."""
    out = []
    for line in toml_text.splitlines():
        out.append(line)
        m = re.match(r'\s*code\s*=\s*"([^"]+)"', line)
        if m and m.group(1) in codes:
            out.append("restart_on_uncommit = true")
    text = "\n".join(out) + "\n"
    parsed = tomllib.loads(text)
    flagged = {p["code"] for a in parsed["art"] for p in a.get("pipeline", []) if p.get("restart_on_uncommit")}
    assert flagged == set(codes), flagged
    return text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_artflow(binary, toml_text, data, art, codes, workdir, tag):
    """{code: {key: row}} from artflow's per-issue API, on a fresh SQLite database."""
    cfg = os.path.join(workdir, f"{tag}.toml")
    with open(cfg, "w") as fh:
        fh.write(toml_text)
    env = dict(os.environ, DATABASE_URL=f"sqlite://{workdir}/{tag}.db?mode=rwc")
    env.pop("QUEUE_URL", None)
    log = open(os.path.join(workdir, f"{tag}.log"), "w")
    for args in (["config", "apply", cfg], ["import", data]):
        subprocess.run([binary, *args], env=env, check=True, stdout=log, stderr=log)
    port = free_port()
    server = subprocess.Popen(
        [binary, "serve", "--bind", f"127.0.0.1:{port}", "--insecure-no-auth"], env=env, stdout=log, stderr=log
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"artflow serve exited; see {log.name}")
                time.sleep(0.1)
        result = {}
        for code in codes:
            body = urllib.request.urlopen(f"{base}/arts/{art}/issues?config={code}&format=csv", timeout=10).read()
            result[code] = {r["key"]: r for r in csv.DictReader(io.StringIO(body.decode()))}
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


# --- comparison ---------------------------------------------------------------------------------


def local_dates(issues):
    """Epoch ms -> the Jira timestamp as written (with its own UTC offset), for every created
    time and status change, so artflow's UTC start/end can be read as JAM reads dates."""
    out = {}
    for i in issues:
        stamps = [i["fields"]["created"]] + [h["created"] for h in i["changelog"]["histories"]]
        for s in stamps:
            t = dateutil.parser.parse(s)
            out[round(t.timestamp() * 1000)] = t
    return out


def utc_ms(s):
    return round(dateutil.parser.isoparse(s).timestamp() * 1000) if s else None


def status_path(raw):
    items = [
        (dateutil.parser.parse(h["created"]), it["fromString"], it["toString"])
        for h in raw["changelog"]["histories"]
        for it in h["items"]
        if it["field"] == "status"
    ]
    items.sort(key=lambda x: x[0])
    return items


def uncommits(raw, spec):
    """Moves back to a stage before start after the issue had reached start (dates)."""
    stages = [s if isinstance(s, str) else s["name"] for s in spec["stages"]]
    start = stages.index(spec["start"])
    path = status_path(raw)
    first = path[0][1] if path else raw["fields"]["status"]["name"]
    reached = first in stages and stages.index(first) >= start
    out = []
    for at, _frm, to in path:
        if to not in stages:
            continue
        if stages.index(to) >= start:
            reached = True
        elif reached:
            out.append((at, to))
    return out


def back_within(raw, spec):
    """Backward moves that stay at or after the start stage (dates, from, to)."""
    stages = [s if isinstance(s, str) else s["name"] for s in spec["stages"]]
    start = stages.index(spec["start"])
    return [
        (at, frm, to)
        for at, frm, to in status_path(raw)
        if frm in stages and to in stages and start <= stages.index(to) < stages.index(frm)
    ]


def explain(key, raw, spec, jam, af, lt, convention):
    """Why artflow (one convention) and JAM disagree on one issue."""
    path = " -> ".join([status_path(raw)[0][1]] + [f"{to} ({at:%Y-%m-%d})" for at, _f, to in status_path(raw)]) \
        if status_path(raw) else raw["fields"]["status"]["name"]
    af_counted = af["outcome"] == "counted"
    jam_counted = jam["days"] is not None
    s_loc = lt.get(utc_ms(af["start"]))
    e_loc = lt.get(utc_ms(af["end"]))
    if af_counted != jam_counted:
        if af["outcome"] == "never_active" and jam["committed"] is None:
            why = "went straight from before start to done: artflow starts and ends it at the done entry " \
                  "(lead 0, never_active, not counted), JAM has no committed date (no cycle time)"
        elif af_counted and jam["committed"] is None and uncommits(raw, spec) and convention == "default":
            why = "went back before start, then straight to done: JAM wiped its commitment (no cycle time), " \
                  "artflow without restart_on_uncommit keeps the first start"
        else:
            why = f"artflow outcome {af['outcome']}, JAM committed {jam['committed']} done {jam['done']}"
        return f"counted by {'artflow' if af_counted else 'JAM'} only: {why}; history {path}"
    reasons = []
    if s_loc and s_loc.date() != jam["committed"]:
        u = uncommits(raw, spec)
        if u and convention == "default":
            reasons.append(
                f"start: artflow keeps the first commitment {s_loc:%Y-%m-%d} although the issue went back to "
                f"{u[-1][1]} on {u[-1][0]:%Y-%m-%d}; JAM wiped it and restarts at {jam['committed']} "
                f"(the restart_on_uncommit convention)"
            )
        elif back_within(raw, spec):
            at, frm, to = back_within(raw, spec)[-1]
            reasons.append(
                f"start: artflow {s_loc:%Y-%m-%d} (first entry at or after start), JAM {jam['committed']}: the "
                f"backward move {frm} -> {to} on {at:%Y-%m-%d} stays at or after start, so no restart in artflow, "
                f"but JAM wipes every later column and its committed date becomes the entry into the earliest "
                f"column still recorded"
            )
        else:
            reasons.append(f"start: artflow {s_loc:%Y-%m-%d}, JAM committed {jam['committed']}")
    if e_loc and e_loc.date() != jam["done"]:
        reasons.append(f"end: artflow {e_loc:%Y-%m-%d}, JAM done {jam['done']}")
    if not reasons:
        reasons.append(
            f"same start and end days ({jam['committed']} .. {jam['done']}); artflow counts exact time "
            f"({float(af['lead_days']):.3f} d), JAM whole calendar days in the changelog's UTC offset"
        )
    return "; ".join(reasons) + f"; history {path}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--artflow", default="/var/tmp/artflow-target/debug/artflow")
    p.add_argument("--data", default="/work/shared/data/jira-real/ut-search.json")
    p.add_argument("--config", default="/work/shared/data/jira-real/artflow.toml")
    p.add_argument("--art", default="UT")
    p.add_argument("--pipeline", action="append", help="configuration code (default: every status rule of --art)")
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)

    with open(args.data) as fh:
        issues = json.load(fh)["issues"]
    by_key = {i["key"]: i for i in issues}
    with open(args.config) as fh:
        toml_text = fh.read()
    art = next(a for a in tomllib.loads(toml_text)["art"] if a["abbreviation"] == args.art)
    specs = {p["code"]: p for p in art["pipeline"] if p["rule"] == "status"}
    codes = args.pipeline or list(specs)
    lt = local_dates(issues)

    with tempfile.TemporaryDirectory(prefix="artflow-jam-") as work:
        runs = {
            "restart": run_artflow(args.artflow, with_restart(toml_text, codes), args.data, args.art, codes, work, "restart"),
            "default": run_artflow(args.artflow, toml_text, args.data, args.art, codes, work, "default"),
        }

    all_ok = True
    for code in codes:
        spec = specs[code]
        jam = run_jam(issues, spec)
        keys = sorted(set(jam) | set(runs["restart"][code]), key=lambda k: int(k.split("-")[1]))
        print(f"\n=== {code}: stages {spec['stages']}, start {spec['start']!r}, done {spec['done']}, "
              f"issue_types {spec.get('issue_types', 'all')}, min_lead_time_days {spec.get('min_lead_time_days')}")
        print("JAM cycle: " + ", ".join(f"{c['name']}[{c['type']}]={c['statuses']}" for c in jam_cycle(spec)))
        hdr = f"{'key':7} {'JAM committed':13} {'JAM done':10} {'JAM d':>5} | " \
              f"{'restart: outcome':16} {'start':10} {'end':10} {'lead d':>8} {'rnd':>4} {'=':1} | " \
              f"{'default: outcome':16} {'lead d':>8} {'rnd':>4} {'=':1}"
        print(hdr)
        print("-" * len(hdr))
        agree = {"restart": 0, "default": 0}
        problems = {"restart": [], "default": []}
        notes = {"restart": [], "default": []}
        for k in keys:
            j = jam.get(k)
            cells = []
            for conv in ("restart", "default"):
                a = runs[conv][code].get(k)
                if j is None or a is None:
                    problems[conv].append((k, f"covered by {'JAM' if a is None else 'artflow'} only"))
                    cells.append((a, None, "n"))
                    continue
                lead = float(a["lead_days"]) if a["lead_days"] and a["outcome"] == "counted" else None
                rnd = None if lead is None else int(lead + 0.5)
                ok = (lead is None and j["days"] is None) or (lead is not None and rnd == j["days"])
                if ok:
                    agree[conv] += 1
                else:
                    problems[conv].append((k, explain(k, by_key[k], spec, j, a, lt, conv)))
                cells.append((a, lead, "y" if ok else "N"))
                s_loc = lt.get(utc_ms(a["start"]))
                if ok and lead is None and s_loc and j["committed"] and s_loc.date() != j["committed"]:
                    notes[conv].append(
                        f"  note {k} ({a['outcome']}): start {s_loc:%Y-%m-%d} vs JAM committed {j['committed']} "
                        f"(no lead time either way; its WIP age differs)")
            (ar, lr, okr), (ad, ld, okd) = cells
            s = lt.get(utc_ms(ar["start"])) if ar and ar["start"] else None
            e = lt.get(utc_ms(ar["end"])) if ar and ar["end"] else None

            def fmt(x, w, spec_=""):
                return f"{'' if x is None else format(x, spec_):>{w}}"

            print(f"{k:7} {fmt(j and j['committed'], 13)} {fmt(j and j['done'], 10)} {fmt(j and j['days'], 5)} | "
                  f"{(ar or {}).get('outcome', '-'):16} {fmt(s and s.date(), 10)} {fmt(e and e.date(), 10)} "
                  f"{fmt(lr, 8, '.3f')} {fmt(None if lr is None else int(lr + .5), 4)} {okr} | "
                  f"{(ad or {}).get('outcome', '-'):16} {fmt(ld, 8, '.3f')} {fmt(None if ld is None else int(ld + .5), 4)} {okd}")
        n = len(keys)
        for conv in ("restart", "default"):
            counted_af = sum(1 for r in runs[conv][code].values() if r["outcome"] == "counted")
            counted_jam = sum(1 for r in jam.values() if r["days"] is not None)
            floor_agree = sum(
                1 for k in keys
                if k in jam and k in runs[conv][code]
                and ((runs[conv][code][k]["outcome"] == "counted") == (jam[k]["days"] is not None))
                and (jam[k]["days"] is None or int(float(runs[conv][code][k]["lead_days"])) == jam[k]["days"])
            )
            print(f"\n{code} {'restart_on_uncommit = true' if conv == 'restart' else 'default (no restart)'}: "
                  f"{agree[conv]}/{n} issues agree to the day (rounded; {floor_agree}/{n} if artflow's days were "
                  f"truncated); counted: artflow {counted_af}, JAM {counted_jam}")
            for k, why in problems[conv]:
                print(f"  {k}: {why}")
            for line in notes[conv]:
                print(line)
        all_ok &= not problems["restart"]
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
