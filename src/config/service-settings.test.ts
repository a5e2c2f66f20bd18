import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListen, resolveServiceSettings } from './service-settings.js';
import { DEFAULT_EGRESS_CANARIES } from './settings.js';

test('parseListen() reads :PORT as all interfaces, and HOST:PORT with IPv4, IPv6 or a name', () => {
  assert.deepEqual(parseListen(':8080'), { host: '::', port: 8080 });
  assert.deepEqual(parseListen('127.0.0.1:9000'), { host: '127.0.0.1', port: 9000 });
  assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
  assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  assert.throws(() => parseListen('8080'), /Listen address "8080" must be HOST:PORT or :PORT/);
  assert.throws(() => parseListen(':99999'), /Listen port must be a number between 1 and 65535/);
});

test('resolveServiceSettings() has safe defaults: private targets refused on every route, 32 endpoints per check, no token, no limit', () => {
  const s = resolveServiceSettings({}, {});
  assert.deepEqual(s.listen, { host: '::', port: 8080 });
  assert.equal(s.smtpPort, 25);
  assert.equal(s.resolver, null);
  assert.equal(s.token, null);
  assert.equal(s.rateLimitPerMinute, null);
  assert.equal(s.refusePrivateTargets, true);
  assert.equal(s.maxEndpoints, 32);
  assert.equal(s.maxChecksPerClient, 8);
  assert.equal(s.queueWaitS, 15);
  assert.equal(s.allowProbeAddress, false);
  assert.equal(s.checkOnGet, false, 'a shared link shows the form, it does not run');
  assert.equal(s.allowedDomains, null);
  assert.equal(s.connectionsPerAddress, 1);
  assert.equal(s.drainTimeoutS, 30);
  assert.deepEqual(s.egressCanary, DEFAULT_EGRESS_CANARIES);
});

test('resolveServiceSettings() reads the egress canary from its flag or environment variable, "none" switching it off', () => {
  assert.deepEqual(resolveServiceSettings({}, { CHECKER_SMTP_EGRESS_CANARY: 'none' }).egressCanary, []);
  assert.deepEqual(
    resolveServiceSettings({ egressCanary: '127.0.0.1:2525' }, { CHECKER_SMTP_EGRESS_CANARY: 'none' }).egressCanary,
    [{ host: '127.0.0.1', port: 2525 }],
  );
  assert.throws(() => resolveServiceSettings({ egressCanary: 'a,,b' }, {}), /Egress canary "a,,b"/);
});

test('resolveServiceSettings() reads the environment, and flags win over it', () => {
  const env = {
    CHECKER_SMTP_LISTEN: '127.0.0.1:9999',
    CHECKER_SMTP_TOKEN: 'from-env',
    CHECKER_SMTP_RATE_LIMIT: '30',
    CHECKER_SMTP_ALLOW_PRIVATE_TARGETS: 'true',
    CHECKER_SMTP_ALLOWED_DOMAINS: 'Example.com, example.org.',
    CHECKER_SMTP_RESOLVER: '127.0.0.1:5353',
    CHECKER_SMTP_PORT: '2525',
    CHECKER_SMTP_CONNECTIONS_PER_ADDRESS: '2',
    CHECKER_SMTP_MAX_ENDPOINTS: '12',
    CHECKER_SMTP_MAX_CHECKS_PER_CLIENT: '3',
    CHECKER_SMTP_QUEUE_WAIT: '5',
    CHECKER_SMTP_ALLOW_PROBE_ADDRESS: 'yes',
    CHECKER_SMTP_CHECK_ON_GET: '1',
  };
  const s = resolveServiceSettings({ token: 'from-flag' }, env);
  assert.deepEqual(s.listen, { host: '127.0.0.1', port: 9999 });
  assert.equal(s.token, 'from-flag');
  assert.equal(s.rateLimitPerMinute, 30);
  assert.equal(s.refusePrivateTargets, false);
  assert.equal(s.maxEndpoints, 12);
  assert.equal(s.maxChecksPerClient, 3);
  assert.equal(s.queueWaitS, 5);
  assert.equal(s.allowProbeAddress, true);
  assert.equal(s.checkOnGet, true);
  assert.equal(resolveServiceSettings({ checkOnGet: true }, {}).checkOnGet, true);
  assert.equal(resolveServiceSettings({ maxEndpoints: '20' }, env).maxEndpoints, 20, 'the flag wins');
  assert.deepEqual(s.allowedDomains, ['example.com', 'example.org']);
  assert.deepEqual(s.resolver, { host: '127.0.0.1', port: 5353 });
  assert.equal(s.smtpPort, 2525);
  assert.equal(s.connectionsPerAddress, 2);
});

test('resolveServiceSettings() refuses settings that cannot be right, naming them', () => {
  const cases: [Parameters<typeof resolveServiceSettings>[0], Record<string, string>, RegExp][] = [
    [{ rateLimit: '0' }, {}, /rate limit .* must be a positive whole number, got "0"/],
    [{ token: '  ' }, {}, /access token is empty/],
    [{ allowedDomains: 'ok.test,bad_domain.test' }, {}, /Allowed domain "bad_domain.test" has an invalid label/],
    [{ allowPrivateTargets: true, refusePrivateTargets: true }, {}, /pick one/],
    [
      {},
      { CHECKER_SMTP_ALLOW_PRIVATE_TARGETS: 'sometimes' },
      /CHECKER_SMTP_ALLOW_PRIVATE_TARGETS must be true or false, got "sometimes"/,
    ],
    [{ resolver: 'dns.google' }, {}, /Resolver "dns.google" is not an IP address/],
    [{ connectionsPerAddress: '-1' }, {}, /per-address connection bound must be a positive whole number/],
    [{ maxEndpoints: '0' }, {}, /endpoint cap \(endpoints per check\) must be a positive whole number, got "0"/],
    [{ maxEndpoints: '257' }, {}, /endpoint cap must be at most 256, got "257"/],
    [
      { rateLimit: '20' },
      {},
      /rate limit \(20 endpoints per minute per client\) is below the endpoint cap \(32 per check\)/,
    ],
    [{ maxChecksPerClient: 'many' }, {}, /checks running at once must be a positive whole number, got "many"/],
    [{ queueWait: '0' }, {}, /connection slot \(seconds\) must be a positive whole number, got "0"/],
    [{}, { CHECKER_SMTP_ALLOW_PROBE_ADDRESS: 'maybe' }, /CHECKER_SMTP_ALLOW_PROBE_ADDRESS must be true or false/],
    [{}, { CHECKER_SMTP_CHECK_ON_GET: 'often' }, /CHECKER_SMTP_CHECK_ON_GET must be true or false, got "often"/],
  ];
  for (const [flags, env, message] of cases) assert.throws(() => resolveServiceSettings(flags, env), message);
});
