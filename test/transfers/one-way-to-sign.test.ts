// There is one way to sign: a transfer request through TransferService.sign, which asks the MPC host's gated
// transfer.sign. No module of main imports or exports a PSBT signer; the host's only share uses are gated requests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hostRequest, PROTOCOL_VERSION, REPLY_TO } from '../../main/mpc-host/protocol';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return /\.(ts|vue)$/.test(name) ? [file] : [];
  });
}

describe('one way to sign', () => {
  it('no module of main, preload, renderer or crypto imports or exports a PSBT signer', () => {
    const offenders = ['main', 'preload', 'renderer', 'crypto']
      .flatMap((d) => sources(path.join(repo, d)))
      .filter((file) => /PsbtSigner|psbt-signing/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(repo, file));
    expect(offenders).toEqual([]);
  });

  it('the host answers exactly these requests; the three that use a share each need the log and a use signature per party', () => {
    expect(Object.keys(REPLY_TO).sort()).toEqual(['anchor.pin', 'log.sync', 'ping', 'shutdown', 'signer.status', 'transfer.sign', 'wallet.keygen', 'wallet.reshare']);
    const party = { partyId: '0'.repeat(63) + '1', sealed: 'ab'.repeat(137), unsealSecret: '11'.repeat(32), useSignature: '0x' + '22'.repeat(65) };
    const { useSignature: _dropped, ...unsigned } = party;
    const base = { v: PROTOCOL_VERSION, id: 'm1', ceremonyId: 'c-1', fromSeq: 0, records: ['{}'], head: 'ab'.repeat(32) };
    const shareUses = [
      (p: object) => ({ ...base, type: 'transfer.sign', requestId: 'r-1', signers: [p, { ...p, partyId: '0'.repeat(63) + '2' }] }),
      (p: object) => ({ ...base, type: 'wallet.reshare', walletId: 'w-1', dealers: [p, { ...p, partyId: '0'.repeat(63) + '2' }] }),
    ];
    for (const request of shareUses) {
      expect(hostRequest.safeParse(request(party)).success).toBe(true);
      expect(hostRequest.safeParse(request(unsigned)).success).toBe(false);
      const { records: _r, ...withoutLog } = request(party);
      expect(hostRequest.safeParse(withoutLog).success).toBe(false);
      // A tail that does not say what it binds to is no log.
      const { head: _h, ...unbound } = request(party);
      expect(hostRequest.safeParse(unbound).success).toBe(false);
    }
    const keygen = (p: object) => ({ ...base, type: 'wallet.keygen', walletId: 'w-1', parties: [p, { ...p, partyId: '0'.repeat(63) + '2' }] });
    expect(hostRequest.safeParse(keygen({ partyId: party.partyId, useSignature: party.useSignature })).success).toBe(true);
    expect(hostRequest.safeParse(keygen({ partyId: party.partyId })).success).toBe(false);
  });

  it("main's services reach the host's share uses from one place each: transfers sign, ceremonies key", () => {
    const calls = (pattern: RegExp) =>
      sources(path.join(repo, 'main'))
        .filter((file) => !file.includes(`${path.sep}mpc${path.sep}`) && !file.includes(`${path.sep}mpc-host${path.sep}`))
        .filter((file) => pattern.test(readFileSync(file, 'utf8')))
        .map((file) => path.relative(repo, file))
        .sort();
    expect(calls(/\.signTransfer\(/)).toEqual(['main/transfers/service.ts']);
    expect(calls(/\.(keygen|reshare)\(/)).toEqual(['main/wallets/ceremonies.ts']);
    // Nothing outside the client builds host requests by hand.
    expect(calls(/'(transfer\.sign|wallet\.keygen|wallet\.reshare)'/)).toEqual([]);
  });
});
