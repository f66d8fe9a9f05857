// Playwright drives Debian's chromium (/usr/bin/chromium); browsers are never downloaded.
// The server under test is the real `corridor demo` binary on a small generated region in a
// fresh data directory.
const { defineConfig } = require('@playwright/test');
const os = require('os');
const path = require('path');
const fs = require('fs');

const port = process.env.CORRIDOR_TEST_PORT || '18087';
const binary = process.env.CORRIDOR_BINARY || path.join(__dirname, '..', 'target', 'debug', 'corridor');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-web-tests-'));

module.exports = defineConfig({
  testDir: './tests',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `"${binary}" demo --data-dir "${dataDir}" --listen 127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 180_000,
    // CORRIDOR_REUSE_SERVER=1 runs the suite against a server already on the port (while
    // developing); the suite itself always starts its own.
    reuseExistingServer: Boolean(process.env.CORRIDOR_REUSE_SERVER),
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
