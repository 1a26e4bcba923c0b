// How a page answers a sign-in step that refused (CONTRACT §3 throttling, §11 second factor), the same on the
// authorization flow's login page and /account's: the sign-in metric, Retry-After when throttled, and the page
// again with the reason in the user's language.
import type { Context } from 'koa';
import type { TFunction } from 'i18next';
import { noteSignIn } from './requestContext.js';

/** The refusals of src/domain/signInSteps.ts's StepResult, by shape. */
export type RefusedStep = { outcome: 'throttled'; retryAfter: number } | { outcome: 'wrong' };

export function answerRefusedStep<T>(
  ctx: Context, step: RefusedStep, t: TFunction, wrongKey: string, again: (status: number, error: string) => T,
): T {
  if (step.outcome === 'wrong') {
    noteSignIn(ctx, 'failure');
    return again(401, t(wrongKey));
  }
  noteSignIn(ctx, 'throttled');
  ctx.set('retry-after', String(step.retryAfter));
  return again(429, t('login.throttled', { count: Math.ceil(step.retryAfter / 60) }));
}
