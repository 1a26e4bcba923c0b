import { Forbidden } from './errors.js';
import { assertAdmin, assertMayAddress, assertPrintService, mayAddress, ownClientOnly } from './visibility.js';

const admin = { clientId: 'a', clientType: 'ADMIN' as const };
const clinic = { clientId: 'c', clientType: 'MSP' as const };
const printer = { clientId: 'p', clientType: 'PRINT_SERVICE' as const };

describe('visibility by client type', () => {
  test('ADMIN addresses every client, another type only itself', () => {
    expect(mayAddress(admin, 'c')).toBe(true);
    expect(mayAddress(clinic, 'c')).toBe(true);
    expect(mayAddress(clinic, 'a')).toBe(false);
    expect(() => assertMayAddress(clinic, 'a')).toThrow(Forbidden);
  });

  test('lists: ADMIN unfiltered, anyone else narrowed to itself', () => {
    expect(ownClientOnly(admin)).toBeUndefined();
    expect(ownClientOnly(clinic)).toBe('c');
  });

  test('doors reserved to one type', () => {
    expect(() => assertAdmin(clinic)).toThrow(Forbidden);
    expect(() => assertAdmin(admin)).not.toThrow();
    expect(() => assertPrintService(admin)).toThrow(Forbidden);
    expect(() => assertPrintService(printer)).not.toThrow();
  });
});
