#!/usr/bin/env node
// The `custos` command: runs the headless CLI from its TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli/index.ts');
process.exit(await main(process.argv.slice(2)));
