// Validates a call from the renderer against the contract, runs its handler, and answers a Result.
import { channels, type Channel, type ChannelResult, type ParsedInput, type Result } from '../../preload/contract';
import { toErrorData } from '../errors';
import { inputProblem } from './input-problem';
import type { Logger } from '../log';

export type Handlers = { [C in Channel]: (input: ParsedInput<C>) => Promise<ChannelResult<C>> | ChannelResult<C> };

const isChannel = (name: unknown): name is Channel => typeof name === 'string' && Object.hasOwn(channels, name);

export async function dispatch(handlers: Handlers, channel: unknown, input: unknown, log: Logger): Promise<Result<unknown>> {
  if (!isChannel(channel)) {
    return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `There is no channel named "${String(channel).slice(0, 60)}".` } };
  }
  const parsed = channels[channel].input.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, error: inputProblem(parsed.error.issues) };
  try {
    const handler = handlers[channel] as (input: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    const data = toErrorData(err);
    if (data.code === 'INTERNAL') log.error(`unexpected failure in ${channel}`, err);
    return { ok: false, error: data };
  }
}
