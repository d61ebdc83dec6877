"""Fixtures: one platform (real processes, throwaway PostgreSQL, demo tenant) and one headless
Chromium (Debian's chromium + chromium-driver) for the whole browser suite."""
import json
import os
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness import Platform


@pytest.fixture(scope='session')
def platform():
    p = Platform()
    try:
        p.start()
    except Exception:
        p.stop()
        raise
    yield p
    p.stop()


@pytest.fixture(scope='session')
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--window-size=1280,900',
                '--force-device-scale-factor=1', '--disable-extensions', '--no-first-run'):
        options.add_argument(arg)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service(os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


class API:
    """A cookie + CSRF client of the gateway, for arranging and checking what the pages show."""

    def __init__(self, base):
        self.base = base
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header('Accept', 'application/json')
        if data is not None:
            req.add_header('Content-Type', 'application/json')
        if self.cookie:
            req.add_header('Cookie', self.cookie)
        if self.csrf and method not in ('GET', 'HEAD'):
            req.add_header('X-CSRF-Token', self.csrf)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, headers, text = r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            status, headers, text = e.code, e.headers, e.read().decode()
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = text
        return status, headers, payload

    def login(self, client, email, password):
        status, headers, body = self.call('POST', '/auth/login', {'client': client, 'email': email, 'password': password})
        assert status == 200, (status, body)
        self.cookie = headers['Set-Cookie'].split(';', 1)[0]
        self.csrf = body.get('csrf_token')
        return self


@pytest.fixture(scope='session')
def admin(platform):
    c = platform.credentials()
    return {'client': c['client'], 'email': c['email'], 'password': c['password']}


@pytest.fixture(scope='session')
def admin_api(platform, admin):
    return API(platform.url).login(admin['client'], admin['email'], admin['password'])


def wait_ready(driver, timeout=15):
    """Until the page has rendered (no 'Loading…' placeholder left in <main>)."""
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(
        "const m = document.getElementById('main'); return document.readyState === 'complete' && m && !m.querySelector('.loading') && m.children.length > 0"))


def sign_in(driver, base, client, email, password, path='/'):
    driver.get(base + '/signin?next=' + urllib.parse.quote(path))
    wait_ready(driver)
    field = driver.find_element(By.ID, 'client')
    field.clear()
    field.send_keys(client)
    driver.find_element(By.ID, 'email').send_keys(email)
    driver.find_element(By.ID, 'password').send_keys(password)
    driver.find_element(By.CSS_SELECTOR, '#signin-form button[type=submit]').click()
    WebDriverWait(driver, 15).until(lambda d: not d.current_url.split('?')[0].endswith('/signin'))
    wait_ready(driver)


def console_errors(driver):
    """Console errors and uncaught exceptions; HTTP answers the pages handle (e.g. a 404 of an API
    that is not there yet, the 401 of /auth/me before sign-in) are network entries, not errors."""
    return [e for e in driver.get_log('browser') if e['level'] == 'SEVERE' and e.get('source') != 'network'
            and 'Failed to load resource' not in e['message'] and 'WebSocket connection to' not in e['message']]


@pytest.fixture
def signed_in(browser, platform, admin):
    """The browser, signed in as the demo admin (other tests sign out or in as someone else)."""
    browser.get(platform.url + '/settings')
    wait_ready(browser)
    if urllib.parse.urlparse(browser.current_url).path != '/settings' or admin['email'] not in browser.find_element(By.ID, 'main').text:
        browser.delete_all_cookies()
        sign_in(browser, platform.url, admin['client'], admin['email'], admin['password'])
    return browser

