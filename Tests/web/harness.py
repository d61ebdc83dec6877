"""Starts a real Pulse platform for the browser tests: `pulse up` (embedded PostgreSQL primary +
replica, migrations, the demo tenant, the five services) on free ports in a throwaway folder,
and stops and deletes it afterwards. Nothing binds the platform's default ports."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFAULT_PORTS = {3000, 3001, 4000, 5000, 8000, 5432, 5433}


def bin_dir():
    return os.environ.get('PULSE_BIN_DIR') or os.path.join(REPO, '.build', 'debug')


def free_port(pair=False):
    """A free loopback port (and the next one free too when `pair`), never a default one."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        if port in DEFAULT_PORTS or (pair and (port + 1) in DEFAULT_PORTS):
            continue
        if pair:
            try:
                with socket.socket() as s2:
                    s2.bind(('127.0.0.1', port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError('no free port')


def get(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


class Platform:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='pulse-webtest-', dir='/tmp')
        os.chmod(self.dir, 0o755)
        self.ports = {name: free_port() for name in ('gateway', 'auth', 'backend', 'etl', 'ai')}
        self.db_port = free_port(pair=True)
        self.config = os.path.join(self.dir, 'pulse.toml')
        with open(self.config, 'w') as f:
            f.write(f'[paths]\nstate_dir = "{self.dir}/state"\ndata_dir = "{self.dir}/data"\n[log]\nlevel = "info"\n')
            for name, port in self.ports.items():
                f.write(f'[{name}]\nport = {port}\n')
        self.env = dict(os.environ, PULSE_DATA_DIR=f'{self.dir}/db', PULSE_DB_PORT=str(self.db_port), PULSE_BIN_DIR=bin_dir(),
                        PULSE_GATEWAY_RATE_LIMIT_LOGIN='1000', PULSE_GATEWAY_RATE_LIMIT_API='100000', PULSE_LOG_COLOR='never',
                        PULSE_MIGRATIONS_DIR=os.path.join(REPO, 'migrations'))
        self.env.pop('DATABASE_URL', None)
        self.process = None
        self.log = os.path.join(self.dir, 'up.log')

    @property
    def url(self):
        return f'http://127.0.0.1:{self.ports["gateway"]}'

    def start(self, timeout=180):
        pulse = os.path.join(bin_dir(), 'pulse')
        self.process = subprocess.Popen([pulse, 'up', '--config', self.config], cwd=self.dir, env=self.env,
                                        stdout=open(self.log, 'w'), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'pulse up exited with {self.process.returncode}:\n{self.tail()}')
            if get(self.url + '/ready') == 200 and get(f'http://127.0.0.1:{self.ports["backend"]}/ready') == 200 and self.credentials():
                return self
            time.sleep(0.5)
        raise RuntimeError(f'platform not ready in {timeout} s:\n{self.tail()}')

    def credentials(self):
        path = os.path.join(self.dir, 'state', 'demo-admin.txt')
        if not os.path.exists(path):
            return None
        values = dict(line.split(': ', 1) for line in open(path).read().splitlines() if ': ' in line)
        return values if 'password' in values else None

    def tail(self, n=60):
        try:
            return ''.join(open(self.log).readlines()[-n:])
        except OSError:
            return ''

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        subprocess.run([os.path.join(bin_dir(), 'pulse'), 'db', 'down', '--data-dir', f'{self.dir}/db', '--port', str(self.db_port)],
                       env=self.env, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
