#!/usr/bin/env node
// A real OpenID provider for Corridor's single sign-on tests: panva's `oidc-provider` (pinned in
// scripts/oidc-provider/package.json) with one confidential client and a few people, on
// 127.0.0.1. Its development sign-in form takes a person's login (any password), so that the
// browser suite and the Rust end-to-end test can sign in as a person would; consent is granted
// at once for the one client, as an institution's own provider does for a service it trusts.
//
//   node scripts/oidc-provider.js --port 19190 --redirect http://127.0.0.1:18190/sign-in/sso/campus/callback
//
// The people (login → claims): `alice` has an address at corridor-university.example and the
// home organisation `corridor-university.example` (the demo's SSO configuration maps it to a
// demo institution); `bob` has one at an institution nobody maps; `carol` has an address that
// the provider does not vouch for (email_verified false); `dave` is like alice (the tests give
// him a password account first, which his sign-in links to). Prints "oidc-provider listening" once
// it accepts connections.
'use strict';

const path = require('node:path');
const { pathToFileURL } = require('node:url');

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0 && process.argv[index + 1] !== undefined) return process.argv[index + 1];
  return fallback;
}

const port = Number(argument('port', '19190'));
const redirects = process.argv
  .flatMap((value, index) => (process.argv[index - 1] === '--redirect' ? [value] : []));
const clientId = argument('client-id', 'corridor');
const clientSecret = argument('client-secret', 'corridor-test-secret');
const emailDomain = argument('email-domain', 'corridor-university.example');

const people = {
  alice: {
    name: 'Alice Campus',
    email: `alice@${emailDomain}`,
    email_verified: true,
    schac_home_organization: emailDomain,
  },
  bob: {
    name: 'Bob Elsewhere',
    email: 'bob@unknown-college.example',
    email_verified: true,
    schac_home_organization: 'unknown-college.example',
  },
  carol: {
    name: 'Carol Unvouched',
    email: `carol@${emailDomain}`,
    email_verified: false,
    schac_home_organization: emailDomain,
  },
  dave: {
    name: 'Dave Vouched',
    email: `dave@${emailDomain}`,
    email_verified: true,
    schac_home_organization: emailDomain,
  },
};

async function main() {
  // The package is an ES module installed beside this script; import it from there.
  const entry = require.resolve('oidc-provider', {
    paths: [path.join(__dirname, 'oidc-provider')],
  });
  const { default: Provider } = await import(pathToFileURL(entry).href);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirects,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      schac: ['schac_home_organization'],
    },
    scopes: ['openid', 'email', 'profile', 'schac'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    // Development-only cookie keys: this provider lives for one test run on loopback.
    cookies: { keys: ['corridor-test-provider-cookie-key'] },
    async findAccount(_ctx, id) {
      const person = people[id];
      if (!person) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...person };
        },
      };
    },
    // Consent is granted at once (a first-party client); without this, every sign-in would
    // stop at a second "authorize" page.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile schac');
      await grant.save();
      return grant;
    },
  });
  // The development interactions warn on every start; the tests read stdout for the ready line.
  const server = provider.listen(port, '127.0.0.1', () => {
    console.log(`oidc-provider listening on ${issuer}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
