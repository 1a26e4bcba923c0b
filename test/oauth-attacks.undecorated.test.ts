// The same tests as oauth-attacks.test.ts, on a Gatehouse without its speed decorators (src/oidc/readAhead.ts,
// src/oidc/credentialMemory.ts): they save round trips and change no answer (STYLE "speed in decorators").
import { withoutDecorators } from './support/server.js';

withoutDecorators();
await import('./oauth-attacks.test.js');
