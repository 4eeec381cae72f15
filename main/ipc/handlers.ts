// The handler table: one function per contract channel, each a thin call into a service.
import type { EventName, EventPayloads } from '../../preload/contract';
import type { Services } from '../services';
import type { Handlers } from './dispatch';

export function createHandlers(services: Services): Handlers {
  const { devices, mpc } = services;
  return {
    'app.info': () => services.appInfo(),
    'devices.list': () => devices.list(),
    'devices.refresh': () => devices.refresh(),
    'devices.addVirtual': (input) => {
      const { device, mnemonic } = devices.addVirtual(input);
      // The generated phrase is shown once so a tester can recreate the device; a given one is not echoed back.
      return { ...device, mnemonic: input.mnemonic ? null : mnemonic };
    },
    'devices.remove': ({ deviceId }) => {
      devices.remove(deviceId);
      return { removed: true as const };
    },
    'devices.identity': ({ deviceId, path, showOnDevice }) => devices.identity(deviceId, path, showOnDevice ?? false),
    'devices.signStatement': ({ deviceId, path, text }) => devices.signStatement(deviceId, path, text),
    'devices.encryptionKey': ({ deviceId, path }) => devices.encryptionKey(deviceId, path),
    'devices.prompts': () => devices.prompts(),
    'devices.respond': ({ promptId, decision }) => {
      devices.respond(promptId, decision);
      return { answered: true as const };
    },
    'mpc.ping': () => mpc.ping(),
  };
}

/** Forwards the services' events to a bridge; returns the function that stops forwarding. */
export function bindEvents(services: Services, emit: <E extends EventName>(event: E, payload: EventPayloads[E]) => void): () => void {
  const { devices } = services;
  const onChanged = (list: EventPayloads['devices.changed']) => emit('devices.changed', list);
  const onPrompt = (prompt: EventPayloads['devices.prompt']) => emit('devices.prompt', prompt);
  const onEnded = (ended: EventPayloads['devices.promptEnded']) => emit('devices.promptEnded', ended);
  devices.on('changed', onChanged);
  devices.on('prompt', onPrompt);
  devices.on('promptEnded', onEnded);
  return () => {
    devices.off('changed', onChanged);
    devices.off('prompt', onPrompt);
    devices.off('promptEnded', onEnded);
  };
}
