// Print jobs (CONTRACT §7, §9): every job with its status, printer, service, submitter and times, newest first,
// filtered by status, printer and service. The console acts for its ADMIN client, which sees every job with
// printer:read. The title is not shown: it can name a patient, and nothing here needs it.
import Router from '@koa/router';
import type { EntityManager } from 'typeorm';
import { PRINT_JOB_STATUSES, type PrintJobStatus } from '../../entities/index.js';
import { UUID } from '../domain/clients.js';
import { jobNames } from '../domain/printJobViews.js';
import { listPrintJobs } from '../domain/printJobs.js';
import { text } from './forms.js';
import { page, pageParam, pager } from './render.js';
import { need } from './session.js';

const EVERY_JOB = { clientId: '', seesEveryJob: true };

export function printJobPages(manager: EntityManager): Router {
  const router = new Router();
  router.get('/print-jobs', need('printer:read'), async (ctx) => {
    const status = text(ctx.query.status);
    const printerId = text(ctx.query.printer_id);
    const serviceId = text(ctx.query.service_id).slice(0, 64);
    const filter = {
      ...((PRINT_JOB_STATUSES as readonly string[]).includes(status) ? { status: status as PrintJobStatus } : {}),
      ...(UUID.test(printerId) ? { printer_id: printerId.toLowerCase() } : {}),
      ...(serviceId ? { service_id: serviceId } : {}),
    };
    const paged = pageParam(ctx);
    const { items, total } = await listPrintJobs(manager, EVERY_JOB, filter, paged.page, paged.pageSize, 'desc');
    const names = await jobNames(manager, items);
    const jobs = items.map((j) => ({
      ...j,
      printer: names.printers.get(j.printer_id), service: names.clients.get(j.service_id), submitter: names.clients.get(j.submitted_by),
    }));
    page(ctx, 'print-jobs.njk', {
      title: 'Print jobs', section: 'print-jobs', jobs, statuses: PRINT_JOB_STATUSES,
      filter: { status, printer_id: printerId, service_id: serviceId }, paging: pager(ctx, paged, total),
    });
  });
  return router;
}
