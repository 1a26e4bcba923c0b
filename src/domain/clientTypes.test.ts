import { ADMIN_PERMISSIONS, BUILTIN_PERMISSIONS, defaultPermissions, isService } from './clientTypes.js';

describe('client types', () => {
  test('ADMIN holds every built-in but printer:report and print:submit (CONTRACT §5)', () => {
    expect(ADMIN_PERMISSIONS).not.toContain('printer:report');
    expect(ADMIN_PERMISSIONS).not.toContain('print:submit');
    const others: readonly string[] = BUILTIN_PERMISSIONS.filter((p) => !ADMIN_PERMISSIONS.includes(p));
    expect(others.every((p) => p === 'printer:report' || p === 'print:submit')).toBe(true);
    expect(others).toContain('printer:report');
    expect(defaultPermissions('ADMIN')).toEqual([...ADMIN_PERMISSIONS]);
  });

  test('each type at creation', () => {
    expect(defaultPermissions('MSP')).toEqual(['client:read', 'connection:read', 'connection:write', 'connection:refresh_secret', 'connection:delete']);
    expect(defaultPermissions('PRINT_SERVICE')).toEqual(['printer:report']);
    expect(defaultPermissions('INTEGRATION')).toEqual([]);
    expect(isService('PRINT_SERVICE') && isService('INTEGRATION') && !isService('MIS')).toBe(true);
  });
});
