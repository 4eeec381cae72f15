// `custos demo --team` as a process, on a real nats-server it starts itself: the transfers are signed by three signer
// node processes that each held one share; the nodes and the server are stopped at the end and on Ctrl-C; without
// nats-server it says how to install it.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { SigHash, Transaction } from '@scure/btc-signer';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = ['--import', 'tsx', 'main/cli/index.ts'];

interface TeamDemoOutput {
  wallet: { threshold: number; parties: number; groupKey: string };
  transfers: { hex: string; txid: string; prevouts: { txid: string; vout: number; amount: number; scriptPubKey: string }[] }[];
  refused: { requestId: string; reason: string }[];
  audit: { entries: number; chainValid: boolean };
  team: {
    server: { url: string; pid: number; stopped: boolean };
    nodes: { custodian: string; partyId: string; pid: number; signed: string[]; exitCode: number | null; exitSignal: string | null }[];
    coordinator: { user: string };
  };
}

/** Whether a process id is alive (and not a zombie waiting for its parent). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Every descendant of `pid` now (Linux /proc). */
function descendants(pid: number): number[] {
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children(queue.shift()!)) {
      queue.push(c);
      out.push(c);
    }
  }
  return out;
}

/** `custos demo --team` (text) started, resolved once its three nodes are ready. */
async function demoWithNodesUp(): Promise<{ child: ReturnType<typeof spawn>; text: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [...CLI, 'demo', '--team'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the nodes were not ready within 120 s:\n${text}`)), 120_000);
    const check = () => {
      if ((text.match(/signer node \(pid \d+\) ready/g) ?? []).length === 3) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', () => reject(new Error(`the demo exited early:\n${text}`)));
  });
  return { child, text: () => text, exited };
}

describe('custos demo --team', () => {
  it('signs the demo\'s transfers with three signer node processes, each holding one share, then stops them and the server', async () => {
    const started = Date.now();
    const { stdout, stderr } = await run(process.execPath, [...CLI, 'demo', '--team', '--json'], { cwd: repo, timeout: 150_000, maxBuffer: 20_000_000 });
    const out = JSON.parse(stdout) as TeamDemoOutput;
    expect(out).toMatchObject({ wallet: { threshold: 2, parties: 3 }, audit: { chainValid: true } });
    expect(out.refused).toEqual([{ requestId: 'R-3', reason: expect.stringMatching(/velocity/) }]);
    expect(out.transfers).toHaveLength(2);
    for (const t of out.transfers) {
      const tx = Transaction.fromRaw(hexToBytes(t.hex), { allowUnknownOutputs: true });
      expect(tx.id).toBe(t.txid);
      const scripts = t.prevouts.map((p) => hexToBytes(p.scriptPubKey));
      const amounts = t.prevouts.map((p) => BigInt(p.amount));
      for (let i = 0; i < tx.inputsLength; i++) {
        const sig = tx.getInput(i).finalScriptWitness![0]!;
        expect(schnorr.verify(sig, tx.preimageWitnessV1(i, scripts, SigHash.DEFAULT, amounts), scripts[i]!.subarray(2))).toBe(true);
      }
    }
    expect(out.transfers[1]!.prevouts[0]!.txid).toBe(out.transfers[0]!.txid);

    // Three node processes ran, one per custodian, each its own party; two of them signed each request; all exited cleanly.
    const { nodes, server } = out.team;
    expect(nodes.map((n) => n.custodian)).toEqual(['Alice', 'Bob', 'Carol']);
    expect(new Set(nodes.map((n) => n.pid)).size).toBe(3);
    expect(new Set(nodes.map((n) => n.partyId)).size).toBe(3);
    for (const r of ['R-1', 'R-2']) expect(nodes.filter((n) => n.signed.includes(r))).toHaveLength(2);
    for (const n of nodes) {
      expect(n).toMatchObject({ exitCode: 0, exitSignal: null });
      expect(alive(n.pid)).toBe(false);
    }
    expect(out.team.coordinator.user).toBe('Olivia');
    expect(server.stopped).toBe(true);
    expect(alive(server.pid)).toBe(false);
    // The steps said which nodes signed and the head every console shows.
    expect(stderr).toMatch(/Alice's signer node \(pid \d+\) ready: .*log head record \d+ [0-9a-f]{64}/);
    expect(stderr).toMatch(/signer node \(pid \d+\) signed R-1 with its one share/);
    expect(stderr).toMatch(/nats-server \(pid \d+\) stopped/);
    // The vault moved to team mode by its administrators' proposal before its wallet was made and used.
    expect(stderr).toMatch(/team mode by record \d+/);
    console.info(`custos demo --team --json: ${Date.now() - started} ms`);
  }, 180_000);

  it('Ctrl-C (SIGINT) once the nodes are up stops every process it started and exits 130', async () => {
    const { child, text: output, exited } = await demoWithNodesUp();
    const text = output();
    const started = descendants(child.pid!);
    const server = Number(/nats-server \(pid (\d+)\)/.exec(text)![1]);
    const nodes = [...text.matchAll(/signer node \(pid (\d+)\) ready/g)].map((m) => Number(m[1]));
    // The server, three nodes and the MPC host (at least).
    expect(started).toEqual(expect.arrayContaining([server, ...nodes]));
    expect(started.length).toBeGreaterThanOrEqual(5);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output()).toMatch(/SIGINT: stopping the signer nodes and nats-server/);
    // Every process the demo started (the server, the nodes, the MPC host) is gone.
    await new Promise((r) => setTimeout(r, 500));
    expect(started.filter(alive)).toEqual([]);
  }, 180_000);

  it('a failure (nats-server killed once the nodes are up) ends the demo with an error and stops every process it started', async () => {
    const { child, text, exited } = await demoWithNodesUp();
    const started = descendants(child.pid!);
    const server = Number(/nats-server \(pid (\d+)\)/.exec(text())![1]);
    process.kill(server, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(text()).toMatch(/custos: .*(server|connect)/i);
    expect(text()).toMatch(/Carol's signer node \(pid \d+\) stopped/);
    await new Promise((r) => setTimeout(r, 500));
    expect(started.filter(alive)).toEqual([]);
  }, 180_000);

  it('without nats-server it says how to install it and exits 3, starting nothing', async () => {
    const done = await run(process.execPath, [...CLI, 'demo', '--team', '--json'], { cwd: repo, timeout: 60_000, env: { ...process.env, NATS_SERVER: '/nonexistent/nats-server' } }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(done.code).toBe(3);
    expect(JSON.parse(done.stdout).error.message).toMatch(/install nats-server \(Debian: apt-get install nats-server\)/);
  }, 60_000);
});
