import { createHash } from 'node:crypto';
import { sql as m001 } from './001-initial';
import { sql as m002 } from './002-nominal-voltage';
import { sql as m003 } from './003-checksums-and-end-status';
import { sql as m004 } from './004-trace-pyramid';
import { sql as m005 } from './005-trace-blocks';
import { sql as m006 } from './006-trace-block-chunks';
import { sql as m007 } from './007-digital-lanes';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
  /** Rebuilds a table that others reference: run with foreign keys off, then checked (see 003). */
  rebuildsTables?: boolean;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Numbered, append-only. Never edit an applied migration: its checksum is verified at every open. */
export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'initial', sql: m001 },
  { version: 2, name: 'nominal-voltage', sql: m002 },
  { version: 3, name: 'checksums-and-end-status', sql: m003, rebuildsTables: true },
  { version: 4, name: 'trace-pyramid', sql: m004 },
  { version: 5, name: 'trace-blocks', sql: m005 },
  { version: 6, name: 'trace-block-chunks', sql: m006 },
  { version: 7, name: 'digital-lanes', sql: m007 },
].map((m) => ({
  ...m,
  checksum: sha(m.sql),
}));
