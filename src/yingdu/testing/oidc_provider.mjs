// A real OpenID Connect provider for the tests: panva's oidc-provider (npm, pinned in the Makefile) with its
// development login form (any password; the login name picks one of the accounts below).
// Usage: node oidc_provider.mjs CONFIG.json — CONFIG has port, module (path of oidc-provider's lib/index.js),
// client_id, client_secret, redirect_uris and accounts ({login: {claims}}). Prints "ready <issuer>" when listening.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { default: Provider } = await import(pathToFileURL(config.module).href);
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
  }],
  scopes: ['openid', 'profile', 'email', 'enterprise'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    enterprise: ['uscc', 'enterprise_name'],
  },
  cookies: { keys: ['test-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true, methods: ['S256'] },
  async findAccount(ctx, id) {
    const claims = (config.accounts[id] || {});
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;
provider.listen(config.port, '127.0.0.1', () => { console.log(`ready ${issuer}`); });
