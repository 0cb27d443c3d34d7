// bench/oidc_ref.mjs - the reference OpenID provider for `make bench`: npm oidc-provider
// (the certified Node.js implementation) with one ES256 key and one client, listening on
// 127.0.0.1:PORT, so that bench/run.sh can load its discovery and JWKS endpoints in the
// same run as onewindow's and print our rate as a multiple of its rate.
//   node bench/oidc_ref.mjs PORT
import Provider from 'oidc-provider';
import { generateKeyPairSync } from 'node:crypto';

const port = Number(process.argv[2] || 0);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench' };
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  clients: [{
    client_id: 'bench', client_secret: 'bench-secret-bench-secret',
    redirect_uris: ['http://127.0.0.1/cb'], response_types: ['code'], grant_types: ['authorization_code'],
  }],
  pkce: { required: () => true },
});
provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${port}\n`);
});
