import fs from 'node:fs';
import path from 'node:path';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

// Anything that looks like an API key or bearer token is masked before a line is written.
const SECRETISH = /(sk-[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._-]+|AKIA[0-9A-Z]{16})/g;

export function maskSecrets(s: string): string {
  return s.replace(SECRETISH, '[redacted]');
}

/** JSON-lines logger writing to <dataDir>/logs/workbench.log (and nowhere else unless asked). */
export function createLogger(dataDir: string | null, opts: { echo?: boolean } = {}): Logger {
  let fd: number | null = null;
  if (dataDir) {
    const dir = path.join(dataDir, 'logs');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = fs.openSync(path.join(dir, 'workbench.log'), 'a', 0o600);
  }
  const write = (level: string, msg: string, fields?: Record<string, unknown>) => {
    const line = maskSecrets(JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields })) + '\n';
    if (fd !== null) fs.writeSync(fd, line);
    if (opts.echo) process.stderr.write(line);
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
