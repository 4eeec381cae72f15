// Decides whether an IPC message comes from Custos' own page (and not from some other frame or origin).
/** The page the window loads: the built index.html (file:) or, in development, the dev server's origin. */
export interface TrustedPage {
  rendererFile: string;
  devServerUrl?: string;
}

export function isTrustedSenderUrl(senderUrl: string | undefined, page: TrustedPage): boolean {
  if (!senderUrl) return false;
  let url: URL;
  try {
    url = new URL(senderUrl);
  } catch {
    return false;
  }
  if (page.devServerUrl) {
    const dev = new URL(page.devServerUrl);
    return url.origin === dev.origin;
  }
  if (url.protocol !== 'file:') return false;
  const expected = new URL(`file://${page.rendererFile.startsWith('/') ? '' : '/'}${page.rendererFile.replace(/\\/g, '/')}`);
  return decodeURIComponent(url.pathname) === decodeURIComponent(expected.pathname);
}
