import { Status } from '../model/status.js';
import { finding, okState, type Rule } from './rule.js';

const NAME = 'smtp.null_mx';

export const nullMx: Rule = {
  name: NAME,
  description: 'Reports whether the domain publishes a null MX (RFC 7505), declaring it receives no mail.',
  evaluate(obs) {
    if (!obs.dns.null_mx) return [okState(NAME, obs, `${obs.domain} does not publish a null MX.`)];
    return [
      finding(NAME, {
        status: Status.INFO,
        code: 'smtp.null_mx',
        subject: obs.domain,
        message: `${obs.domain} publishes a null MX (RFC 7505): it accepts no mail, so no endpoint is probed.`,
        fix: 'Nothing to do if the domain should not receive mail. To receive mail, replace "MX 0 ." with MX records naming your mail servers.',
      }),
    ];
  },
};
