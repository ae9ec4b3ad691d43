// Writes the cache service's variables to a private file under RUNNER_TEMP
// and names it in the step output env-file. Nothing is printed: the token
// must not reach the log. Dependency-free: the runner's node runs it as is.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const names = ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_CACHE_URL', 'ACTIONS_RESULTS_URL', 'ACTIONS_CACHE_SERVICE_V2'];

function main() {
  const lines = [];
  for (const n of names) {
    const v = process.env[n];
    if (v && !/[\r\n]/.test(v)) lines.push(`${n}=${v}`);
  }
  const dir = process.env.RUNNER_TEMP || require('os').tmpdir();
  const file = path.join(dir, `stevedore-runtime-${crypto.randomBytes(8).toString('hex')}.env`);
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600, flag: 'wx' });
  fs.appendFileSync(process.env.GITHUB_OUTPUT, `env-file=${file}\n`);
  // The composite action copies this action into the workspace (composite
  // actions cannot use an action by a path inside themselves); remove the
  // copy so it never enters a build context.
  if (path.basename(__dirname) === '.stevedore-runtime') {
    fs.rmSync(__dirname, { recursive: true, force: true });
  }
}

try {
  main();
} catch (err) {
  console.log(`::error title=stevedore::passing the cache service's variables to stevedore: ${err.message}`);
  process.exitCode = 1;
}
