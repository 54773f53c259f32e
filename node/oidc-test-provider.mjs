// A real OpenID provider (oidc-provider) for the sign-in tests, on 127.0.0.1 and a free port.
//
//   node oidc-test-provider.mjs '<json>'   with {clientId, clientSecret, redirectUri,
//                                           postLogoutRedirectUri, users: {login: claims}}
//
// Prints one line {"issuer": ...} when it listens. One confidential client (code flow, PKCE
// required), the given test users (any password; the login names the user), no consent
// prompt (a first-party client, as an authority's own provider has it).
//
// Test controls, outside the provider's routes:
//   POST /__test/rotate          sign with a new key from now on (the old one stays published)
//   POST /__test/forge?mode=M    the next token response carries an ID token altered by M:
//        audience | expired | nonce | issuer | none | unknown_key | valid (re-signed, unchanged)
import crypto from 'node:crypto';
import http from 'node:http';

import { SignJWT, UnsecuredJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const options = JSON.parse(process.argv[2]);
const users = options.users;

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

let keys = [await signingKey('key-1')];
let forgeMode = null;
let current;
let handle;

function build(issuer) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: options.clientId,
      client_secret: options.clientSecret,
      redirect_uris: [options.redirectUri],
      post_logout_redirect_uris: [options.postLogoutRedirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys },
    cookies: { keys: ['test-provider-cookie-key'] },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'employeeNumber', 'orgUnit', 'groups'],
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(_ctx, id) {
      const claims = users[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && forgeMode && ctx.body && ctx.body.id_token) {
      const mode = forgeMode;
      forgeMode = null;
      ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token, mode) };
    }
  });
  return provider;
}

async function sign(payload, jwk) {
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' }).sign(key);
}

async function forge(idToken, mode) {
  const payload = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'audience') payload.aud = 'another-client';
  if (mode === 'expired') Object.assign(payload, { iat: now - 900, exp: now - 300 });
  if (mode === 'nonce') payload.nonce = 'not-the-nonce-of-this-sign-in';
  if (mode === 'issuer') payload.iss = 'https://idp.elsewhere.example';
  if (mode === 'none') return new UnsecuredJWT(payload).encode();
  if (mode === 'unknown_key') return sign(payload, await signingKey('not-in-the-jwks'));
  return sign(payload, keys[0]);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'POST' && url.pathname === '/__test/rotate') {
    signingKey(`key-${keys.length + 1}`).then((key) => {
      keys = [key, ...keys];
      current = build(current.issuer);
      handle = current.callback();
      res.end(JSON.stringify({ kid: key.kid }));
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/__test/forge') {
    forgeMode = url.searchParams.get('mode');
    res.end(JSON.stringify({ mode: forgeMode }));
    return;
  }
  handle(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  current = build(`http://127.0.0.1:${port}`);
  handle = current.callback();
  process.stdout.write(`${JSON.stringify({ issuer: current.issuer })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
