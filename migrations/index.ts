import { Initial1732300000000 } from './1732300000000-Initial.js';
import { Services1732400000000 } from './1732400000000-Services.js';
import { ConsoleSessions1732500000000 } from './1732500000000-ConsoleSessions.js';
import { LoginThrottle1732600000000 } from './1732600000000-LoginThrottle.js';
import { TokenAccounts1732700000000 } from './1732700000000-TokenAccounts.js';
import { Users1732800000000 } from './1732800000000-Users.js';
import { PrintJobs1733000000000 } from './1733000000000-PrintJobs.js';
import { EndUser1733100000000 } from './1733100000000-EndUser.js';
import { ProviderKeys1733200000000 } from './1733200000000-ProviderKeys.js';

// Listed explicitly, in order: no glob loading, so tsx, jest and the CLI see the same set.
export const MIGRATIONS = [
  Initial1732300000000, Services1732400000000, ConsoleSessions1732500000000, LoginThrottle1732600000000,
  TokenAccounts1732700000000, Users1732800000000, PrintJobs1733000000000, EndUser1733100000000, ProviderKeys1733200000000,
];
