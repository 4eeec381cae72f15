// The MPC host protocol's parsers: what they accept, and the plain-words errors for what they refuse.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOST_VERSION, PROTOCOL_VERSION, parseHostReply, parseHostRequest } from '../../main/mpc-host/protocol';

describe('parseHostRequest', () => {
  it('accepts a ping with and without an echo, and a shutdown', () => {
    expect(parseHostRequest({ v: 3, id: 'a', type: 'ping' })).toEqual({ ok: true, value: { v: 3, id: 'a', type: 'ping' } });
    expect(parseHostRequest({ v: 3, id: 'a', type: 'ping', echo: 'x' }).ok).toBe(true);
    expect(parseHostRequest({ v: 3, id: 'a', type: 'shutdown' }).ok).toBe(true);
  });

  it('refuses what is not an object', () => {
    for (const raw of [null, 3, 'ping', [1], undefined, true]) {
      const r = parseHostRequest(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/expected a message object/);
    }
  });

  it('names both versions when the version is wrong, and keeps the id for correlation', () => {
    const r = parseHostRequest({ v: 2, id: 'x7', type: 'ping' });
    expect(r).toEqual({ ok: false, error: { code: 'MPC_PROTOCOL', message: 'this host speaks protocol 3; got 2', id: 'x7' } });
    const missing = parseHostRequest({ id: 'x8', type: 'ping' });
    expect(!missing.ok && missing.error.message).toMatch(/no protocol version \(v\); this host speaks protocol 3/);
  });

  it('refuses unknown types, a missing id and bad fields with clear messages', () => {
    const unknown = parseHostRequest({ v: 3, id: 'u', type: 'sign-everything' });
    expect(!unknown.ok && unknown.error).toMatchObject({ id: 'u', message: expect.stringMatching(/unknown message type "sign-everything"; this host knows ping, shutdown, signer.status, anchor.pin, log.sync, transfer.sign, wallet.keygen, wallet.reshare/) });
    const noId = parseHostRequest({ v: 3, type: 'ping' });
    expect(!noId.ok && noId.error).toMatchObject({ id: null, message: expect.stringMatching(/has no id/) });
    const badEcho = parseHostRequest({ v: 3, id: 'b', type: 'ping', echo: 42 });
    expect(!badEcho.ok && badEcho.error.message).toMatch(/^bad "ping" message: echo:/);
    const extra = parseHostRequest({ v: 3, id: 'c', type: 'shutdown', now: true });
    expect(!extra.ok && extra.error.message).toMatch(/^bad "shutdown" message/);
  });

  it('never throws and keeps error text short, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        const r = parseHostRequest(raw);
        if (!r.ok) expect(r.error.message.length).toBeLessThan(2000);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseHostReply', () => {
  it('accepts a pong and an error without an id', () => {
    const pong = { v: 3, id: 'r1', type: 'pong', protocolVersion: 3, hostVersion: '0.1.0', pid: 5, uptimeMs: 3, echo: null };
    expect(parseHostReply(pong)).toEqual({ ok: true, value: pong });
    expect(parseHostReply({ v: 3, id: null, type: 'error', code: 'MPC_PROTOCOL', message: 'no' }).ok).toBe(true);
  });

  it('speaks for the client in its errors and refuses error codes outside the host subset', () => {
    const r = parseHostReply({ v: 2, id: 'r1', type: 'pong' });
    expect(!r.ok && r.error.message).toBe('this client speaks protocol 3; got 2');
    const code = parseHostReply({ v: 3, id: 'r1', type: 'error', code: 'VAULT_EXISTS', message: 'x' });
    expect(!code.ok && code.error.message).toMatch(/^bad "error" message: code:/);
  });
});

describe('versions', () => {
  it('reports the host version of package.json and protocol 3', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(HOST_VERSION).toBe(pkg.version);
    expect(PROTOCOL_VERSION).toBe(3);
  });
});
