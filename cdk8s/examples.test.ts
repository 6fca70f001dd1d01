import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { compileStructuralSchema, passPlatformOpenApiSchema } from '../platform-api/v1alpha1/index.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');

describe('examples/', () => {
  const admit = compileStructuralSchema(passPlatformOpenApiSchema);
  for (const file of readdirSync(examples).filter((f) => f.endsWith('.yaml'))) {
    it(`${file} is a valid PassPlatform`, () => {
      const object = load(readFileSync(join(examples, file), 'utf8')) as Record<string, unknown>;
      assert.equal(object.kind, 'PassPlatform');
      assert.deepEqual(admit(object), []);
    });
  }
});
