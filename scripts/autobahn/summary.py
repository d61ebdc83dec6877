"""Prints Autobahn fuzzingclient results per category; exits 1 if any case FAILED.
Usage: python3 summary.py REPORTS_DIR CATEGORY..."""
import json, os, sys

KINDS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
reports, categories = sys.argv[1], sys.argv[2:]
failed_any = False
print("%-9s %5s %10s %13s %13s %6s" % ("category", "OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"))
for cat in categories:
    index = os.path.join(reports, cat, "index.json")
    if not os.path.exists(index):
        print("%-9s no report (timed out or crashed)" % cat)
        failed_any = True
        continue
    with open(index) as f:
        results = next(iter(json.load(f).values()))
    counts = dict.fromkeys(KINDS, 0)
    bad = []
    for case, r in sorted(results.items(), key=lambda kv: [int(x) for x in kv[0].split(".")]):
        behavior = r["behavior"]
        if r.get("behaviorClose") == "FAILED":
            behavior = "FAILED"
        counts[behavior] = counts.get(behavior, 0) + 1
        if behavior == "FAILED":
            bad.append(case)
    print("%-9s %5d %10d %13d %13d %6d" % (cat, counts["OK"], counts["NON-STRICT"], counts["INFORMATIONAL"],
                                          counts["UNIMPLEMENTED"], counts["FAILED"]))
    if bad:
        failed_any = True
        print("          FAILED: " + " ".join(bad))
sys.exit(1 if failed_any else 0)
