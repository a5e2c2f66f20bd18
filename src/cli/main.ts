#!/usr/bin/env node
/** The `checker-smtp` executable: run the CLI with this process's arguments and streams. */
import { main } from './cli.js';
import { describeFailure } from './check-command.js';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`checker-smtp: ${describeFailure(err)}\n`);
    process.exitCode = 3;
  },
);
