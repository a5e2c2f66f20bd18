/**
 * smtp.tls_quality: the TLS posture of every endpoint that completed
 * STARTTLS. When the host hands back the TLS checker's findings for an
 * endpoint (`related["tls_probes"]`, matched by ref) and they are usable,
 * they replace our own certificate evaluation for it; otherwise we judge the
 * certificate we saw on our own connection. What the TLS checker does not
 * judge we always judge from our own connection: the key exchange, and the
 * keys and signatures of the chain a sender at default security refuses.
 * Every state says which source it comes from in `meta.source` ("related" or
 * "own").
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { CertificateInfo, EndpointProbe, Observation } from '../model/observation.js';
import { parseRelatedTls, type EndpointTlsCoverage, type RelatedTlsIndex } from './related-tls.js';
import { Status, type CheckState } from '../model/status.js';
import { MIN_EC_BITS, MIN_RSA_BITS, weakKeys, weakSignatures, type WeakCertificate } from './certificate-strength.js';
import {
  allEndpoints,
  blockedBefore,
  dialogueStop,
  endpointRule,
  finding,
  plural,
  untestedSuffix,
  type Rule,
  type RuleContext,
} from './rule.js';

const NAME = 'smtp.tls_quality';

/** Warn this long before expiry: two weeks leaves time for a renewal to be noticed and fixed. */
export const EXPIRY_WARNING_DAYS = 14;
/** Ephemeral DH below this is breakable (Logjam, RFC 7919 recommends ≥ 2048). */
export const MIN_DH_BITS = 2048;

const DAY_MS = 86_400_000;

/** Protocol versions older than TLS 1.2 (RFC 8996 deprecates TLS 1.0 and 1.1). */
const OLD_VERSIONS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.0', 'TLSv1.1']);

const FIX_CERT =
  "Install a certificate from a public CA that covers the MX name (e.g. Let's Encrypt via certbot or acme.sh), with the full chain: Postfix smtpd_tls_chain_files (or smtpd_tls_cert_file with the intermediates appended), Exim tls_certificate.";

function why(e: EndpointProbe): string | null {
  const upstream = blockedBefore(e, 'session');
  if (upstream) return upstream;
  if (!e.starttls.offered) return 'STARTTLS not offered';
  if (!e.starttls.ok || !e.starttls.tls) {
    const stop = dialogueStop(e);
    return stop ? `STARTTLS failed (${stop})` : 'STARTTLS failed';
  }
  return null;
}

/** A certificate shaped for node's checkServerIdentity from the names we recorded. */
function certLike(leaf: CertificateInfo): PeerCertificate {
  const san = leaf.subject_alt_names.map((n) => n.replace(/^IP:/, 'IP Address:')).join(', ');
  return { subject: leaf.subject, ...(san ? { subjectaltname: san } : {}) } as unknown as PeerCertificate;
}

/**
 * Whether `cert` is valid for `name`. Node throws on subjectAltName strings it
 * cannot parse (a hostile or broken certificate with quotes in a name): such
 * a certificate cannot be shown to cover the name, so it does not.
 */
function covers(name: string, cert: PeerCertificate): boolean {
  try {
    return checkServerIdentity(name, cert) === undefined;
  } catch {
    return false;
  }
}

/** The names a certificate answers for, as a reader would list them (SAN wins over CN, RFC 6125). */
function certificateNames(leaf: CertificateInfo): string[] {
  if (leaf.subject_alt_names.length > 0) return leaf.subject_alt_names;
  return leaf.subject['CN'] ? [`CN=${leaf.subject['CN']}`] : [];
}

/** The key exchange of our own connection: the TLS checker does not judge it, so we always do. */
function weakDh(e: EndpointProbe): CheckState[] {
  const tls = e.starttls.tls!;
  const eph = tls.ephemeral;
  if (!eph || eph.type !== 'DH' || eph.bits === null || eph.bits >= MIN_DH_BITS) return [];
  return [
    finding(NAME, {
      subject: e.subject,
      status: Status.WARN,
      code: 'smtp.tls.weak_dh',
      message: `${e.subject} uses a ${eph.bits}-bit ephemeral Diffie-Hellman group, below ${MIN_DH_BITS} bits (Logjam).`,
      fix: 'Use a 2048-bit or larger DH group (Postfix smtpd_tls_dh1024_param_file with a 2048-bit file, or rely on ECDHE; Exim tls_dhparam = ffdhe3072).',
      meta: { mx: e.mx, address: e.address, version: tls.version, cipher: tls.cipher, ephemeral: eph, source: 'own' },
    }),
  ];
}

/** "the leaf CN=mx1.example.com (RSA 1024 bits); the root CN=Old CA (RSA 1024 bits)". */
function listWeak(weak: readonly WeakCertificate[]): string {
  return weak.map((w) => `the ${w.role} ${w.name} (${w.weakness})`).join('; ');
}

/**
 * Keys and signatures of the chain a verifying sender at default security
 * refuses. Judged from our own connection whatever the source of the rest:
 * the handshake ran at security level 0, so its own verdict cannot be taken
 * for theirs, and the TLS checker's findings need not cover it.
 */
function weakChain(e: EndpointProbe): CheckState[] {
  const tls = e.starttls.tls!;
  const out: CheckState[] = [];
  const meta = { mx: e.mx, address: e.address, chain_trusted: tls.chain_trusted, source: 'own' };
  // Say why our own check did not catch it, when it called the chain trusted.
  const despite = tls.chain_trusted ? ', although it verifies at the lowest security level our probe uses' : '';
  const keys = weakKeys(tls.chain);
  if (keys.length > 0) {
    out.push(
      finding(NAME, {
        subject: e.subject,
        status: Status.WARN,
        code: 'smtp.tls.weak_key',
        message: `The certificate chain of ${e.subject} has ${plural(keys.length, 'key')} too small for a sender at default security: ${listWeak(keys)}. OpenSSL's default security level 2 (Debian's) wants RSA and DSA keys of at least ${MIN_RSA_BITS} bits and EC keys of at least ${MIN_EC_BITS}, so verifying senders (MTA-STS enforcement, Postfix smtp_tls_security_level = verify) refuse this chain${despite}; opportunistic senders still deliver.`,
        fix: `Make a new key (RSA of at least ${MIN_RSA_BITS} bits, or ECDSA P-256) and get a certificate for it, e.g. certbot --key-type ecdsa or --rsa-key-size 4096; if an intermediate or the root has the small key, install the chain your CA issues today.`,
        meta: { ...meta, certificates: keys },
      }),
    );
  }
  const signatures = weakSignatures(tls.chain);
  if (signatures.length > 0) {
    out.push(
      finding(NAME, {
        subject: e.subject,
        status: Status.WARN,
        code: 'smtp.tls.weak_signature',
        message: `The certificate chain of ${e.subject} has ${plural(signatures.length, 'certificate')} signed with a hash a sender at default security refuses: ${listWeak(signatures)}. OpenSSL 3 refuses MD5 and SHA-1 signatures from security level 1 up, so verifying senders (MTA-STS enforcement, Postfix smtp_tls_security_level = verify) refuse this chain${despite}; opportunistic senders still deliver.`,
        fix: 'Have the certificate reissued with a SHA-256 signature (what every public CA issues today), and replace any SHA-1-signed intermediate with the chain your CA currently serves.',
        meta: { ...meta, certificates: signatures },
      }),
    );
  }
  return out;
}

function judge(e: EndpointProbe, obs: Observation): CheckState[] {
  const tls = e.starttls.tls!;
  const leaf = tls.chain[0];
  const out: CheckState[] = [];
  const base = { subject: e.subject };
  const meta = { mx: e.mx, address: e.address, version: tls.version, cipher: tls.cipher, source: 'own' };
  if (OLD_VERSIONS.has(tls.version)) {
    out.push(
      finding(NAME, {
        ...base,
        status: Status.WARN,
        code: 'smtp.tls.old_version',
        message: `${e.subject} negotiated ${tls.version}, which is deprecated (RFC 8996); it should offer TLS 1.2 or 1.3.`,
        fix: 'Enable TLS 1.2 and 1.3 (update OpenSSL and the MTA if needed); Postfix "smtpd_tls_protocols = >=TLSv1.2" once your senders cope, Exim tls_require_ciphers / openssl_options.',
        meta,
      }),
    );
  }
  out.push(...weakDh(e), ...weakChain(e));
  if (!leaf) return out;
  const now = Date.parse(obs.collected_at);
  const notAfter = Date.parse(leaf.valid_to);
  const notBefore = Date.parse(leaf.valid_from);
  const certMeta = { ...meta, valid_from: leaf.valid_from, valid_to: leaf.valid_to, names: certificateNames(leaf) };
  if (!Number.isNaN(now) && !Number.isNaN(notAfter)) {
    if (notAfter < now) {
      out.push(
        finding(NAME, {
          ...base,
          status: Status.CRIT,
          code: 'smtp.tls.expired',
          message: `The certificate of ${e.subject} expired on ${leaf.valid_to}: senders that verify certificates (MTA-STS enforcement) refuse it.`,
          fix: `Renew the certificate and reload the MTA. ${FIX_CERT}`,
          meta: certMeta,
        }),
      );
    } else if (notAfter - now < EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.floor((notAfter - now) / DAY_MS);
      out.push(
        finding(NAME, {
          ...base,
          status: Status.WARN,
          code: 'smtp.tls.expiring',
          message: `The certificate of ${e.subject} expires on ${leaf.valid_to}, in ${days} day${days === 1 ? '' : 's'}.`,
          fix: 'Renew it now and check that automatic renewal (certbot/acme.sh timer) works and reloads the MTA.',
          meta: certMeta,
        }),
      );
    }
  }
  if (!Number.isNaN(now) && !Number.isNaN(notBefore) && notBefore > now) {
    out.push(
      finding(NAME, {
        ...base,
        status: Status.CRIT,
        code: 'smtp.tls.not_yet_valid',
        message: `The certificate of ${e.subject} is not valid before ${leaf.valid_from}.`,
        fix: "Check the server clock and the certificate's dates; install a currently valid certificate.",
        meta: certMeta,
      }),
    );
  }
  if (!tls.chain_trusted) {
    out.push(
      finding(NAME, {
        ...base,
        status: Status.WARN,
        code: 'smtp.tls.untrusted',
        message: `The certificate chain of ${e.subject} is not trusted (${tls.chain_error ?? 'unknown reason'}). Port 25 TLS is opportunistic, so most senders still deliver, but verifying senders and MTA-STS enforcement would fail.`,
        fix: FIX_CERT,
        meta: { ...certMeta, chain_error: tls.chain_error },
      }),
    );
  }
  if (e.mx.length > 0) {
    const cert = certLike(leaf);
    const matches = e.mx.some((name) => covers(name, cert));
    if (!matches) {
      out.push(
        finding(NAME, {
          ...base,
          status: Status.WARN,
          code: 'smtp.tls.hostname_mismatch',
          message: `The certificate of ${e.subject} does not cover ${e.mx.join(' or ')}: it names ${certificateNames(leaf).join(', ') || 'no host'}. MTA-STS and verifying senders would refuse it.`,
          fix: `Get a certificate whose subjectAltName includes ${e.mx.join(' and ')}. ${FIX_CERT}`,
          meta: certMeta,
        }),
      );
    }
  }
  return out;
}

/** The TLS checker's findings for `e`, one state each, naming the checker, the ref and when it looked. */
function relatedStates(e: EndpointProbe, cov: EndpointTlsCoverage): CheckState[] {
  return cov.usable.flatMap((probe) =>
    probe.findings.map((f) =>
      finding(NAME, {
        subject: e.subject,
        status: f.status,
        code: f.code,
        message: `The TLS checker${probe.checker_id ? ` (${probe.checker_id})` : ''} reports for ${probe.ref}: ${f.message}`,
        ...(f.fix !== null ? { fix: f.fix } : {}),
        meta: {
          mx: e.mx,
          address: e.address,
          source: 'related',
          ref: probe.ref,
          checker_id: probe.checker_id,
          collected_at: probe.collected_at,
          related_code: f.related_code,
        },
      }),
    ),
  );
}

/** Related data was sent for `e` but could not be used: say so, since our own evaluation stands in for it. */
function unusableState(e: EndpointProbe, cov: EndpointTlsCoverage): CheckState {
  const reasons = cov.unusable.map((p) => `${p.ref}: ${p.reason}`).join('; ');
  return finding(NAME, {
    subject: e.subject,
    status: Status.INFO,
    code: 'smtp.tls.related_unusable',
    message: `The TLS checker's findings for ${e.subject} were not used (${reasons}); the certificate is judged from our own connection instead.`,
    meta: {
      mx: e.mx,
      address: e.address,
      source: 'own',
      related: cov.unusable.map((p) => ({ ref: p.ref, problem: p.problem, reason: p.reason })),
    },
  });
}

function judgeAll(judged: EndpointProbe[], obs: Observation, context: RuleContext | undefined): CheckState[] {
  const related = parseRelatedTls(context?.related, obs.collected_at);
  return judged.flatMap((e) => {
    const cov = related.forEndpoint(e);
    if (cov.usable.length > 0) return [...relatedStates(e, cov), ...weakDh(e), ...weakChain(e)];
    return [...judge(e, obs), ...(cov.unusable.length > 0 ? [unusableState(e, cov)] : [])];
  });
}

/** Which source judged each endpoint's certificate, for the OK state. */
function sources(obs: Observation, related: RelatedTlsIndex): Record<string, 'related' | 'own'> {
  const out: Record<string, 'related' | 'own'> = {};
  for (const e of obs.endpoints) {
    if (e.starttls.ok && e.starttls.tls) out[e.subject] = related.forEndpoint(e).usable.length > 0 ? 'related' : 'own';
  }
  return out;
}

const rule = endpointRule({
  name: NAME,
  description:
    'TLS posture of the endpoints: protocol version, key exchange, certificate expiry, trust, key and signature strength, and host name.',
  untestedCode: 'smtp.tls.untested',
  what: 'the TLS posture',
  why,
  judge: (p, obs, context) => judgeAll(p.judged, obs, context),
  okMessage: (p) => {
    const versions = [...new Set(p.judged.map((e) => e.starttls.tls!.version))].join(', ');
    return `${allEndpoints(p.judged, 'uses', 'use')} ${versions} with a trusted, current certificate matching the MX name${untestedSuffix(p)}.`;
  },
});

/** The OK state says where the verdict came from once the host sent related data at all. */
export const tlsQuality: Rule = {
  name: rule.name,
  description: rule.description,
  evaluate(obs, context) {
    const states = rule.evaluate(obs, context);
    const only = states[0];
    if (states.length !== 1 || only?.code !== `${NAME}.ok`) return states;
    const related = parseRelatedTls(context?.related, obs.collected_at);
    const bySubject = sources(obs, related);
    const meta = { ...(only.meta ?? {}), sources: bySubject };
    if (!related.present) return [{ ...only, meta }];
    const n = Object.values(bySubject).filter((s) => s === 'related').length;
    const own = Object.values(bySubject).length - n;
    const note = ` Judged from the TLS checker's findings for ${n} endpoint${n === 1 ? '' : 's'}${own > 0 ? `, from our own connection for ${own}` : ''}.`;
    return [{ ...only, message: only.message + note, meta }];
  },
};
