#!/usr/bin/env node
// Makes sure the native modules are built for Node before a Node-side tool (browser host, CLI, bench) starts.
import { ensureNativeModulesForNode } from './native-modules.mjs';

ensureNativeModulesForNode();
