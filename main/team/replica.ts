// The team log as the one writer sees it (main/vault/log-writer.ts LogReplication), over the vault's JetStream stream.
import type { GenesisPin } from '../vault/adopted';
import type { LogReplication } from '../vault/log-writer';
import type { TeamStream } from './stream';

export function replicaOf(stream: TeamStream, genesis: GenesisPin): LogReplication {
  return {
    genesis,
    entriesAfter: (streamSeq) => stream.entriesAfter(streamSeq),
    append: (body, expectedLast) => stream.append(body, expectedLast),
  };
}
