/**
 * The MTAs under test, each with the loopback address its runs use (one
 * address per test file: files run in parallel, runs within a file one
 * after the other). The suite's range is 127.0.0.150–169.
 */
import type { MtaInstance, MtaSetup } from './mta-instance.js';
import { EXIM_BINARY, startExim } from './exim.js';
import { SMTPD_BINARY, startOpenSmtpd } from './opensmtpd.js';
import { POSTFIX_BINARY, startPostfix } from './postfix.js';

export interface InteropMta {
  /** Names the test domains: `<prefix>-<policy>.test`. */
  prefix: string;
  host: string;
  /** The Debian package the daemon comes from, and where install-mtas.sh puts its binary. */
  package: string;
  binary: string;
  start(setup: MtaSetup): Promise<MtaInstance>;
}

/** The in-process DNS servers of the interop suite listen here. */
export const INTEROP_DNS_HOST = '127.0.0.150';

export const POSTFIX: InteropMta = {
  prefix: 'postfix',
  host: '127.0.0.151',
  package: 'postfix',
  binary: POSTFIX_BINARY,
  start: startPostfix,
};
export const POSTFIX_POSTSCREEN: InteropMta = {
  ...POSTFIX,
  prefix: 'postscreen',
  host: '127.0.0.152',
  start: (setup) => startPostfix({ ...setup, postscreen: true }),
};
export const EXIM: InteropMta = {
  prefix: 'exim',
  host: '127.0.0.153',
  package: 'exim4-daemon-light',
  binary: EXIM_BINARY,
  start: startExim,
};
/** Exim's second address, for one server reached under two MX names (the connection-limit run). */
export const EXIM_SECOND_HOST = '127.0.0.155';

/**
 * The same MTAs for the verdict cases of test/interop/verdicts.test.ts (a
 * file of its own, so on addresses of its own): real-world settings that
 * refuse the checker, limit it or delay it.
 */
export const POSTFIX_TUNED: InteropMta = { ...POSTFIX, prefix: 'tuned-postfix', host: '127.0.0.156' };
export const EXIM_TUNED: InteropMta = { ...EXIM, prefix: 'tuned-exim', host: '127.0.0.157' };
export const OPENSMTPD: InteropMta = {
  prefix: 'opensmtpd',
  host: '127.0.0.154',
  package: 'opensmtpd',
  binary: SMTPD_BINARY,
  start: startOpenSmtpd,
};

/** The same MTAs on other addresses, for the swaks comparison tool (it may run beside the tests). */
export const SWAKS_HOSTS: Record<string, string> = {
  postfix: '127.0.0.161',
  postscreen: '127.0.0.162',
  exim: '127.0.0.163',
  opensmtpd: '127.0.0.164',
};
