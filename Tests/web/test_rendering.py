"""The pages' renderers on answers shaped like the documented contracts, before those APIs exist on
this branch: the page's own `fetch` of a few API paths is answered in the browser with hand-made
contract-shaped bodies (`SAMPLES`), everything else goes to the real platform. This checks what
the pages do with data (figures equal to the answer, tiers, deltas, charts with tables, sorting,
highlighting, progress bars, accessibility and layout with content); it does not claim any figure
is computed by Pulse. test_web.py covers the real APIs."""
import json
import os
import urllib.parse

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import console_errors, sign_in, wait_ready


def dora(deployments, per_day, lead, cfr, recovery, rework):
    return {'deployments': deployments, 'deployments_per_day': per_day, 'deployment_days': 20, 'median_deployment_days_per_week': 2,
            'lead_time_changes': 80, 'lead_time_seconds': {'median': lead, 'p75': lead * 2, 'p90': lead * 3},
            'failed_deployments': round(deployments * cfr), 'change_failure_rate': cfr,
            'recovery_time_seconds': {'count': 3, 'median': recovery, 'p90': recovery * 2}, 'rework_deployments': 2,
            'deployment_rework_rate': rework, 'computed_at': '2026-12-01T10:00:00Z', 'recomputing': False,
            'tiers': {'2023': {'deployment_frequency': 'high', 'lead_time': 'elite', 'change_failure_rate': 'medium',
                               'failed_deployment_recovery_time': None}}}


CURRENT = dora(45, 0.5, 36000.0, 0.1, 7200.0, 0.04)    # 2026-09-01 .. 2026-11-29
PREVIOUS = dora(30, 0.333, 72000.0, 0.05, 7200.0, 0.0)  # the 90 days before
WEEK = dora(4, 0.571, 30000.0, 0.25, 3600.0, 0.0)
# The analytics service answers the previous period and the weekly trend inside /api/v1/dora.
CURRENT_WITH_TREND = dict(CURRENT, previous_period=PREVIOUS, trend=[
    {'week_start': f'2026-{m:02d}-{d:02d}', 'from': f'2026-{m:02d}-{d:02d}', 'deployments': 4 + i % 3, 'lead_time_median_seconds': 30000.0,
     'change_failure_rate': 0.25} for i, (m, d) in enumerate([(8, 31), (9, 7), (9, 14), (9, 21), (9, 28), (10, 5), (10, 12), (10, 19),
                                                              (10, 26), (11, 2), (11, 9), (11, 16), (11, 23)])])
SAMPLES = {
    '/api/v1/dora?from=2026-09-01&to=2026-11-29': CURRENT_WITH_TREND,
    # Without previous_period / trend the page asks for them itself (older answers).
    '/api/v1/dora?from=2026-06-01&to=2026-08-29': CURRENT,
    '/api/v1/dora?from=2026-03-03&to=2026-05-31': PREVIOUS,
    '/api/v1/dora?': WEEK,  # every other period (the weekly calls)
    '/api/v1/dora/deployments': {'deployments': [
        {'id': 11, 'finished_at': '2026-11-02T10:00:00Z', 'repository': 'acme-pay/api', 'environment': 'production', 'sha': 'a1b2c3d4e5f6a7b8',
         'failed': False, 'rework': False, 'changes': [{'kind': 'pull_request', 'pr_number': 41, 'lead_time_seconds': 7200},
                                                       {'kind': 'direct_push', 'commit_sha': 'abcdef123456', 'lead_time_seconds': 3600}]},
        {'id': 12, 'finished_at': '2026-11-03T12:00:00Z', 'repository': 'acme-pay/web', 'environment': 'production', 'sha': 'ffeeddccbbaa0099',
         'failed': True, 'failure_reason': 'incident PAY-12', 'restored_by_deployment_id': 13, 'recovery_seconds': 5400, 'rework': False,
         'changes': [{'kind': 'pull_request', 'pr_number': 7, 'lead_time_seconds': 600}]}], 'next_cursor': None},
    '/api/v1/analytics/pull-requests': {'group_by': 'repository', 'overall': {}, 'groups': {
        'acme-pay/api': {'merged_prs': 41, 'throughput_per_week': 3.2, 'merge_rate': 0.9, 'pr_size_lines': {'median': 150}, 'review_depth': {'median': 2},
                         'cycle_time_seconds': {'coding': {'median': 7200}, 'pickup': {'median': 3600}, 'review': {'median': 1800}, 'deploy': {'median': 900}}},
        'acme-pay/web': {'merged_prs': 7, 'throughput_per_week': 0.5, 'merge_rate': 0.7, 'pr_size_lines': {'median': 7}, 'review_depth': {'median': 1},
                         'cycle_time_seconds': {'coding': {'median': 600}, 'pickup': {'median': 300}, 'review': {'median': 300}, 'deploy': {'median': 1200}}}}},
    '/ai/search': {'query': 'payment', 'mode': 'hybrid', 'notes': [], 'results': [
        {'type': 'work_item', 'id': 9, 'key': 'PAY-9', 'title': 'Payment retries fail', 'score': 0.91,
         'snippet': 'Retries of a payment time out', 'matched_terms': ['payment']}]},
    '/etl/jobs': {'items': [{'id': 3, 'integration_id': 1, 'mode': 'full', 'status': 'running',
                             'progress': {'phase': 'pull requests', 'items_done': 140, 'pages_done': 3, 'phase_items_done': 40,
                                          'phase_total_items': 100, 'rate_items_per_second': 12.5, 'eta_seconds': 5,
                                          'rate_limit_waits': 1, 'rate_limit_wait_seconds': 30, 'errors': []}},
                            {'id': 2, 'integration_id': 1, 'mode': 'incremental', 'status': 'succeeded',
                             'started_at': '2026-12-01T09:00:00Z', 'finished_at': '2026-12-01T09:01:00Z'}], 'next_cursor': None},
}

INJECT = """
const samples = %s;
const real = window.fetch;
window.fetch = (url, options) => {
  const u = String(url);
  const match = (k) => u === k || (u.startsWith(k) && (k.endsWith('?') || '?&'.includes(u[k.length])));
  const key = Object.keys(samples).sort((a, b) => b.length - a.length).find(match);
  if (key === undefined) return real(url, options);
  return Promise.resolve(new Response(JSON.stringify(samples[key]), { status: 200, headers: { 'Content-Type': 'application/json' } }));
};
"""


@pytest.fixture(scope='module')
def page(platform, admin):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1280,900', '--force-device-scale-factor=1'):
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service(os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')), options=options)
    driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': INJECT % json.dumps(SAMPLES)})
    sign_in(driver, platform.url, admin['client'], admin['email'], admin['password'])
    yield driver
    driver.quit()


def test_dashboard_shows_the_answer_with_tiers_deltas_and_trend(page, platform):
    page.get(platform.url + '/?from=2026-09-01&to=2026-11-29&year=2023')
    wait_ready(page)
    WebDriverWait(page, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#trend-h ~ figure'))
    tiles = {el.get_attribute('data-metric'): el for el in page.find_elements(By.CSS_SELECTOR, '[data-metric]')}
    assert float(tiles['deployment_frequency'].get_attribute('data-value')) == CURRENT['deployments_per_day']
    assert float(tiles['lead_time'].get_attribute('data-value')) == CURRENT['lead_time_seconds']['median']
    assert float(tiles['change_failure_rate'].get_attribute('data-value')) == CURRENT['change_failure_rate']
    assert float(tiles['failed_deployment_recovery_time'].get_attribute('data-value')) == CURRENT['recovery_time_seconds']['median']
    assert float(tiles['rework_rate'].get_attribute('data-value')) == CURRENT['deployment_rework_rate']
    assert '0.50 / day' in tiles['deployment_frequency'].text and '10.0 h' in tiles['lead_time'].text
    tiers = {k: el.find_element(By.CSS_SELECTOR, '[data-tier]').get_attribute('data-tier') for k, el in tiles.items() if k != 'rework_rate'}
    assert tiers == {'deployment_frequency': 'high', 'lead_time': 'elite', 'change_failure_rate': 'medium', 'failed_deployment_recovery_time': 'none'}
    # Previous period: frequency up (better), lead time halved (better), failure rate doubled (worse), recovery unchanged.
    deltas = {k: el.find_element(By.CSS_SELECTOR, '.delta').get_attribute('class').split()[-1] for k, el in tiles.items()}
    assert deltas == {'deployment_frequency': 'better', 'lead_time': 'better', 'change_failure_rate': 'worse',
                      'failed_deployment_recovery_time': 'same', 'rework_rate': 'worse'}, deltas
    assert '100 %' in tiles['change_failure_rate'].text  # 5 % → 10 %
    # Each figure links to its drill-down with the same scope.
    href = urllib.parse.urlparse(tiles['change_failure_rate'].get_attribute('href'))
    assert href.path == '/deployments' and 'failed=1' in href.query and 'from=2026-09-01' in href.query
    # Weekly trend from the answer's own `trend`: 13 weeks, each in the chart's data table.
    rows = page.find_elements(By.CSS_SELECTOR, 'figure.chart')[0].find_elements(By.CSS_SELECTOR, 'tbody tr')
    assert [r.find_elements(By.TAG_NAME, 'td')[1].get_attribute('textContent') for r in rows] == [str(4 + i % 3) for i in range(13)]
    insights = page.find_element(By.CSS_SELECTOR, '.insights').text
    assert 'Lead time for changes is 10.0 h, elite against the 2023 DORA benchmarks; it improved from 20.0 h' in insights
    assert console_errors(page) == []


def test_dashboard_asks_for_previous_period_and_weeks_when_the_answer_lacks_them(page, platform):
    page.get(platform.url + '/?from=2026-06-01&to=2026-08-29&year=2023')
    wait_ready(page)
    WebDriverWait(page, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#trend-h ~ figure'))
    tile = page.find_element(By.CSS_SELECTOR, '[data-metric="lead_time"]')
    assert 'better' in tile.find_element(By.CSS_SELECTOR, '.delta').get_attribute('class') and '20.0 h' in tile.text
    rows = page.find_elements(By.CSS_SELECTOR, 'figure.chart')[0].find_elements(By.CSS_SELECTOR, 'tbody tr')
    assert len(rows) == 13 and all(r.find_elements(By.TAG_NAME, 'td')[1].get_attribute('textContent') == '4' for r in rows)
    assert console_errors(page) == []


def test_wall_screen_mode_uses_large_type(page, platform):
    page.get(platform.url + '/?from=2026-09-01&to=2026-11-29&wall=1')
    wait_ready(page)
    WebDriverWait(page, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-metric]'))
    size = page.execute_script("return parseFloat(getComputedStyle(document.querySelector('.metric .value')).fontSize)")
    assert size >= 60 and not page.find_element(By.ID, 'nav').is_displayed()


def test_drill_down_tables_sort_filter_and_charts(page, platform):
    page.get(platform.url + '/pull-requests?from=2026-09-01&to=2026-11-29')
    wait_ready(page)
    assert page.find_elements(By.CSS_SELECTOR, 'figure.chart svg rect'), 'stacked bars'
    table = page.find_elements(By.CSS_SELECTOR, '.data-table table')[-1]  # the first is the chart's own table
    numbers = lambda: [r.find_elements(By.TAG_NAME, 'td')[1].text for r in table.find_elements(By.CSS_SELECTOR, 'tbody tr')]  # noqa: E731
    assert numbers() == ['41', '7']
    table.find_element(By.XPATH, ".//th[@data-key='merged_prs']/button").click()
    assert numbers() == ['7', '41']
    assert table.find_element(By.XPATH, ".//th[@data-key='merged_prs']").get_attribute('aria-sort') == 'ascending'
    box = page.find_elements(By.CSS_SELECTOR, '.data-table input[type=search]')[-1]
    box.send_keys('api')
    assert numbers() == ['41']
    page.get(platform.url + '/deployments?from=2026-09-01&to=2026-11-29&failed=1')
    wait_ready(page)
    rows = page.find_elements(By.CSS_SELECTOR, '.data-table table')[-1].find_elements(By.CSS_SELECTOR, 'tbody tr')
    assert len(rows) == 1 and 'incident PAY-12' in rows[0].text and 'deployment 13' in rows[0].text and '#7' in rows[0].text
    assert console_errors(page) == []


def test_search_highlights_and_jobs_show_progress(page, platform):
    page.get(platform.url + '/search?q=payment')
    wait_ready(page)
    assert [m.text for m in page.find_elements(By.CSS_SELECTOR, '.results mark')] == ['Payment', 'payment']
    page.get(platform.url + '/jobs')
    wait_ready(page)
    bar = page.find_element(By.CSS_SELECTOR, '[data-job="3"] progress')
    assert bar.get_attribute('value') == '40' and bar.get_attribute('max') == '100'
    text = page.find_element(By.CSS_SELECTOR, '[data-job="3"]').text
    assert '12.5 items/s' in text and 'ETA 5 s' in text and '1 rate-limit wait' in text
    # A /ws/jobs frame moves the bar without a reload.
    page.execute_script("window.dispatchEvent(new CustomEvent('pulse:job', {detail: {type: 'job', id: 3, status: 'running', progress: {phase_items_done: 70, phase_total_items: 100}}}))")
    assert page.find_element(By.CSS_SELECTOR, '[data-job="3"] progress').get_attribute('value') == '70'
    assert console_errors(page) == []


@pytest.mark.parametrize('theme', ['light', 'dark'])
def test_pages_with_content_are_accessible_and_fit_a_phone(page, platform, theme):
    failures = []
    page.set_window_size(360, 740)
    page.execute_script(f"localStorage.setItem('pulse.theme', '{theme}')")
    try:
        for path in ('/?from=2026-09-01&to=2026-11-29', '/pull-requests', '/deployments', '/search?q=payment', '/jobs'):
            page.get(platform.url + path)
            wait_ready(page)
            WebDriverWait(page, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '.loading'))
            overflow = page.execute_script('return document.documentElement.scrollWidth - window.innerWidth')
            if overflow > 0:
                failures.append(f'{path}: {overflow} px sideways')
            axe = Axe(page)
            axe.inject()
            for v in axe.run(options={'resultTypes': ['violations']})['violations']:
                if v['impact'] in ('serious', 'critical'):
                    failures.append(f'{path} [{theme}]: {v["id"]} {[n["target"] for n in v["nodes"]][:3]}')
            failures += [f'{path}: {e["message"]}' for e in console_errors(page)]
    finally:
        page.set_window_size(1280, 900)
    assert failures == [], '\n'.join(failures)
