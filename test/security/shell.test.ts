// The Electron shell keeps the settings Electronegativity (Doyensec) checks: no shell.openExternal of a value that is
// not a literal (OPEN_EXTERNAL_JS_CHECK), middle-click disabled on every window (AUXCLICK_JS_CHECK), and the
// renderer's isolation. Read from the sources with TypeScript's own parser, the way that tool reads them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

function nodesOf(file: string): ts.Node[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: ts.Node[] = [];
  const visit = (n: ts.Node) => {
    out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(source);
  return out;
}

const where = (n: ts.Node) => `${path.relative(repo, n.getSourceFile().fileName)}:${n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
const mainNodes = () => sources(path.join(repo, 'main')).flatMap(nodesOf);

/** The properties of an object literal, by name. */
function props(o: ts.ObjectLiteralExpression): Map<string, ts.Expression> {
  const out = new Map<string, ts.Expression>();
  for (const p of o.properties) if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) out.set(p.name.text, p.initializer);
  return out;
}

describe('the Electron shell', () => {
  it('hands the OS browser nothing but literal links (none today)', () => {
    const calls = mainNodes().filter((n): n is ts.CallExpression => ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'openExternal');
    const notLiteral = calls.filter((c) => !(c.arguments[0] && ts.isStringLiteral(c.arguments[0])));
    expect(notLiteral.map(where)).toEqual([]);
  });

  it('opens every window isolated, sandboxed, without Node, web security on and middle-click disabled', () => {
    const windows = mainNodes().filter((n): n is ts.NewExpression => ts.isNewExpression(n) && ts.isIdentifier(n.expression) && ['BrowserWindow', 'BrowserView'].includes(n.expression.text));
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows) {
      const options = w.arguments?.[0];
      expect(options && ts.isObjectLiteralExpression(options), where(w)).toBe(true);
      const web = props(options as ts.ObjectLiteralExpression).get('webPreferences');
      expect(web && ts.isObjectLiteralExpression(web), `${where(w)}: webPreferences`).toBe(true);
      const p = props(web as ts.ObjectLiteralExpression);
      const text = (k: string) => p.get(k)?.getText();
      expect({ contextIsolation: text('contextIsolation'), sandbox: text('sandbox'), nodeIntegration: text('nodeIntegration'), webSecurity: text('webSecurity'), webviewTag: text('webviewTag') }, where(w)).toEqual({
        contextIsolation: 'true',
        sandbox: 'true',
        nodeIntegration: 'false',
        webSecurity: 'true',
        webviewTag: 'false',
      });
      const blink = p.get('disableBlinkFeatures');
      expect(blink !== undefined && ts.isStringLiteral(blink) && blink.text.split(',').includes('Auxclick'), `${where(w)}: disableBlinkFeatures`).toBe(true);
    }
  });

  it('denies every new window the renderer asks for', () => {
    const handlers = mainNodes().filter((n): n is ts.CallExpression => ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'setWindowOpenHandler');
    expect(handlers.length).toBeGreaterThan(0);
    for (const h of handlers) {
      const body = h.arguments[0]?.getText() ?? '';
      expect(body, where(h)).toMatch(/return \{ action: 'deny' \}/);
      expect(body, where(h)).not.toMatch(/'allow'/);
    }
  });
});
