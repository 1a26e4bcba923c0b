// The document may hold health data (CONTRACT §9): a database error on the submit path must not carry it to
// whoever logs the error (TypeORM's QueryFailedError keeps the statement's parameters).
import { QueryFailedError, type EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from './audit.js';
import { submitPrintJob } from './printJobs.js';

test('a failed submit throws an error without the document among its parameters', async () => {
  const document = Buffer.from('%PDF-1.7 Rx: patient Ivanenko');
  const failing = {
    query: async (sql: string, params: unknown[]) => {
      throw new QueryFailedError(sql, params, new Error('could not extend file: No space left on device'));
    },
  } as unknown as EntityManager;
  const input = { printer_id: '00000000-0000-4000-8000-000000000000', title: 'Rx', content_type: 'application/pdf' as const, document: document.toString('base64'), copies: 1 };
  const err = await submitPrintJob(failing, SYSTEM_ACTOR, 'portal', input, async () => undefined).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(QueryFailedError);
  const seen = JSON.stringify(err, (_key, value) => (value?.type === 'Buffer' ? Buffer.from(value.data).toString('latin1') : value));
  expect(seen).not.toContain('Ivanenko');
  expect(`${(err as Error).message} ${(err as Error).stack}`).not.toContain('Ivanenko');
});
