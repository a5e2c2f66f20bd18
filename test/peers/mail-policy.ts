/**
 * Who a test MX accepts mail from and for, as Postfix would word it. Shared
 * by the smtp-server and scripted scenarios so the same policy gives the
 * same replies whichever engine speaks.
 */

export interface MailPolicy {
  /** Domains this MX receives for; recipients elsewhere are relaying. */
  localDomains: string[];
  /** Accept recipients in any domain. */
  openRelay?: boolean;
  /** Refuse `MAIL FROM:<>` (bounces) with 550. */
  refuseNullSender?: boolean;
  /** Refuse postmaster@<local domain> with 550 5.1.1. */
  refusePostmaster?: boolean;
  /** Answer every recipient with 450 4.2.0 (greylisting). */
  greylist?: boolean;
}

/** A reply: `code` and the text after it, enhanced status code first. */
export interface Verdict {
  code: number;
  text: string;
}

export function senderVerdict(address: string, policy: MailPolicy): Verdict {
  if (address === '' && policy.refuseNullSender) {
    return { code: 550, text: '5.7.1 <>: Sender address rejected: Access denied' };
  }
  return { code: 250, text: '2.1.0 Ok' };
}

export function recipientVerdict(address: string, policy: MailPolicy): Verdict {
  if (policy.greylist) {
    return { code: 450, text: `4.2.0 <${address}>: Recipient address rejected: Greylisted, try again later` };
  }
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const domain =
    at < 0
      ? ''
      : address
          .slice(at + 1)
          .toLowerCase()
          .replace(/\.$/, '');
  // RFC 5321 §4.5.1: a bare <postmaster> is this server's postmaster.
  const isLocal =
    domain === '' ? local.toLowerCase() === 'postmaster' : policy.localDomains.some((d) => d.toLowerCase() === domain);
  if (isLocal && policy.refusePostmaster && local.toLowerCase() === 'postmaster') {
    return { code: 550, text: `5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table` };
  }
  if (isLocal || policy.openRelay) return { code: 250, text: '2.1.5 Ok' };
  return { code: 554, text: `5.7.1 <${address}>: Relay access denied` };
}
