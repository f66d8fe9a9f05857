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
// The real OpenID provider the demo offers single sign-on through (scripts/oidc-provider.js,
// panva's oidc-provider), and the demo's configuration for it: its people's home organisation
// maps to the demo's first institution. The file has a fixed name per port, like the maildir.
const oidcPort = process.env.CORRIDOR_TEST_OIDC_PORT || String(Number(port) + 1001);
const oidcProvider = path.join(__dirname, '..', 'scripts', 'oidc-provider.js');
const ssoCallback = `http://127.0.0.1:${port}/sign-in/sso/campus/callback`;
const ssoConfig = path.join(os.tmpdir(), `corridor-web-tests-sso-${port}.json`);
fs.writeFileSync(ssoConfig, JSON.stringify({
  providers: [{
    id: 'campus',
    name_en: 'Corridor University',
    name_zh: '走廊大学',
    issuer: `http://127.0.0.1:${oidcPort}`,
    client_id: 'corridor',
    client_secret: 'corridor-test-secret',
    scopes: ['email', 'profile', 'schac'],
    institution_claim: 'schac_home_organization',
    institutions: { 'corridor-university.example': 1 },
  }],
}, null, 2));

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
      command: `node "${oidcProvider}" --port ${oidcPort} --redirect ${ssoCallback}`,
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      timeout: 30_000,
      reuseExistingServer: Boolean(process.env.CORRIDOR_REUSE_SERVER),
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      command: `"${binary}" demo --data-dir "${dataDir}" --listen 127.0.0.1:${port} --smtp smtp://127.0.0.1:${smtpPort} --mail-from "Corridor <corridor@corridor.demo>" --sso-config "${ssoConfig}"`,
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
