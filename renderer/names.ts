// Checks a name as the contract does (what a device line can show), so the form says what is wrong before sending.
const NAME = /^[A-Za-z0-9 .'_()&/-]+$/;

export function nameProblem(raw: string): string | null {
  const name = raw.trim();
  if (!name) return 'A name is required.';
  if (name.length > 32) return 'At most 32 characters (one device line).';
  if (!NAME.test(name)) return "Use letters, digits, spaces and . ' _ ( ) & / - only: the device shows nothing else faithfully.";
  if (name.includes('  ')) return 'No two spaces in a row.';
  return null;
}
