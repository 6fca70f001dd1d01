import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { buildAsyncApi } from './asyncapi.js';
import { CHANNELS, CHANNEL_NAMES } from './channels.js';

describe('AsyncAPI document', () => {
  it('is a valid AsyncAPI 3.0 document by the official parser, with every channel and event', async () => {
    const document = buildAsyncApi('test');
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    assert.deepEqual(errors, []);
    assert.ok(parsed);
    assert.deepEqual(
      parsed
        .channels()
        .all()
        .map((c) => c.id())
        .sort(),
      [...CHANNEL_NAMES].sort(),
    );
    const events = parsed
      .messages()
      .all()
      .map((m) => m.name())
      .sort();
    assert.deepEqual(events, CHANNEL_NAMES.flatMap((name) => Object.keys(CHANNELS[name].events)).sort());
  });
});
