import { serveMain } from '../hosts/http/serve';

serveMain(process.argv.slice(2)).catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
