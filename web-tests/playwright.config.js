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
// The real SMTP server the demo delivers to (scripts/smtp-sink, aiosmtpd): its maildir has a
// fixed name per port, because the test workers load this file again and must find the same
// directory; the tests tell their mails apart by unique recipient addresses.
const smtpPort = process.env.CORRIDOR_TEST_SMTP_PORT || String(Number(port) + 1000);
const maildir = path.join(os.tmpdir(), `corridor-web-tests-maildir-${smtpPort}`);
process.env.CORRIDOR_TEST_MAILDIR = maildir;
const python = process.env.CORRIDOR_TEST_SMTP_PYTHON || 'python3';
const smtpSink = path.join(__dirname, '..', 'scripts', 'smtp-sink');

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
  webServer: [
    {
      command: `"${python}" "${smtpSink}" --port ${smtpPort} --maildir "${maildir}"`,
      port: Number(smtpPort),
      timeout: 30_000,
      reuseExistingServer: Boolean(process.env.CORRIDOR_REUSE_SERVER),
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `"${binary}" demo --data-dir "${dataDir}" --listen 127.0.0.1:${port} --smtp smtp://127.0.0.1:${smtpPort} --mail-from "Corridor <corridor@corridor.demo>"`,
      url: `http://127.0.0.1:${port}/healthz`,
      timeout: 180_000,
      // CORRIDOR_REUSE_SERVER=1 runs the suite against a server already on the port (while
      // developing); the suite itself always starts its own.
      reuseExistingServer: Boolean(process.env.CORRIDOR_REUSE_SERVER),
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
