"""Drive the simulator with Tableau's own Python client (tableauserverclient).

Usage: tsc_check.py BASE_URL
Exits non-zero, with a message, on any mismatch with the example site's expected counts.
"""

import sys

import tableauserverclient as TSC

EXPECTED_PROJECTS = 5
EXPECTED_WORKBOOKS = 7
REFRESH_WORKBOOK = "e1e1e1e1-0002-4000-8000-0000000000e2"  # Daily Orders

QUERY = """
query Workbooks($first: Int, $after: String) {
  workbooksConnection(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { luid name projectName upstreamTables { name schema database { name } } }
  }
}
"""


def fail(message):
    print(f"MISMATCH: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    base_url = sys.argv[1]
    server = TSC.Server(base_url, use_server_version=True)
    auth = TSC.PersonalAccessTokenAuth("autoexpose-ci", "ci-secret-0123456789", site_id="acme")
    with server.auth.sign_in(auth):
        if server.version != "3.25":
            fail(f"expected API version 3.25 after sign-in, got {server.version}")

        options = TSC.RequestOptions(pagesize=2)
        projects = list(TSC.Pager(server.projects, options))
        if len(projects) != EXPECTED_PROJECTS:
            fail(f"expected {EXPECTED_PROJECTS} projects, got {len(projects)}")
        top_level = [p.name for p in projects if p.parent_id is None]
        if sorted(top_level) != ["Finance", "Marketing", "Sandbox"]:
            fail(f"unexpected top-level projects {top_level}")

        workbooks = []
        pages = 0
        after = None
        while True:
            result = server.metadata.query(QUERY, variables={"first": 3, "after": after})
            if result.get("errors"):
                fail(f"GraphQL errors: {result['errors']}")
            connection = result["data"]["workbooksConnection"]
            if connection["totalCount"] != EXPECTED_WORKBOOKS:
                fail(f"totalCount {connection['totalCount']}")
            workbooks.extend(connection["nodes"])
            pages += 1
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
            if pages > 10:
                fail("metadata paging does not end")
        luids = {w["luid"] for w in workbooks}
        if len(luids) != EXPECTED_WORKBOOKS or pages != 3:
            fail(f"expected {EXPECTED_WORKBOOKS} workbooks on 3 pages, got {len(luids)} on {pages}")

        job = server.workbooks.refresh(REFRESH_WORKBOOK)
        if job is None or job.type != "RefreshExtract":
            fail(f"unexpected refresh job {job}")
        done = server.jobs.wait_for_job(job, timeout=30)
        if done.finish_code != 0 or done.workbook_id != REFRESH_WORKBOOK:
            fail(f"job ended with finish code {done.finish_code} for {done.workbook_id}")

    print(
        f"tsc ok: api {server.version}, {len(projects)} projects, "
        f"{len(luids)} workbooks on {pages} metadata pages, refresh job {done.id} finished"
    )


if __name__ == "__main__":
    main()
