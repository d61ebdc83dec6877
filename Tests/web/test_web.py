"""The web app in headless Chromium against real Pulse processes (see harness.py)."""
import os
import time
import urllib.parse

from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import API, console_errors, sign_in, wait_ready

PAGES = ['/', '/deployments', '/incidents', '/pull-requests', '/throughput', '/portfolio', '/search?q=payment', '/similar',
         '/forecast', '/anomalies', '/jobs', '/logs?tail=0', '/settings', '/admin/users', '/admin/roles', '/admin/service-accounts',
         '/admin/integrations', '/admin/mappings', '/admin/dora', '/admin/branding', '/admin/flags', '/admin/sso']
SCREENSHOTS = os.environ.get('PULSE_WEB_SCREENSHOTS')  # folder to write docs screenshots to


def set_theme(driver, mode):
    Select(driver.find_element(By.ID, 'theme-select')).select_by_value(mode)
    WebDriverWait(driver, 5).until(lambda d: d.execute_script('return document.documentElement.dataset.themeMode') == mode)


def test_gateway_serves_the_app_with_strict_headers(platform):
    api = API(platform.url)
    status, headers, body = api.call('GET', '/dora?repo=acme-pay/api&from=2026-01-01')
    assert status == 200 and '<main id="main"' in body
    csp = headers['Content-Security-Policy']
    assert "script-src 'self'" in csp and 'unsafe-inline' not in csp
    assert headers['Cache-Control'] == 'no-cache'
    assert '/v/' in body, 'index.html points at versioned assets'


def test_sign_in_lands_on_the_dashboard_and_figures_match_the_api(signed_in, platform, admin_api):
    driver = signed_in
    driver.get(platform.url + '/?from=2026-09-01&to=2026-11-29')
    wait_ready(driver)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, '#dora-figures, #dora-state'))
    status, _, dora = admin_api.call('GET', '/api/v1/dora?from=2026-09-01&to=2026-11-29&benchmark_years=2019,2021,2023,2024')
    if status == 200:
        tiles = {el.get_attribute('data-metric'): el.get_attribute('data-value') for el in driver.find_elements(By.CSS_SELECTOR, '[data-metric]')}
        expected = {'deployment_frequency': dora['deployments_per_day'], 'lead_time': (dora.get('lead_time_seconds') or {}).get('median'),
                    'change_failure_rate': dora['change_failure_rate'], 'rework_rate': dora.get('deployment_rework_rate'),
                    'failed_deployment_recovery_time': (dora.get('recovery_time_seconds') or {}).get('median')}
        for key, value in expected.items():
            shown = tiles[key]
            assert (shown == '' and value is None) or abs(float(shown) - float(value)) < 1e-9, (key, shown, value)
    else:
        # The analytics API is not there (yet): the page says so plainly instead of showing figures.
        state = driver.find_element(By.ID, 'dora-state')
        assert state.get_attribute('data-state') == 'unavailable', (status, state.text)
        assert 'not available yet' in state.text.lower()
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-metric]')
    assert console_errors(driver) == []


def test_deep_link_survives_reload(signed_in, platform):
    driver = signed_in
    driver.get(platform.url + '/deployments?from=2026-10-01&to=2026-10-31&repository=acme-pay%2Fapi')
    wait_ready(driver)
    driver.refresh()
    wait_ready(driver)
    assert driver.find_element(By.TAG_NAME, 'h1').text == 'Deployments'
    assert driver.find_element(By.ID, 'scope-from').get_attribute('value') == '2026-10-01'
    assert driver.find_element(By.ID, 'scope-repository').get_attribute('value') == 'acme-pay/api'


def test_theme_toggle_persists_across_reload(signed_in, platform):
    driver = signed_in
    driver.get(platform.url + '/settings')
    wait_ready(driver)
    set_theme(driver, 'dark')
    driver.refresh()
    wait_ready(driver)
    # Applied before first paint by the external boot script, then kept by the app.
    assert driver.execute_script('return document.documentElement.dataset.theme') == 'dark'
    assert Select(driver.find_element(By.ID, 'theme-select')).first_selected_option.get_attribute('value') == 'dark'
    set_theme(driver, 'light')
    driver.refresh()
    wait_ready(driver)
    assert driver.execute_script('return document.documentElement.dataset.theme') == 'light'


def test_expired_session_returns_to_sign_in_then_to_the_page(browser, platform, admin):
    driver = browser
    driver.delete_all_cookies()
    sign_in(driver, platform.url, admin['client'], admin['email'], admin['password'], path='/incidents')
    assert urllib.parse.urlparse(driver.current_url).path == '/incidents'
    driver.delete_all_cookies()  # the session ends under the open page
    driver.find_element(By.CSS_SELECTOR, 'nav a[href="/admin/users"]').click()
    WebDriverWait(driver, 10).until(lambda d: urllib.parse.urlparse(d.current_url).path == '/signin')
    wait_ready(driver)
    assert 'session has expired' in driver.find_element(By.ID, 'main').text
    driver.find_element(By.ID, 'email').send_keys(admin['email'])
    driver.find_element(By.ID, 'password').send_keys(admin['password'])
    driver.find_element(By.CSS_SELECTOR, '#signin-form button[type=submit]').click()
    WebDriverWait(driver, 10).until(lambda d: urllib.parse.urlparse(d.current_url).path == '/admin/users')
    wait_ready(driver)
    assert console_errors(driver) == []


def test_sign_in_form_validates_before_sending(browser, platform):
    driver = browser
    driver.delete_all_cookies()
    driver.get(platform.url + '/signin')
    wait_ready(driver)
    driver.find_element(By.ID, 'client').clear()
    driver.find_element(By.CSS_SELECTOR, '#signin-form button[type=submit]').click()
    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, '.field-error')]
    assert len(errors) == 3, errors
    driver.find_element(By.ID, 'client').send_keys('demo')
    driver.find_element(By.ID, 'email').send_keys('nobody@demo.pulse.test')
    driver.find_element(By.ID, 'password').send_keys('wrong password')
    driver.find_element(By.CSS_SELECTOR, '#signin-form button[type=submit]').click()
    WebDriverWait(driver, 10).until(lambda d: 'not right' in d.find_element(By.ID, 'main').text)


def test_admin_creates_a_user_in_the_page_who_can_then_sign_in(signed_in, platform):
    driver = signed_in
    driver.get(platform.url + '/admin/users')
    wait_ready(driver)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, 'main table'))
    form = driver.find_element(By.ID, 'create-user')
    # Validation before sending: a short password is refused next to its field.
    email = f'new{int(time.time() * 1000)}@demo.pulse.test'
    form.find_element(By.NAME, 'email').send_keys(email)
    form.find_element(By.NAME, 'password').send_keys('short')
    form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    assert 'at least 8' in driver.find_element(By.ID, 'f-password-error').text
    form.find_element(By.NAME, 'password').send_keys('-but-now-long')
    form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    WebDriverWait(driver, 10).until(lambda d: f'Created {email}' in d.find_element(By.ID, 'main').text)
    WebDriverWait(driver, 10).until(lambda d: email in d.find_element(By.CSS_SELECTOR, 'main table').text)
    API(platform.url).login('demo', email, 'short-but-now-long')
    assert console_errors(driver) == []


def test_non_admin_cannot_open_admin_pages(browser, platform, admin_api):
    email = f'viewer{int(time.time() * 1000)}@demo.pulse.test'
    status, _, body = admin_api.call('POST', '/auth/admin/users', {'email': email, 'password': 'viewer-password-1', 'role': 'viewer'})
    assert status == 201, body
    viewer = API(platform.url).login('demo', email, 'viewer-password-1')
    assert viewer.call('GET', '/auth/admin/users')[0] == 403, 'the API refuses too'
    driver = browser
    driver.delete_all_cookies()
    sign_in(driver, platform.url, 'demo', email, 'viewer-password-1')
    assert not driver.find_elements(By.CSS_SELECTOR, 'nav a[href="/admin/users"]'), 'no admin link for a viewer'
    for path in ('/admin/users', '/admin/integrations'):
        driver.get(platform.url + path)
        wait_ready(driver)
        assert 'do not have permission' in driver.find_element(By.ID, 'main').text, path
        assert not driver.find_elements(By.CSS_SELECTOR, 'main form')
    # A viewer holds etl:read: the jobs page opens read-only, without the start form or job buttons.
    driver.get(platform.url + '/jobs')
    wait_ready(driver)
    main = driver.find_element(By.ID, 'main').text
    assert 'needs the etl:write permission' in main, main
    assert not driver.find_elements(By.CSS_SELECTOR, '#start-job')
    assert viewer.call('POST', '/etl/jobs', {'integration_id': 1, 'mode': 'full'})[0] == 403, 'the ETL refuses a viewer too'
    assert console_errors(driver) == []


def test_every_page_phone_width_axe_and_console(browser, platform, admin):
    """At 360 px no page scrolls sideways; axe-core finds no serious or critical violation in either
    theme; no page logs a JavaScript error."""
    driver = browser
    driver.delete_all_cookies()
    sign_in(driver, platform.url, admin['client'], admin['email'], admin['password'])
    failures = []
    try:
        for width, height in ((360, 740), (1280, 900)):
            driver.set_window_size(width, height)
            for theme in ('light', 'dark'):
                driver.execute_script(f"localStorage.setItem('pulse.theme', '{theme}')")
                for path in PAGES if width == 360 else []:
                    check_page(driver, platform.url + path, theme, failures)
                if width == 1280 and SCREENSHOTS:
                    screenshots(driver, platform.url, theme, 'desktop')
            if width == 360 and SCREENSHOTS:
                for theme in ('light', 'dark'):
                    driver.execute_script(f"localStorage.setItem('pulse.theme', '{theme}')")
                    screenshots(driver, platform.url, theme, 'phone')
        driver.execute_script('localStorage.removeItem("pulse.theme")')
        driver.delete_all_cookies()
        driver.get(platform.url + '/signin')
        wait_ready(driver)
        check_page(driver, platform.url + '/signin', 'system', failures)
    finally:
        driver.set_window_size(1280, 900)
    assert failures == [], '\n'.join(failures)


def check_page(driver, url, theme, failures):
    driver.get(url)
    wait_ready(driver)
    time.sleep(0.2)
    label = f'{urllib.parse.urlparse(url).path} [{theme}, {driver.get_window_size()["width"]} px]'
    overflow = driver.execute_script('return document.documentElement.scrollWidth - window.innerWidth')
    if overflow > 0:
        failures.append(f'{label}: scrolls {overflow} px sideways')
    if driver.get_window_size()['width'] <= 400:
        small = driver.execute_script('''
            return [...document.querySelectorAll('button, select, input:not([type=checkbox]):not([type=radio]):not([type=hidden]), nav a, a.button, label.inline')]
              .filter((el) => el.offsetParent !== null)
              .map((el) => [el, el.getBoundingClientRect()]).filter(([, r]) => r.height < 44 || r.width < 44)
              .map(([el, r]) => `${el.tagName.toLowerCase()}#${el.id || ''}.${el.className} ${Math.round(r.width)}x${Math.round(r.height)}`);''')
        if small:
            failures.append(f'{label}: touch targets under 44 px: {small[:5]}')
    axe = Axe(driver)
    axe.inject()
    result = axe.run(options={'resultTypes': ['violations']})
    for v in result['violations']:
        if v['impact'] in ('serious', 'critical'):
            failures.append(f'{label}: axe {v["id"]} ({v["impact"]}): {[n["target"] for n in v["nodes"]][:3]}')
    for e in console_errors(driver):
        failures.append(f'{label}: console {e["message"]}')


SHOTS = [('/', 'dashboard'), ('/deployments', 'deployments'), ('/pull-requests', 'pull-requests'), ('/search?q=payment', 'search'),
         ('/forecast', 'forecast'), ('/jobs', 'etl-jobs'), ('/logs?tail=0', 'logs'), ('/admin/users', 'admin-users'),
         ('/admin/branding', 'admin-branding')]


def screenshots(driver, base, theme, kind):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    shots = SHOTS if kind == 'desktop' else SHOTS[:3]
    for path, name in shots:
        driver.get(base + path)
        wait_ready(driver)
        time.sleep(0.3)
        file = os.path.join(SCREENSHOTS, f'{name}-{kind}-{theme}.png')
        driver.save_screenshot(file)
        shrink(file, 960 if kind == 'desktop' else 360)


def shrink(file, width):
    try:
        from PIL import Image
    except ImportError:
        return
    image = Image.open(file)
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)))
    image.convert('P', palette=Image.ADAPTIVE, colors=64).save(file, optimize=True)
