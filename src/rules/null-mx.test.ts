import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noMxObservation, nullMxObservation, observation } from '../../test/fixtures/observations.js';
import type { CheckState } from '../model/status.js';
import { nullMx } from './null-mx.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.null_mx', () => {
  it('is OK without a null MX', () => {
    assert.deepEqual(brief(nullMx.evaluate(observation())), [[1, 'smtp.null_mx.ok', 'example.com']]);
  });

  it('reports a null MX as INFO', () => {
    const [s] = nullMx.evaluate(nullMxObservation());
    assert.deepEqual(brief([s!]), [[2, 'smtp.null_mx', 'example.com']]);
    assert.match(s!.message, /RFC 7505/);
  });

  it('says how to receive mail after all, in case the null MX is a mistake', () => {
    const [s] = nullMx.evaluate(nullMxObservation());
    assert.equal(
      s!.message,
      'example.com publishes a null MX (RFC 7505): it accepts no mail, so no endpoint is probed.',
    );
    assert.match(String(s!.meta?.['fix']), /replace "MX 0 \." with MX records/);
  });

  it("is OK for a domain with no MX at all: the missing MX is smtp.mx_present's finding", () => {
    const states = nullMx.evaluate(noMxObservation());
    assert.deepEqual(brief(states), [[1, 'smtp.null_mx.ok', 'example.com']]);
    assert.equal(states[0]!.message, 'example.com does not publish a null MX.');
  });
});
