// What every route module of the API is built from (a leaf, so route modules never import the router's index).
import type { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import type { PrintQueue } from '../domain/printQueue.js';
import type { Secrets } from '../domain/secrets.js';

export interface ApiDeps {
  manager: EntityManager;
  pool: Pool;
  secrets: Secrets;
  /** ISSUER: every absolute URL, and the `htu` a DPoP proof must name, derive from it (CONTRACT §1, §3). */
  issuer: string;
  /** This instance's side of the print job queue: waiting claims and announcements (CONTRACT §9). */
  printQueue: PrintQueue;
}
