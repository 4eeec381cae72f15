// The page's own CSP (meta tag, for file:// in Electron) and the one main and the browser host send agree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../main/security/csp';

const directives = (policy: string) => new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));

describe('Content-Security-Policy', () => {
  const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';

  it('the meta tag carries every directive of the header except frame-ancestors (ignored in meta)', () => {
    const header = directives(CONTENT_SECURITY_POLICY);
    header.delete('frame-ancestors');
    expect(directives(meta)).toEqual(header);
  });

  it('never allows inline or remote scripts, eval, or remote connections', () => {
    const header = directives(CONTENT_SECURITY_POLICY);
    expect(header.get('script-src')).toBe("'self'");
    expect(header.get('default-src')).toBe("'none'");
    expect(header.get('connect-src')).toBe("'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });
});
