import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allUnreachableObservation, endpoint, extensions, observation } from '../../test/fixtures/observations.js';
import type { CheckState } from '../model/status.js';
import { extensionPosture } from './extension-posture.js';

const brief = (states: CheckState[]) => states.map((s) => [s.status, s.code, s.subject]);

describe('smtp.extension_posture', () => {
  it('is OK with the usual extensions and reports the union per endpoint', () => {
    const states = extensionPosture.evaluate(observation());
    assert.deepEqual(brief(states), [[1, 'smtp.extension_posture.ok', 'example.com']]);
    const ext = states[0]!.meta?.['extensions'] as Record<string, string[]>;
    assert.ok(ext['192.0.2.10:25']!.includes('STARTTLS'));
    assert.ok(ext['[2001:db8::10]:25']!.includes('PIPELINING'));
  });

  it('counts extensions advertised before or after TLS', () => {
    const e = endpoint({
      extensions: extensions('PIPELINING', 'STARTTLS'),
      extensions_tls: extensions('8BITMIME', 'ENHANCEDSTATUSCODES', 'SMTPUTF8'),
    });
    assert.deepEqual(brief(extensionPosture.evaluate(observation({ endpoints: [e] }))), [
      [1, 'smtp.extension_posture.ok', 'example.com'],
    ]);
  });

  it('lists the missing ones as INFO', () => {
    const e = endpoint({
      extensions: extensions('STARTTLS', 'PIPELINING'),
      extensions_tls: extensions('PIPELINING', 'SIZE 1000'),
    });
    const states = extensionPosture.evaluate(observation({ endpoints: [e] }));
    assert.deepEqual(brief(states), [[2, 'smtp.ext.missing', '192.0.2.10:25']]);
    assert.deepEqual(states[0]!.meta?.['missing'], ['8BITMIME', 'ENHANCEDSTATUSCODES', 'SMTPUTF8']);
    assert.deepEqual(states[0]!.meta?.['extensions'], ['STARTTLS', 'PIPELINING', 'SIZE']);
  });

  it('is UNKNOWN when no endpoint could be tested', () => {
    assert.deepEqual(brief(extensionPosture.evaluate(allUnreachableObservation())), [
      [0, 'smtp.ext.untested', 'example.com'],
    ]);
  });
});
