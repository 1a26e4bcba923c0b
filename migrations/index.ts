import { Initial1732300000000 } from './1732300000000-Initial.js';

// Listed explicitly, in order: no glob loading, so tsx, jest and the CLI see the same set.
export const MIGRATIONS = [Initial1732300000000];
