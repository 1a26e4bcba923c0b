// What a caller may see and address, by its client type (CONTRACT §4 "Context", §8, §9): the one home of
// "ADMIN addresses every client, any other type only itself" and of the doors reserved to one type.
import type { ClientType } from '../../entities/index.js';
import { Forbidden } from './errors.js';

/** The client a request acts for: from a bearer token at /api, from the console's own ADMIN client there. */
export interface CallerClient {
  clientId: string;
  clientType: ClientType;
}

export function isAdmin(caller: CallerClient): boolean {
  return caller.clientType === 'ADMIN';
}

export function mayAddress(caller: CallerClient, clientId: string): boolean {
  return isAdmin(caller) || caller.clientId === clientId;
}

/** 403 forbidden unless the caller may address `clientId`. */
export function assertMayAddress(caller: CallerClient, clientId: string): void {
  if (!mayAddress(caller, clientId)) throw new Forbidden('forbidden');
}

/** A list's narrowing: undefined (everything) for ADMIN, the caller's own id for anyone else. */
export function ownClientOnly(caller: CallerClient): string | undefined {
  return isAdmin(caller) ? undefined : caller.clientId;
}

/** Changes reserved to ADMIN (creating services, renaming clients, …), whatever scopes another type holds. */
export function assertAdmin(caller: CallerClient): void {
  if (!isAdmin(caller)) throw new Forbidden('forbidden');
}

/** The print service's own doors (printer reports, job claims): another type's token is 403 (CONTRACT §4, §9). */
export function assertPrintService(caller: CallerClient): void {
  if (caller.clientType !== 'PRINT_SERVICE') throw new Forbidden('forbidden');
}
