// An input the contract refused, in a person's words and with the field it is about: never the validator's own text.
import type { z } from 'zod';
import type { CustosErrorData } from '../../preload/contract';

/** How a person knows each input by name; a field not listed is named by its own words ("adminName" → "admin name"). */
const LABELS: Record<string, string> = {
  destination: 'The destination address',
  amount: 'The amount',
  feeRate: 'The fee rate',
  name: 'The name',
  adminName: "The administrator's name",
  psbt: 'The PSBT',
  threshold: 'The threshold',
  custodianIds: 'The custodians',
  memberIds: 'The members',
  quorum: 'The quorum',
  label: 'The label',
  mnemonic: 'The recovery phrase',
  txid: 'The transaction id',
  vout: 'The output number',
  path: 'The path',
  document: 'The document',
  roles: 'The roles',
  deviceId: 'The device',
  server: 'The server address',
  user: 'The user',
  password: 'The password',
  vaultId: 'The vault id',
  genesisAddress: "The genesis administrator's address",
};

function labelOf(field: string | undefined): string {
  if (field === undefined) return 'What was sent';
  return LABELS[field] ?? `The ${field.replace(/([A-Z])/g, ' $1').toLowerCase()}`;
}

function words(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min <= 1 ? 'is empty' : `is too short (at least ${min} characters)`;
      if (issue.origin === 'array' || issue.origin === 'set') return `needs at least ${min}`;
      return `must be at least ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `is too long (at most ${max} characters)`;
      if (issue.origin === 'array' || issue.origin === 'set') return `may have at most ${max}`;
      return `must be at most ${max}`;
    }
    case 'invalid_type':
      if (issue.input === undefined) return 'is missing';
      return issue.expected === 'int' || issue.expected === 'number' ? 'must be a number' : 'is not in the expected form';
    case 'invalid_format':
      // A schema's own message is already in words ("a base64 PSBT"); the validator's default is not.
      return issue.message && !/^Invalid/.test(issue.message) ? `must be ${issue.message}` : 'is not in the expected form';
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'custom':
      return issue.message;
    case 'unrecognized_keys':
      return 'has fields this version of Custos does not know: update Custos';
    default:
      return 'is not in the expected form';
  }
}

/** The first problem of a refused input as error data, naming the field (the first key of its path) when there is one. */
export function inputProblem(issues: readonly z.core.$ZodIssue[]): CustosErrorData {
  const issue = issues[0];
  if (issue === undefined) return { code: 'BAD_INPUT', message: 'What was sent is not in the expected form.' };
  const key = issue.path[0];
  const field = typeof key === 'string' ? key : undefined;
  const message = `${labelOf(field)} ${words(issue)}.`;
  return field === undefined ? { code: 'BAD_INPUT', message } : { code: 'BAD_INPUT', message, field };
}
