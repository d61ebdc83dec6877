#!/usr/bin/env python3
"""Seeded, varied engineering sentences (issue titles, commit messages, incident notes, review
comments) for the real-embedding data set, synthesised from templates; no network.

usage: gen_sentences.py OUT.txt COUNT SEED   (one sentence per line, all distinct)
"""
import random, sys

COMPONENTS = """auth service|login page|payment gateway|search index|billing worker|notification queue|
metrics exporter|API gateway|user profile endpoint|CI pipeline|deploy script|database migration|cache layer|
websocket server|rate limiter|feature flag service|export job|import wizard|dashboard|settings page|
mobile app|webhook handler|audit log|session store|email sender|report generator|file uploader|
GraphQL resolver|Kafka consumer|Redis cluster|Postgres replica|load balancer|TLS terminator|
SSO integration|OAuth callback|retry policy|scheduler|cron job|image resizer|PDF renderer|
analytics pipeline|ETL job|vector index|embedding worker|Jira sync|GitHub importer|pull request view|
sprint board|burndown chart|team overview|cycle time report|release notes generator""".replace("\n", "").split("|")
PROBLEMS = """times out under load|returns 500 on empty input|leaks memory after a reconnect|
drops messages when the broker restarts|double-counts events after a retry|ignores the configured timeout|
deadlocks when two writers race|shows stale data after an update|crashes on non-ASCII names|
rejects valid tokens after key rotation|is slow on large tenants|loses the cursor on pagination|
fails silently when the disk is full|logs secrets in plain text|misreports durations across DST|
sorts by the wrong column|breaks with the new Swift toolchain|hangs during graceful shutdown|
exceeds the rate limit on startup|retries forever on 4xx responses|uses the wrong time zone|
truncates long descriptions|mixes up user ids between sessions|returns duplicates in search results|
blocks the event loop|spikes CPU every hour|flaps between healthy and unhealthy|
reads the replica before it caught up|corrupts the file on concurrent writes""".replace("\n", "").split("|")
ACTIONS = """fix|add|remove|refactor|speed up|document|test|harden|simplify|rename|split|cache|
validate|paginate|parallelise|instrument|retry|deprecate|migrate|rewrite""".replace("\n", "").split("|")
THINGS = """error handling|input validation|connection pooling|the retry loop|structured logging|
the config parser|timeouts|health checks|the schema|the index rebuild|token refresh|
the CSV export|keyboard shortcuts|dark mode|the onboarding flow|unit tests|integration tests|
the benchmark script|backpressure|the query planner hint|batch inserts|the cache key|
the permission check|the webhook signature check|the date picker|empty states""".replace("\n", "").split("|")
CONTEXTS = """for enterprise customers|in the EU region|after the last release|on Linux only|
since the upgrade to v2|during the nightly batch|for users with many projects|behind the proxy|
in staging but not in production|when the network is flaky|with more than 10k rows|
on the first request after deploy|under heavy write load|for archived projects|
in the mobile Safari browser|when the clock skews|with SSO enabled|on ARM machines|
for teams in different time zones|during the quarterly report""".replace("\n", "").split("|")
PEOPLE = ["the on-call engineer", "the platform team", "a customer", "QA", "the security team",
          "the data team", "support", "the release manager", "a new contributor", "the SRE rotation"]
SEVERITY = ["minor", "major", "critical", "blocking", "cosmetic", "intermittent", "recurring", "long-standing"]
VERBS_SEEN = ["reported", "noticed", "confirmed", "reproduced", "escalated", "flagged"]

TEMPLATES = [
    "{Comp} {prob} {ctx}",
    "{sev} bug: {comp} {prob}",
    "{act} {thing} in the {comp}",
    "{Act} {thing} of the {comp} {ctx}",
    "{person} {seen} that the {comp} {prob}",
    "Incident: the {comp} {prob}, {person} rolled back",
    "Why does the {comp} keep failing {ctx}? It {prob}",
    "PR review: please {act} {thing} before merging the {comp} change",
    "After we {act} {thing}, the {comp} still {prob}",
    "Postmortem: {sev} outage because the {comp} {prob}",
    "Ticket {n}: {act} {thing} ({comp})",
    "The {comp} {prob}; as a workaround {act} {thing}",
    "Customer says the {comp} {prob} {ctx}",
    "Spike: can we {act} {thing} without touching the {comp}?",
    "{Comp}: {act} {thing} and {act2} {thing2}",
]


def sentence(rng):
    comp, comp2 = rng.choice(COMPONENTS), rng.choice(COMPONENTS)
    prob = rng.choice(PROBLEMS)
    fields = dict(
        comp=comp, Comp=comp[0].upper() + comp[1:], prob=prob,
        ctx=rng.choice(CONTEXTS), act=rng.choice(ACTIONS), act2=rng.choice(ACTIONS), thing=rng.choice(THINGS),
        thing2=rng.choice(THINGS), person=rng.choice(PEOPLE), seen=rng.choice(VERBS_SEEN),
        sev=rng.choice(SEVERITY), n=f"PUL-{rng.randint(100, 9999)}", comp2=comp2)
    fields["Act"] = fields["act"][0].upper() + fields["act"][1:]
    fields["sev"] = fields["sev"][0].upper() + fields["sev"][1:] if rng.random() < 0.5 else fields["sev"]
    return rng.choice(TEMPLATES).format(**fields)


def generate(count, seed):
    """`count` distinct sentences, the same for the same seed."""
    rng = random.Random(seed)
    seen, lines = set(), []
    while len(lines) < count:
        s = sentence(rng)
        if s not in seen:
            seen.add(s)
            lines.append(s)
    return lines


def main():
    out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(out, "w") as f:
        f.write("\n".join(generate(count, seed)) + "\n")


if __name__ == "__main__":
    main()
