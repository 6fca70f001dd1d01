/**
 * Attacks on the login limits. Eleven wrong passwords from anyone used to lock any account for 15
 * minutes (an outsider could lock out whom they pleased, and the lock came at 11, not 10), while
 * every login from one address counted against 30 a minute — a campus behind one NAT address
 * would lock out its own students at 8 a.m. Addresses are told apart by X-Forwarded-For from a
 * trusted proxy, as behind the Kubernetes ingress.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_PASSWORD, call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';

describe('attack: login lockout and shared addresses', () => {
  let env: TestEnvironment;
  let url: string;

  before(async () => {
    env = await createTestEnvironment('atk-login');
    url = (
      await env.start({
        TRUST_PROXY: 'true',
        LOGIN_FAILURES_PER_ACCOUNT: '10',
        LOGIN_FAILURES_PER_ADDRESS: '15',
        AUTH_RATE_LIMIT_PER_MINUTE: '30',
      })
    ).url;
  });
  after(() => env.teardown());

  const login = (email: string, password: string, address: string) =>
    call(url, 'POST', '/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': address } });

  it('locks the attacking address out of the account after exactly 10 failures, not the owner', async () => {
    const victim = await env.createUser('staff');
    for (let i = 1; i <= 10; i++) assert.equal((await login(victim.email, `guess-${i}`, '203.0.113.9')).status, 401, `failure ${i}`);
    const eleventh = await login(victim.email, TEST_PASSWORD, '203.0.113.9');
    assert.equal(eleventh.status, 429, 'the 11th try from the attacking address is refused, even with the right password');
    assert.ok(Number(eleventh.headers.get('retry-after')) > 60);
    assert.equal((await login(victim.email, TEST_PASSWORD, '198.51.100.7')).status, 200, 'the owner, elsewhere, still logs in');
  });

  it('stops one address trying many accounts, whatever accounts', async () => {
    const accounts = await Promise.all(Array.from({ length: 4 }, () => env.createUser('student')));
    let failures = 0;
    for (const account of accounts)
      for (let i = 0; i < 4 && failures < 15; i++, failures++) await login(account.email, 'spray', '192.0.2.66');
    const refused = await login(accounts[0]!.email, TEST_PASSWORD, '192.0.2.66');
    assert.equal(refused.status, 429);
  });

  it('lets a whole campus log in from one address: successful logins are not counted', async () => {
    const students = await Promise.all(Array.from({ length: 40 }, () => env.createUser('student')));
    const results = [];
    for (const student of students) results.push((await login(student.email, TEST_PASSWORD, '100.64.0.1')).status);
    assert.deepEqual(results, Array(40).fill(200));
  });
});
