// Reading a request body on Gatehouse's own routes (API, internal listener, interaction forms, console forms): the
// bytes are read raw and decoded strictly through the input gate, so bytes that are not UTF-8 (an encoded lone
// surrogate, say) are refused instead of being quietly turned into U+FFFD and stored (CONTRACT §3 "Hostile text").
import parse from 'co-body';
import type { Context } from 'koa';
import { bodyText } from './inputGate.js';

/** The body as text, at most `limit` (co-body's 413 above it); a body that is not UTF-8 is HostileInput (400). */
export async function readBodyText(ctx: Context, limit: string): Promise<string> {
  const bytes = await parse.text(ctx, { limit, encoding: null as unknown as string }) as unknown as Buffer;
  return bodyText(bytes);
}
