// Print jobs (CONTRACT §9): what one can print on, submitting, reading and canceling jobs, and the print service's
// own claim (a long poll) and report.
import type { Context } from 'koa';
import { listPrintablePrinters } from '../domain/printers.js';
import {
  cancelPrintJob, getPrintJob, jobViewer, listPrintJobs, reportPrintJob, submitPrintJob,
} from '../domain/printJobs.js';
import {
  PRINT_JOB_BODY_LIMIT, claimBody, claimedJobView, jobReportBody, newPrintJobBody, printJobPath, printJobView, printJobsQuery,
  printablePrinterView, printablePrintersQuery,
} from '../schemas/printJobs.js';
import { emptyBody } from '../schemas/common.js';
import { isAdmin } from '../domain/visibility.js';
import { callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';

/** Aborts when the client goes away before its answer is sent: a claim stops waiting and takes no job for nobody. */
function clientGone(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => controller.abort());
  return controller.signal;
}

/**
 * Who sees which printers: a holder of print:submit and an ADMIN see every printer one can print on; anyone else
 * holding printer:read (a print service) only its own (CONTRACT §4 "list endpoints filter to its own").
 */
function printableFilter(ctx: Context): { service_id?: string; own_service_id?: string } {
  const caller = callerOf(ctx);
  const seesEvery = isAdmin(caller) || caller.scopes.has('print:submit');
  return { service_id: ctx.state.query.service_id, own_service_id: seesEvery ? undefined : caller.clientId };
}

export function printJobRoutes({ manager, printQueue }: ApiDeps): RouteSpec[] {
  const paged = async <T>(ctx: Context, list: (page: number, pageSize: number) => Promise<{ items: T[]; total: number }>) => {
    const { page, pageSize } = pageParams(ctx.state.query);
    const { items, total } = await list(page, pageSize);
    return pageOf(items, total, page, pageSize);
  };
  return [
    {
      method: 'get', path: '/printers', tag: 'print jobs',
      summary: 'The printers one can print on now: enabled, and their system printer online',
      scopes: ['print:submit', 'printer:read'], query: printablePrintersQuery,
      status: 200, list: true, response: printablePrinterView,
      handler: (ctx: Context) => paged(ctx, (page, size) => listPrintablePrinters(manager, printableFilter(ctx), page, size)),
    },
    {
      method: 'post', path: '/print_jobs', tag: 'print jobs',
      summary: 'Submit a document to print on an available printer (a disabled or not online printer → 409)',
      scopes: ['print:submit'], body: newPrintJobBody, bodyLimit: PRINT_JOB_BODY_LIMIT,
      status: 201, response: printJobView, errors: [409],
      handler: (ctx: Context) => {
        const caller = callerOf(ctx);
        return submitPrintJob(manager, caller.actor, caller.clientId, ctx.state.body, printQueue.announce);
      },
    },
    {
      method: 'get', path: '/print_jobs', tag: 'print jobs',
      summary: 'Print jobs: a submitter sees its own, an ADMIN holding printer:read every job',
      scopes: ['print:submit', 'printer:read'], query: printJobsQuery,
      status: 200, list: true, response: printJobView,
      handler: (ctx: Context) => paged(ctx, (page, size) => listPrintJobs(manager, jobViewer(callerOf(ctx)), ctx.state.query, page, size)),
    },
    {
      method: 'get', path: '/print_jobs/:id', tag: 'print jobs',
      summary: 'One print job, with the same visibility as the list',
      scopes: ['print:submit', 'printer:read'], params: printJobPath,
      status: 200, response: printJobView, errors: [404],
      handler: (ctx: Context) => getPrintJob(manager, jobViewer(callerOf(ctx)), ctx.state.params.id),
    },
    {
      method: 'post', path: '/print_jobs/:id/actions/cancel', tag: 'print jobs',
      summary: 'Cancel a job while it is queued (otherwise 409); its document is deleted',
      scopes: ['print:submit'], params: printJobPath, body: emptyBody,
      status: 200, response: printJobView, errors: [404, 409],
      handler: (ctx: Context) => cancelPrintJob(manager, callerOf(ctx).actor, jobViewer(callerOf(ctx)), ctx.state.params.id),
    },
    {
      method: 'post', path: '/print_service/jobs/actions/claim', tag: 'print jobs',
      summary: "A print service's own token takes up to `limit` queued jobs on its enabled printers, oldest first, "
        + 'now printing; when none is queued it waits up to `wait` seconds for one',
      scopes: ['printer:report'], only: 'PRINT_SERVICE', body: claimBody,
      status: 200, many: true, response: claimedJobView,
      handler: (ctx: Context) => {
        const { limit, wait } = ctx.state.body as { limit: number; wait: number };
        return printQueue.claim(callerOf(ctx).clientId, limit, wait, clientGone(ctx));
      },
    },
    {
      method: 'patch', path: '/print_service/jobs/:id', tag: 'print jobs',
      summary: 'The claiming print service reports a job it is printing as printed or failed; its document is deleted',
      scopes: ['printer:report'], only: 'PRINT_SERVICE', params: printJobPath, body: jobReportBody,
      status: 200, response: printJobView, errors: [404, 409],
      handler: (ctx: Context) => {
        const caller = callerOf(ctx);
        return reportPrintJob(manager, caller.actor, caller.clientId, ctx.state.params.id, ctx.state.body);
      },
    },
  ];
}
