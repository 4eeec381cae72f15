// Only Custos' own page may call main: the sender check behind every IPC handler.
import { describe, expect, it } from 'vitest';
import { isTrustedSenderUrl } from '../../main/ipc/sender';

describe('IPC sender check', () => {
  const page = { rendererFile: '/opt/Custos/resources/app.asar/out/renderer/index.html' };

  it('trusts the console page loaded from its file', () => {
    expect(isTrustedSenderUrl('file:///opt/Custos/resources/app.asar/out/renderer/index.html', page)).toBe(true);
    expect(isTrustedSenderUrl('file:///opt/Custos/resources/app.asar/out/renderer/index.html#/devices', page)).toBe(true);
  });

  it('refuses other files, other origins, and frames without a URL', () => {
    expect(isTrustedSenderUrl('file:///tmp/evil.html', page)).toBe(false);
    expect(isTrustedSenderUrl('https://example.com/', page)).toBe(false);
    expect(isTrustedSenderUrl('about:blank', page)).toBe(false);
    expect(isTrustedSenderUrl(undefined, page)).toBe(false);
    expect(isTrustedSenderUrl('not a url', page)).toBe(false);
  });

  it('in development trusts only the dev server origin', () => {
    const dev = { ...page, devServerUrl: 'http://localhost:5173' };
    expect(isTrustedSenderUrl('http://localhost:5173/#/devices', dev)).toBe(true);
    expect(isTrustedSenderUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isTrustedSenderUrl('file:///opt/Custos/resources/app.asar/out/renderer/index.html', dev)).toBe(false);
  });

  it('handles Windows paths', () => {
    const win = { rendererFile: 'C:\\Program Files\\Custos\\resources\\app.asar\\out\\renderer\\index.html' };
    expect(isTrustedSenderUrl('file:///C:/Program%20Files/Custos/resources/app.asar/out/renderer/index.html', win)).toBe(true);
    expect(isTrustedSenderUrl('file:///C:/Users/x/evil.html', win)).toBe(false);
  });
});
