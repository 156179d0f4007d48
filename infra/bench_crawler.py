"""The driver of infra/bench-crawler.sh: builds the manifest from the generated site, runs
both tools against the simulator, and prints their figures side by side.

Both tools get the same manifest (one dbt model per table of the site's ANALYTICS
database, lower case as dbt writes it) and read the same simulated Tableau site."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Runs the crawler's own command, signing in with a PAT instead of user and password.
CRAWLER_RUNNER = """
import os
import tableauserverclient as TSC
from exposurescrawler.tableau import rest_client

site = os.environ["CRAWLER_SITE"]
rest_client.TSC.TableauAuth = lambda name, secret: TSC.PersonalAccessTokenAuth(
    name, secret, site_id=site)

from exposurescrawler.crawlers.tableau import tableau_crawler_command
tableau_crawler_command()
"""

PAT_NAME, PAT_SECRET, SITE = "bench-pat", "bench-secret", "bench"


def manifest_for(site):
    """One model per ANALYTICS table; the crawler needs `alias`, `sources`, `exposures`
    and `parent_map` to be present."""
    nodes = {}
    for table in site["tables"]:
        if table.get("database") != "ANALYTICS":
            continue
        name, schema = table["name"].lower(), table.get("schema", "").lower()
        unique_id = f"model.bench.{schema}__{name}"
        nodes[unique_id] = {
            "resource_type": "model", "name": f"{schema}__{name}", "alias": name,
            "database": "analytics", "schema": schema, "package_name": "bench",
            "unique_id": unique_id,
            "config": {"materialized": "table", "enabled": True},
        }
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "generated_at": "2026-12-01T06:00:00Z", "invocation_id": "bench-1",
            "project_name": "bench",
        },
        "nodes": nodes, "sources": {}, "exposures": {}, "parent_map": {}, "child_map": {},
    }


def run_measured(command, env, out_path):
    """Runs `command`; returns (seconds, peak RSS in MiB) of that process alone."""
    started = time.perf_counter()
    with open(out_path, "w") as out, open(str(out_path) + ".err", "w") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{command[0]} failed ({code}); see {out_path}.err")
    return seconds, usage.ru_maxrss / 1024


def run_autoexpose(args, manifest_path, roots, out):
    env = dict(os.environ, AUTOEXPOSE_TABLEAU_TOKEN_SECRET=PAT_SECRET)
    command = [args.autoexpose, "sync", "--manifest", str(manifest_path),
               "--server-url", args.server_url, "--site", SITE, "--token-name", PAT_NAME,
               "--collections", ",".join(roots), "--format", "json", "--out", str(out)]
    seconds, peak = run_measured(command, env, Path(str(out) + ".log"))
    exposures = json.loads(Path(out).read_text())["exposures"]
    edges = {(e["workbook_luid"], node) for e in exposures for node in e["depends_on"]}
    return seconds, peak, len(exposures), edges


def run_crawler(args, manifest_path, luid_by_url_id, work):
    manifest_copy = work / "crawler-manifest.json"
    shutil.copyfile(manifest_path, manifest_copy)  # the crawler writes into its manifest
    runner = work / "crawler_runner.py"
    runner.write_text(CRAWLER_RUNNER)
    env = dict(os.environ, TABLEAU_URL=args.server_url, TABLEAU_USERNAME=PAT_NAME,
               TABLEAU_PASSWORD=PAT_SECRET, CRAWLER_SITE=SITE)
    command = [args.crawler_python, str(runner), "--manifest-path", str(manifest_copy),
               "--dbt-package-name", "bench"]
    seconds, peak = run_measured(command, env, work / "crawler.log")
    result = json.loads(manifest_copy.read_text())
    edges = set()
    for unique_id, exposure in result["exposures"].items():
        url_id = re.search(r"/workbooks/(\d+)", exposure["url"]).group(1)
        for node in result["parent_map"].get(unique_id, []):
            edges.add((luid_by_url_id[url_id], node))
    return seconds, peak, len(result["exposures"]), edges


def main():
    parser = argparse.ArgumentParser()
    for flag in ["--site-file", "--server-url", "--work", "--autoexpose",
                 "--crawler-python", "--profile", "--crawler-version"]:
        parser.add_argument(flag, required=True)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    work = Path(args.work)
    site = json.loads(Path(args.site_file).read_text())["sites"][0]
    manifest_path = work / "manifest.json"
    manifest_path.write_text(json.dumps(manifest_for(site)))
    roots = [p["id"] for p in site["projects"] if not p.get("parent_id")]
    luid_by_url_id = {w["vizportal_url_id"]: w["luid"] for w in site["workbooks"]}

    print(f"crawler comparison: {len(site['workbooks'])} workbooks x 10 tables, "
          f"{len(manifest_for(site)['nodes'])} dbt models; autoexpose ({args.profile} build) "
          f"vs dbt-exposures-crawler {args.crawler_version}")
    print(f"{'tool':<24} {'run':>3} {'wall s':>8} {'peak MiB':>9} {'exposures':>10} {'edges':>7}")
    ours, theirs = [], []
    for run in range(1, args.runs + 1):
        a = run_autoexpose(args, manifest_path, roots, work / "autoexpose.json")
        c = run_crawler(args, manifest_path, luid_by_url_id, work)
        for name, r, into in (("autoexpose", a, ours), ("dbt-exposures-crawler", c, theirs)):
            into.append(r)
            print(f"{name:<24} {run:>3} {r[0]:>8.2f} {r[1]:>9.1f} {r[2]:>10} {len(r[3]):>7}")
    for (a, c) in zip(ours, theirs):
        print(f"ratio (crawler / autoexpose): wall {c[0] / a[0]:.1f}x, "
              f"peak memory {c[1] / a[1]:.1f}x")
    a_edges, c_edges = ours[-1][3], theirs[-1][3]
    print(f"edges in both: {len(a_edges & c_edges)}, only autoexpose: {len(a_edges - c_edges)}, "
          f"only crawler: {len(c_edges - a_edges)}")


if __name__ == "__main__":
    main()
