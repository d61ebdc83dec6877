"""Dashboard load in headless Chromium against a real platform (Tests/web/harness.py):
cold (empty cache) and warm (cached) loads, time from navigation start to the figures drawn
(the page's `pulse:figures` performance mark), bytes transferred and request count.

    python3 bench/web/bench.py [--runs 5]
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'Tests', 'web'))
from conftest import sign_in, wait_ready  # noqa: E402
from harness import Platform  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

MEASURE = """
const nav = performance.getEntriesByType('navigation')[0];
const mark = performance.getEntriesByName('pulse:figures')[0];
const res = performance.getEntriesByType('resource');
return {figures_ms: mark ? mark.startTime : null, transfer: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
        encoded: nav.encodedBodySize + res.reduce((s, r) => s + r.encodedBodySize, 0), requests: 1 + res.length,
        api_requests: res.filter(r => /\\/(api|auth|etl|ai)\\//.test(r.name)).length};
"""


def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1280,900'):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)


def load(d, url):
    d.get(url)
    WebDriverWait(d, 30).until(lambda x: x.execute_script("return performance.getEntriesByName('pulse:figures').length > 0"))
    time.sleep(0.3)
    return d.execute_script(MEASURE)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    platform = Platform().start()
    try:
        c = platform.credentials()
        d = driver()
        sign_in(d, platform.url, c['client'], c['email'], c['password'])
        url = platform.url + '/'
        cold, warm = [], []
        for _ in range(args.runs):
            d.execute_cdp_cmd('Network.enable', {})
            d.execute_cdp_cmd('Network.clearBrowserCache', {})
            cold.append(load(d, url))
            warm.append(load(d, url))
        d.quit()
        summary = {
            'runs': args.runs,
            'cold_figures_ms_median': statistics.median(r['figures_ms'] for r in cold),
            'warm_figures_ms_median': statistics.median(r['figures_ms'] for r in warm),
            'cold_transfer_bytes': cold[-1]['transfer'], 'warm_transfer_bytes': warm[-1]['transfer'],
            'cold_requests': cold[-1]['requests'], 'api_requests': cold[-1]['api_requests'],
            'cold': cold, 'warm': warm,
        }
        print(json.dumps(summary, indent=2))
    finally:
        platform.stop()


if __name__ == '__main__':
    main()
