// The NATS permission sets of a team's server, one per role, for IT's config and the tests: the server's administrator
// (makes the vault's stream), a console (appends to and reads the log; coordinates signings through the relay), and a
// signer node (reads the log; reads only its own relay subjects). docs/team.md prints the config they make.
import { COORDINATOR } from '../../crypto/frost/types';
import { CONTROL_SESSION, coordinatorAddress } from '../signer/control';
import { partyPublishSubject, partySubscribeSubject, relaySubject, SUBJECT_PREFIX, subjectToken } from './transport';

export type NatsPermissions = {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[] };
};

/** Replies to the client's own requests (JetStream API calls, flush does not need it). */
const INBOX = '_INBOX.>';

/** `*` for any vault (a lab server), else the vault's stream and subject names (main/team/stream.ts). */
const logNames = (vaultId: string) => ({
  subject: `custos.log.${vaultId}`,
  stream: vaultId === '*' ? '*' : `CUSTOS_LOG_${vaultId}`,
});

/** What no console or node may do to a stream: the log is append-only on the server too. */
const STREAM_CHANGES = ['$JS.API.STREAM.CREATE.>', '$JS.API.STREAM.UPDATE.>', '$JS.API.STREAM.DELETE.>', '$JS.API.STREAM.PURGE.>', '$JS.API.STREAM.MSG.DELETE.>'];

/**
 * Reading the vault's log: the JetStream account and stream info and single messages by sequence, and the log's
 * subject to hear of new entries. With `append`, publishing records too (a console; a node only reads).
 */
export function teamLogPermissions(vaultId: string, o: { append: boolean }): NatsPermissions {
  const { subject, stream } = logNames(vaultId);
  return {
    publish: {
      allow: [...(o.append ? [subject] : []), '$JS.API.INFO', `$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.MSG.GET.${stream}`],
      deny: STREAM_CHANGES,
    },
    subscribe: { allow: [INBOX, subject] },
  };
}

/** The server's administrator: makes and inspects the vault's stream (its limits: deny_delete, deny_purge). */
export function teamAdminPermissions(): NatsPermissions {
  return { publish: { allow: ['$JS.API.>', 'custos.log.>'] }, subscribe: { allow: [INBOX, 'custos.log.>'] } };
}

/**
 * One relay party's permissions: it may publish to any recipient of its vault and subscribe only to its own subjects
 * (its control subject included). A party cannot read another's envelopes even though they are sealed: the fewer bytes
 * a party sees, the less a compromised one can store for later.
 */
export function relayPartyPermissions(vaultId: string, party: string): NatsPermissions {
  return {
    publish: { allow: [partyPublishSubject(vaultId)] },
    subscribe: { allow: [partySubscribeSubject(vaultId, party), INBOX] },
  };
}

/**
 * A console that coordinates as user `userId`: the coordinator of every session (the sessions' recipient
 * "coordinator", custos.relay.<vault>.<session>.coordinator) and its own control replies
 * (custos.relay.<vault>.control.coordinator-<party>). It does not get another coordinator's control replies, nor any
 * party's subjects. Every coordinating console receives the "coordinator" subject of every session: the envelopes there
 * are sealed to the one coordinator whose keys the session's directory names, so another coordinator reads only ciphertext.
 */
export function relayCoordinatorPermissions(vaultId: string, userId: string): NatsPermissions {
  const v = subjectToken(vaultId);
  return {
    publish: { allow: [partyPublishSubject(vaultId)] },
    subscribe: {
      allow: [
        [SUBJECT_PREFIX, v, '*', subjectToken(COORDINATOR)].join('.'),
        relaySubject({ vaultId, sessionId: CONTROL_SESSION, party: coordinatorAddress(userId) }),
        INBOX,
      ],
    },
  };
}

/** A console of the vault: appends to and reads the log; with `coordinatorUserId`, coordinates through the relay as that user. */
export function consolePermissions(vaultId: string, o: { coordinatorUserId?: string } = {}): NatsPermissions {
  const log = teamLogPermissions(vaultId, { append: true });
  return o.coordinatorUserId === undefined ? log : merge(log, relayCoordinatorPermissions(vaultId, o.coordinatorUserId));
}

/**
 * The signer node of party `partyId` (a custodian's party id is partyIdFor(userId), crypto/frost/party-id.ts; the node
 * says it when it starts): reads the log (its replica) and its own relay subjects, control requests included; appends nothing.
 */
export function signerNodePermissions(vaultId: string, partyId: string): NatsPermissions {
  return merge(teamLogPermissions(vaultId, { append: false }), relayPartyPermissions(vaultId, partyId));
}

function merge(a: NatsPermissions, b: NatsPermissions): NatsPermissions {
  const union = (x: string[], y: string[] = []) => [...new Set([...x, ...y])];
  const deny = union(a.publish.deny ?? [], b.publish.deny);
  return {
    publish: { allow: union(a.publish.allow, b.publish.allow), ...(deny.length === 0 ? {} : { deny }) },
    subscribe: { allow: union(a.subscribe.allow, b.subscribe.allow) },
  };
}
