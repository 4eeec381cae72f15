// Run by the history benchmark in a fresh process per vault (cold caches, its own memory): console start-up, then a
// full replay from genesis. Prints one JSON line. `node --import tsx test/bench/history-child.ts <data folder>`.
import { DeviceManager } from '../../main/devices/manager';
import { silentLogger } from '../../main/log';
import { Store } from '../../main/store';
import { VaultService } from '../../main/vault';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: history-child.ts <data folder>');

// The floor: what any start-up must do at least, open the database and read every record.
let start = performance.now();
const bare = Store.open(dir);
const records = bare.records.all().length;
bare.close();
const floorMs = performance.now() - start;

// Console start-up as the services do it: the store opened, the vault service constructed (its start-up check), the
// first status answered.
start = performance.now();
const store = Store.open(dir);
const vault = new VaultService({ store, devices: new DeviceManager(), log: silentLogger });
const status = vault.status().vault;
const startupMs = performance.now() - start;
const rssAfterStartup = process.memoryUsage().rss;
if (status === null || status.integrity.status !== 'ok') throw new Error(`the vault does not verify at start-up: ${status?.integrity.problems.join(' ') ?? 'no vault'}`);

// Full replay from genesis: every signature, every projection row, the whole audit chain.
start = performance.now();
const report = vault.verify();
const replayMs = performance.now() - start;
if (report.status !== 'ok') throw new Error(`the vault does not verify in full: ${report.problems.join(' ')}`);
const rss = process.memoryUsage().rss;
vault.close();
store.close();
console.log(JSON.stringify({ records, floorMs, startupMs, replayMs, rssAfterStartup, rss, maxRss: process.resourceUsage().maxRSS * 1024 }));
