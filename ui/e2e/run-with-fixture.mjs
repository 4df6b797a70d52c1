// npm run e2e:fixture — starts the fixture server on a free port and runs the
// browser tests against it (including the 100,000-span trace).
import { spawn } from 'node:child_process';
import { LARGE_TRACE_ID, startFixtureServer } from './fixture-server.mjs';

const server = await startFixtureServer(0);
const url = `http://127.0.0.1:${server.address().port}`;
const child = spawn(process.execPath, ['--test', 'e2e/'], {
  stdio: 'inherit',
  env: { ...process.env, TRACERY_URL: url, TRACERY_LARGE_TRACE_ID: LARGE_TRACE_ID },
});
child.on('exit', (code) => {
  server.close();
  process.exit(code ?? 1);
});
