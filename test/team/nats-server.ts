// The tests' nats-server is the one the demo's team mode runs (main/team/nats-server.ts): one implementation.
export * from '../../main/team/nats-server';
