// How PrintQueue wakes waiting claims (CONTRACT §9 "ends a claim waiting on another within a second"), with the
// database's answers scripted so the races that matter happen every time: one claim is woken per notification,
// and a woken claim that does not take everything there may be hands the wake-up to the next.
import type { EntityManager } from 'typeorm';
import { createLogger } from '../log.js';
import type { Listener, Notifications } from '../notifications.js';
import { PrintQueue } from './printQueue.js';

/** A manager whose every query waits until the test answers it. */
function scriptedManager() {
  const pending: Array<(rows: unknown[]) => void> = [];
  const manager = { query: () => new Promise<unknown[]>((resolve) => pending.push(resolve)) } as unknown as EntityManager;
  return { manager, pending };
}

function notifications() {
  let listener: Listener = () => undefined;
  const stub: Notifications = {
    publish: async () => undefined,
    subscribe: (_channel, l) => ((listener = l), () => undefined),
    close: async () => undefined,
  };
  return { stub, notify: (payload: string | null) => listener(payload) };
}

const job = (id: string) => ({ id, document: Buffer.from('x') });
const tick = () => new Promise((resolve) => setImmediate(resolve));

let closing: AbortController;
beforeEach(() => {
  closing = new AbortController();
});
afterEach(() => closing.abort());

function queueWith(manager: EntityManager, stub: Notifications) {
  return new PrintQueue(manager, stub, { leaseSeconds: 300, closing: closing.signal, log: createLogger('silent') });
}

test('a wake-up that reaches a claim while it looks is handed on when the look found only part of a batch', async () => {
  const { manager, pending } = scriptedManager();
  const { stub, notify } = notifications();
  const queue = queueWith(manager, stub);
  const never = new AbortController().signal;
  const first = queue.claim('svc', 2, 5, never);
  const second = queue.claim('svc', 2, 5, never);
  await tick();
  pending[1]([]); // the second finds nothing and waits
  await tick();
  expect(queue.waiting).toBe(1);
  notify('svc'); // the first, still looking, is the claim woken: its look began before this job was committed
  pending[0]([job('a')]);
  expect((await first).map((j) => j.id)).toEqual(['a']);
  await tick();
  expect(pending).toHaveLength(3); // the second was handed the wake-up and looks again at once
  pending[2]([job('b')]);
  expect((await second).map((j) => j.id)).toEqual(['b']);
});

test('one notification wakes one waiting claim; a full batch wakes the next; "missed" wakes them all', async () => {
  const { manager, pending } = scriptedManager();
  const { stub, notify } = notifications();
  const queue = queueWith(manager, stub);
  const never = new AbortController().signal;
  const claims = [1, 2, 3].map(() => queue.claim('svc', 1, 5, never));
  await tick();
  for (const answer of pending.splice(0)) answer([]);
  await tick();
  expect(queue.waiting).toBe(3);
  notify('svc');
  await tick();
  expect(pending).toHaveLength(1);
  pending.shift()!([job('a')]); // a full batch (limit 1): there may be more, the next claim looks
  await tick();
  expect(pending).toHaveLength(1);
  pending.shift()!([]); // it found nothing and waits again, beside the third
  await tick();
  expect(queue.waiting).toBe(2);
  notify('other_service');
  await tick();
  expect(pending).toHaveLength(0);
  notify(null);
  await tick();
  expect(pending).toHaveLength(2);
  closing.abort();
  for (const answer of pending.splice(0)) answer([]);
  expect((await Promise.all(claims)).map((c) => c.length).sort()).toEqual([0, 0, 1]);
});

test('a woken claim whose client left hands the wake-up on instead of swallowing it', async () => {
  const { manager, pending } = scriptedManager();
  const { stub, notify } = notifications();
  const queue = queueWith(manager, stub);
  const gone = new AbortController();
  const leaving = queue.claim('svc', 1, 5, gone.signal);
  const staying = queue.claim('svc', 1, 5, new AbortController().signal);
  await tick();
  for (const answer of pending.splice(0)) answer([]);
  await tick();
  notify('svc'); // wakes the claim that waited longest: the one whose client is leaving
  gone.abort();
  expect(await leaving).toEqual([]);
  await tick();
  expect(pending).toHaveLength(1);
  pending.shift()!([job('a')]);
  expect((await staying).map((j) => j.id)).toEqual(['a']);
});
