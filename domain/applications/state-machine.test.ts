import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APPLICATION_ACTIONS, APPLICATION_STATUSES, allowedActions, nextStatus, type ApplicationStatus } from './state-machine.js';

describe('application state machine', () => {
  it('moves open applications forward', () => {
    assert.equal(nextStatus('submitted', 'review'), 'under_review');
    assert.equal(nextStatus('submitted', 'approve'), 'approved');
    assert.equal(nextStatus('submitted', 'reject'), 'rejected');
    assert.equal(nextStatus('submitted', 'withdraw'), 'withdrawn');
    assert.equal(nextStatus('under_review', 'approve'), 'approved');
    assert.equal(nextStatus('under_review', 'reject'), 'rejected');
    assert.equal(nextStatus('under_review', 'withdraw'), 'withdrawn');
  });

  it('refuses every other transition, including every move out of a final status', () => {
    const legal = new Set([
      'submitted:review',
      'submitted:approve',
      'submitted:reject',
      'submitted:withdraw',
      'under_review:approve',
      'under_review:reject',
      'under_review:withdraw',
    ]);
    for (const from of APPLICATION_STATUSES) {
      for (const action of APPLICATION_ACTIONS) {
        const to = nextStatus(from, action);
        assert.equal(to !== undefined, legal.has(`${from}:${action}`), `${from} --${action}-->`);
      }
    }
    for (const final of ['approved', 'rejected', 'withdrawn'] as ApplicationStatus[]) assert.deepEqual(allowedActions(final), []);
    assert.equal(nextStatus('under_review', 'review'), undefined);
  });
});
