// The console's Content-Security-Policy: one local page, scripts only from itself, no remote anything.
// Naive UI injects its styles at run time, hence 'unsafe-inline' for styles (never for scripts).
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
